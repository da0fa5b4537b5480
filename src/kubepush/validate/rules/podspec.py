"""Pod spec checks shared by Pods and every workload template: containers (image, name,
enums, ports, resources, probes) and pod-level enums, volumes and tolerations.

One pass over the pod spec serves several rule ids (missing-image, invalid-enum,
invalid-port, invalid-quantity, invalid-name): walking it once is what keeps the
rules cheap on large repositories.
"""

from __future__ import annotations

from typing import Any

from .base import Emitter, Path, check_enum, enum_finding, quote_list
from .names import check_dns_label
from .ports import check_int_or_name, check_port_name, check_port_number, port_name_errors
from .quantity import check_quantity, check_requirements

PULL_POLICIES = ("Always", "IfNotPresent", "Never")
PROTOCOLS = ("TCP", "UDP", "SCTP")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")
TOLERATION_OPERATORS = ("Exists", "Equal")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
INCLUSION_POLICIES = ("Honor", "Ignore")
HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice")
URI_SCHEMES = ("HTTP", "HTTPS")
SECCOMP_TYPES = ("RuntimeDefault", "Unconfined", "Localhost")
FS_GROUP_CHANGE_POLICIES = ("OnRootMismatch", "Always")
RESIZE_RESTART_POLICIES = ("NotRequired", "RestartContainer")
OS_NAMES = ("linux", "windows")
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def check_pod_spec(
    out: Emitter, spec: object, path: Path, restart_policies: tuple[str, ...] = RESTART_POLICIES
) -> None:
    """Everything checkable in one pod spec at ``path``.

    ``restart_policies`` narrows restartPolicy for templates: controllers accept only
    "Always", Jobs only "OnFailure"/"Never" (and then it is required).
    """
    if type(spec) is not dict:
        return
    for field in _CONTAINER_LISTS:
        containers = spec.get(field)
        if type(containers) is list:
            for i, container in enumerate(containers):
                if type(container) is dict:
                    _check_container(out, container, path + (field, i), field)
    _check_restart_policy(out, spec, path, restart_policies)
    check_enum(out, spec, "dnsPolicy", DNS_POLICIES, path)
    check_enum(out, spec, "preemptionPolicy", PREEMPTION_POLICIES, path)
    _check_pod_extras(out, spec, path)


def _check_pod_extras(out: Emitter, spec: dict[str, Any], path: Path) -> None:
    tolerations = spec.get("tolerations")
    if type(tolerations) is list:
        for i, toleration in enumerate(tolerations):
            if type(toleration) is dict:
                _check_toleration(out, toleration, path + ("tolerations", i))
    constraints = spec.get("topologySpreadConstraints")
    if type(constraints) is list:
        for i, constraint in enumerate(constraints):
            if type(constraint) is dict:
                p = path + ("topologySpreadConstraints", i)
                check_enum(out, constraint, "whenUnsatisfiable", WHEN_UNSATISFIABLE, p)
                check_enum(out, constraint, "nodeAffinityPolicy", INCLUSION_POLICIES, p)
                check_enum(out, constraint, "nodeTaintsPolicy", INCLUSION_POLICIES, p)
    volumes = spec.get("volumes")
    if type(volumes) is list:
        for i, volume in enumerate(volumes):
            if type(volume) is dict:
                _check_volume(out, volume, path + ("volumes", i))
    security = spec.get("securityContext")
    if type(security) is dict:
        _check_security_context(out, security, path + ("securityContext",))
        check_enum(out, security, "fsGroupChangePolicy", FS_GROUP_CHANGE_POLICIES, path + ("securityContext",))
    os_ = spec.get("os")
    if type(os_) is dict:
        check_enum(out, os_, "name", OS_NAMES, path + ("os",))
    if "resources" in spec:
        check_requirements(out, spec["resources"], path + ("resources",))
    if type(spec.get("overhead")) is dict:
        for name, value in spec["overhead"].items():
            check_quantity(out, value, path + ("overhead", name), f"{name} overhead")


def _check_restart_policy(out: Emitter, spec: dict[str, Any], path: Path, allowed: tuple[str, ...]) -> None:
    value = spec.get("restartPolicy")
    if value is None and "Always" not in allowed:
        out.add(
            "invalid-enum",
            path,
            f"restartPolicy: Required value: supported values: {quote_list(allowed)} "
            '(it defaults to "Always", which a Job does not accept)',
            "add restartPolicy: OnFailure (or Never) to the pod template",
        )
    elif type(value) is str and value not in allowed:
        enum_finding(out, value, "restartPolicy", allowed, path + ("restartPolicy",))


