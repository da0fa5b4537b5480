"""A self-contained HTML report for a reviewer (``--report html=preview.html``).

One file with no external assets - styles inline, no script at all - that a CI system keeps as an
artifact and a browser opens from disk: the verdict, the findings (errors and warnings first), and
for the rendered preview (``diff --rendered``) per target a summary table and each changed object
folded in ``<details>`` with its changed fields and its unified diff, YAML-highlighted.

Manifest text is hostile input here: a ConfigMap value may hold ``</script>`` or an ``onerror``
attribute. Every string goes through Jinja2's autoescaping (markupsafe); the only markup not built
by the template is Pygments' highlighting, which escapes the text it wraps. A Content-Security-Policy
that allows no script at all stands behind both, should anything ever slip through.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from kubepush import __version__
from kubepush.model import PLAN_SIGNS, Finding, Result, Severity
from kubepush.report.base import SEVERITY_RANK, BufferingReporter, location

_ROW = {"+": "add", "-": "del", " ": "ctx"}


class HTMLReporter(BufferingReporter):
    """Keeps the findings and writes the page at close."""

    def close(self, result: Result) -> None:
        page = _template().render(
            version=__version__, result=result, signs=PLAN_SIGNS,
            problems=[self._finding(f) for f in self.sorted_findings() if f.severity is not Severity.INFO
                      or not result.previews],
            previews=[self._target(t) for t in result.previews], css=_css(),
            counts={"errors": result.errors, "warnings": result.warnings},
        )
        self.stream.write(page)
        self.stream.flush()

    def sorted_findings(self) -> list[Finding]:
        return sorted(super().sorted_findings(), key=lambda f: SEVERITY_RANK[f.severity])

    def _finding(self, f: Finding) -> dict[str, Any]:
        return {"severity": f.severity.value, "rule": f.rule, "where": location(self.relpath(f.file), f.line, f.column),
                "object": str(f.object) if f.object.kind or f.object.name else "", "path": f.json_path,
                "message": f.message, "hint": f.hint}

    def _target(self, target: Any) -> dict[str, Any]:
        objects = []
        for o in target.objects:
            objects.append({"action": o.action, "sign": PLAN_SIGNS.get(o.action, "?"), "ref": str(o.ref),
                            "headline": o.headline(), "note": o.note,
                            "where": location(self.relpath(o.file), o.line, 0),
                            "base_file": self.relpath(o.base_file) if o.base_file else "",
                            "fields": [f.to_dict() for f in o.fields], "rows": diff_rows(o.diff)})
        return {"name": target.target, "status": target.status, "note": target.note, "base": target.base,
                "head": target.head, "counts": target.counts(), "objects": objects}


def diff_rows(diff: str) -> list[tuple[str, str, Any]]:
    """A unified diff as rows (kind: add/del/ctx/hunk, sign, highlighted HTML), the YAML after the
    sign highlighted as one text so multi-line values keep their colours."""
    from markupsafe import Markup, escape
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import YamlLexer

    lines = diff.splitlines()[2:]  # the ---/+++ labels: the summary names the object
    body = [line for line in lines if not line.startswith("@@")]
    coloured = highlight("\n".join(line[1:] for line in body) + "\n", YamlLexer(), HtmlFormatter(nowrap=True))
    parts = coloured.split("\n")[: len(body)]
    if len(parts) != len(body):  # a lexer that joined or split lines: plain text rather than a wrong colour
        parts = [str(escape(line[1:])) for line in body]
    rows: list[tuple[str, str, Any]] = []
    it = iter(parts)
    for line in lines:
        if line.startswith("@@"):
            rows.append(("hunk", "", escape(line)))
        else:
            rows.append((_ROW.get(line[:1], "ctx"), line[:1], Markup(next(it))))  # noqa: S704 - Pygments escaped it
    return rows


@cache
def _template() -> Any:
    from jinja2 import Environment

    text = files("kubepush.data").joinpath("report.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env.from_string(text)


@cache
def _css() -> Any:
    from markupsafe import Markup
    from pygments.formatters import HtmlFormatter

    css: str = HtmlFormatter(style="default").get_style_defs(".yaml")  # type: ignore[no-untyped-call]
    return Markup(css)  # noqa: S704 - Pygments' own CSS
