"""``kubepush diff --rendered`` / ``--base REF``: the rendered preview between two real revisions.

Every test builds a throwaway repository with the real git CLI - a base commit on ``main`` and
the change on a branch (or in the working tree) - renders kustomizations with ``kubectl
kustomize`` and charts with a stand-in ``helm``, runs the real CLI and asserts on the JSON report:
which objects, which fields, which risky changes. No cluster exists anywhere in these tests, and
the kubeconfig they point at is garbage: a preview that read it would fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.kubepush_cli import assert_no_traceback, kubepush
from tests.support.sops_keys import AgeKey, encrypt, secret

pytest_plugins = ["tests.support.sops_keys"]

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                reason="needs kubectl (kustomize) on PATH")

KUSTOMIZE = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example/web:1.4.2
          env:
            - {name: MODE, value: fast}
            - {name: LEVEL, value: "3"}
          ports:
            - {containerPort: 8080, protocol: TCP}
            - {containerPort: 9090}
        - name: sidecar
          image: registry.example/proxy:2.0.0
"""
SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: hunter2-base-value
  user: admin
"""
FILES = {
    "kubepush.yaml": "targets:\n"
                     "  - {name: staging, path: overlays/staging, prune: true}\n"
                     "  - {name: production, path: overlays/production}\n"
                     "  - {name: tools, path: tools}\n",
    "base/kustomization.yaml": KUSTOMIZE + "resources: [deploy.yaml, secret.yaml]\n",
    "base/deploy.yaml": DEPLOY,
    "base/secret.yaml": SECRET,
    "overlays/staging/kustomization.yaml": KUSTOMIZE + "namespace: staging\nresources: [../../base, extra.yaml]\n",
    "overlays/staging/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: '1'\n",
    "overlays/production/kustomization.yaml": KUSTOMIZE + "namespace: production\nresources: [../../base]\n",
    "tools/job.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tools, namespace: tools}\ndata: {a: b}\n",
}
#: a stand-in helm: `helm template RELEASE CHART` prints the chart's templates with .Values.replicas filled in
FAKE_HELM = r"""#!/bin/sh
[ "$1" = template ] || exit 9
chart="$3"
replicas=$(sed -n 's/^replicas: *//p' "$chart/values.yaml")
for f in "$chart"/templates/*.yaml; do
  echo "---"
  echo "# Source: $(basename "$chart")/templates/$(basename "$f")"
  sed "s/{{ .Values.replicas }}/$replicas/" "$f"
done
"""


class Repo:
    """A throwaway config repository with real history."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "CI_", "GITLAB",
                                                                                   "JENKINS", "CHANGE_"))},
                    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test", "GIT_COMMITTER_NAME": "t",
                    "GIT_COMMITTER_EMAIL": "t@example.test", "KUBECONFIG": str(root.parent / "garbage-kubeconfig"),
                    "PATH": f"{root.parent / 'bin'}{os.pathsep}{os.environ['PATH']}"}
        (root.parent / "garbage-kubeconfig").write_text("{{{ not a kubeconfig")
        (root.parent / "bin").mkdir(exist_ok=True)
        (root.parent / "bin" / "helm").write_text(FAKE_HELM)
        (root.parent / "bin" / "helm").chmod(0o755)

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, env=self.env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def write(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def change(self, files: dict[str, str | None], *, commit: bool = True) -> None:
        """The change under review: on branch ``change``, committed or left in the working tree."""
        self.git("checkout", "-q", "-b", "change")
        self.write(files)
        if commit:
            self.commit("the change")

    def edit(self, name: str, old: str, new: str) -> str:
        text = (self.root / name).read_text()
        assert old in text, (name, old)
        return text.replace(old, new)

    def diff(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
        report = self.root.parent / "report.json"
        proc = kubepush("diff", *(args or ("--base", "main")), "-o", "text", "--report", f"json={report}",
                        cwd=self.root, env={**self.env, **(env or {})})
        assert_no_traceback(proc)
        data = json.loads(report.read_text()) if report.exists() else {}
        return proc.returncode, data, proc.stdout + proc.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "config"
    root.mkdir()
    r = Repo(root)
    r.git("init", "-q", "-b", "main")
    r.write(dict(FILES))
    r.commit("base")
    return r


def target(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in data["previews"] if t["target"] == name)


def changes(data: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """``Kind/ns/name`` -> the object change, for one target."""
    return {f"{o['object']['kind']}/{o['object']['namespace']}/{o['object']['name']}": o
            for o in target(data, name)["objects"]}


def fields(change: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in change["fields"]}


def rules(data: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return sorted((f["rule"], f["severity"], f["file"], f["line"]) for f in data["findings"]
                  if f["rule"] not in ("create", "configure", "prune", "rename", "move"))


def test_a_one_line_change_in_a_base_is_a_field_change_in_every_overlay_that_renders_it(repo: Repo) -> None:
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "web:1.4.2", "web:1.5.0")})
    code, data, out = repo.diff()
    assert code == 0, out
    for name, ns in (("staging", "staging"), ("production", "production")):
        found = changes(data, name)
        assert list(found) == [f"Deployment/{ns}/web"], found
        change = found[f"Deployment/{ns}/web"]
        assert change["action"] == "configure" and change["file"] == "base/deploy.yaml"
        assert fields(change) == {"spec.template.spec.containers[0].image": {
            "path": "spec.template.spec.containers[0].image", "change": "changed",
            "old": "registry.example/web:1.4.2", "new": "registry.example/web:1.5.0"}}
        assert "\n-        image: registry.example/web:1.4.2\n+        image: registry.example/web:1.5.0\n" in change["diff"]
        assert target(data, name)["status"] == "compared"
    assert target(data, "staging")["counts"]["unchanged"] == 2  # the Secret and the ConfigMap
    assert target(data, "tools")["status"] == "unaffected" and target(data, "tools")["objects"] == []
    assert data["summary"]["exitCode"] == 0


def test_formatting_key_order_comments_list_map_order_and_equal_yaml_values_are_no_change(repo: Repo) -> None:
    reordered = """# the same Deployment, written differently
kind: Deployment
apiVersion: apps/v1
metadata: {name: web}
spec:
  replicas: 03          # YAML 1.1 octal: still 3
  template:
    spec:
      containers:
        - image: registry.example/proxy:2.0.0
          name: sidecar
        - name: web
          ports:
            - containerPort: 9090
              protocol: TCP  # the default, written out
            - {containerPort: 8080, protocol: TCP}
          env:
            - {name: LEVEL, value: "3"}
            - {value: fast, name: MODE}
          image: "registry.example/web:1.4.2"
    metadata:
      labels: {app: web}
  selector: {matchLabels: {app: web}}
"""
    repo.change({"base/deploy.yaml": reordered})
    code, data, out = repo.diff()
    assert code == 0, out
    for name in ("staging", "production"):
        assert target(data, name)["objects"] == [], target(data, name)
        assert target(data, name)["status"] == "compared"
    assert target(data, "production")["counts"]["unchanged"] == 2


def test_a_value_yaml_types_differently_is_a_change(repo: Repo) -> None:
    """"3" (a string) and 3 (an integer) are different values, exactly as validate reads them."""
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", 'value: "3"', "value: 3")})
    code, data, out = repo.diff()
    change = changes(data, "staging")["Deployment/staging/web"]
    assert fields(change) == {"spec.template.spec.containers[0].env[1].value": {
        "path": "spec.template.spec.containers[0].env[1].value", "change": "changed", "old": "3", "new": 3}}


def test_secret_values_are_masked_everywhere_and_a_changed_key_says_so(repo: Repo) -> None:
    repo.change({"base/secret.yaml": SECRET.replace("hunter2-base-value", "s3cr3t-head-value")
                 .replace("user: admin", "user: admin\n  token: brand-new-token-value")})
    sarif = repo.root.parent / "out.sarif"
    code, data, out = repo.diff("--base", "main", "--report", f"sarif={sarif}", "--summary-md",
                                str(repo.root.parent / "out.md"))
    assert code == 0, out
    change = changes(data, "staging")["Secret/staging/db"]
    assert fields(change) == {
        "data.password": {"path": "data.password", "change": "changed", "old": "***", "new": "*** (changed)"},
        "data.token": {"path": "data.token", "change": "added", "new": "*** (added)"}}
    everything = out + json.dumps(data) + sarif.read_text() + (repo.root.parent / "out.md").read_text()
    for value in ("hunter2-base-value", "s3cr3t-head-value", "brand-new-token-value", "YWRtaW4=", "admin"):
        assert value not in everything


def test_a_generated_configmap_with_a_new_hash_is_one_rename_and_a_moved_object_is_one_move(repo: Repo) -> None:
    repo.write({"overlays/production/kustomization.yaml": KUSTOMIZE + "namespace: production\n"
                "resources: [../../base]\nconfigMapGenerator:\n  - name: settings\n    literals: [color=blue]\n"})
    repo.commit("a generated ConfigMap")
    repo.change({"overlays/production/kustomization.yaml": repo.edit(
                     "overlays/production/kustomization.yaml", "color=blue", "color=green"),
                 # the staging ConfigMap moves to another file, unchanged
                 "overlays/staging/extra.yaml": None,
                 "overlays/staging/moved.yaml": FILES["overlays/staging/extra.yaml"],
                 "overlays/staging/kustomization.yaml": FILES["overlays/staging/kustomization.yaml"].replace(
                     "extra.yaml", "moved.yaml")})
    code, data, out = repo.diff()
    assert code == 0, out
    renamed = [o for o in target(data, "production")["objects"] if o["action"] == "rename"]
    assert len(renamed) == 1 and len(target(data, "production")["objects"]) == 1, target(data, "production")
    assert renamed[0]["before"]["name"].startswith("settings-") and renamed[0]["object"]["name"].startswith("settings-")
    assert renamed[0]["before"]["name"] != renamed[0]["object"]["name"]
    assert fields(renamed[0])["data.color"] == {"path": "data.color", "change": "changed", "old": "blue",
                                                "new": "green"}
    moved = changes(data, "staging")["ConfigMap/staging/extra"]
    assert moved["action"] == "move" and moved["file"] == "overlays/staging/moved.yaml"
    assert moved["baseFile"] == "overlays/staging/extra.yaml" and moved["fields"] == []


def test_risky_changes_are_findings_at_the_line_in_the_head(repo: Repo) -> None:
    deploy = (DEPLOY.replace("replicas: 3", "replicas: 0").replace("matchLabels: {app: web}", "matchLabels: {app: web2}")
              .replace("labels: {app: web}", "labels: {app: web2}").replace("proxy:2.0.0", "proxy:1.9.7"))
    pvc = ("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  storageClassName: fast\n"
           "  resources: {requests: {storage: 10Gi}}\n")
    repo.write({"overlays/staging/pvc.yaml": pvc, "overlays/production/pvc.yaml": pvc,
                "overlays/staging/kustomization.yaml": FILES["overlays/staging/kustomization.yaml"].replace(
                    "extra.yaml", "extra.yaml, pvc.yaml"),
                "overlays/production/kustomization.yaml": FILES["overlays/production/kustomization.yaml"].replace(
                    "../../base", "../../base, pvc.yaml")})
    repo.commit("volumes")
    repo.change({"base/deploy.yaml": deploy,
                 # staging prunes: deleting its claim deletes data; production shrinks its claim
                 "overlays/staging/pvc.yaml": None,
                 "overlays/staging/kustomization.yaml": FILES["overlays/staging/kustomization.yaml"],
                 "overlays/production/pvc.yaml": pvc.replace("10Gi", "5Gi")})
    code, data, out = repo.diff()
    assert code == 1, out  # the selector and the claim's size are changes the API server refuses
    found = rules(data)
    line_of = {text.strip().split(":")[0]: i + 1 for i, text in enumerate(deploy.splitlines()) if ":" in text}
    assert ("immutable-field", "error", "base/deploy.yaml", 7) in found  # spec.selector
    assert line_of["selector"] == 7
    assert ("scale-to-zero", "warning", "base/deploy.yaml", 6) in found
    assert ("image-downgrade", "warning", "base/deploy.yaml", 23) in found  # the sidecar's image line
    assert ("deletes-state", "warning", "overlays/staging/pvc.yaml", 1) in found
    assert ("immutable-field", "error", "overlays/production/pvc.yaml", 6) in found
    messages = " ".join(f["message"] for f in data["findings"])
    assert "goes back from 2.0.0 to 1.9.7" in messages and "scales from 3 to 0 replicas" in messages
    assert "PersistentVolumeClaim data: an apply deletes it" in messages
    # production does not prune: its removals would stay in the cluster, so nothing there is deleted
    assert not [f for f in data["findings"] if f["rule"] == "deletes-state" and "[production]" in f["message"]]


def test_a_crd_version_removed_while_objects_in_git_use_it_is_an_error(repo: Repo) -> None:
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - {name: v1alpha1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
"""
    widget = "apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata: {name: w, namespace: tools}\n"
    repo.write({"tools/crd.yaml": crd, "tools/widget.yaml": widget})
    repo.commit("widgets")
    repo.change({"tools/crd.yaml": crd.replace(
        "    - {name: v1alpha1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}\n", "")})
    code, data, out = repo.diff()
    assert code == 1, out
    [finding] = [f for f in data["findings"] if f["rule"] == "crd-version-removed"]
    assert finding["severity"] == "error" and finding["file"] == "tools/crd.yaml" and finding["line"] == 8
    assert "example.com/v1alpha1 is no longer served" in finding["message"] and "tools/widget.yaml" in finding["message"]


def test_a_target_that_fails_to_render_at_the_base_is_a_finding_and_the_others_still_report(repo: Repo) -> None:
    repo.write({"overlays/production/kustomization.yaml": KUSTOMIZE + "resources: [../../base, missing.yaml]\n"})
    repo.commit("broken production")
    repo.change({"overlays/production/kustomization.yaml": FILES["overlays/production/kustomization.yaml"],
                 "base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 4")})
    code, data, out = repo.diff()
    assert code == 1, out
    assert target(data, "production")["status"] == "not-rendered"
    assert "the base" in target(data, "production")["note"]
    [error] = [f for f in data["findings"] if f["rule"] == "render-error"]
    assert error["message"].startswith("[production] at the base ") and "missing.yaml" in error["message"]
    assert fields(changes(data, "staging")["Deployment/staging/web"]) == {
        "spec.replicas": {"path": "spec.replicas", "change": "changed", "old": 3, "new": 4}}


def test_targets_that_exist_at_one_revision_only(repo: Repo) -> None:
    repo.change({"kubepush.yaml": FILES["kubepush.yaml"].replace("  - {name: tools, path: tools}\n", "")
                 + "  - {name: jobs, path: jobs}\n",
                 "jobs/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: j, namespace: jobs}\n"})
    code, data, out = repo.diff()
    assert code == 0, out
    jobs, tools = target(data, "jobs"), target(data, "tools")
    assert [(o["action"], o["object"]["name"]) for o in jobs["objects"]] == [("create", "j")]
    assert "new in this change" in jobs["note"]
    assert [(o["action"], o["object"]["name"]) for o in tools["objects"]] == [("prune", "tools")]
    assert "stays in the cluster" in tools["objects"][0]["note"] and "removed from kubepush.yaml" in tools["note"]
    assert target(data, "staging")["status"] == "compared"  # kubepush.yaml changed: every target is looked at


def test_uncommitted_changes_are_part_of_the_head(repo: Repo) -> None:
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 5"),
                 "overlays/staging/new.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\n",
                 "overlays/staging/kustomization.yaml": FILES["overlays/staging/kustomization.yaml"].replace(
                     "extra.yaml", "extra.yaml, new.yaml")}, commit=False)
    code, data, out = repo.diff()
    assert code == 0, out
    staging = changes(data, "staging")
    assert staging["ConfigMap/staging/new"]["action"] == "create"
    assert fields(staging["Deployment/staging/web"])["spec.replicas"]["new"] == 5


def test_targets_with_the_same_objects_are_built_one_by_one_and_still_compared(repo: Repo) -> None:
    """Two overlays yielding the same object (same namespace) cannot share one kustomize build."""
    same = FILES["overlays/staging/kustomization.yaml"]
    repo.write({"overlays/production/kustomization.yaml": same, "overlays/production/extra.yaml":
                FILES["overlays/staging/extra.yaml"]})
    repo.commit("production like staging")
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 2")})
    code, data, out = repo.diff()
    assert code == 0, out
    for name in ("staging", "production"):
        assert list(changes(data, name)) == ["Deployment/staging/web"]
        assert target(data, name)["counts"]["unchanged"] == 2


def test_a_helm_chart_target_is_rendered_at_both_revisions(repo: Repo) -> None:
    repo.write({"kubepush.yaml": FILES["kubepush.yaml"] + "  - {name: chart, path: charts/web}\n",
                "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
                "charts/web/values.yaml": "replicas: 2\n",
                "charts/web/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                "  name: chart-web\n  namespace: charts\nspec:\n  replicas: {{ .Values.replicas }}\n"})
    repo.commit("a chart")
    repo.change({"charts/web/values.yaml": "replicas: 6\n"})
    code, data, out = repo.diff()
    assert code == 0, out
    change = changes(data, "chart")["Deployment/charts/chart-web"]
    assert fields(change) == {"spec.replicas": {"path": "spec.replicas", "change": "changed", "old": 2, "new": 6}}
    assert [t["target"] for t in data["previews"] if t["status"] == "compared"] == ["chart"]


def test_a_binary_file_is_a_finding_not_a_crash(repo: Repo) -> None:
    repo.change({})
    (repo.root / "tools" / "blob.yaml").write_bytes(b"\x00\x01binary\x00")
    code, data, out = repo.diff()
    assert code == 1, out
    [finding] = [f for f in data["findings"] if f["file"] == "tools/blob.yaml"]
    assert "not a text file" in finding["message"] and finding["message"].startswith("[tools] at the head")


def test_an_unknown_base_is_an_environment_error_naming_it(repo: Repo) -> None:
    code, data, out = repo.diff("--base", "no-such-branch")
    assert code == 2
    assert "--base no-such-branch: no such branch, tag or commit here" in out


def test_a_shallow_clone_without_the_base_says_to_fetch_the_history(repo: Repo, tmp_path: Path) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 4")})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "change", f"file://{repo.root}", str(clone)],
                   check=True, env=repo.env)
    proc = kubepush("diff", "--base", base, cwd=clone, env=repo.env)
    assert_no_traceback(proc)
    assert proc.returncode == 2
    assert "the checkout is shallow" in proc.stderr and "fetch-depth: 0" in proc.stderr


def test_in_a_merge_request_pipeline_rendered_takes_its_base(repo: Repo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 4")})
    code, data, out = repo.diff("--rendered", env={"GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base})
    assert code == 0, out
    assert target(data, "staging")["base"] == base
    code, _, out = repo.diff("--rendered")
    assert code == 2 and "no base to compare with - pass --base REF" in out


def test_a_kept_base_render_is_used_again_and_gives_the_same_preview(repo: Repo) -> None:
    """With KUBEPUSH_CACHE_DIR, a second run renders only the head: the base's render is kept under
    its tree, and a new base commit is a miss."""
    log = repo.root.parent / "kustomize.log"
    kubectl = shutil.which("kubectl")
    wrapper = repo.root.parent / "bin" / "kustomize"  # kustomize comes first on PATH: count the builds
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nshift\nexec {kubectl} kustomize "$@"\n')
    wrapper.chmod(0o755)
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 4")})
    cached = {"KUBEPUSH_CACHE_DIR": str(repo.root.parent / "cache")}
    first = repo.diff(env=cached)
    builds = len(log.read_text().splitlines())
    assert builds == 2  # base and head: two joint builds of staging and production
    second = repo.diff(env=cached)
    assert len(log.read_text().splitlines()) == builds + 1  # the head only
    assert first[0] == second[0] == 0 and first[1]["previews"] == second[1]["previews"]
    assert fields(changes(second[1], "staging")["Deployment/staging/web"])["spec.replicas"]["old"] == 3
    repo.git("checkout", "-q", "main")
    repo.write({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 2")})
    repo.commit("main moves on")
    repo.git("checkout", "-q", "change")
    repo.git("merge", "-q", "main", "-X", "ours", "-m", "merge main")
    third = repo.diff(env=cached)
    assert len(log.read_text().splitlines()) == builds + 3  # a new base: rendered again
    assert fields(changes(third[1], "staging")["Deployment/staging/web"])["spec.replicas"]["old"] == 2


def test_a_sops_secret_is_compared_decrypted_with_a_key_and_as_changed_without_one(repo: Repo,
                                                                                  age_key: AgeKey) -> None:
    """The preview goes through the load path's decryption: with the key it says which keys changed
    (values masked); without one - a fork's pull request - that the Secret changed, and no error."""
    tools = repo.root / "tools"
    encrypt(tools, "sealed.yaml", secret("api", "tools", token="tok-BASE-9f1", user="svc"), recipient=age_key.recipient)
    repo.commit("an encrypted Secret")
    repo.git("checkout", "-q", "-b", "change")
    encrypt(tools, "sealed.yaml", secret("api", "tools", token="tok-HEAD-7c2", user="svc"), recipient=age_key.recipient)
    repo.commit("rotate the token")
    code, data, out = repo.diff(env={"SOPS_AGE_KEY_FILE": str(age_key.path)})
    assert code == 0, out
    change = changes(data, "tools")["Secret/tools/api"]
    assert fields(change) == {"data.token": {"path": "data.token", "change": "changed", "old": "***",
                                             "new": "*** (changed)"}}
    code, data, out = repo.diff(env={"SOPS_AGE_KEY_FILE": str(repo.root.parent / "no-such-key")})
    assert code == 0, out
    change = changes(data, "tools")["Secret/tools/api"]
    assert change["action"] == "configure" and "data.token" in fields(change)
    assert all(f["new"] in ("***", "*** (changed)", "*** (added)") or not f["path"].startswith("data")
               for f in change["fields"])
    for text in (json.dumps(data), out):
        assert "tok-BASE-9f1" not in text and "tok-HEAD-7c2" not in text and age_key.private not in text


def test_fail_on_drift_makes_a_change_fail_the_preview(repo: Repo) -> None:
    repo.change({"base/deploy.yaml": repo.edit("base/deploy.yaml", "replicas: 3", "replicas: 4")})
    assert repo.diff("--base", "main", "--fail-on-drift")[0] == 1
    assert repo.diff("--base", "main")[0] == 0
