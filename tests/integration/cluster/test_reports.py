"""What apply, diff and drift tell their readers, end to end against the fake API server: the plan
of a diff, the structured JSON, the counts, Markdown a CommonMark parser reads, annotations through
the runner's parser, JUnit suites per target and file, extras at apply time, heal pruning them."""

from __future__ import annotations

import base64
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from tests.support.cluster_helpers import CRD, backup, configmap, deployment, run, run_json, write
from tests.unit.report.test_github import parse_workflow_command

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"},
          "stringData": {"password": "hunter2"}}


def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *targets: dict[str, Any]) -> None:
    """A kubepush.yaml with ``targets`` in ``tmp_path``, the current directory from now on."""
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"repository": "example.com/reports",
                                                            "targets": list(targets)}))
    monkeypatch.chdir(tmp_path)


def kp(capsys: Any, fake: Any, *args: str) -> tuple[int, str, str]:
    return run(capsys, *args, "--kubeconfig", fake.kubeconfig_path)


def kp_json(capsys: Any, fake: Any, *args: str) -> tuple[int, dict[str, Any], str]:
    return run_json(capsys, *args, "--kubeconfig", fake.kubeconfig_path)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["object"]["name"]: f for f in report["findings"]}


@pytest.fixture
def planned(fake_kube, tmp_path, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    """A target applied once, then changed in Git: one object to create, one to configure, one to prune,
    one unchanged."""
    config(tmp_path, monkeypatch, {"name": "web", "path": "m", "prune": {"enabled": True}})
    write(tmp_path / "m", "m.yaml", deployment(image="nginx:1.25"), configmap("keep"), configmap("old"))
    code, _, err = kp(capsys, fake_kube, "apply", "--no-validate", "--no-wait")
    assert code == 0, err
    write(tmp_path / "m", "m.yaml", deployment(image="nginx:1.27"), configmap("keep"), configmap("new"))
    return fake_kube


def test_diff_is_a_plan_of_changes_not_a_list_of_errors(planned, capsys):
    code, out, err = kp(capsys, planned, "diff")
    assert code == 0, out + err  # a preview with changes is not a failure unless asked
    lines = out.splitlines()
    assert any(re.fullmatch(r"m/m\.yaml:\d+: \+ create ConfigMap/default/new \[web\]", line) for line in lines), out
    assert any(re.fullmatch(r"m/m\.yaml:1: ~ configure Deployment/default/web \[web\]: 1 field", line)
               for line in lines), out
    assert "cluster:web: - prune ConfigMap/default/old [web]: no longer in Git" in lines, out
    assert "error:" not in out
    for line in lines:  # the diff is indented under its entry, and no tag is glued to its last line
        if re.match(r"\s+[-+ ]", line) and not line.strip().startswith(("---", "+++", "@@")):
            assert not re.search(r"\[[a-z-]+\]$", line), line
    assert "1 to configure, 1 to create, 1 to prune, 1 unchanged" in err

    code, report, _ = kp_json(capsys, planned, "diff")
    found = by_name(report)
    assert {n: (f["action"], f["severity"]) for n, f in found.items()} == {
        "new": ("create", "info"), "web": ("configure", "info"), "old": ("prune", "info"),
        "keep": ("unchanged", "info")}
    assert report["summary"]["exitCode"] == 0

    code, report, _ = kp_json(capsys, planned, "diff", "--fail-on-drift")
    assert code == 1  # asked for: a planned change fails the run
    assert {f["severity"] for f in report["findings"] if f["action"] != "unchanged"} == {"error"}


def test_diff_json_carries_target_action_and_fields(planned, capsys):
    _, report, _ = kp_json(capsys, planned, "diff")
    web = by_name(report)["web"]
    assert web["target"] == "web" and web["targets"] == ["web"]
    assert web["object"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "web"}
    assert web["path"] == "spec.template.spec.containers[0].image"
    # old is the live value, new Git's; no manager: kubepush itself set the image (Git changed it)
    assert web["fields"] == [{"path": "spec.template.spec.containers[0].image", "change": "changed",
                              "old": "nginx:1.25", "new": "nginx:1.27"}]
    assert "-        image: nginx:1.25" in web["diff"] or "-      - image: nginx:1.25" in web["diff"]
    assert "+      - image: nginx:1.27" in web["diff"]
    assert "@@" not in web["message"]  # the diff is a field of its own, not inside the message
    assert by_name(report)["new"]["diff"].startswith("--- live/ConfigMap/default/new")


def test_drift_json_names_the_manager_operation_and_time_and_masks_secrets(fake_kube, tmp_path, capsys):
    path = write(tmp_path / "m", "m.yaml", deployment(replicas=2), SECRET)
    code, _, err = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate", "--no-wait",
                       str(path))
    assert code == 0, err
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 5}})
    fake_kube.edit("Secret", "default", "db", {"data": {"password": base64.b64encode(b"letmein").decode()}})
    code, report, _ = run_json(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path, str(path))
    assert code == 1
    web, db = by_name(report)["web"], by_name(report)["db"]
    assert web["action"] == "drift" and web["target"] == "default" and web["path"] == "spec.replicas"
    [field] = web["fields"]
    assert field["old"] == 5 and field["new"] == 2 and "masked" not in field
    assert field["manager"] == "kubectl-edit" and field["operation"] == "Update"
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", field["time"])
    [secret] = db["fields"]
    assert secret["path"] == "data.password" and secret["masked"]
    assert (secret["change"], secret["old"], secret["new"]) == ("changed", "***", "*** (changed)")
    text = json.dumps(report)
    for leaked in ("hunter2", "letmein", base64.b64encode(b"letmein").decode(),
                   base64.b64encode(b"hunter2").decode()):
        assert leaked not in text


