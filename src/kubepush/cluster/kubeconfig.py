"""Say what is wrong with a kubeconfig before a connection trips over it.

A broken file would fail with whatever Python raised on the way (a YAML parser
traceback, ``list indices must be integers``), or not at all until the first request
(a CA that is not PEM becomes ``SSLError [X509] PEM lib``). :func:`check` reads the
files the way client-go does (``KUBECONFIG`` may list several: entries merge by name and
the first file to set a name or ``current-context`` wins) and raises one
:class:`~kubepush.errors.UsageError` line naming the file, the problem and the fix.
Only names and paths are ever quoted, never a token, key or certificate.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kubepush.errors import UsageError

SECTIONS = ("clusters", "contexts", "users")


@dataclass
class Kubeconfig:
    """The merged view: each named entry with the file it came from."""

    files: list[str]
    entries: dict[str, dict[str, tuple[dict[str, Any], str]]] = field(
        default_factory=lambda: {s: {} for s in SECTIONS})
    current: tuple[str, str] | None = None  # (context name, file that set it)

    @property
    def label(self) -> str:
        return os.pathsep.join(self.files)

    def names(self, section: str) -> str:
        return ", ".join(self.entries[section]) or "none"


def check(config: Kubeconfig, context: str | None) -> tuple[str, str]:
    """(context name, file it is defined in) when the kubeconfig :func:`read` gave can work; UsageError
    otherwise. It takes the parsed files so that a caller reads them once."""
    name = context or (config.current[0] if config.current else "")
    if not name:
        raise UsageError(f"kubeconfig {config.label} sets no current-context: pass --context NAME (contexts: "
                         f"{config.names('contexts')}) or run 'kubectl config use-context NAME'")
    found = config.entries["contexts"].get(name)
    if found is None:
        said = f"context {name!r}" if context else f"current-context {name!r} of"
        raise UsageError(f"{said} is not in kubeconfig {config.label} (contexts: {config.names('contexts')}); "
                         "pass one of them with --context")
    entry, where = found
    body = entry.get("context")
    if not isinstance(body, dict) or not body.get("cluster"):
        raise UsageError(f"kubeconfig {where}: context {name!r} names no cluster; add 'cluster: NAME' to it")
    cluster = config.entries["clusters"].get(str(body["cluster"]))
    if cluster is None:
        raise UsageError(f"kubeconfig {where}: context {name!r} uses cluster {body['cluster']!r}, which is not "
                         f"defined (clusters: {config.names('clusters')})")
    _check_cluster(str(body["cluster"]), *cluster)
    if body.get("user"):
        user = config.entries["users"].get(str(body["user"]))
        if user is None:  # client-go refuses it too: user "x" was not found for context "y"
            raise UsageError(f"kubeconfig {where}: context {name!r} uses user {body['user']!r}, which is not "
                             f"defined (users: {config.names('users')})")
        _check_user(str(body["user"]), *user)
    return name, where


def destination(files: str, context: str | None) -> tuple[str, str]:
    """``(server URL, default namespace)`` of ``context`` (else the current one), read from the files
    alone: no credentials are loaded and no exec plugin runs. UsageError when the file cannot work."""
    config = read(files)
    name, _ = check(config, context)
    body = config.entries["contexts"][name][0]["context"]
    cluster = config.entries["clusters"][str(body["cluster"])][0].get("cluster") or {}
    return str(cluster.get("server", "")), str(body.get("namespace") or "default")


def read(files: str) -> Kubeconfig:
    """Every existing file of ``files``, parsed and merged; UsageError naming the first broken one."""
    paths = [os.path.expanduser(p) for p in files.split(os.pathsep) if p]
    existing = [p for p in paths if os.path.exists(p)]
    if not existing:
        raise UsageError(f"kubeconfig not found: {files} (set --kubeconfig or KUBECONFIG)")
    config = Kubeconfig(existing)
    for path in existing:
        document = _load(path)
        for section in SECTIONS:
            entries = document.get(section) or []
            if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("name") for e in entries):
                raise UsageError(f"kubeconfig {path}: '{section}' must be a list of entries with a name "
                                 f"(- name: ...); fix the file")
            for entry in entries:
                config.entries[section].setdefault(str(entry["name"]), (entry, path))
        if document.get("current-context") and config.current is None:
            # "the first file to set current-context wins" (kubernetes.io/docs/concepts/configuration/
            # organize-cluster-access-kubeconfig/#merging-kubeconfig-files)
            config.current = (str(document["current-context"]), path)
    return config


def _load(path: str) -> dict[str, Any]:
    """The file's one document, read as client-go reads it (go-yaml, YAML 1.1) by the manifest
    reader - its fast path, so a cluster command does not import PyYAML for a few lines."""
    from kubepush.manifests import fastyaml
    from kubepush.manifests.errors import YAMLError

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        first = next(iter(fastyaml.split_documents(text)), None)
        document = fastyaml.parse(first) if first is not None else None
    except YAMLError as exc:
        where = f" at line {exc.line}, column {exc.column}" if exc.line else ""
        raise UsageError(f"kubeconfig {path} is not valid YAML{where}: {exc.message or 'cannot be parsed'}; fix the "
                         "file or point --kubeconfig/KUBECONFIG at a working one") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read kubeconfig {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if document is None:
        raise UsageError(f"kubeconfig {path} is empty; point --kubeconfig/KUBECONFIG at a kubeconfig "
                         "(e.g. one written by 'kubectl config view --raw')")
    if not isinstance(document, dict):
        shapes: dict[type, str] = {list: "a list", str: "a string"}
        shape = shapes.get(type(document), f"a {type(document).__name__}")
        raise UsageError(f"kubeconfig {path} is not a kubeconfig: its top level is {shape}, not a mapping with "
                         "clusters, contexts, users and current-context")
    return document


def resolve(path: str, value: Any) -> str:
    """A path from the kubeconfig, relative to the file that names it (as client-go resolves it)."""
    return os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(str(value)))


def _check_user(name: str, entry: dict[str, Any], path: str) -> None:
    """Files the user's credentials come from exist, and an exec plugin is installed (never quotes values)."""
    user = entry.get("user")
    if not isinstance(user, dict):
        return
    for key, embedded in (("client-certificate", "client-certificate-data"), ("client-key", "client-key-data"),
                          ("tokenFile", "token")):
        if user.get(key) and not user.get(embedded) and not os.path.isfile(resolve(path, user[key])):
            raise UsageError(f"kubeconfig {path}: user {name!r}: {key} {user[key]} does not exist; fix the path "
                             f"or embed it as {embedded}")
    command = (user.get("exec") or {}).get("command") if isinstance(user.get("exec"), dict) else None
    if command and not shutil.which(str(command)) and not os.path.isfile(resolve(path, command)):
        raise UsageError(f"kubeconfig {path}: user {name!r} gets its credentials from the exec plugin "
                         f"{command!r}, which is not installed (not on PATH); install it or fix users[].user.exec")


