"""libyaml's node tree as discovery reads it: composing, scalar types, where a value is written.

Discovery works on nodes rather than loaded Python objects because an edit needs
positions and quoting styles. Composing is made cheap by typing scalars lazily:
only the few that hold images are ever asked what YAML reads them as.
"""

from __future__ import annotations

import functools
from typing import Any, TypeGuard

import yaml
from yaml._yaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.images.sites import Path_
from kubepush.manifests import yaml11

STR_TAG = "tag:yaml.org,2002:str"
#: Tag our composer gives untagged plain scalars; they are typed only when needed.
PLAIN_TAG = "!kubepush/plain"

_RESOLVER = yaml.resolver.Resolver()


class Composer(CParser, yaml.resolver.BaseResolver):
    """libyaml's parser and composer without PyYAML's per-scalar regex resolution.

    Resolving every scalar's type costs a third of composing; discovery only
    needs the type of the few scalars that hold images, and asks
    :func:`reads_as_string` for those.
    """

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return PLAIN_TAG if kind is ScalarNode and implicit[0] else STR_TAG


@functools.lru_cache(maxsize=4096)
def reads_as_string(plain: str) -> bool:
    """Whether ``plain``, written unquoted, is a string to every YAML reader a repo meets.

    go-yaml v2 (kubectl, Helm, kustomize via sigs.k8s.io/yaml) and PyYAML's
    YAML 1.1 resolver disagree on some spellings (``1e3``, ``2024-01-01``,
    ``y``); a tag must be a string to both, or Helm renders ``1.10`` as ``1.1``.
    """
    if not plain:
        return False
    if isinstance(yaml11.resolve_plain(plain), str):
        tag: str = _RESOLVER.resolve(ScalarNode, plain, (True, False))  # type: ignore[no-untyped-call]
        return tag == STR_TAG
    return False


def is_str(node: Node | None) -> TypeGuard[ScalarNode]:
    """A scalar whose value is a string (quoted, ``!!str``, or plain that reads as one)."""
    return isinstance(node, ScalarNode) and (
        node.tag == STR_TAG or (node.tag == PLAIN_TAG and reads_as_string(node.value))
    )


def content_span(text: str, start: int, end: int, value: str, style: str) -> tuple[int, int] | None:
    """Where ``value`` is written verbatim inside the token [start, end), if it is."""
    if style == "":
        a = end - len(value)
        return (a, end) if a >= start and text[a:end] == value and "\n" not in value else None
    if style in ("'", '"'):
        a = end - 1 - len(value)
        if a - 1 >= start and text[a - 1] == style == text[end - 1] and text[a:end - 1] == value:
            return None if "\n" in value or "\r" in value else (a, end - 1)
        return None
    core = value.rstrip("\n")
    header_end = text.find("\n", start, end)
    if not core or "\n" in core or header_end < 0:
        return None
    a = text.find(core, header_end + 1, end)
    if a < 0 or text.find(core, a + 1, end) >= 0:
        return None
    if text[header_end + 1:a].strip(" ") or text[a + len(core):end].strip(" \t\r\n"):
        return None
    return (a, a + len(core))


def get(node: Node | None, key: str) -> Node | None:
    """The value of ``key`` in a mapping node (None for a missing key or a non-mapping)."""
    if isinstance(node, MappingNode):
        pairs: list[tuple[Node, Node]] = node.value
        for k, v in pairs:
            if isinstance(k, ScalarNode) and k.value == key:
                return v
    return None


def str_value(node: Node | None, key: str) -> str:
    value = get(node, key)
    return value.value if isinstance(value, ScalarNode) and isinstance(value.value, str) else ""


def scalar_items(node: MappingNode, keys: tuple[str, ...]) -> list[tuple[str, ScalarNode]]:
    """(key, scalar) pairs for the wanted keys; non-string (null) scalars are kept, collections not."""
    return [(k.value, v) for k, v in node.value
            if isinstance(k, ScalarNode) and k.value in keys and isinstance(v, ScalarNode)]


def lookup(node: Node | None, path: Path_) -> Node | None:
    """The node at ``path`` (keys and sequence indexes) below ``node``, if there is one."""
    for part in path:
        if isinstance(part, int):
            item: Node | None = node.value[part] if isinstance(node, SequenceNode) and part < len(node.value) else None
            node = item
        else:
            node = get(node, part)
        if node is None:
            return None
    return node


def position(node: Node) -> tuple[int, int]:
    """1-based line and column where ``node`` starts."""
    return node.start_mark.line + 1, node.start_mark.column + 1
