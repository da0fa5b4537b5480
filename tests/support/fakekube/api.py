"""REST semantics of the resource endpoints: what each verb does to the store.

HTTP concerns (auth, routing, faults, latency, encoding) live in server.py; this module
takes a resolved request and returns ``(code, body)`` or raises ``ApiError``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import defaults, managed, patches, status, typed, validation
from .jsonutil import clone, load_yaml_or_json
from .schema import ResourceType, resolve
from .selectors import field_selector, label_selector
from .store import Store
from .warnings import pod_warnings

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSONPATCH = "application/json-patch+json"


@dataclass
class Call:
    """One resource request after routing."""

    verb: str
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None
    query: dict[str, str]
    body: bytes = b""
    content_type: str = "application/json"
    user_agent: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.query.get("dryRun") == "All"

    @property
    def manager(self) -> str:
        # The apiserver defaults the manager to the user agent's product token.
        return self.query.get("fieldManager") or (self.user_agent.split("/", 1)[0] or "unknown")


def _now() -> str:
    return managed.now()


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise status.bad_request(f"error decoding request body: {exc}") from None


def _drop_nulls(value: Any) -> Any:
    """Nulls do not survive decoding into the apiserver's typed objects: the field is unset."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _normalize(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The stored form: no nulls, and for built-in kinds no empty maps or lists (Go's omitempty)."""
    obj = _drop_nulls(obj)
    return obj if rt.crd else typed.drop_empty(obj, resolve(rt.schema))


def _patch_options_invalid(field_name: str, reason: str, detail: str) -> status.ApiError:
    """ValidatePatchOptions failures: 422 about the PatchOptions, not the object."""
    return status.ApiError(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: {field_name}: {detail}',
                           {"group": "meta.k8s.io", "kind": "PatchOptions",
                            "causes": [{"reason": reason, "message": detail, "field": field_name}]})


def _parse_yaml(body: bytes) -> Any:
    try:
        return load_yaml_or_json(body)
    except yaml.YAMLError as exc:
        raise status.bad_request(f"error converting YAML to JSON: {exc}") from None


def _parse_object(call: Call) -> dict[str, Any]:
    ctype = call.content_type.split(";")[0].strip().lower()
    if ctype in ("application/yaml", "application/x-yaml"):
        obj = _parse_yaml(call.body)
    elif ctype in ("application/json", ""):
        obj = _parse_json(call.body)
    else:
        raise status.unsupported_media_type()
    if not isinstance(obj, dict):
        raise status.bad_request("Object 'Kind' is missing in the request body")
    return obj


class Api:
    def __init__(self, store: Store):
        self.store = store
        self.auto_establish_crds = True
        #: Called as (type, object, event) after every persisted write or delete (simulated controllers).
        self.on_persist: Callable[[ResourceType, dict[str, Any], str], None] | None = None

    # --- helpers -------------------------------------------------------------------------
    def _node(self, rt: ResourceType):
        return resolve(rt.schema)

    def _check_type(self, call: Call, obj: dict[str, Any]) -> None:
        rt = call.rt
        if obj.get("apiVersion") and obj["apiVersion"] != rt.group_version:
            raise status.bad_request(
                f"the API version in the data ({obj['apiVersion']}) does not match the expected API "
                f"version ({rt.group_version})")
        if obj.get("kind") and obj["kind"] != rt.kind:
            raise status.bad_request(f"the kind in the data ({obj['kind']}) does not match the expected "
                                     f"kind ({rt.kind})")
        obj["apiVersion"], obj["kind"] = rt.group_version, rt.kind
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise status.bad_request("metadata must be an object")
        if rt.namespaced:
            ns = meta.get("namespace")
            if ns and ns != call.namespace:
                raise status.bad_request("the namespace of the provided object does not match the namespace "
                                         "sent on the request")
            meta["namespace"] = call.namespace
        else:
            meta.pop("namespace", None)
        if call.name is not None and meta.get("name") and meta["name"] != call.name:
            raise status.bad_request(f"the name of the object ({meta['name']}) does not match the name on "
                                     f"the URL ({call.name})")
        if call.name is not None:
            meta.setdefault("name", call.name)

    def _field_validation(self, call: Call, obj: dict[str, Any]) -> dict[str, Any]:
        """Strict rejects undeclared fields, Warn reports them, Ignore drops them silently."""
        node = self._node(call.rt)
        unknown = typed.unknown_fields(obj, node)
        if unknown:
            mode = call.query.get("fieldValidation", "Warn")
            if mode == "Strict":
                raise status.bad_request("strict decoding error: " + ", ".join(
                    f'unknown field "{u.lstrip(".")}"' for u in unknown))
            if mode == "Warn":
                call.warnings.extend(f'unknown field "{u.lstrip(".")}"' for u in unknown)
        return typed.prune_unknown(obj, node)

    def _ref(self, call: Call, obj: dict[str, Any]) -> str:
        name = (obj.get("metadata") or {}).get("name") or call.name
        return f"{call.namespace}/{name}" if call.namespace else str(name)

    def _check_namespace(self, call: Call) -> None:
        if call.rt.namespaced:
            ns_type = self.store.resource("", "v1", "namespaces")
            if self.store.get(ns_type, "", call.namespace or "") is None:
                raise status.not_found(ns_type, call.namespace or "")

    def _resets_status(self, rt: ResourceType) -> bool:
        return rt.has_status

    def _finish(self, call: Call, obj: dict[str, Any]) -> dict[str, Any]:
        obj = clone(obj)
        obj["apiVersion"] = call.rt.group_version
        obj["kind"] = call.rt.kind
        return obj

    def _validate(self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        if rt.crd:
            causes = validation.validate_custom_resource(obj)
        elif old is None:
            causes = validation.validate_create(rt.kind, obj)
        else:
            causes = validation.validate_update(rt.kind, old, obj)
        if causes:
            raise status.invalid(rt, obj["metadata"].get("name", ""), causes)

    # --- reads -------------------------------------------------------------------------
    def get(self, call: Call) -> tuple[int, Any]:
        obj = self.store.get(call.rt, call.namespace or "", call.name or "")
        if obj is None:
            raise status.not_found(call.rt, call.name or "")
        return 200, self._finish(call, obj)

    def list(self, call: Call) -> tuple[int, Any]:
        labels = label_selector(call.query.get("labelSelector"))
        fields = field_selector(call.query.get("fieldSelector"))
        with self.store.lock:
            rv = str(self.store.resource_version)
            items = [o for o in self.store.items(call.rt, call.namespace)
                     if labels(o["metadata"].get("labels") or {}) and fields(o)]
        start = self._continue_from(call.query.get("continue"))
        if start is not None:
            items = [o for o in items if self._key(o) > start]
        meta: dict[str, Any] = {"resourceVersion": rv}
        limit_text = call.query.get("limit") or "0"
        if not limit_text.isdigit():
            raise status.bad_request(f'invalid limit: "{limit_text}"')
        limit = int(limit_text)
        if limit and len(items) > limit:
            rest = len(items) - limit
            items = items[:limit]
            token = {"v": "meta.k8s.io/v1", "rv": int(rv), "start": "/".join(self._key(items[-1])) + "\x00"}
            meta["continue"] = base64.b64encode(json.dumps(token).encode()).decode()
            meta["remainingItemCount"] = rest
        if not call.rt.crd:
            for o in items:
                o.pop("apiVersion", None)
                o.pop("kind", None)
        else:
            items = [self._finish(call, o) for o in items]
        return 200, {"kind": f"{call.rt.kind}List", "apiVersion": call.rt.group_version, "metadata": meta,
                     "items": items}

    @staticmethod
    def _key(obj: dict[str, Any]) -> tuple[str, str]:
        return (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    def _continue_from(self, token: str | None) -> tuple[str, str] | None:
        if not token:
            return None
        try:
            data = json.loads(base64.b64decode(token))
            ns, _, name = data["start"].rstrip("\x00").partition("/")
            rv = int(data["rv"])
        except (ValueError, KeyError, TypeError):
            raise status.bad_request(f"continue key is not valid: {token}") from None
        if rv < self.store.compacted:
            raise status.ApiError(
                410, "Expired", "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter.")
        return (ns, name)

    # --- writes ------------------------------------------------------------------------
    def create(self, call: Call) -> tuple[int, Any]:
        obj = _parse_object(call)
        self._check_type(call, obj)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        obj = self._field_validation(call, obj)
        with self.store.lock:
            return 201, self._create(call, obj, managers=None)

    def _create(self, call: Call, obj: dict[str, Any], managers: list[managed.Manager] | None) -> dict[str, Any]:
        """Store a new object; ``managers`` given means the caller (apply) computed ownership."""
        rt = call.rt
        meta = obj["metadata"]
        self._check_namespace(call)
        if meta.get("name") and self.store.get(rt, call.namespace or "", meta["name"]) is not None:
            raise status.already_exists(rt, meta["name"])
        obj = _normalize(rt, obj)
        meta = obj["metadata"]
        for server_owned in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                             "generation", "managedFields", "selfLink"):
            meta.pop(server_owned, None)
        if self._resets_status(rt):
            obj.pop("status", None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _now()
        if rt.generation:
            meta["generation"] = 1
        defaults.apply_defaults(rt, obj)
        call.warnings.extend(pod_warnings(rt, obj))
        if managers is None:
            managers = managed.update({}, obj, [], call.manager, rt.group_version, self._node(rt),
                                      self._resets_status(rt))
        defaults.allocate(rt, obj, None, self.store.allocate_cluster_ip)
        self._validate(rt, obj, None)
        meta["managedFields"] = managed.encode(managers)
        if rt.kind == "CustomResourceDefinition":
            self._crd_status(obj)
        return self._persist(call, obj, "ADDED")

    def _persist(self, call: Call, obj: dict[str, Any], event: str) -> dict[str, Any]:
        if call.dry_run:
            return self._finish(call, obj)
        obj["metadata"]["resourceVersion"] = self.store.next_resource_version()
        if obj["kind"] == "CustomResourceDefinition":
            self.sync_crd(obj)
        self.store.put(call.rt, obj, event)
        if self.on_persist is not None:
            self.on_persist(call.rt, obj, event)
        return self._finish(call, obj)

    def update(self, call: Call) -> tuple[int, Any]:
        obj = _parse_object(call)
        self._check_type(call, obj)
        obj = self._field_validation(call, obj)
        with self.store.lock:
            old = self._live(call)
            rv = obj["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise status.conflict(call.rt, call.name or "")
            return 200, self._update(call, old, obj)

    def _live(self, call: Call) -> dict[str, Any]:
        old = self.store.get(call.rt, call.namespace or "", call.name or "")
        if old is None:
            raise status.not_found(call.rt, call.name or "")
        return old

    def _carry_server_fields(self, rt: ResourceType, old: dict[str, Any], new: dict[str, Any]) -> None:
        meta, old_meta = new["metadata"], old["metadata"]
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "generation", "resourceVersion"):
            if k in old_meta:
                meta[k] = old_meta[k]
            else:
                meta.pop(k, None)
        if self._resets_status(rt):
            if "status" in old:
                new["status"] = clone(old["status"])
            else:
                new.pop("status", None)

    def _update(self, call: Call, old: dict[str, Any], new: dict[str, Any],
                managers: list[managed.Manager] | None = None) -> dict[str, Any]:
        rt = call.rt
        supplied_managed = new["metadata"].get("managedFields")
        new = _normalize(rt, new)
        self._carry_server_fields(rt, old, new)
        defaults.apply_defaults(rt, new)
        if rt.kind == "CustomResourceDefinition":
            self._crd_status(new)
        if rt.generation and self._spec(old) != self._spec(new):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        if not rt.generation or new["metadata"].get("generation") != old["metadata"].get("generation"):
            # workload strategies' WarningsOnUpdate warn only when the spec changed (the generation)
            call.warnings.extend(pod_warnings(rt, new))
        if managers is None:
            base = old["metadata"].get("managedFields")
            if supplied_managed == [{}]:
                # The documented way to clear ownership: a single empty entry strips managedFields.
                new["metadata"].pop("managedFields", None)
                managers = []
            else:
                if supplied_managed and supplied_managed != base:
                    base = supplied_managed  # a non-empty list rewrites ownership; [] is ignored
                managers = managed.update(old, new, managed.decode(base), call.manager, rt.group_version,
                                          self._node(rt), self._resets_status(rt))
        defaults.allocate(rt, new, old, self.store.allocate_cluster_ip)
        self._validate(rt, new, old)
        if managers:
            new["metadata"]["managedFields"] = managed.encode(managers)
        else:
            new["metadata"].pop("managedFields", None)
        if self._same(old, new):
            return self._finish(call, old)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            if not call.dry_run:
                self.store.remove(rt, call.namespace or "", call.name or "")
            return self._finish(call, new)
        return self._persist(call, new, "MODIFIED")

    @staticmethod
    def _spec(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}

    @staticmethod
    def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
        def strip(o: dict[str, Any]) -> dict[str, Any]:
            o = clone(o)
            o["metadata"].pop("resourceVersion", None)
            for e in o["metadata"].get("managedFields") or []:
                e.pop("time", None)
            return o
        return strip(old) == strip(new)

    def patch(self, call: Call) -> tuple[int, Any]:
        ctype = call.content_type.split(";")[0].strip().lower()
        if ctype == APPLY:
            return self._apply(call)
        if ctype not in (MERGE, STRATEGIC, JSONPATCH):
            raise status.unsupported_media_type()
        if "force" in call.query:
            raise _patch_options_invalid("force", "FieldValueForbidden",
                                         "Forbidden: may not be specified for non-apply patch")
        if ctype == STRATEGIC and call.rt.crd:
            raise status.ApiError(415, "UnsupportedMediaType",
                                  "strategic merge patch is not supported for custom resources")
        body = _parse_json(call.body)
        with self.store.lock:
            old = self._live(call)
            if ctype == MERGE:
                new = patches.merge_patch(old, body)
            elif ctype == STRATEGIC:
                new = patches.strategic_merge_patch(old, body, self._node(call.rt))
            else:
                new = patches.json_patch(old, body)
            if not isinstance(new, dict):
                raise status.bad_request("patched object is not an object")
            self._check_type(call, new)
            rv = new["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise status.conflict(call.rt, call.name or "")
            new = self._field_validation(call, new)
            return 200, self._update(call, old, new)

    def _apply(self, call: Call) -> tuple[int, Any]:
        if not call.query.get("fieldManager"):
            raise _patch_options_invalid("fieldManager", "FieldValueRequired",
                                         "Required value: is required for apply patch")
        config = _parse_yaml(call.body)
        if not isinstance(config, dict) or not config.get("apiVersion") or not config.get("kind"):
            raise status.bad_request("invalid object type: apply patches must set apiVersion and kind")
        self._check_type(call, config)
        if config["metadata"].get("managedFields"):
            raise status.bad_request("metadata.managedFields must be nil")
        node = self._node(call.rt)
        errors = typed.typed_patch_errors(config, node)
        if errors:
            # Returned as a plain error by the fieldmanager, which the apiserver turns into a
            # 500 without a reason (kubectl: "Error from server: failed to create typed patch object").
            detail = errors[0] if len(errors) == 1 else "errors:\n" + "\n".join(f"  {e}" for e in errors)
            raise status.ApiError(500, "", f"failed to create typed patch object ({self._ref(call, config)}; "
                                  f"{call.rt.group_version}, Kind={call.rt.kind}): {detail}")
        force = call.query.get("force") in ("true", "1")
        rt = call.rt
        with self.store.lock:
            live = self.store.get(rt, call.namespace or "", call.name or "")
            base = live if live is not None else {"apiVersion": rt.group_version, "kind": rt.kind,
                                                   "metadata": {}}
            owners = managed.decode(base["metadata"].get("managedFields"))
            try:
                merged, owners = managed.apply(base, config, owners, call.manager, rt.group_version, node,
                                               force, self._resets_status(rt))
            except managed.Conflict as conflict:
                raise status.apply_conflict(conflict.message(), conflict.causes()) from None
            merged.setdefault("metadata", {})
            merged["apiVersion"], merged["kind"] = rt.group_version, rt.kind
            if live is None:
                merged["metadata"]["name"] = call.name
                if rt.namespaced:
                    merged["metadata"]["namespace"] = call.namespace
                return 201, self._create(call, merged, owners)
            for k in ("name", "namespace"):
                if k in live["metadata"]:
                    merged["metadata"][k] = live["metadata"][k]
            return 200, self._update(call, live, merged, owners)

    def delete(self, call: Call) -> tuple[int, Any]:
        options = _parse_json(call.body) if call.body.strip() else {}
        policy = call.query.get("propagationPolicy") or (options or {}).get("propagationPolicy")
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise status.bad_request(f'propagationPolicy: Unsupported value: "{policy}"')
        with self.store.lock:
            obj = self._live(call)
            return self._delete(call, obj)

    def _delete(self, call: Call, obj: dict[str, Any]) -> tuple[int, Any]:
        rt, meta = call.rt, obj["metadata"]
        if meta.get("finalizers") or rt.kind == "Namespace":
            meta.setdefault("deletionTimestamp", _now())
            meta["deletionGracePeriodSeconds"] = 0
            if rt.kind == "Namespace":
                obj["status"] = {"phase": "Terminating"}
            if call.dry_run:
                return 200, self._finish(call, obj)
            if rt.kind == "Namespace":
                self._delete_namespace_contents(meta["name"])
                self.store.remove(rt, "", meta["name"])
                return 200, self._finish(call, obj)
            return 200, self._persist(call, obj, "MODIFIED")
        if not call.dry_run:
            self.store.remove(rt, call.namespace or "", meta["name"])
            if rt.kind == "CustomResourceDefinition":
                self.store.unregister_crd(meta["name"])
            self._deleted(rt, obj)
        details: dict[str, Any] = {"name": meta["name"], "kind": rt.plural, "uid": meta.get("uid")}
        if rt.group:
            details["group"] = rt.group
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": details}

    def _deleted(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if self.on_persist is not None:
            self.on_persist(rt, obj, "DELETED")

    def _delete_namespace_contents(self, namespace: str) -> None:
        for rt in self.store.namespaced_types():
            for obj in list(self.store.items(rt, namespace)):
                self.store.remove(rt, namespace, obj["metadata"]["name"])

    def delete_collection(self, call: Call) -> tuple[int, Any]:
        labels = label_selector(call.query.get("labelSelector"))
        fields = field_selector(call.query.get("fieldSelector"))
        with self.store.lock:
            victims = [o for o in self.store.items(call.rt, call.namespace)
                       if labels(o["metadata"].get("labels") or {}) and fields(o)]
            if not call.dry_run:
                for o in victims:
                    self.store.remove(call.rt, o["metadata"].get("namespace", ""), o["metadata"]["name"])
                    self._deleted(call.rt, o)
            items = [self._finish(call, o) for o in victims]
        return 200, {"kind": f"{call.rt.kind}List", "apiVersion": call.rt.group_version,
                     "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": items}

    # --- scale subresource ------------------------------------------------------------
    def _scale_of(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": ",".join(f"{k}={v}" for k, v in selector.items())},
        }

    def scale(self, call: Call) -> tuple[int, Any]:
        """GET/PUT/PATCH ``<resource>/scale``: reads and writes ``spec.replicas`` of the object.

        Writes are recorded as an Update manager with ``subresource: scale``, which is what
        makes a later apply of a different replica count conflict with e.g. ``kubectl scale``.
        """
        if not call.rt.has_scale:
            raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
        with self.store.lock:
            old = self._live(call)
            current = self._scale_of(old)
            if call.verb == "get":
                return 200, current
            if call.verb == "update":
                wanted = _parse_object(call)
            elif call.verb == "patch":
                ctype = call.content_type.split(";")[0].strip().lower()
                body = _parse_json(call.body)
                if ctype == JSONPATCH:
                    wanted = patches.json_patch(current, body)
                elif ctype in (MERGE, STRATEGIC):
                    wanted = patches.merge_patch(current, body)
                else:
                    raise status.unsupported_media_type()
            else:
                raise status.method_not_allowed()
            rv = (wanted.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise status.conflict(call.rt, call.name or "")
            replicas = (wanted.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise status.ApiError(422, "Invalid", f'Scale.autoscaling "{call.name}" is invalid: '
                                      f"spec.replicas: Invalid value: {replicas}: must be greater than or "
                                      "equal to 0", {"name": call.name, "group": "autoscaling", "kind": "Scale"})
            new = clone(old)
            new.setdefault("spec", {})["replicas"] = replicas
            managers = managed.update(old, new, managed.decode(old["metadata"].get("managedFields")),
                                      call.manager, call.rt.group_version, self._node(call.rt),
                                      self._resets_status(call.rt), subresource="scale")
            result = self._update(call, old, new, managers)
            return 200, self._scale_of(result)

    # --- CRDs --------------------------------------------------------------------------
    def sync_crd(self, crd: dict[str, Any]) -> None:
        """Serve a CRD's kinds while it is Established, stop serving them (keeping objects) otherwise."""
        conditions = {c.get("type"): c.get("status") for c in (crd.get("status") or {}).get("conditions") or []}
        if conditions.get("Established") == "True":
            self.store.register_crd(crd)
        else:
            self.store.unregister_crd(crd["metadata"]["name"], drop_objects=False)

    def _crd_status(self, crd: dict[str, Any]) -> None:
        """What the apiextensions controllers report once names are accepted (and served).

        With ``auto_establish_crds`` off, a new CRD stays ``Established=False`` (Installing) and
        its kinds are not served until the test calls ``FakeKube.crd_established``.
        """
        spec = crd.get("spec") or {}
        names = clone(spec.get("names") or {})
        old = crd.get("status") or {}
        conditions = {c.get("type"): c for c in old.get("conditions") or []}
        ts = _now()
        established = "True" if self.auto_establish_crds else "False"
        for ctype, state, reason, message in (
            ("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
            ("Established", established, "InitialNamesAccepted" if established == "True" else "Installing",
             "the initial names have been accepted"),
        ):
            conditions.setdefault(ctype, {"type": ctype, "status": state, "lastTransitionTime": ts,
                                          "reason": reason, "message": message})
        stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
        crd["status"] = {
            "acceptedNames": names,
            "conditions": list(conditions.values()),
            "storedVersions": sorted(set(old.get("storedVersions") or []) | set(stored)),
        }
