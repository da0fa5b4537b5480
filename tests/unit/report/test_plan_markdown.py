"""The preview's Markdown (step summary, sticky comment): a CommonMark parser finds each object's diff
as a fenced ``diff`` block inside its ``<details>``, and manifest text never becomes HTML or Markdown."""

from __future__ import annotations

import io

from markdown_it import MarkdownIt

from kubepush.report.markdown import MarkdownReporter
from tests.unit.report.test_html import HOSTILE, PLAINTEXT, preview_result


def render() -> str:
    result = preview_result()
    stream = io.StringIO()
    reporter = MarkdownReporter(stream)
    for finding in result.findings:
        reporter.write(finding)
    reporter.close(result)
    return stream.getvalue()


def test_each_changed_object_is_a_fenced_diff_block_in_its_own_details() -> None:
    text = render()
    tokens = MarkdownIt("commonmark").parse(text)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 8 and {t.info for t in fences} == {"diff"}  # 4 objects in each of 2 targets
    assert any("-  motd: hello" in t.content and "+  motd: " in t.content for t in fences)
    html = MarkdownIt("commonmark").render(text)
    assert html.count("<details><summary><code>~ configure Deployment/shop/web (2 fields)</code>") == 2
    assert "<summary><b>staging</b>: 1 to create, 3 to configure</summary>" in html
    assert PLAINTEXT not in text


def test_manifest_text_stays_inside_its_fence_and_no_tag_of_it_survives() -> None:
    html = MarkdownIt("commonmark", {"html": True}).render(render())
    assert "<script>" not in html and "<img" not in html and "<b id=injected>" not in html
    assert "&lt;/script&gt;&lt;script&gt;document.title=" in html  # shown, as text
    assert HOSTILE.count("<") > 0
