"""A target that does not render (kustomize or Helm) is a finding about that target, not the end of the run.

Every failure kind x validate/apply/diff, with a second, healthy target next to it: exit 1, the
requested reports are all written and parse, the finding names ``file:line`` in the file the user
edits (a base, an overlay's kustomization.yaml line that names a missing file, a chart template),
its message carries no kubectl/klog noise, and the healthy target is validated, applied or
previewed as if the broken one were not there. The real ``kubectl kustomize`` renders; Helm is a
stand-in script (no helm binary is needed).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster_helpers import run

pytestmark = pytest.mark.skipif(not any(os.access(os.path.join(d, "kubectl"), os.X_OK)
                                        for d in os.environ.get("PATH", "").split(os.pathsep)),
                                reason="needs kubectl (kubectl kustomize)")

KLOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d|run\.go:\d+|command failed|err=")

HEALTHY = {
    "base/kustomization.yaml": "resources:\n- configmap.yaml\n",
    "base/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: default\n"
                           "data:\n  k: v\n",
    "overlays/healthy/kustomization.yaml": "resources:\n- ../../base\nnamePrefix: healthy-\n",
}

# name -> (files of the broken target, its path, expected file, line, column, words of the message)
CASES: dict[str, tuple[dict[str, str], str, str, int, int, tuple[str, ...]]] = {
    "build-error": (
        {"overlays/broken/kustomization.yaml": "resources:\n- ../../base\nnamePrefix: broken-\nbogusField: 1\n"},
        "overlays/broken", "overlays/broken/kustomization.yaml", 4, 1, ('unknown field "bogusField"',)),
    "missing-resource": (
        {"overlays/broken/kustomization.yaml": "resources:\n- ../../base\n- missing.yaml\nnamePrefix: broken-\n"},
        "overlays/broken", "overlays/broken/kustomization.yaml", 3, 3,
        ("missing.yaml", "no such file or directory")),
    "duplicate-key-in-base": (
        {"base-broken/kustomization.yaml": "resources:\n- all.yaml\n",
         # the duplicate is in the second document: kustomize counts its lines from there (and in
         # its own re-serialised output once origin annotations are added) - both wrong here
         "base-broken/all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: default\n"
                                 "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n"
                                 "  namespace: default\ndata:\n  a: '1'\n  a: '2'\n",
         "overlays/broken/kustomization.yaml": "resources:\n- ../../base-broken\nnamePrefix: broken-\n"},
        "overlays/broken", "base-broken/all.yaml", 14, 3, ('duplicate key "a"',)),
    "helm-template-error": (
        {"charts/broken/Chart.yaml": "apiVersion: v2\nname: webapp\nversion: 0.1.0\n",
         "charts/broken/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n"
                                            "  key: {{ .Values.missing.key }}\n"},
        "charts/broken", "charts/broken/templates/cm.yaml", 5, 14, ("nil pointer evaluating",)),
}

# A stand-in helm: fails the way `helm template` does on a nil value (helm prints `Error: ` + the error).
FAKE_HELM = """#!/bin/sh
[ "$1" = template ] || exit 9
echo 'walk.go:74: found symbolic link in path' >&2
echo 'Error: template: webapp/templates/cm.yaml:5:14: executing "webapp/templates/cm.yaml" at <.Values.missing.key>: nil pointer evaluating interface {}.key' >&2
exit 1
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A config repo with a healthy target and the broken target of ``case``, as cwd."""
    for variable in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR", "WORKSPACE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "helm").write_text(FAKE_HELM)
    (bindir / "helm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")

    def make(case: str) -> tuple[str, int, int, tuple[str, ...]]:
        files, path, file, line, column, words = CASES[case]
        for name, text in {**HEALTHY, **files}.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
        (tmp_path / "kubepush.yaml").write_text(
            "targets:\n  - {name: healthy, path: overlays/healthy}\n"
            f"  - {{name: broken, path: {path}}}\n")
        return file, line, column, words

    return make


def check_reports(code: int, out: str, err: str, junit: Path, file: str, line: int, column: int,
                  words: tuple[str, ...]) -> dict[str, Any]:
    """Exit 1, both reports complete, the render finding where the user edits, no noise."""
    assert code == 1, err
    assert "Traceback" not in err and not KLOG.search(err), err
    report = json.loads(out)
    assert report["summary"]["exitCode"] == 1
    found = [f for f in report["findings"] if f["rule"] == "render-error"]
    assert len(found) == 1, report["findings"]
    finding = found[0]
    assert (finding["file"], finding["line"], finding["column"]) == (file, line, column), finding
    assert finding["severity"] == "error"
    for word in words:
        assert word in finding["message"], finding["message"]
    assert not KLOG.search(finding["message"]) and "kubepush-kustomize-" not in finding["message"], finding
    failures = [f.text or "" for f in ET.parse(junit).getroot().iter("failure")]
    assert any(f"{file}:{line}:{column}: error:" in text for text in failures), failures
    return report


@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_a_render_failure_and_validates_the_other_target(repo, capsys, tmp_path, case) -> None:  # type: ignore[no-untyped-def]
    file, line, column, words = repo(case)
    junit = tmp_path / "validate.xml"
    code, out, err = run(capsys, "validate", "-o", "json", "--report", f"junit={junit}")
    report = check_reports(code, out, err, junit, file, line, column, words)
    assert report["summary"]["resources"] >= 1  # the healthy target's ConfigMap was validated


@pytest.mark.parametrize("case", list(CASES))
def test_validate_paths_reports_a_render_failure_and_validates_the_other_path(repo, capsys, tmp_path, case) -> None:  # type: ignore[no-untyped-def]
    file, line, column, words = repo(case)
    junit = tmp_path / "validate.xml"
    broken = CASES[case][1]
    code, out, err = run(capsys, "validate", broken, "overlays/healthy", "-o", "json", "--report", f"junit={junit}")
    report = check_reports(code, out, err, junit, file, line, column, words)
    assert report["summary"]["resources"] >= 1


@pytest.mark.parametrize("validate", [True, False], ids=["validated", "no-validate"])
@pytest.mark.parametrize("case", list(CASES))
def test_apply_skips_the_target_that_does_not_render_and_applies_the_other(repo, capsys, tmp_path, fake_kube,
                                                                          case, validate) -> None:  # type: ignore[no-untyped-def]
    file, line, column, words = repo(case)
    junit = tmp_path / "apply.xml"
    code, out, err = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--revision", "r1", "--no-wait",
                         "-o", "json", "--report", f"junit={junit}", *([] if validate else ["--no-validate"]))
    check_reports(code, out, err, junit, file, line, column, words)
    assert fake_kube.get("ConfigMap", "default", "healthy-shared")["data"] == {"k": "v"}
    # the broken target wrote nothing: no object, no inventory, no recorded revision
    written = [r.path for r in fake_kube.requests if r.method in ("PATCH", "POST", "PUT", "DELETE")]
    assert written and not [p for p in written if "broken" in p], written
    assert "[broken]" in err and "nothing applied" in err


@pytest.mark.parametrize("command", ["diff", "drift"])
@pytest.mark.parametrize("case", list(CASES))
def test_diff_reports_a_render_failure_and_previews_the_other_target(repo, capsys, tmp_path, fake_kube,
                                                                     case, command) -> None:  # type: ignore[no-untyped-def]
    file, line, column, words = repo(case)
    junit = tmp_path / "diff.xml"
    code, out, err = run(capsys, command, "--kubeconfig", fake_kube.kubeconfig_path, "-o", "json",
                         "--report", f"junit={junit}", "--summary-md", str(tmp_path / "summary.md"))
    report = check_reports(code, out, err, junit, file, line, column, words)
    previewed = [f for f in report["findings"] if f["object"]["name"] == "healthy-shared"]
    assert previewed and previewed[0]["rule"] == ("create" if command == "diff" else "missing"), report["findings"]
    assert file in (tmp_path / "summary.md").read_text()
    assert not [r for r in fake_kube.requests if r.method != "GET" and "dryRun" not in r.query], fake_kube.requests


def test_an_environment_error_still_writes_every_report(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Exit 2 inside a run (here: a path that does not exist) still leaves complete reports saying so."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
    junit, sarif = tmp_path / "out.xml", tmp_path / "out.sarif"
    code, out, err = run(capsys, "validate", "ok.yaml", "nothere", "-o", "json", "--report", f"junit={junit}",
                         "--report", f"sarif={sarif}")
    assert code == 2 and "nothere: no such file or directory" in err
    report = json.loads(out)
    assert report["summary"]["exitCode"] == 2
    assert [f["message"] for f in report["findings"]] == ["nothere: no such file or directory"]
    failures = [f.get("message") for f in ET.parse(junit).getroot().iter("failure")]
    assert failures == ["nothere: no such file or directory"]
    (invocation,) = json.loads(sarif.read_text())["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "nothere: no such file or directory" in invocation["toolExecutionNotifications"][0]["message"]["text"]


BASE = {"base/kustomization.yaml": "resources:\n- configmap.yaml\n", "base/configmap.yaml": HEALTHY["base/configmap.yaml"]}

# kustomization trees that kustomize refuses -> (file, line, column, words of the message)
KUSTOMIZE_ERRORS: dict[str, tuple[dict[str, str], str, int, int, tuple[str, ...]]] = {
    "missing component": ({"o/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../nothere\n"},
                          "o/kustomization.yaml", 4, 3, ("'../nothere' in components", "nothere: no such file")),
    "missing patch file": ({"o/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: nope.yaml\n"},
                           "o/kustomization.yaml", 4, 3, ("'nope.yaml' in patches", "o/nope.yaml: no such file")),
    "missing generator file": ({"o/kustomization.yaml": "configMapGenerator:\n- name: cfg\n  files:\n"
                                                        "  - app.properties\n"},
                               "o/kustomization.yaml", 4, 5, ("'app.properties' in configMapGenerator",)),
    "directory without a kustomization": ({"o/kustomization.yaml": "resources:\n- ../base\n- sub\n",
                                           "o/sub/x.yaml": "a: 1\n"},
                                          "o/kustomization.yaml", 3, 3, ("o/sub has no kustomization.yaml",)),
    "file outside the kustomization": ({"o/kustomization.yaml": "resources:\n- ../base/configmap.yaml\n"},
                                       "o/kustomization.yaml", 2, 3, ("base/configmap.yaml is outside o",)),
    "missing file in a base": ({"o/kustomization.yaml": "resources:\n- ../b2\n",
                                "b2/kustomization.yaml": "resources:\n- ../base\n- gone.yaml\n"},
                               "b2/kustomization.yaml", 3, 3, ("'gone.yaml' in resources",)),
    "unknown field in a base": ({"o/kustomization.yaml": "resources:\n- ../b2\n",
                                 "b2/kustomization.yaml": "resources:\n- ../base\nnamPrefix: x-\n"},
                                "b2/kustomization.yaml", 3, 1, ('unknown field "namPrefix"',)),
    "wrong type": ({"o/kustomization.yaml": "namePrefix: x-\nresources: ../base\n"},
                   "o/kustomization.yaml", 2, 1, ("Kustomization.resources of type []string",)),
    "syntax error in the kustomization": ({"o/kustomization.yaml": "resources:\n- ../base\n  - oops: [\n"},
                                          "o/kustomization.yaml", 3, 9, ("mapping values are not allowed",)),
    "patch without a target": ({"o/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n",
                                "o/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nothere\n"},
                               "o/kustomization.yaml", 0, 0, ("no resource matches strategic merge patch",
                                                              "ConfigMap.v1.[noGrp]/nothere")),
}


@pytest.mark.parametrize("case", list(KUSTOMIZE_ERRORS))
def test_each_kustomize_error_is_placed_where_it_is_fixed(tmp_path: Path, capsys, monkeypatch, case) -> None:  # type: ignore[no-untyped-def]
    files, file, line, column, words = KUSTOMIZE_ERRORS[case]
    monkeypatch.chdir(tmp_path)
    for name, text in {**BASE, **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code, out, err = run(capsys, "validate", "o", "-o", "json")
    assert code == 1, err
    (finding,) = json.loads(out)["findings"]
    assert (finding["rule"], finding["file"], finding["line"], finding["column"]) == \
        ("render-error", file, line, column), finding
    assert finding["message"].startswith("kustomize build of o failed: ")
    for word in words:
        assert word in finding["message"], finding["message"]
    assert not KLOG.search(finding["message"]) and str(tmp_path) not in finding["message"], finding["message"]


def test_tool_messages_lose_their_logging_frame() -> None:
    from kubepush.manifests.render_errors import tool_message

    quoted = ('E1201 21:55:25.768171   16107 run.go:72] "command failed" '
              'err="invalid Kustomization: json: unknown field \\"bogusField\\""\n')
    block = ('E1201 21:55:25.579992   16077 run.go:72] "command failed" err=<\n'
             '\tmap[string]interface {}(nil): yaml: unmarshal errors:\n'
             '\t  line 16: mapping key "image" already defined at line 15\n >\n')
    assert tool_message(quoted) == 'invalid Kustomization: json: unknown field "bogusField"'
    assert tool_message(block) == ('map[string]interface {}(nil): yaml: unmarshal errors: '
                                   'line 16: mapping key "image" already defined at line 15')
    # the kustomize binary and helm print cobra's `Error: `, after any warnings
    assert tool_message("# Warning: 'bases' is deprecated.\nError: accumulating resources: x\n") == \
        "accumulating resources: x"
    assert tool_message("exit code 3") == "exit code 3"


def test_a_renderer_that_cannot_run_is_an_environment_error_with_reports(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No kubectl/kustomize on PATH is not the manifests' fault: exit 2, and the report says why."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, out, err = run(capsys, "validate", ".", "-o", "json")
    assert code == 2 and "needs `kustomize` or `kubectl` on PATH" in err
    (finding,) = json.loads(out)["findings"]
    assert finding["rule"] == "environment-error" and "needs `kustomize` or `kubectl`" in finding["message"]


def test_a_crd_kustomization_that_does_not_render_is_named(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its CRDs are missing, so the custom resources cannot be checked: say why instead (exit 2)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / "kustomization.yaml").write_text("resources:\n- gone.yaml\n")
    (tmp_path / "cm.yaml").write_text(HEALTHY["base/configmap.yaml"])
    code, out, err = run(capsys, "validate", "--crd", "crds", "cm.yaml", "-o", "json")
    assert code == 2
    assert "--crd crds: crds/kustomization.yaml:2:3: kustomize build of crds failed: 'gone.yaml' in resources" in err
    assert json.loads(out)["summary"]["exitCode"] == 2


@pytest.mark.parametrize("command", ["apply", "diff", "drift"])
def test_a_cluster_error_report_has_the_exit_code_of_the_run(tmp_path: Path, capsys, fake_kube, command) -> None:  # type: ignore[no-untyped-def]
    """An unreachable cluster exits 2; the JSON report must not claim 1."""
    (tmp_path / "cm.yaml").write_text(HEALTHY["base/configmap.yaml"])
    fake_kube.stop()
    code, out, err = run(capsys, command, "--kubeconfig", fake_kube.kubeconfig_path, str(tmp_path / "cm.yaml"),
                         "-o", "json", "--report", f"junit={tmp_path / 'r.xml'}")
    assert code == 2, err
    assert json.loads(out)["summary"]["exitCode"] == 2
    assert ET.parse(tmp_path / "r.xml").getroot().find(".//failure") is not None


@pytest.mark.parametrize("command", ["validate", "apply"])
def test_a_bad_flag_value_writes_no_report(tmp_path: Path, capsys, monkeypatch, command) -> None:  # type: ignore[no-untyped-def]
    """A usage error is found before anything runs: exit 2 at once, and no report file (not a stale one)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cm.yaml").write_text(HEALTHY["base/configmap.yaml"])
    code, out, err = run(capsys, command, "-k", "0.1", "cm.yaml", "-o", "json", "--report", "junit=j.xml")
    assert code == 2 and "0.1" in err
    assert out == "" and not (tmp_path / "j.xml").exists()
