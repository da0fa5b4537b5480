"""SOPS-encrypted manifests: recognised where they are read, checked, and decrypted in memory.

A SOPS document carries a top-level ``sops:`` mapping (the data key for each recipient and a
``mac``) and its encrypted leaves are ``ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]``
strings. Flux decrypts them right before applying (kustomize-controller, ``decryption:
{provider: sops}``); kubepush does the same in its load path (:func:`open_documents`), so
validate, diff, apply and drift all see one thing: the decrypted object, or - without a key -
the encrypted one marked as such.

The plaintext exists only in memory (:mod:`.sops_decrypt` runs the real ``sops`` binary, stdin
to stdout); documents are decrypted by substituting each ciphertext string with its value,
wherever the document went - a part of a large file, or a kustomize build that renamed,
relabelled and re-sorted it. The values are handed on (:attr:`Sealed.secrets`) so every message
built later masks them, like any Secret. The file format itself is :mod:`.sops_format`.

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
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kubepush.manifests.documents import Document
from kubepush.manifests.sops_decrypt import NO_KEY, DecryptionUnavailable, Decryptor, Outcome, failure, hopeless
from kubepush.manifests.sops_format import KEY, RULE, is_encrypted, leaves, recipients, structure
from kubepush.model import Finding, Severity

NOT_DECRYPTED = "sops-not-decrypted"


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
    if hopeless(doc.obj[KEY]):
        outcome = failure(NO_KEY, "")
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
    if not outcome.environment:  # the file is at fault (a finding), not the machine (exit 2)
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
