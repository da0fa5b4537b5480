"""Kubernetes' YAML dialect, exactly: the reference (slow) parser with positions.

kubectl and the API server read manifests with sigs.k8s.io/yaml, i.e. go-yaml v2:
YAML 1.1 scalar resolution (``yes``/``on``/``y`` are booleans, ``0755`` is octal,
``1_000`` is 1000, ``08`` is the float 8.0, ``<<`` merges), timestamps stay
strings, non-string keys become strings (``on:`` is the key ``"true"``), and
duplicate keys are an error. PyYAML's own resolver is YAML 1.1 but not
go-yaml's (it rejects ``- =``, parses timestamps, accepts duplicates), so we
use only libyaml's composer (the same C parser go-yaml was ported from) and
resolve plain scalars ourselves.

This module is the reference: :mod:`kubepush.manifests.fastyaml` must give the
same objects, and is checked against this one in the tests. It also keeps the
node tree so that a JSON path can be mapped back to file:line:column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml._yaml import CParser  # libyaml's parser (what yaml.cyaml re-exports)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush import lazy_re
from kubepush.manifests.errors import YAMLError as YAMLError  # part of this module's interface
from kubepush.manifests.nesting import MAX_NESTING, too_deep

#: Upper bound on the nodes one document may expand to through aliases. A real
#: manifest has a few thousand; a "billion laughs" document has billions.
MAX_EXPANDED_NODES = 1_000_000

_PLAIN = "!kubepush/plain"
_STR = "tag:yaml.org,2002:str"

_BOOL = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"), False),
}
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_FLOAT_RE = lazy_re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
#: Explicit tags whose value must resolve to that type (``!!int abc`` is an error in go-yaml).
_TYPED = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float, "tag:yaml.org,2002:bool": bool}
_GO_INT_RE = lazy_re.compile(
    r"^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$"
)


class _Resolver(yaml.resolver.BaseResolver):
    """Tags every untagged plain scalar with a private tag so we resolve it ourselves."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:  # noqa: D401
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return, no-untyped-call]


class _Composer(CParser, _Resolver):
    """libyaml's parser and composer, with our resolver."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)


def resolve_plain(value: str) -> Any:
    """Resolve a plain (unquoted) scalar the way go-yaml v2 does.

    Timestamps deliberately stay strings: sigs.k8s.io/yaml decodes into
    ``interface{}``, where go-yaml v2 keeps them as text for compatibility.
    """
    if value in _NULL:
        return None
    b = _BOOL.get(value)
    if b is not None:
        return b
    first = value[0]
    if first in "0123456789+-.":
        special = _SPECIAL_FLOATS.get(value)
        if special is not None:
            return special
        plain = value.replace("_", "")
        if _GO_INT_RE.match(plain):
            return _go_parse_int(plain)
        if _FLOAT_RE.match(plain):
            return float(plain)
    return value


def _go_parse_int(plain: str) -> int:
    """``strconv.ParseInt(s, 0, 64)``: a leading 0 means octal, 0b/0o/0x their bases."""
    sign = -1 if plain[0] == "-" else 1
    digits = plain.lstrip("+-")
    lowered = digits[:2].lower()
    if lowered in ("0b", "0o", "0x"):
        return sign * int(digits[2:], {"0b": 2, "0o": 8, "0x": 16}[lowered])
    if len(digits) > 1 and digits[0] == "0":
        return sign * int(digits, 8)
    return sign * int(digits)


def key_to_str(key: Any) -> str:
    """JSON object keys are strings: render a non-string key as Go's JSON conversion does."""
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return repr(key) if not key.is_integer() else str(int(key))
    return str(key)


@dataclass(slots=True)
class ParsedDocument:
    """One document: its value and the node tree that remembers where each value came from."""

    value: Any
    node: Node | None


