"""report/markdown.py: GFM tables that keep their shape, literal text, capped rows."""

from __future__ import annotations

import io

from kubepush.model import Result
from kubepush.report import make_reporter
from tests.unit.report.objects import (
    FINDINGS,
    HOSTILE_DIFF,
    PLAN,
    SAME,
    cluster_run,
    drive,
    render,
)


def _tables(markdown: str) -> list[list[list[str]]]:
    """Tables as rows of cell texts, parsed by a GFM-table-capable CommonMark parser."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type == "inline" and tables and tables[-1] and token.level >= 4:
            tables[-1][-1].append(token.content)
    return tables


def test_markdown_tables_keep_their_shape_and_text_stays_literal() -> None:
    from markdown_it import MarkdownIt

    out = render("markdown")
    assert out.startswith("## ❌ kubepush validate failed\n")
    counts, findings = _tables(out)
    assert counts == [["Resources", "Files", "Errors", "Warnings"], ["5", "4", "3", "1"]]
    assert {len(row) for row in findings} == {5}  # no '|' in a message split a row
    assert len(findings) == 1 + len(FINDINGS)
    assert [row[3] for row in findings[1:4]] == ["schema", "labels", "yaml"]  # errors first

    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<script>" not in html and "<em>" not in html and "<a href" not in html and "<code>" not in html
    assert "&lt;script&gt;&amp;amp;" in html  # shown literally, as written in the manifest
    assert "3|4" in html
    assert "see: docs, please" in html and "\\x1b[31mred" in html


def test_markdown_caps_rows_and_says_how_many_more() -> None:
    out = io.StringIO()
    reporter = make_reporter("markdown", out, max_rows=2)
    drive(reporter)
    text = out.getvalue()
    (_, findings) = _tables(text)
    assert len(findings) == 1 + 2
    assert [row[3] for row in findings[1:]] == ["schema", "labels"]  # errors win the space
    assert "… and 3 more findings not shown." in text


def test_markdown_clean_run() -> None:
    out = io.StringIO()
    reporter = make_reporter("markdown", out)
    reporter.close(Result("validate", [], documents=3, files=2))
    assert out.getvalue().startswith("## ✅ kubepush validate passed\n")
    assert "No findings in 3 resources." in out.getvalue()


def test_markdown_diff_survives_hostile_content_in_its_fence() -> None:
    from markdown_it import MarkdownIt

    text = cluster_run("markdown", PLAN, SAME)
    tokens = MarkdownIt("commonmark").parse(text)
    [fence] = [t for t in tokens if t.type == "fence"]
    assert fence.info == "diff" and fence.content.rstrip("\n") == HOSTILE_DIFF  # byte for byte
    html = MarkdownIt("commonmark").render(text)
    assert "<script>" not in html and html.count("</details>") == 1
    assert "Objects: 1 to configure, 1 unchanged." in text
    assert "Service/prod/web-svc" not in text  # unchanged: counted, not a row
