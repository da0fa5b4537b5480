"""Talking to a cluster: connection, discovery of the kinds a run uses, requests.

Where the cluster is and who we are come from :mod:`kubepush.cluster.credentials` (a kubeconfig
as kubectl reads it, or the in-cluster service account); the bytes go over
:mod:`kubepush.cluster.transport` (pooled HTTP/1.1 keep-alive). Both replace the generated
``kubernetes`` client, whose import alone cost ~0.5 s of every cluster command and whose
request path cost more CPU than the request. Resource paths and scopes come from discovery
of just the group-versions a run uses (the DynamicClient's discoverer reads every
group-version up front: a dozen round trips before the first object), so any kind works,
custom resources included.

Bodies are JSON, read and written with ``orjson``; the server is asked for JSON
(``Accept: application/json``, as ``kubectl`` asks when it does not want protobuf) and an
answer that is not JSON is an error naming the request. Every API failure becomes a
:class:`ApiError` whose message names the verb, the resource and the server's reason, and
connection failures a :class:`Unreachable` or :class:`Untrusted` - never a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson

from kubepush import __version__
from kubepush.cluster import credentials
from kubepush.cluster.compare.fields import FIELD_MANAGER
from kubepush.cluster.credentials import in_cluster_destination, kubeconfig_files
from kubepush.cluster.errors import ApiError, ClusterError, Unreachable, Untrusted
from kubepush.cluster.transport import Transport, describe
from kubepush.errors import UsageError
from kubepush.net.retry import retry_after
from kubepush.redact import one_line_auth, redact_auth

__all__ = ["FIELD_MANAGER", "Cluster", "ResourceInfo", "in_cluster_destination", "kubeconfig_files"]

#: Attempts for 429/503 answers (the apiserver asks to come back after ``Retry-After``).
RETRIES = 3
RETRY_AFTER_CAP = 5.0
USER_AGENT = f"kubepush/{__version__}"


@dataclass(frozen=True)
class ResourceInfo:
    """What discovery knows about a kind: where it lives and whether it is namespaced."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/api/{self.api_version}" if not self.group else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base

    @property
    def label(self) -> str:
        """``deployments.apps`` - how RBAC and kubectl name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


class Cluster:
    """One cluster connection; thread-safe for concurrent requests."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, *,
                 pool_size: int = 16, timeout: float = 30.0) -> None:
        self.context = context
        self.timeout = timeout
        self.where = kubeconfig or "the kubeconfig"
        try:
            endpoint = credentials.load(kubeconfig, context)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"cannot read the kubeconfig ({self.where}): {one_line_auth(exc)}") from None
        self.where = endpoint.where
        self.namespace = endpoint.namespace
        self.host = endpoint.server
        self._auth = endpoint.auth
        self._transport = Transport(endpoint.server, ca_file=endpoint.ca_file, ca_data=endpoint.ca_data,
                                    insecure=endpoint.insecure, tls_server_name=endpoint.tls_server_name,
                                    proxy_url=endpoint.proxy_url, certificate=endpoint.certificate,
                                    pool_size=max(4, pool_size), where=endpoint.where)
        self._discovery_lock = threading.Lock()
        self._group_versions: dict[str, list[dict[str, Any]]] = {}
        self._resources: dict[tuple[str, str], ResourceInfo] = {}

    # --- connection ------------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """GET /version: proves the cluster answers and the credentials are accepted."""
        try:
            return self.request("GET", "/version", timeout=min(self.timeout, 15.0))
        except ApiError as exc:
            if exc.status == 401:
                raise UsageError(f"authentication to {self.host} ({self.where}) failed: the credentials "
                                 "were rejected (401); refresh the token or check the user in the kubeconfig"
                                 ) from None
            raise UsageError(f"cluster {self.host} ({self.where}) answered /version with {exc}") from None
        except Untrusted as exc:
            raise UsageError(f"cluster {self.host} ({self.where}) is not trusted: {exc}; nothing was changed"
                             ) from None
        except Unreachable as exc:
            raise UsageError(f"cannot reach cluster {self.host} ({self.where}): {exc}; nothing was changed"
                             ) from None

    def close(self) -> None:
        self._transport.close()

    # --- discovery -------------------------------------------------------------------
    def resource(self, api_version: str, kind: str) -> ResourceInfo:
        """Path and scope of a kind; raises ClusterError naming the kind when the API does not serve it.

        Only the group-version asked for is fetched (one GET, cached), which is what makes a
        run over a few kinds cheap; a kind missing from a cached group-version is looked up
        once more, so kinds created by CRDs during the run are found.
        """
        key = (api_version, kind)
        info = self._resources.get(key)
        if info is None:
            info = self._discover(api_version, kind, cached=True) or self._discover(api_version, kind, cached=False)
            if info is None:
                raise ClusterError(f"the cluster does not serve {kind} in {api_version} (is its CRD installed?)")
            self._resources[key] = info
        return info

    def _discover(self, api_version: str, kind: str, cached: bool) -> ResourceInfo | None:
        resources = self._group_versions.get(api_version) if cached else None
        if resources is None:
            resources = self._fetch_group_version(api_version)
        for r in resources:
            if r.get("kind") == kind and "/" not in r.get("name", "/"):
                return ResourceInfo(api_version, kind, r["name"], bool(r.get("namespaced")))
        return None

    def _fetch_group_version(self, api_version: str) -> list[dict[str, Any]]:
        path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        try:
            resources = self.request("GET", path).get("resources") or []
        except ApiError as exc:
            if exc.status != 404:
                raise
            resources = []
        with self._discovery_lock:
            self._group_versions[api_version] = resources
        return resources

    def prefetch(self, api_versions: Iterable[str]) -> None:
        """Discover these group-versions concurrently (a warm-up: errors surface on first use)."""
        from concurrent.futures import ThreadPoolExecutor

        wanted = [v for v in dict.fromkeys(api_versions) if v not in self._group_versions]
        if not wanted:
            return

        def fetch(api_version: str) -> None:
            try:
                self._fetch_group_version(api_version)
            except ClusterError:
                pass

        with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
            list(pool.map(fetch, wanted))

    def resource_for(self, group: str, kind: str) -> ResourceInfo:
        """Like :meth:`resource` for a group-kind without a version: the server's preferred version."""
        if not group:
            return self.resource("v1", kind)
        known = next((i for (_, k), i in list(self._resources.items()) if k == kind and i.group == group), None)
        if known is not None:
            return known
        try:
            found = self.request("GET", f"/apis/{group}")
        except ApiError as exc:
            if exc.status == 404:
                raise ClusterError(f"the cluster does not serve the API group {group}") from None
            raise
        preferred = (found.get("preferredVersion") or {}).get("groupVersion")
        versions = [preferred] + [v.get("groupVersion") for v in found.get("versions") or []]
        for api_version in dict.fromkeys(v for v in versions if v):
            try:
                return self.resource(api_version, kind)
            except ClusterError:
                continue
        raise ClusterError(f"the cluster does not serve {kind}.{group}")

    def rediscover(self, api_version: str) -> None:
        """Fetch one group-version's discovery again: an API server that has just established a
        CRD may not serve its kind yet (see :mod:`kubepush.cluster.readiness`)."""
        self._fetch_group_version(api_version)

    def refresh(self) -> None:
        """Forget discovered group-versions (after CRDs were created: their kinds are new).
        Kinds already resolved keep their path and scope, which never change while served."""
        with self._discovery_lock:
            self._group_versions.clear()

    # --- requests --------------------------------------------------------------------
    def request(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None,
                content_type: str = "application/json", timeout: float | None = None) -> dict[str, Any]:
        """One API call returning the decoded JSON body; errors as ApiError/Unreachable/Untrusted."""
        target = f"{path}?{urlencode(query)}" if query else path
        data = body if isinstance(body, bytes) else None if body is None else (
            body.encode() if isinstance(body, str) else orjson.dumps(body))
        refreshed = False
        attempt = 0
        while True:
            headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
            if data is not None:
                headers["Content-Type"] = content_type
            authorization = self._auth.header()
            if authorization:
                headers["Authorization"] = authorization
            try:
                response = self._transport.request(method, target, headers, data, timeout or self.timeout)
            except Exception as exc:  # noqa: BLE001 - socket, TLS and HTTP parsing failures, named below
                raise _transport_error(exc) from None
            if 200 <= response.status <= 299:
                return _json(method, path, response.data)
            if response.status == 401 and self._auth.refreshable and not refreshed:
                refreshed = True  # an expired token or rotated file: fetch the credentials once more
                if self._refresh():
                    continue
            attempt += 1
            if response.status in (429, 503) and attempt < RETRIES:
                time.sleep(_retry_after(response.headers.get("retry-after")))
                continue
            raise _api_error(method, path, response.status, response.reason, response.data)

    def _refresh(self) -> bool:
        changed = self._auth.refresh()
        certificate = self._auth.certificate()
        if certificate is not None:
            self._transport.use_certificate(certificate)
        return changed

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", info.path(namespace, name))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, info: ResourceInfo, namespace: str | None = None, label_selector: str | None = None
             ) -> list[dict[str, Any]]:
        """All objects of a kind (in one namespace), following ``continue`` pages."""
        items: list[dict[str, Any]] = []
        query: dict[str, str] = {"limit": "500"}
        if label_selector:
            query["labelSelector"] = label_selector
        while True:
            page = self.request("GET", info.path(namespace), query=query)
            kind = info.kind
            for item in page.get("items") or []:
                item.setdefault("apiVersion", info.api_version)
                item.setdefault("kind", kind)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            query["continue"] = token

    def apply(self, info: ResourceInfo, obj: dict[str, Any], *, force: bool = True, dry_run: bool = False,
              manager: str = FIELD_MANAGER) -> dict[str, Any]:
        """Server-side apply as field manager ``kubepush`` (the apply lock uses its own)."""
        meta = obj["metadata"]
        query = {"fieldManager": manager, "fieldValidation": "Strict"}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        # JSON is YAML: the apply patch goes as JSON under the apply content type, as kubectl sends it
        return self.request("PATCH", info.path(meta.get("namespace"), meta["name"]), query=query,
                            body=orjson.dumps(obj), content_type="application/apply-patch+yaml")

    def create(self, info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
        """POST a new object: the one write server-side apply cannot do, ``metadata.generateName``
        (the API server picks the name; each call a new object)."""
        return self.request("POST", info.path((obj.get("metadata") or {}).get("namespace")),
                            query={"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}, body=obj)

    def delete(self, info: ResourceInfo, namespace: str | None, name: str, *, uid: str | None = None
               ) -> bool:
        """Delete (background propagation); False when it was already gone."""
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}
        try:
            self.request("DELETE", info.path(namespace, name), body=body)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True


_VERBS = {"GET": "get", "PATCH": "patch", "DELETE": "delete", "POST": "create", "PUT": "update"}


def _api_error(method: str, path: str, status: int, http_reason: str | None, data: bytes | str | None
               ) -> ApiError:
    try:
        body = orjson.loads(data) if data else {}
    except orjson.JSONDecodeError:
        body = {}
    body = body if isinstance(body, dict) else {}
    reason = body.get("reason") or http_reason or ""
    message = body.get("message") or http_reason or "no message"
    text = f"{_VERBS.get(method, method)} {path}: {status} {reason}: {redact_auth(str(message))}"
    return ApiError(int(status or 0), str(reason), text, body)


def _retry_after(header: str | None) -> float:
    """The apiserver's ``Retry-After`` (whole seconds), 1s without one, kept short for a CLI."""
    wait = retry_after(header, time.time())
    return min(RETRY_AFTER_CAP, max(0.1, 1.0 if wait is None else wait))


def _json(method: str, path: str, data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ClusterError(f"{_VERBS.get(method, method)} {path}: the server's answer is not JSON "
                           f"({data[:60]!r}...); is the server URL an API server?") from None
    return decoded if isinstance(decoded, dict) else {"items": decoded}


def _transport_error(exc: Exception) -> ClusterError:
    if isinstance(exc, ClusterError):
        return exc
    kind, text = describe(exc)
    if kind == "untrusted":
        return Untrusted(_verify_failure(text))
    if kind == "timeout":
        return Unreachable("the API server did not answer in time (timeout)")
    if kind == "refused":
        return Unreachable("connection refused")
    if kind == "closed":
        return Unreachable("the connection was closed by the server")
    if kind == "handshake":
        return Untrusted(f"the server ended the TLS handshake ({text}); if the kubeconfig names a client "
                         "certificate, the server does not accept it: check client-certificate(-data)")
    if kind == "proxy":
        return Unreachable(f"the proxy refused the tunnel ({text}); check proxy-url (or HTTPS_PROXY) and its "
                           "credentials")
    return Unreachable(one_line_auth(text)[:200])


def _verify_failure(text: str) -> str:
    """What a failed TLS verification means for the kubeconfig, with OpenSSL's reason."""
    import re

    found = re.search(r"certificate verify failed: ([^(]*)", text)
    detail = (found.group(1).strip() if found else "") or "unknown reason"
    if "mismatch" in detail.lower():
        return (f"the server's certificate does not name this address (certificate verify failed: {detail}); "
                "use the server URL the certificate was issued for")
    return (f"the server's certificate is not signed by the certificate authority in the kubeconfig (certificate "
            f"verify failed: {detail}); set the cluster's certificate-authority(-data) to the CA that signed the "
            "API server's certificate")
