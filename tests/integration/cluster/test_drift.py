"""``kubepush diff`` and ``kubepush drift`` end to end against the fake apiserver."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import yaml

from tests.support.cluster_helpers import configmap, deployment, run, run_json, write

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"},
          "stringData": {"password": "hunter2"}}


def setup(fake, tmp_path, capsys, *objs):
    path = write(tmp_path / "m", "m.yaml", *objs)
    code, _, err = run(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--no-wait",
                       str(path))
    assert code == 0, err
    fake.reset_requests()
    return str(path)


def drift(capsys, fake, path, *args, command="drift"):
    return run_json(capsys, command, "--kubeconfig", fake.kubeconfig_path, path, *args)


def by_name(report):
    return {f["object"]["name"]: f for f in report["findings"]}


def test_in_sync_costs_one_list_per_kind_and_no_dry_run(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, *[configmap(f"c{i}") for i in range(20)], deployment(), SECRET)
    code, report, err = drift(capsys, fake_kube, path)
    assert code == 0, err
    assert {f["rule"] for f in report["findings"]} == {"in-sync"} and len(report["findings"]) == 22
    assert fake_kube.count(method="PATCH") == 0
    assert fake_kube.count(verb="list", resource="configmaps") == 1
    assert fake_kube.count(verb="get", resource="configmaps") == 0


def test_drift_shows_a_diff_and_who_drifted_and_heal_fixes_it(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, deployment(replicas=2), configmap("cfg"), SECRET)
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 5}})
    fake_kube.edit("Secret", "default", "db", {"data": {"password": base64.b64encode(b"letmein").decode()}})
    code, report, _ = drift(capsys, fake_kube, path)
    assert code == 1
    found = by_name(report)
    assert found["cfg"]["rule"] == "in-sync"
    web = found["web"]["message"]
    assert found["web"]["rule"] == "drift" and found["web"]["severity"] == "error"
    assert "spec.replicas set to 5 by kubectl-edit (Update), 20" in web and " UTC" in web
    assert "-  replicas: 5\n" in found["web"]["diff"] and "+  replicas: 2\n" in found["web"]["diff"]
    secret = found["db"]["message"]
    assert "data.password set to a new value by kubectl-edit" in secret and "*** (changed)" in found["db"]["diff"]
    for leaked in ("hunter2", "letmein", base64.b64encode(b"letmein").decode(),
                   base64.b64encode(b"hunter2").decode()):
        assert leaked not in secret
    assert fake_kube.count(method="PATCH", path="/deployments/web") == 1  # only the suspects get a dry run
    assert all(r.query.get("dryRun") == "All" for r in fake_kube.requests if r.method == "PATCH")

    code, report, err = drift(capsys, fake_kube, path, "--heal")
    assert code == 0, err
    assert by_name(report)["web"]["rule"] == "healed"
    assert fake_kube.get("Deployment", "default", "web")["spec"]["replicas"] == 2
    code, report, _ = drift(capsys, fake_kube, path)
    assert code == 0 and {f["rule"] for f in report["findings"]} == {"in-sync"}


def test_fields_owned_by_an_ignored_manager_or_pointer_are_not_drift(fake_kube, tmp_path, capsys, monkeypatch):
    from kubepush.cluster import identity

    path = setup(fake_kube, tmp_path, capsys, deployment(replicas=2), configmap("cfg", note="a"))
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 7}}, manager="hpa-controller")
    fake_kube.edit("ConfigMap", "default", "cfg", {"data": {"note": "b"}})
    code, report, _ = drift(capsys, fake_kube, path)
    assert code == 1 and {by_name(report)[n]["rule"] for n in ("web", "cfg")} == {"drift"}
    code, report, _ = drift(capsys, fake_kube, path, "--ignore-manager", "hpa-controller")
    assert code == 1 and by_name(report)["web"]["rule"] == "in-sync"
    fake_kube.edit("Deployment", "default", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "evil:1"}]}}}})
    code, report, _ = drift(capsys, fake_kube, path, "--ignore-manager", "hpa-controller")
    message = by_name(report)["web"]["message"]
    assert "1 field differs" in message, message
    assert "spec.template.spec.containers[0].image set to evil:1 by kubectl-edit" in message
    assert "replicas: 7" not in message and "replicas: 2" not in message  # not in the diff either
    assert "left alone: spec.replicas stays 7 (Git: 2; owned by hpa-controller)" in message  # but said
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({
        "targets": [{"name": "default", "path": "m",  # the inventory of the ad-hoc runs
                     "inventory": {"name": identity.parent_name("default", identity.of_paths([path]))}}],
        "drift": {"ignore": [{"managers": ["hpa-controller"]},
                             {"kind": "ConfigMap", "name": "cfg", "paths": ["/data/note"]}]}}))
    monkeypatch.chdir(tmp_path)
    code, report, err = run_json(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 1, err  # the label still drifted
    assert [f["object"]["name"] for f in report["findings"] if f["rule"] == "drift"] == ["web"]


def test_missing_and_extra_objects(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, configmap("keep"), configmap("old"))
    write(tmp_path / "m", "m.yaml", configmap("keep"), configmap("new"))
    code, report, _ = drift(capsys, fake_kube, path)
    assert code == 1
    found = by_name(report)
    assert found["new"]["rule"] == "missing" and "not in the cluster" in found["new"]["message"]
    assert found["old"]["rule"] == "extra" and "no longer in Git" in found["old"]["message"]
    assert found["keep"]["rule"] == "in-sync"
    code, report, _ = drift(capsys, fake_kube, path, command="diff")
    assert code == 0 and by_name(report)["new"]["action"] == "create"
    code, report, _ = drift(capsys, fake_kube, path, "--no-fail-on-drift")
    assert code == 0 and by_name(report)["new"]["severity"] == "warning"
    code, _, _ = drift(capsys, fake_kube, path, "--no-fail-on-drift", "--fail-on-drift")
    assert code == 1


def test_diff_previews_git_changes_without_changing_anything(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, deployment(image="nginx:1.25"))
    write(tmp_path / "m", "m.yaml", deployment(image="nginx:1.27"))
    before = fake_kube.get("Deployment", "default", "web")["metadata"]["resourceVersion"]
    code, report, _ = drift(capsys, fake_kube, path, command="diff")
    assert code == 0
    message = by_name(report)["web"]["message"]
    assert message.startswith("~ configure Deployment/default/web [default]: 1 field")
    assert "spec.template.spec.containers[0].image changed in Git: nginx:1.25 -> nginx:1.27" in message
    assert "+      - image: nginx:1.27" in by_name(report)["web"]["diff"]
    assert fake_kube.get("Deployment", "default", "web")["metadata"]["resourceVersion"] == before


def test_junit_has_one_test_case_per_object_and_markdown_lists_drift(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, configmap("a"), configmap("b"))
    fake_kube.edit("ConfigMap", "default", "b", {"data": {"k": "changed"}})
    junit, md = tmp_path / "drift.xml", tmp_path / "drift.md"
    code, out, _ = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path, path,
                       "--report", f"junit={junit}", "--summary-md", str(md))
    assert code == 1
    assert "data.k set to changed by kubectl-edit" in out
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert len(cases) == 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1 and "ConfigMap/default/b" in failed[0].get("name")
    assert "ConfigMap/default/b" in md.read_text()


def test_unreachable_cluster_is_exit_2(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, configmap("a"))
    fake_kube.stop()
    code, _, err = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path, path)
    assert code == 2 and "cannot reach cluster" in err


def test_a_failing_dry_run_is_reported_not_hidden(fake_kube, tmp_path, capsys):
    path = setup(fake_kube, tmp_path, capsys, configmap("a"))
    fake_kube.edit("ConfigMap", "default", "a", {"data": {"k": "other"}})
    fake_kube.inject("patch", "/configmaps/a", status=403)
    code, report, _ = drift(capsys, fake_kube, path)
    assert code == 1
    assert "dry run failed" in report["findings"][0]["message"]
    assert 'cannot patch resource "configmaps"' in report["findings"][0]["message"]


def test_heal_never_bypasses_the_guardrails(fake_kube, tmp_path, capsys, monkeypatch):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "team"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}],
                    "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}}
    write(tmp_path / "team", "m.yaml", configmap("ok", "team"), pod)
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "team", "path": "team", "restricted": True, "namespaces": ["team"]}]}))
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    monkeypatch.chdir(tmp_path)
    code, report, err = run_json(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path, "--heal")
    assert code == 1
    found = sorted((f["rule"], f["object"]["name"]) for f in report["findings"])
    assert found == [("guardrail", "p"), ("missing", "ok"), ("missing", "p")]
    assert "not healing: 1 object is refused" in err
    assert fake_kube.count(method="PATCH") == 0
    assert fake_kube.get("Pod", "team", "p") is None and fake_kube.get("ConfigMap", "team", "ok") is None


def test_no_fail_on_drift_never_streams_errors(fake_kube, tmp_path, capsys):
    """A preview that must not fail must not annotate the PR with errors either."""
    path = setup(fake_kube, tmp_path, capsys, configmap("keep"))
    write(tmp_path / "m", "m.yaml", configmap("keep"), configmap("new"))
    code, out, _ = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path, path, "--no-fail-on-drift",
                       "-o", "github")
    assert code == 0
    assert "::warning" in out and "::error" not in out