def _check_cluster(name: str, entry: dict[str, Any], path: str) -> None:
    cluster = entry.get("cluster")
    if not isinstance(cluster, dict) or not cluster.get("server"):
        raise UsageError(f"kubeconfig {path}: cluster {name!r} has no server; add 'server: https://HOST:PORT'")
    where = f"kubeconfig {path}: cluster {name!r}"
    server = urlsplit(str(cluster["server"]))
    if server.scheme not in ("http", "https") or not server.hostname or " " in str(cluster["server"]):
        raise UsageError(f"{where}: server {cluster['server']!r} is not a URL; set it to https://HOST:PORT")
    if cluster.get("certificate-authority-data"):
        try:
            pem = base64.b64decode(str(cluster["certificate-authority-data"]), validate=True)
        except (binascii.Error, ValueError):
            raise UsageError(f"{where}: certificate-authority-data is not base64; set it to the base64 of the "
                             "CA certificate's PEM") from None
        _check_pem(f"{where}: certificate-authority-data", cadata=pem)
    elif cluster.get("certificate-authority"):
        ca = resolve(path, cluster["certificate-authority"])
        if not os.path.isfile(ca):
            raise UsageError(f"{where}: certificate-authority {cluster['certificate-authority']} does not exist; "
                             "fix the path or embed the CA as certificate-authority-data")
        _check_pem(f"{where}: certificate-authority {cluster['certificate-authority']}", cafile=ca)


def _check_pem(what: str, *, cadata: bytes | None = None, cafile: str | None = None) -> None:
    """Load the CA as the client's TLS context will, so a bad one fails here, naming the kubeconfig."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        if cafile is not None:
            context.load_verify_locations(cafile=cafile)
        else:
            context.load_verify_locations(cadata=(cadata or b"").decode("ascii"))  # str: PEM, never DER
    except UnicodeDecodeError:
        raise UsageError(f"{what} is not a PEM certificate (binary data); use the PEM of the CA that signed the "
                         "API server's certificate (-----BEGIN CERTIFICATE-----...)") from None
    except (ssl.SSLError, ValueError) as exc:
        reason = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(getattr(exc, "strerror", None) or exc)).strip()
        raise UsageError(f"{what} is not a PEM certificate ({reason[:120]}); use the PEM of the CA that signed "
                         "the API server's certificate (-----BEGIN CERTIFICATE-----...)") from None