def test_counts_say_resources_files_and_targets(fake_kube, tmp_path, capsys, monkeypatch):
    write(tmp_path / "a", "one.yaml", configmap("a1", "default"))
    write(tmp_path / "a", "two.yaml", configmap("a2", "default"), configmap("a3", "default"))
    write(tmp_path / "b", "three.yaml", configmap("b1", "default"))
    config(tmp_path, monkeypatch, {"name": "a", "path": "a"}, {"name": "b", "path": "b"})
    code, out, err = kp(capsys, fake_kube, "apply", "--no-validate", "--no-wait")
    assert code == 0, err
    assert out.splitlines()[-1] == "4 resources in 3 files, 2 targets: 0 errors, 0 warnings"
    code, report, _ = kp_json(capsys, fake_kube, "drift")
    assert code == 0
    assert {k: report["summary"][k] for k in ("resources", "files", "targets")} == {
        "resources": 4, "files": 3, "targets": 2}


def test_a_custom_resource_is_previewed_with_its_crd_from_git(fake_kube, tmp_path, capsys, monkeypatch):
    write(tmp_path / "m", "m.yaml", CRD, backup("nightly", "default"))
    config(tmp_path, monkeypatch, {"name": "ops", "path": "m"})
    code, report, err = kp_json(capsys, fake_kube, "diff")
    assert code == 0, (report, err)
    found = by_name(report)
    assert found["backups.example.com"]["action"] == "create"
    assert found["nightly"]["action"] == "create", found["nightly"]
    assert "with its CustomResourceDefinition backups.example.com" in found["nightly"]["message"]
    assert "schedule: 0 3 * * *" in found["nightly"]["diff"]
    assert fake_kube.get("CustomResourceDefinition", None, "backups.example.com") is None  # nothing written

    bad = backup("broken", "default")
    bad["spec"]["schedule"] = 5  # the CRD's schema says string: an apply would be rejected
    write(tmp_path / "m", "m.yaml", CRD, bad)
    code, report, _ = kp_json(capsys, fake_kube, "diff")
    assert code == 1
    broken = by_name(report)["broken"]
    assert broken["severity"] == "error" and "spec.schedule" in broken["message"]


