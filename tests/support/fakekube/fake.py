"""FakeKube: the fake apiserver's lifecycle and the controls tests use.

Tests drive everything a real cluster's controllers would do (status, rollout progress)
through these methods, and shape failures with ``inject``; clients only ever see HTTP.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import yaml

from . import managed, publisher
from .admission import Admission, Webhook
from .api import APPLY, MERGE, Api, Call
from .controllers import Controllers
from .faults import Fault, Faults, Record
from .jsonutil import clone
from .schema import ResourceType
from .server import Server
from .store import DEFAULT_NAMESPACES, Store


class FakeKube:
    """A fake Kubernetes API server on 127.0.0.1, speaking plain HTTP with a bearer token."""

    def __init__(self, port: int = 0, token: str | None = None, user: str = "kubepush-test",
                 latency: float | Callable[[Record], float] = 0.0, kubeconfig_dir: str | None = None,
                 tls: bool = False,
                 allow_anonymous: bool | None = None):
        self.port = port
        self.token = token or secrets.token_hex(16)
        self.user = user
        #: Serve https with a throwaway certificate (the kubeconfig trusts it).
        self.tls = tls
        #: Accept requests that carry no credentials at all. client-go never sends the kubeconfig
        #: token over plain http, so by default anonymous requests are allowed there and not on TLS.
        #: A wrong token is always 401.
        self.allow_anonymous = (not tls) if allow_anonymous is None else allow_anonymous
        #: Seconds every request waits before being handled (a real apiserver's round trip), or a
        #: function of the request's Record (e.g. slower writes than reads).
        self.latency = latency
        self.store = Store()
        self.api = Api(self.store)
        self.controllers = Controllers()
        self.api.on_persist = self._on_persist
        self.faults = Faults()
        self.admission = Admission()
        self.requests: list[Record] = []
        #: Common names of the client certificates requests authenticated with (TLS only).
        self.client_users: list[str] = []
        self._requests_lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._kubeconfig_dir = kubeconfig_dir
        self.kubeconfig_path = ""
        self.running = False
        for ns in DEFAULT_NAMESPACES:
            self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    def _on_persist(self, rt: ResourceType, obj: dict[str, Any], event: str) -> None:
        if rt.kind == "CustomResourceDefinition" and event == "ADDED":
            spec = obj.get("spec") or {}
            self.admission.crd_written(spec.get("group", ""), [v["name"] for v in spec.get("versions") or []])
        publisher.on_write(self, rt, obj, event)
        self.controllers.on_write(self, rt, obj, event)

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeKube:
        ssl_context = None
        if self.tls:
            from .tls import server_context

            ssl_context = server_context()
        self._server = Server(("127.0.0.1", self.port), self, ssl_context)
        self.port = self._server.server_address[1]
        self.running = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fakekube-{self.port}", daemon=True)
        self._thread.start()
        # A restart after stop() keeps the port, the data and the kubeconfig: the cluster comes back.
        self.kubeconfig_path = self.write_kubeconfig(self.kubeconfig_path or None)
        return self

    def stop(self) -> None:
        """Stop listening and drop open connections ("the cluster disappears")."""
        if self._server is None:
            return
        self.running = False
        self.controllers.cancel()
        self.faults.resume()  # hung requests end (their connections are dropped below)
        with self.store.lock:
            self.store.changed.notify_all()
        self._server.shutdown()
        self._server.close_all()
        self._server.server_close()
        self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeKube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def write_kubeconfig(self, path: str | None = None, namespace: str = "default",
                         token: str | None = None) -> str:
        """Write a kubeconfig for this server (insecure http, token user); returns its path."""
        if path is None:
            directory = self._kubeconfig_dir
            if directory is None:
                directory = self._kubeconfig_dir = tempfile.mkdtemp(prefix="fakekube-")
                atexit.register(shutil.rmtree, directory, True)
            path = os.path.join(directory, "kubeconfig")
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "fakekube", "preferences": {},
            "clusters": [{"name": "fakekube", "cluster": self._cluster_entry()}],
            "users": [{"name": "fakekube-user", "user": {"token": token or self.token}}],
            "contexts": [{"name": "fakekube", "context": {"cluster": "fakekube", "user": "fakekube-user",
                                                          "namespace": namespace}}],
        }
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(config, fh)
        os.chmod(path, 0o600)
        return path

    def _cluster_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"server": self.url}
        if self.tls:
            from .tls import certificate

            entry["certificate-authority-data"] = base64.b64encode(certificate()[2]).decode()
        return entry

    # --- request accounting ------------------------------------------------------------
    def _record(self, record: Record) -> None:
        with self._requests_lock:
            self.requests.append(record)

    def reset_requests(self) -> None:
        with self._requests_lock:
            self.requests.clear()

    def count(self, verb: str | None = None, resource: str | None = None, path: str | None = None,
              method: str | None = None) -> int:
        """How many recorded requests match (Kubernetes verb, resource plural, path regex, method)."""
        with self._requests_lock:
            return sum(
                1 for r in self.requests
                if (verb is None or r.verb == verb) and (resource is None or r.resource == resource)
                and (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path) is not None)
            )

    def counts(self) -> Counter[tuple[str, str]]:
        """Requests per (verb, path)."""
        with self._requests_lock:
            return Counter((r.verb, r.path) for r in self.requests)

    # --- fault injection ---------------------------------------------------------------
    def inject(self, verb: str = "*", path: str = ".*", *, status: int | None = None, times: int = 1,
               message: str | None = None, delay: float = 0.0, close: bool = False) -> Fault:
        """Make the next ``times`` matching requests fail.

        ``status`` answers with that code and a real-looking Status body (403 names the user,
        verb and resource like RBAC; 409/422 name the object); ``delay`` sleeps first (a slow
        or timing-out apiserver); ``close`` drops the connection without an answer.
        """
        return self.faults.add(Fault(verb, path, times=times, status=status, message=message, delay=delay,
                                     close=close))

    def webhook_down(self, name: str, resources: tuple[str, ...], *, service: str = "webhook-service",
                     namespace: str = "default", cause: str = "refused", times: int | None = None) -> Webhook:
        """Writes (create, update, patch - dry runs too) of ``resources`` (plurals) fail the way the
        apiserver answers an admission webhook it cannot call (see ``admission.py``), ``times``
        times or until :meth:`webhook_up`; ``cause`` "refused" or "no-endpoints"."""
        hook = Webhook(name, resources, service, namespace, cause, times)
        with self.admission.lock:
            self.admission.webhooks.append(hook)
        return hook

    def webhook_up(self, name: str) -> None:
        self.admission.up(name)

    @property
    def discovery_lag(self) -> bool:
        """New CRDs' kinds answer 404 (not routed) until their group-version's discovery is read again."""
        return self.admission.lag_new_crds

    @discovery_lag.setter
    def discovery_lag(self, value: bool) -> None:
        self.admission.lag_new_crds = value

    def hang(self) -> None:
        """Keep accepting connections and reading requests, but answer none of them (a wedged
        apiserver, or a load balancer in front of a dead one): only the client's request timeout
        ends a request. ``resume()`` answers them and the following ones; ``stop()`` drops them."""
        self.faults.hang()

    def resume(self) -> None:
        self.faults.resume()

    # --- direct object access (no HTTP, not counted) ---------------------------------------
    def _type(self, kind: str, api_version: str | None) -> ResourceType:
        return self.store.by_kind(kind, api_version)

    def get(self, kind: str, namespace: str | None, name: str, api_version: str | None = None
            ) -> dict[str, Any] | None:
        rt = self._type(kind, api_version)
        obj = self.store.get(rt, namespace or "" if rt.namespaced else "", name)
        if obj is not None:
            obj["apiVersion"], obj["kind"] = rt.group_version, rt.kind
        return obj

    def list(self, kind: str, namespace: str | None = None, api_version: str | None = None) -> list[dict]:
        rt = self._type(kind, api_version)
        return list(self.store.items(rt, namespace))

    def create(self, obj: dict[str, Any], manager: str = "fakekube-test") -> dict[str, Any]:
        """Create an object as a client would (defaults, validation, managedFields), bypassing HTTP."""
        rt = self._type(obj["kind"], obj.get("apiVersion"))
        meta = obj.get("metadata") or {}
        call = Call("create", rt, meta.get("namespace", "default") if rt.namespaced else None, None, None,
                    {"fieldManager": manager}, json.dumps(obj).encode())
        return self.api.create(call)[1]

    def apply(self, obj: dict[str, Any], manager: str = "fakekube-test", force: bool = False
              ) -> dict[str, Any]:
        """Server-side apply ``obj`` as ``manager`` (e.g. to simulate another controller's edits)."""
        rt = self._type(obj["kind"], obj.get("apiVersion"))
        meta = obj.get("metadata") or {}
        query = {"fieldManager": manager, **({"force": "true"} if force else {})}
        call = Call("patch", rt, meta.get("namespace", "default") if rt.namespaced else None, meta["name"],
                    None, query, json.dumps(obj).encode(), APPLY)
        return self.api.patch(call)[1]

    def edit(self, kind: str, namespace: str | None, name: str, patch: dict[str, Any],
             manager: str = "kubectl-edit", api_version: str | None = None) -> dict[str, Any]:
        """JSON-merge-patch an object as an Update manager (like ``kubectl edit``/``scale``)."""
        rt = self._type(kind, api_version)
        call = Call("patch", rt, namespace if rt.namespaced else None, name, None, {"fieldManager": manager},
                    json.dumps(patch).encode(), MERGE)
        return self.api.patch(call)[1]

    # --- status: what controllers would write --------------------------------------------
    def set_status(self, kind: str, namespace: str | None, name: str, status: dict[str, Any],
                   api_version: str | None = None, merge: bool = False) -> dict[str, Any]:
        """Replace (or merge into) an object's status, bumping resourceVersion like a controller write."""
        rt = self._type(kind, api_version)
        ns = namespace or "" if rt.namespaced else ""
        with self.store.lock:
            obj = self.store.get(rt, ns, name)
            if obj is None:
                raise KeyError(f"{kind} {namespace}/{name} not found")
            new_status = clone(status)
            if merge:
                new_status = {**(obj.get("status") or {}), **new_status}
            old = clone(obj)
            obj["status"] = new_status
            managers = managed.update(old, obj, managed.decode(obj["metadata"].get("managedFields")),
                                      "kube-controller-manager", rt.group_version, self.api._node(rt), False,
                                      subresource="status")
            obj["metadata"]["managedFields"] = managed.encode(managers)
            obj["metadata"]["resourceVersion"] = self.store.next_resource_version()
            self.store.put(rt, obj, "MODIFIED")
            return obj

    def simulate(self, rollouts: str | None = None, jobs: str | dict[str, str] | None = None,
                 bind_pvcs: bool = False, delay: float = 0.0, pods: str | None = None,
                 termination_message: str = "") -> None:
        """Turn on controller stand-ins: after each write, workloads roll out ("complete") or
        fail ("fail"), Jobs complete or fail (``jobs`` may map a Job's name - or the generateName
        it was created with - to its outcome), bare Pods run to completion or fail, new PVCs bind,
        ``delay`` seconds later. A failing Job or Pod leaves a failed pod whose container's
        termination message is ``termination_message``."""
        outcomes = list(jobs.values()) if isinstance(jobs, dict) else [jobs]
        for value in (rollouts, pods, *outcomes):
            if value not in (None, "complete", "fail"):
                raise ValueError(f"expected 'complete', 'fail' or None, not {value!r}")
        self.controllers.cancel()
        self.controllers = Controllers(rollouts=rollouts, jobs=jobs, bind_pvcs=bind_pvcs, delay=delay, pods=pods,
                                       termination_message=termination_message)

    def _condition(self, ctype: str, status: str, reason: str, message: str) -> dict[str, Any]:
        ts = managed.now()
        return {"type": ctype, "status": status, "lastUpdateTime": ts, "lastTransitionTime": ts,
                "reason": reason, "message": message}

    def rollout_complete(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """Report a Deployment/StatefulSet/DaemonSet fully rolled out at its current generation."""
        obj = self._require(kind, namespace, name)
        spec, gen = obj.get("spec") or {}, obj["metadata"].get("generation", 1)
        replicas = spec.get("replicas", 1)
        if kind == "Deployment":
            status = {"observedGeneration": gen, "replicas": replicas, "updatedReplicas": replicas,
                      "readyReplicas": replicas, "availableReplicas": replicas, "conditions": [
                          self._condition("Available", "True", "MinimumReplicasAvailable",
                                          "Deployment has minimum availability."),
                          self._condition("Progressing", "True", "NewReplicaSetAvailable",
                                          f'ReplicaSet "{name}-{gen:x}" has successfully progressed.')]}
        elif kind == "StatefulSet":
            rev = f"{name}-{gen}"
            status = {"observedGeneration": gen, "replicas": replicas, "readyReplicas": replicas,
                      "currentReplicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas,
                      "currentRevision": rev, "updateRevision": rev, "collisionCount": 0}
        elif kind == "DaemonSet":
            n = 1
            status = {"observedGeneration": gen, "currentNumberScheduled": n, "desiredNumberScheduled": n,
                      "numberAvailable": n, "numberMisscheduled": 0, "numberReady": n,
                      "updatedNumberScheduled": n}
        else:
            raise ValueError(f"rollout_complete does not know {kind}")
        return self.set_status(kind, namespace, name, status)

    def rollout_fail(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """Make a rollout fail: a Deployment reports ProgressDeadlineExceeded (what kubectl rollout
        status turns into an error); a StatefulSet/DaemonSet observes the spec but never gets ready."""
        obj = self._require(kind, namespace, name)
        gen = obj["metadata"].get("generation", 1)
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        if kind == "StatefulSet":
            return self.set_status(kind, namespace, name, {
                "observedGeneration": gen, "replicas": replicas, "readyReplicas": 0, "currentReplicas": replicas,
                "updatedReplicas": 0, "availableReplicas": 0, "currentRevision": f"{name}-{gen - 1}",
                "updateRevision": f"{name}-{gen}", "collisionCount": 0})
        if kind == "DaemonSet":
            return self.set_status(kind, namespace, name, {
                "observedGeneration": gen, "currentNumberScheduled": 1, "desiredNumberScheduled": 1,
                "numberAvailable": 0, "numberMisscheduled": 0, "numberReady": 0, "numberUnavailable": 1,
                "updatedNumberScheduled": 0})
        status = {"observedGeneration": gen, "replicas": replicas, "updatedReplicas": replicas,
                  "unavailableReplicas": replicas, "conditions": [
                      self._condition("Available", "False", "MinimumReplicasUnavailable",
                                      "Deployment does not have minimum availability."),
                      self._condition("Progressing", "False", "ProgressDeadlineExceeded",
                                      f'ReplicaSet "{name}-{gen:x}" has timed out progressing.')]}
        return self.set_status(kind, namespace, name, status)

    def job_complete(self, namespace: str, name: str) -> dict[str, Any]:
        ts = managed.now()
        completions = (self._require("Job", namespace, name).get("spec") or {}).get("completions", 1)
        return self.set_status("Job", namespace, name, {
            "startTime": ts, "completionTime": ts, "succeeded": completions, "ready": 0, "active": 0,
            "conditions": [self._condition("SuccessCriteriaMet", "True", "CompletionsReached",
                                           "Reached expected number of succeeded pods"),
                           self._condition("Complete", "True", "CompletionsReached",
                                           "Reached expected number of succeeded pods")]})

    def job_fail(self, namespace: str, name: str, reason: str = "BackoffLimitExceeded",
                 termination_message: str | None = None) -> dict[str, Any]:
        """Fail a Job like the Job controller: ``Failed``/``FailureTarget`` conditions; with a
        ``termination_message``, also the failed pod it ran (labelled ``batch.kubernetes.io/job-name``
        and ``job-name`` as the controller labels them, kubernetes/kubernetes pkg/controller/job) whose
        container terminated with exit code 1 and that message (what the kubelet copies from
        /dev/termination-log into ``state.terminated.message``)."""
        ts = managed.now()
        if termination_message is not None:
            self.pod_terminated(namespace, f"{name}-{secrets.token_hex(3)}", 1, termination_message,
                                labels={"batch.kubernetes.io/job-name": name, "job-name": name})
        return self.set_status("Job", namespace, name, {
            "startTime": ts, "failed": 1, "ready": 0, "active": 0,
            "conditions": [self._condition("FailureTarget", "True", reason, "Job has reached the specified "
                                           "backoff limit"),
                           self._condition("Failed", "True", reason, "Job has reached the specified backoff "
                                           "limit")]})

    def pod_terminated(self, namespace: str, name: str, exit_code: int, message: str = "",
                       labels: dict[str, str] | None = None) -> dict[str, Any]:
        """A pod whose one container ran and exited (created when missing): phase Succeeded for exit
        code 0, else Failed, with the container's ``state.terminated`` as the kubelet reports it."""
        if self.get("Pod", namespace, name) is None:
            self.create({"apiVersion": "v1", "kind": "Pod", "metadata": {
                "name": name, "namespace": namespace, "labels": labels or {}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}})
        ts = managed.now()
        terminated = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                      "startedAt": ts, "finishedAt": ts, "containerID": f"containerd://{secrets.token_hex(8)}"}
        if message:
            terminated["message"] = message
        container = self.get("Pod", namespace, name)["spec"]["containers"][0]["name"]
        return self.set_status("Pod", namespace, name, {
            "phase": "Succeeded" if exit_code == 0 else "Failed", "startTime": ts,
            "containerStatuses": [{"name": container, "ready": False, "restartCount": 0, "image": "busybox",
                                   "imageID": "", "started": False, "state": {"terminated": terminated}}]})

    def pvc_bound(self, namespace: str, name: str, volume: str | None = None) -> dict[str, Any]:
        obj = self._require("PersistentVolumeClaim", namespace, name)
        spec = obj.get("spec") or {}
        with self.store.lock:
            rt = self._type("PersistentVolumeClaim", None)
            obj["spec"]["volumeName"] = volume or f"pvc-{obj['metadata']['uid']}"
            obj["metadata"]["resourceVersion"] = self.store.next_resource_version()
            self.store.put(rt, obj, "MODIFIED")
        return self.set_status("PersistentVolumeClaim", namespace, name, {
            "phase": "Bound", "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
            "capacity": dict((spec.get("resources") or {}).get("requests") or {})})

    @property
    def auto_establish_crds(self) -> bool:
        """New CRDs are Established (and served) at once; set False to establish them by hand."""
        return self.api.auto_establish_crds

    @auto_establish_crds.setter
    def auto_establish_crds(self, value: bool) -> None:
        self.api.auto_establish_crds = value

    def crd_established(self, name: str, established: bool = True) -> dict[str, Any]:
        """Flip a CRD's Established condition; its kinds are served exactly while it is True."""
        obj = self._require("CustomResourceDefinition", None, name)
        status = clone(obj.get("status") or {})
        for cond in status.get("conditions") or []:
            if cond["type"] == "Established":
                cond["status"] = "True" if established else "False"
                cond["reason"] = "InitialNamesAccepted" if established else "Installing"
                cond["lastTransitionTime"] = managed.now()
        result = self.set_status("CustomResourceDefinition", None, name, status)
        self.api.sync_crd(result)
        return result

    def _require(self, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise KeyError(f"{kind} {namespace}/{name} not found")
        return obj