class _Builder:
    """Turns a composed node tree into plain Python data with go-yaml semantics."""

    def __init__(self, line_offset: int = 0) -> None:
        self._sizes: dict[int, int] = {}
        self.line_offset = line_offset  # messages that quote another line name it in the whole file

    def expanded_size(self, node: Node) -> int:
        """Number of nodes ``node`` stands for once every alias is expanded (memoised)."""
        key = id(node)
        size = self._sizes.get(key)
        if size is None:
            self._sizes[key] = 1  # a recursive alias counts once and then fails in build()
            if isinstance(node, ScalarNode):
                size = 1
            elif isinstance(node, SequenceNode):
                size = 1 + sum(self.expanded_size(c) for c in node.value)
            else:
                size = 1 + sum(self.expanded_size(k) + self.expanded_size(v) for k, v in node.value)
            self._sizes[key] = size
        return size

    def build(self, node: Node, building: frozenset[int] = frozenset()) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in building:
            raise _error("recursive alias: a node refers to itself", node)
        inner = building | {id(node)}
        if isinstance(node, SequenceNode):
            return [self.build(child, inner) for child in node.value]
        return self._mapping(cast(MappingNode, node), inner)  # composed nodes are of these three kinds

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == _PLAIN:
            return resolve_plain(node.value)
        if tag in (_STR, "!") or tag is None:
            return node.value
        if tag in _TYPED:
            value = resolve_plain(node.value) if node.value else None
            if tag == "tag:yaml.org,2002:float" and type(value) is int:
                value = float(value)
            if type(value) is not _TYPED[tag]:  # go-yaml refuses what the tag cannot hold
                short = tag.rsplit(":", 1)[1]
                raise _error(f"cannot decode `{node.value}` as !!{short}", node,
                             hint=f"write a valid {short} or drop the !!{short} tag")
            return value
        if tag == "tag:yaml.org,2002:null":
            return None
        return node.value  # unknown/local tags: go-yaml keeps the text

    def _mapping(self, node: MappingNode, building: frozenset[int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: dict[str, Node] = {}
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _PLAIN and key_node.value == "<<":
                merged.extend(self._merge_sources(value_node, building))
                continue
            if not isinstance(key_node, ScalarNode):
                raise _error("a mapping key must be a scalar (a complex key cannot become a JSON field)", key_node)
            key = key_to_str(self._scalar(key_node))
            first = explicit.get(key)
            if first is not None:
                raise _error(
                    f'duplicate key "{key}" (first defined at line {first.start_mark.line + 1 + self.line_offset}); '
                    "parsers that accept it silently keep only the last value",
                    key_node,
                    hint=f'remove one of the two "{key}" entries',
                )
            explicit[key] = key_node
            out[key] = self.build(value_node, building)
        for source in merged:  # explicit keys win over merged ones, earlier merges over later
            for key, value in source.items():
                if key not in out:
                    out[key] = value
        return out

    def _merge_sources(self, node: Node, building: frozenset[int]) -> list[dict[str, Any]]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        sources = []
        for item in nodes:
            value = self.build(item, building)
            if not isinstance(value, dict):
                raise _error("map merge requires a mapping or a list of mappings after <<", item)
            sources.append(value)
        return sources


def _error(message: str, node: Node, hint: str = "") -> YAMLError:
    mark = node.start_mark
    return YAMLError(message, mark.line + 1, mark.column + 1, hint)


def parse_document(text: str, line_offset: int = 0) -> ParsedDocument:
    """Parse one YAML document (the text between two ``---``) exactly as Kubernetes does.

    ``line_offset`` is added to reported lines so errors point into the whole file.
    Raises :class:`YAMLError` with a 1-based position on any syntax or semantic error.
    """
    if too_deep(text):
        raise YAMLError(f"collections nested more than {MAX_NESTING} levels deep: refusing to parse "
                        "(YAML parsers crash on such input)", line_offset + 1, 1)
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _syntax_error(exc, mark, text, line_offset) from None
    except yaml.YAMLError as exc:  # reader errors: control characters, bad encoding
        raise YAMLError(f"invalid YAML: {exc}", line_offset + 1, 1) from None
    except UnicodeEncodeError as exc:  # lone surrogates: bytes decoded with surrogateescape
        raise _undecodable(text, exc.start, line_offset) from None
    if node is None:
        return ParsedDocument(None, None)
    builder = _Builder(line_offset)
    try:
        size = builder.expanded_size(node)
        if size > MAX_EXPANDED_NODES:
            raise YAMLError(
                f"document expands to {size:,} nodes through aliases (limit {MAX_EXPANDED_NODES:,}): "
                "refusing an alias bomb",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                hint="do not nest aliases of aliases; write the values out",
            )
        value = builder.build(node)
    except YAMLError as exc:
        exc.line += line_offset
        raise
    except RecursionError:
        raise YAMLError("document is nested too deeply", line_offset + 1, 1) from None
    return ParsedDocument(value, node)


def _undecodable(text: str, at: int, line_offset: int) -> YAMLError:
    """A lone surrogate at ``at``: the byte it stands for (surrogateescape maps 0x80-0xff to U+DC80-U+DCFF)."""
    char = ord(text[at])
    byte = f"byte 0x{char - 0xDC00:02x}" if 0xDC80 <= char <= 0xDCFF else f"U+{char:04X}"
    line = text.count("\n", 0, at) + 1
    return YAMLError(f"invalid UTF-8 ({byte}); manifests must be UTF-8", line + line_offset,
                     at - (text.rfind("\n", 0, at) + 1) + 1, hint="re-save the file as UTF-8")


def _compose(text: str) -> Node | None:
    loader = _Composer(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


_UNTERMINATED = lazy_re.compile(r"found unexpected end of stream|while scanning a quoted scalar")


def _syntax_error(exc: yaml.MarkedYAMLError, mark: Any, text: str, line_offset: int) -> YAMLError:
    """Word libyaml's error for people, pointing where the mistake *starts*.

    libyaml reports an unterminated quote at the end of the stream; the context
    mark says where the quote opened, which is the line a human must fix.
    """
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    line = (mark.line + 1) if mark else 1
    column = (mark.column + 1) if mark else 1
    hint = ""
    if "quoted scalar" in context and exc.context_mark is not None:
        line, column = exc.context_mark.line + 1, exc.context_mark.column + 1
        hint = "close the quote on this line (or escape the quote character inside the value)"
        problem = f"unterminated quoted string ({problem})"
    elif "tab" in problem.lower() or _char_at(text, mark) == "\t":
        problem = "tab character where YAML expects indentation or a value (YAML indents with spaces only)"
        hint = "replace the tab with spaces"
    elif _UNTERMINATED.search(problem):
        hint = "check for an unclosed quote, bracket or brace above this line"
    message = "invalid YAML: " + (f"{problem} ({context})" if context and "quoted" not in context else problem)
    return YAMLError(message, line + line_offset, column, hint)


def _char_at(text: str, mark: Any) -> str:
    """The character a libyaml mark points at ('' when out of range)."""
    if mark is None:
        return ""
    lines = text.split("\n", mark.line + 1)
    line = lines[mark.line] if mark.line < len(lines) else ""
    return line[mark.column] if mark.column < len(line) else ""


def locate(node: Node | None, path: tuple[str | int, ...]) -> tuple[int, int]:
    """1-based (line, column) of ``path`` in the document rooted at ``node``.

    A mapping entry is located at its *key* (the line a human reads as "the
    field"); a path that goes past what exists stops at the deepest node found,
    which for a missing field is its parent - where the field should be added.
    Merge keys are followed so merged fields point at their definition.
    """
    if node is None:
        return (0, 0)
    mark = node.start_mark
    current: Node = node
    for part in path:
        found: tuple[Node, Node] | None = None
        if isinstance(current, MappingNode) and isinstance(part, str):
            found = _find_key(current, part)
        elif isinstance(current, SequenceNode) and isinstance(part, int) and 0 <= part < len(current.value):
            item = current.value[part]
            found = (item, item)
        if found is None:
            break
        mark = found[0].start_mark
        current = found[1]
    return (mark.line + 1, mark.column + 1)


def _find_key(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    merges: list[Node] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            continue
        if key_node.tag == _PLAIN and key_node.value == "<<":
            merges.append(value_node)
            continue
        text = key_node.value if key_node.tag != _PLAIN else key_to_str(resolve_plain(key_node.value))
        if text == key:
            return key_node, value_node
    for merge in merges:
        for source in merge.value if isinstance(merge, SequenceNode) else [merge]:
            if isinstance(source, MappingNode):
                found = _find_key(source, key)
                if found is not None:
                    return found
    return None
