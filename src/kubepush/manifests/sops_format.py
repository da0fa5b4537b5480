"""The SOPS file format, read without a key: what marks a document as encrypted, its encrypted
leaves, the ``sops`` block's recipients, and what is wrong with either (pure; nothing runs).

A SOPS document carries a top-level ``sops:`` mapping (the data key for each recipient and a
``mac``); its encrypted leaves are ``ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`` strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubepush import lazy_re
from kubepush.model import Finding

#: The metadata key and the value syntax of sops' YAML/JSON stores (getsops/sops stores/stores.go, aes/cipher.go).
KEY = "sops"
ENCRYPTED = lazy_re.compile(r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,"
                       r"type:(str|int|float|bool|bytes|comment)\]")
#: Where a sops block lists recipients: one list per key type, or key_groups of them.
RECIPIENTS = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault")
RULE = "sops"


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
