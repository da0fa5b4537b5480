"""The HTML report (``--report html=FILE``) as a browser shows it: opened in Debian's headless
chromium and checked through the DOM it builds - every target and changed object there, Secret
values nowhere, and manifest strings that try to run script or add elements inert text."""

from __future__ import annotations

import io
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kubepush.model import Finding, ObjectRef, Result, Severity, TargetDiff
from kubepush.preview.compare import Placed, Pruning, compare
from kubepush.report.html import HTMLReporter

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (.ci/setup.d/42-chromium.sh)")

HOSTILE = ("</script><script>document.title='PWNED'</script>"
           "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
           "<b id=injected>bold</b>{{ 7*7 }}")
PLAINTEXT = "correct-horse-battery-staple"


def obj(kind: str, name: str, **rest: object) -> dict[str, object]:
    api = "apps/v1" if kind == "Deployment" else "v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "shop"}, **rest}


def key(o: dict[str, object]) -> tuple[str, str, str, str]:
    meta = o["metadata"]
    assert isinstance(meta, dict)
    return ("apps" if o["kind"] == "Deployment" else "", str(o["kind"]), meta["namespace"], meta["name"])


def side(*objects: dict[str, object]) -> dict[tuple[str, str, str, str], Placed]:
    return {key(o): Placed(o, f"shop/{o['kind']}.yaml".lower(), 1) for o in objects}


def preview_result() -> Result:
    """Two targets compared by the real comparison: a hostile ConfigMap value, a Secret, a Deployment."""
    deploy = obj("Deployment", "web", spec={"replicas": 2, "template": {"spec": {"containers": [
        {"name": "web", "image": "web:1.0"}]}}})
    base = side(obj("ConfigMap", "settings", data={"motd": "hello"}),
                obj("Secret", "db", stringData={"password": "old-" + PLAINTEXT}), deploy)
    head = side(obj("ConfigMap", "settings", data={"motd": HOSTILE}),
                obj("Secret", "db", stringData={"password": PLAINTEXT}),
                obj("Deployment", "web", spec={"replicas": 3, "template": {"spec": {"containers": [
                    {"name": "web", "image": "web:1.1"}]}}}),
                obj("ConfigMap", "new-one", data={"k": "v"}))
    result = Result(command="diff")
    for name in ("staging", "production"):
        objects, unchanged = compare(name, base, head, Pruning(enabled=True))
        result.previews.append(TargetDiff(name, "0123456789abcdef", "working tree", objects=objects,
                                          unchanged=unchanged))
        result.findings += [o.to_finding() for o in objects]
    result.previews.append(TargetDiff("tools", "0123456789abcdef", "working tree", "unaffected",
                                      note="no file it renders from changed"))
    result.findings.append(Finding(rule="immutable-field", severity=Severity.ERROR, file="shop/deployment.yaml",
                                   line=7, object=ObjectRef("apps/v1", "Deployment", "shop", "web"),
                                   path=("spec", "selector"), message=f"[staging] selector {HOSTILE}"))
    return result


def write(result: Result, path: Path) -> None:
    stream = io.StringIO()
    reporter = HTMLReporter(stream)
    for finding in result.findings:
        reporter.write(finding)
    reporter.close(result)
    path.write_text(stream.getvalue(), encoding="utf-8")


class DOM(HTMLParser):
    """The elements of a dumped DOM (tag, attributes) and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_title = False
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title += data

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k.replace("_", "-")) == v
                                                                for k, v in attrs.items())]


def browse(path: Path) -> DOM:
    """The DOM chromium built from the file, after it loaded (and ran whatever it would have run)."""
    assert CHROMIUM is not None
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                           "--virtual-time-budget=2000", path.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    dom = DOM()
    dom.feed(proc.stdout)
    return dom


@needs_chromium
def test_every_target_and_changed_object_is_on_the_page_and_no_secret_is(tmp_path: Path) -> None:
    page = tmp_path / "preview.html"
    write(preview_result(), page)
    dom = browse(page)
    sections = {a["data-target"]: a["data-status"] for a in dom.having("section")}
    assert sections == {"staging": "compared", "production": "compared", "tools": "unaffected"}
    objects = sorted((a["data-action"], a["data-object"]) for a in dom.having("details"))
    assert objects == sorted([("configure", "ConfigMap/shop/settings"), ("configure", "Deployment/shop/web"),
                              ("configure", "Secret/shop/db"), ("create", "ConfigMap/shop/new-one")] * 2)
    paths = {a["data-path"] for a in dom.having("tr") if a.get("data-path")}
    assert {"spec.replicas", "spec.template.spec.containers[0].image", "data.password", "data.motd"} <= paths
    text = "".join(dom.text)
    assert "*** (changed)" in text
    assert PLAINTEXT not in text and PLAINTEXT not in page.read_text()
    assert dom.having("tr", data_rule="immutable-field", data_severity="error")


@needs_chromium
def test_hostile_manifest_strings_render_as_text_and_run_nothing(tmp_path: Path) -> None:
    page = tmp_path / "preview.html"
    write(preview_result(), page)
    dom = browse(page)
    assert dom.title.startswith("kubepush diff preview: 1 errors")  # no script set it
    assert not dom.having("script") and not dom.having("img") and not dom.having("b", id="injected")
    assert not [a for _, a in dom.elements if "data-pwned" in a or any(k.startswith("on") for k in a)]
    text = "".join(dom.text)
    assert "document.title='PWNED'" in text and "<img src=x onerror=" in text and "{{ 7*7 }}" in text
    assert not [a for t, a in dom.elements if t == "link" or (t == "a" and not (a.get("href") or "").startswith("#"))]


def test_a_validate_report_lists_its_findings_without_a_preview() -> None:
    stream = io.StringIO()
    reporter = HTMLReporter(stream)
    finding = Finding(rule="schema-type", message="replicas: expected integer", file="deploy.yaml", line=3)
    reporter.write(finding)
    reporter.close(Result(command="validate", findings=[finding], documents=1, files=1))
    html = stream.getvalue()
    assert "kubepush validate" in html and "deploy.yaml:3" in html and "replicas: expected integer" in html
    assert "<section" not in html