def _check_container(out: Emitter, c: dict[str, Any], path: Path, list_name: str) -> None:
    check_dns_label(out, c.get("name"), path + ("name",), "name")
    image = c.get("image")
    if image is None or image == "":
        name = c.get("name")
        out.add(
            "missing-image",
            path,
            f"{list_name}[{path[-1]}]{f' {name!r}' if type(name) is str else ''}: image: Required value",
            "add the image; the OpenAPI schema marks it optional, but the API server requires it "
            "for pods and workload templates",
        )
    policy = c.get("imagePullPolicy")
    if policy is not None and policy not in PULL_POLICIES and type(policy) is str:
        enum_finding(out, policy, "imagePullPolicy", PULL_POLICIES, path + ("imagePullPolicy",))
    if "terminationMessagePolicy" in c:
        check_enum(out, c, "terminationMessagePolicy", TERMINATION_MESSAGE_POLICIES, path)
    ports = c.get("ports")
    if type(ports) is list:
        for i, port in enumerate(ports):
            if type(port) is dict and not _plain_port(port):
                p = path + ("ports", i)
                check_port_number(out, port, "containerPort", p)
                check_port_number(out, port, "hostPort", p, zero_ok=True)
                check_enum(out, port, "protocol", PROTOCOLS, p)
                check_port_name(out, port, p)
    if "resources" in c:
        check_requirements(out, c["resources"], path + ("resources",))
    for probe_name in _PROBES:
        probe = c.get(probe_name)
        if type(probe) is dict and not _plain_probe(probe):
            _check_probe(out, probe, path + (probe_name,))
    if list_name == "initContainers" and "restartPolicy" in c:
        check_enum(out, c, "restartPolicy", ("Always",), path)
    security = c.get("securityContext")
    if type(security) is dict:
        _check_security_context(out, security, path + ("securityContext",))
    resize = c.get("resizePolicy")
    if type(resize) is list:
        for i, policy_item in enumerate(resize):
            if type(policy_item) is dict:
                check_enum(out, policy_item, "restartPolicy", RESIZE_RESTART_POLICIES, path + ("resizePolicy", i))


def _plain_port(port: dict[str, Any]) -> bool:
    """Fast path for the usual container port (number, maybe name, TCP): nothing to report.

    Containers are the bulk of every workload, and this one predicate saves four calls
    per port; anything unusual falls through to the detailed checks.
    """
    number = port.get("containerPort")
    name = port.get("name")
    return (
        type(number) is int
        and 0 < number < 65536
        and "hostPort" not in port
        and port.get("protocol", "TCP") == "TCP"
        and (name is None or (type(name) is str and not port_name_errors(name)))
    )


def _plain_probe(probe: dict[str, Any]) -> bool:
    """Fast path: an exec probe, or one httpGet/tcpSocket action on a valid port (and scheme)."""
    http, tcp = probe.get("httpGet"), probe.get("tcpSocket")
    if "grpc" in probe or (http is not None and tcp is not None):
        return False
    action = http if http is not None else tcp
    if action is None:
        return True
    if type(action) is not dict or action.get("scheme", "HTTP") not in URI_SCHEMES:
        return False
    port = action.get("port")
    return (type(port) is int and 0 < port < 65536) or (type(port) is str and not port_name_errors(port))


def _check_probe(out: Emitter, probe: dict[str, Any], path: Path) -> None:
    http = probe.get("httpGet")
    if type(http) is dict:
        check_int_or_name(out, http, "port", path + ("httpGet",))
        check_enum(out, http, "scheme", URI_SCHEMES, path + ("httpGet",))
    tcp = probe.get("tcpSocket")
    if type(tcp) is dict:
        check_int_or_name(out, tcp, "port", path + ("tcpSocket",))
    grpc = probe.get("grpc")
    if type(grpc) is dict:
        check_port_number(out, grpc, "port", path + ("grpc",))


def _check_security_context(out: Emitter, security: dict[str, Any], path: Path) -> None:
    seccomp = security.get("seccompProfile")
    if type(seccomp) is dict:
        check_enum(out, seccomp, "type", SECCOMP_TYPES, path + ("seccompProfile",))


def _check_toleration(out: Emitter, toleration: dict[str, Any], path: Path) -> None:
    check_enum(out, toleration, "operator", TOLERATION_OPERATORS, path)
    effect = toleration.get("effect")
    if effect:  # "" means all effects
        check_enum(out, toleration, "effect", TAINT_EFFECTS, path)


def _check_volume(out: Emitter, volume: dict[str, Any], path: Path) -> None:
    check_dns_label(out, volume.get("name"), path + ("name",), "name")
    host_path = volume.get("hostPath")
    if type(host_path) is dict:
        check_enum(out, host_path, "type", HOST_PATH_TYPES, path + ("hostPath",))
    empty_dir = volume.get("emptyDir")
    if type(empty_dir) is dict and "sizeLimit" in empty_dir:
        check_quantity(out, empty_dir["sizeLimit"], path + ("emptyDir", "sizeLimit"), "emptyDir sizeLimit")
