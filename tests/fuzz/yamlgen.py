"""Hypothesis strategies for hostile YAML: the spellings where parsers disagree.

Shared by the property tests (tests/fuzz/test_yaml.py) and the atheris harness
(tests/fuzz/fuzz_yaml.py seeds its corpus from here). The generator writes
text, not data: the point is the *surface* - tricky scalars and keys, anchors
and aliases, flow and block styles, block scalars, comments, several
documents, tabs, CRLF and a BOM - because that is where a fast parser and the
reference part ways.
"""

from __future__ import annotations

from hypothesis import strategies as st

#: Scalars YAML 1.1 and 1.2 read differently, or that stress a scanner.
TRICKY_SCALARS = [
    "yes", "no", "on", "off", "y", "n", "Y", "N", "YES", "Off", "true", "True", "FALSE",
    "~", "null", "Null", "", "0", "-0", "+0", "00", "007", "0755", "08", "09", "08.5", "0.", ".5", "5.",
    "+.5", "-0.0", "1_000", "_1", "1_", "0_7", "0_10", "_.5", "0b11", "0b2", "0x1F", "0x", "0o7", "0o8",
    "1e3", "1E3", "1e", "e1", "1e400", "-1e400", ".inf", "-.Inf", ".NaN", "+inf", "NaN", "Infinity",
    "99999999999999999999", "-9223372036854775809", "0xFFFFFFFFFFFFFFFFFF",
    "2001-12-14", "2001-12-14T21:59:43.10-05:00", "1:20", "190:20:30", "12:30:45", "=", "<<", "-", "--",
    "1.2.3", "v1.2", "abc", "abc def", "a:b", "a#b", "é", "日本", "\U0001f600", "x\ty",
    "'q'", "\"dq\"", "\"\\t\"", "'it''s'", "\"\\u00e9\"", "\"\\x41\"", "\"<<\"", "'yes'", "\"\"", "''",
    "!!str 1", "!!str", "!!int 07", "!!int 0x1F", "!!int 1_0", "!!int x", "!!float 1", "!!float 1e3",
    "!!float .inf", "!!float x", "!!bool yes", "!!bool x", "!!null ''", "!custom x", "!!binary aGVsbG8=",
    "! 12", "[]", "{}", "[1, yes, 0755]", "{a: 1, on: 2}", "[a, [b, {c: d}]]", "{? a}", "[? a : b]",
    "|", ">", "|-", "|2", "@x", "`x", "%x", "&", "*",
]
KEYS = [
    "k", "on", "off", "y", "1", "0755", "1.5", "-1", "true", "null", "~", "<<", "a b", "\"q\"", "'s'",
    "\"on\"", "apiVersion", "kind", "metadata", "name", "image", "x", "k2", "? c", "_1", "[a]", "{a: b}",
]
COMMENTS = ["", " # c", "  #c", " #", "\t# tab"]
PREFIXES = ["", "---\n", "--- ", "%YAML 1.1\n---\n", "# head\n", "\ufeff", "--- |\n  ", "--- !!map\n", "...\n"]
SUFFIXES = ["\n", "", "\n\n", "\n...\n", "\n# end", "\n---\n", " \n"]
SEPARATORS = [": ", ":\t", ":  ", ":\n  "]
DASHES = ["- ", "-\t", "-  ", "-\n  "]
BLOCK_SCALARS = ["|\n{pad}  lit\n", "|-\n{pad}  lit\n", ">\n{pad}  fold\n{pad}  ed\n", ">+\n{pad}  keep\n\n",
                 "|2\n{pad}   x\n", "|\n{pad}  ---\n", "|\n{pad}  a: b\n{pad}  - c\n", "|\n\n{pad}  gap\n",
                 # bodies holding what the fast path searches for outside block scalars (blockscalars.py)
                 "|\n{pad}  #!/bin/sh\n{pad}  cat <<EOF && rm -f *.lock\n", ">-\n{pad}  &a *b !c\n{pad}   : x\n",
                 "|\n{pad}  \tmake all\n{pad}  server {{\n{pad}  0755 _1 yes\n", "|\n{pad}  ok\n{pad} \tbad\n",
                 "|+\n{pad}   \n{pad}  x: [a,\n{pad}  ? k\n", "|\n{pad}    deeper\n{pad}  *less\n"]

scalars = st.sampled_from(TRICKY_SCALARS) | st.text(
    alphabet="ab01_.:-+#'\"[]{}, \t\\!&*?|>~e", min_size=1, max_size=8
)
keys = st.sampled_from(KEYS) | st.text(alphabet="ab1_-.: ", min_size=1, max_size=5)
anchors = st.sampled_from(["", "", "", "&a ", "&b ", "*a", "*b", "&a *b"])


@st.composite
def node(draw: st.DrawFn, depth: int = 0, indent: int = 0) -> str:
    """One YAML node written after a key or dash; starts with the text that follows ``key:``."""
    pad = " " * indent
    shape = draw(st.sampled_from(["scalar", "scalar", "flow", "block-scalar", "seq", "map"] if depth < 3
                                 else ["scalar", "flow"]))
    anchor = draw(anchors)
    if anchor.startswith("*"):
        return " " + anchor
    if shape == "scalar":
        return " " + anchor + draw(scalars)
    if shape == "flow":
        items = draw(st.lists(scalars, max_size=4))
        if draw(st.booleans()):
            return " " + anchor + "[" + ", ".join(items) + "]"
        pairs = draw(st.lists(st.tuples(keys, scalars), max_size=4))
        return " " + anchor + "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if shape == "block-scalar":
        return " " + anchor + draw(st.sampled_from(BLOCK_SCALARS)).format(pad=pad).rstrip("\n")
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        child = draw(node(depth + 1, indent + 2))
        if shape == "seq":
            lines.append(pad + draw(st.sampled_from(DASHES)).replace("\n  ", "\n" + pad + "  ") + child.lstrip(" "))
        else:
            sep = draw(st.sampled_from(SEPARATORS)).replace("\n  ", "\n" + pad + "  ")
            lines.append(pad + draw(keys) + sep.rstrip(" ") + child + draw(st.sampled_from(COMMENTS)))
    return (" " + anchor.strip() if anchor else "") + "\n" + "\n".join(lines)


@st.composite
def document(draw: st.DrawFn) -> str:
    """A whole document: top-level mapping, sequence or scalar, with a prefix and suffix."""
    body = draw(node(0, 0))
    body = body[1:] if body.startswith(" ") else body.lstrip("\n")
    return draw(st.sampled_from(PREFIXES)) + body + draw(st.sampled_from(SUFFIXES))


@st.composite
def stream(draw: st.DrawFn) -> str:
    """One to three documents, then stream-wide hazards: CRLF, a tab or a stray BOM."""
    text = "---\n".join(draw(st.lists(document(), min_size=1, max_size=3)))
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 7)) == 0 and "  " in text:
        text = text.replace("  ", "\t", 1)
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text
