"""The one fixed, nasty result every reporter test renders (odd file names, hostile messages, an
orphan finding) and the replay of its run; not a test module."""

from __future__ import annotations

import io
from pathlib import Path

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report import make_reporter
from kubepush.report.base import Reporter

DATA = Path(__file__).resolve().parents[2] / "support" / "data" / "report"
ROOT = "/srv/repo"
WEB = f"{ROOT}/deploy/web app.yaml"  # a space
WEIRD = f"{ROOT}/odd/we,ird:100%.yaml"  # comma, colon, percent
OK_FILE = f"{ROOT}/ok.yaml"
OUTSIDE = "/elsewhere/base.yaml"  # not under the root: stays absolute

DEPLOY = ObjectRef("apps/v1", "Deployment", "prod", "web")
SERVICE = ObjectRef("v1", "Service", "prod", "web-svc")
CONFIG = ObjectRef("v1", "ConfigMap", "", "cfg")
SECRETLESS = ObjectRef("v1", "Namespace", "", "prod")

MSG_PIPES = 'replicas: expected integer, got "3|4" (100%)\nsee: docs, please'
MSG_UNICODE = "Dienst veraltet – ünïcödé ✓ 日本"
MSG_HOSTILE = "bad <script>&amp; *bold* [x](http://e.vil) `c` #1 ~s~ $x$ \\ \x1b[31mred\r\n::error::injected"

F_DEPLOY = Finding(
    "schema", MSG_PIPES, Severity.ERROR, WEB, 12, 7, 0, DEPLOY, ("spec", "replicas"), "write 3, not \"3\""
)
F_SERVICE = Finding("deprecated-api", MSG_UNICODE, Severity.WARNING, WEB, 0, 0, 1, SERVICE)
F_HOSTILE = Finding("labels", MSG_HOSTILE, Severity.ERROR, WEB, 30, 0, 1, SERVICE, ("metadata", "labels", "a|b"))
F_PARSE = Finding("yaml", "mapping values are not allowed here", Severity.ERROR, WEIRD, 3, 0, 0)
F_INFO = Finding("image-tag", "image uses tag latest", Severity.INFO, OUTSIDE, 5, 3, 0, CONFIG, ("data",))
FINDINGS = [F_DEPLOY, F_SERVICE, F_HOSTILE, F_PARSE, F_INFO]
RESULT = Result("validate", list(FINDINGS), documents=5, files=4)


def drive(reporter: Reporter, *, close: bool = True) -> None:
    """Replay one run: each resource's findings, then that resource is done.

    WEIRD's document never completes (it did not parse), so its finding is an orphan.
    """
    reporter.write(F_DEPLOY)
    reporter.document_done(WEB, 0, DEPLOY, False)
    reporter.write(F_SERVICE)
    reporter.write(F_HOSTILE)
    reporter.document_done(WEB, 1, SERVICE, False)
    reporter.document_done(WEB, 2, SECRETLESS, True)
    reporter.write(F_PARSE)
    reporter.document_done(OK_FILE, 0, ObjectRef("v1", "ServiceAccount", "prod", "bot"), True)
    reporter.write(F_INFO)
    reporter.document_done(OUTSIDE, 0, CONFIG, True)
    if close:
        reporter.close(RESULT)


def render(name: str, **kw) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    drive(make_reporter(name, out, root=ROOT, **kw))
    return out.getvalue()


def _fields(finding: Finding) -> dict:  # type: ignore[type-arg]
    return {name: getattr(finding, name) for name in Finding.__dataclass_fields__}


# A cluster action's findings: a plan entry with a hostile diff, an unchanged object.
HOSTILE_DIFF = ("--- live/ConfigMap/prod/cfg\n+++ git/ConfigMap/prod/cfg\n@@ -1 +1 @@\n-  v: ````\n"
                "+  v: </details><script>x</script>")
PLAN = Finding("configure", "~ configure ConfigMap/prod/cfg [prod]: 1 field\ndata.v changed in Git", Severity.INFO,
               WEB, 3, 0, 0, CONFIG, targets=("prod",), action="configure", diff=HOSTILE_DIFF)
SAME = Finding("unchanged", "[prod] unchanged", Severity.INFO, WEB, 9, 0, 1, SERVICE, targets=("prod",),
               action="unchanged")


def cluster_run(name: str, *findings: Finding) -> str:
    """A diff run of one target over ``findings``, each its own resource."""
    out = io.StringIO()
    reporter = make_reporter(name, out, root=ROOT)
    for f in findings:
        reporter.write(f)
        reporter.document_done(f.file, f.document, f.object, f.severity is not Severity.ERROR)
    reporter.close(Result("diff", list(findings), documents=len(findings), files=1, targets=1))
    return out.getvalue()
