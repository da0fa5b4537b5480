"""The status table survives what CI systems and controllers put in it: pipes, links, HTML."""

from __future__ import annotations

from kubepush.cluster import history
from kubepush.cluster.status import DEGRADED, ObjectHealth, TargetStatus
from kubepush.model import ObjectRef
from kubepush.report.status import StatusReport, render
from tests.support.markdown_tables import parse
from tests.support.markdown_tables import rows as cells

SHA = "0123456789abcdef0123456789abcdef01234567"


def degraded(run: str) -> TargetStatus:
    entry = history.Entry(SHA, "2026-12-02T01:40:00.000Z", "2026-12-02T01:41:00.000Z", history.HEALTHY, run,
                          "<img src=x>")
    return TargetStatus("prod|eu", inventory="Secret/shop/kubepush-prod", revision=SHA, healthy_revision=SHA,
                        history=[entry], objects=1, health=DEGRADED, applied_ever=True,
                        unhealthy=[ObjectHealth(ObjectRef("apps/v1", "Deployment", "shop", "web"), "failed",
                                                "ProgressDeadlineExceeded: a | b <script>")])


def test_pipes_html_and_a_link_s_parentheses_stay_inside_their_cell() -> None:
    url = "https://ci.example/run (1)"
    tokens = parse(render("markdown", StatusReport([degraded(url)])))
    header, row, *history_rows = cells(tokens)
    assert len(row) == len(header) == 7
    assert row[0].content.replace("\\", "") == "prod|eu"
    links = [t.attrs["href"] for t in row[6].children if t.type == "link_open"]
    assert links == ["https://ci.example/run%20%281%29"]
    assert not any(t.type in ("html_inline",) for r in cells(tokens) for c in r for t in c.children)
    assert [c.content for c in header] == ["Target", "Health", "Sync", "Revision", "Last apply", "Applied", "By"]
    assert history_rows and history_rows[-1][1].content == "`0123456789ab`"


def test_a_run_that_is_not_http_is_text_not_a_link() -> None:
    tokens = parse(render("markdown", StatusReport([degraded("javascript:alert(1)")])))
    row = cells(tokens)[1]
    assert not any(t.type == "link_open" for t in row[6].children)
    assert "javascript:alert(1)" in row[6].content.replace("\\", "")