def test_apply_says_what_it_leaves_behind_and_heal_prunes_it_where_prune_is_on(fake_kube, tmp_path, capsys,
                                                                               monkeypatch):
    write(tmp_path / "keep", "m.yaml", configmap("k1"), configmap("k-old"))
    write(tmp_path / "prune", "m.yaml", configmap("p1"), configmap("p-old"))
    config(tmp_path, monkeypatch, {"name": "keep", "path": "keep"},
           {"name": "prune", "path": "prune", "prune": {"enabled": True}})
    assert kp(capsys, fake_kube, "apply", "--no-validate", "--no-wait")[0] == 0
    write(tmp_path / "keep", "m.yaml", configmap("k1"))
    code, report, _ = kp_json(capsys, fake_kube, "apply", "--no-validate", "--no-wait", "-t", "keep")
    assert code == 0  # nothing failed: the object is left in the cluster, and the apply says so
    extra = by_name(report)["k-old"]
    assert (extra["action"], extra["severity"], extra["target"]) == ("extra", "warning", "keep")
    assert "prune is off" in extra["message"]

    write(tmp_path / "prune", "m.yaml", configmap("p1"))
    code, report, err = kp_json(capsys, fake_kube, "drift", "--heal")
    assert code == 1, err  # the keep target's extra stays: its prune is off
    found = by_name(report)
    assert found["p-old"]["action"] == "pruned" and found["p-old"]["target"] == "prune"
    assert found["k-old"]["action"] == "extra"
    assert fake_kube.get("ConfigMap", "default", "p-old") is None
    assert fake_kube.get("ConfigMap", "default", "k-old") is not None


def test_markdown_diffs_are_fenced_blocks_in_details(planned, capsys, tmp_path):
    summary = tmp_path / "summary.md"
    code, _, err = kp(capsys, planned, "diff", "--summary-md", str(summary))
    assert code == 0, err
    text = summary.read_text()
    tokens = MarkdownIt("commonmark").parse(text)
    fences = [t for t in tokens if t.type == "fence"]
    assert {t.info for t in fences} == {"diff"}
    by_object = {t.content.splitlines()[0]: t.content for t in fences}
    assert "+      - image: nginx:1.27" in by_object["--- live/Deployment/default/web"]
    assert "--- live/ConfigMap/default/new" in by_object
    html = MarkdownIt("commonmark").render(text)
    assert html.count("<details>") == html.count("</details>") == len(fences) == 3
    assert "<br>" not in text
    assert "<summary>~ configure Deployment/default/web" in html


def test_github_annotations_only_for_changes_and_problems(fake_kube, tmp_path, capsys):
    path = write(tmp_path / "m", "m.yaml", *[configmap(f"c{i}") for i in range(5)], deployment())
    assert run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate", "--no-wait",
               str(path))[0] == 0
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 5}})
    code, out, _ = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path, str(path), "-o", "github")
    assert code == 1
    lines = out.splitlines()
    commands = [parse_workflow_command(line) for line in lines if line.startswith("::")]
    assert [(name, props["title"]) for name, props, _ in commands] == [("error", "kubepush drift")]
    assert "spec.replicas set to 5 by kubectl-edit" in commands[0][2]
    assert lines[-1] == "6 resources in 1 file: 1 error, 0 warnings (5 in-sync, not annotated)"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kubectl kustomize)")
def test_junit_has_one_suite_per_target_and_file(fake_kube, tmp_path, capsys, monkeypatch):
    """Two overlays of one kustomize base: the base's file is one file, in a suite per target."""
    write(tmp_path / "base", "cfg.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                                          "data": {"k": "v"}})
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [cfg.yaml]\n")
    for name in ("staging", "production"):
        write(tmp_path / name, "ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        (tmp_path / name / "kustomization.yaml").write_text(f"namespace: {name}\nresources: [../base, ns.yaml]\n")
    config(tmp_path, monkeypatch, {"name": "staging", "path": "staging"},
           {"name": "production", "path": "production"})
    junit = tmp_path / "drift.xml"
    code, report, _ = kp_json(capsys, fake_kube, "drift", "--report", f"junit={junit}")
    assert code == 1  # everything is missing
    assert {k: report["summary"][k] for k in ("resources", "files", "targets")} == {
        "resources": 4, "files": 3, "targets": 2}
    names = [s.get("name") for s in ET.parse(junit).getroot().findall("testsuite")]
    assert sorted(names) == ["production: base/cfg.yaml", "production: production/ns.yaml",
                             "staging: base/cfg.yaml", "staging: staging/ns.yaml"]
