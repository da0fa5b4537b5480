"""The fake apiserver against the real ``kubectl``: proof that it is faithful enough for
the tools people actually run (discovery, OpenAPI v3 field-validation lookup, server-side
apply, diff, watch-based rollout status, Status error rendering).

Every test has its own server (TLS, so kubectl really sends the kubeconfig token), its own
kubectl cache dir and HOME, so they run in parallel under pytest-xdist.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: default
data:
  a: "1"
"""


class Kubectl:
    def __init__(self, fake, tmp_path: Path):
        self.fake = fake
        self.tmp = tmp_path
        self.env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": fake.kubeconfig_path}

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", "--kubeconfig", self.fake.kubeconfig_path, "--cache-dir", str(self.tmp / "cache"), *args],
            input=stdin, capture_output=True, text=True, env=self.env, timeout=60,
        )

    def manifest(self, text: str, name: str = "m.yaml") -> str:
        path = self.tmp / name
        path.write_text(text)
        return str(path)


@pytest.fixture
def kubectl(fake_kube_tls, tmp_path) -> Kubectl:
    return Kubectl(fake_kube_tls, tmp_path)


def test_get_namespaces(kubectl):
    r = kubectl("get", "ns")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "AGE"]
    assert {line.split()[0] for line in lines[1:]} == {"default", "kube-system", "kube-public", "kube-node-lease"}
    # kubectl only sends kubeconfig credentials over TLS; the fake checked them.
    assert kubectl.fake.count(path="^/api/v1/namespaces$") == 1


def test_wrong_token_is_rejected(kubectl, fake_kube_tls, tmp_path):
    bad = fake_kube_tls.write_kubeconfig(str(tmp_path / "bad"), token="wrong")
    r = subprocess.run(["kubectl", "--kubeconfig", bad, "--cache-dir", str(tmp_path / "c2"), "get", "ns"],
                       capture_output=True, text=True, env=kubectl.env, timeout=60)
    assert r.returncode == 1
    assert "You must be logged in to the server" in r.stderr


def test_server_side_apply_create_then_unchanged(kubectl):
    path = kubectl.manifest(DEPLOYMENT)
    r = kubectl("apply", "--server-side", "-f", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["deployment.apps/web serverside-applied", "configmap/cfg serverside-applied"]
    live = kubectl.fake.get("Deployment", "default", "web")
    [entry] = live["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    assert kubectl.fake.count(verb="patch", path="/deployments/web") == 1
    assert [r.query.get("fieldValidation") for r in kubectl.fake.requests if r.verb == "patch"] == ["Strict"] * 2

    r = kubectl("apply", "--server-side", "-f", path)
    assert r.returncode == 0, r.stderr
    again = kubectl.fake.get("Deployment", "default", "web")
    assert again["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]


def test_server_side_apply_conflict_and_force(kubectl):
    path = kubectl.manifest(DEPLOYMENT)
    assert kubectl("apply", "--server-side", "-f", path).returncode == 0
    other = kubectl.manifest(DEPLOYMENT.replace("replicas: 2", "replicas: 5"), "other.yaml")
    r = kubectl("apply", "--server-side", "--field-manager=x", "-f", other)
    assert r.returncode == 1
    assert 'error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in r.stderr
    assert kubectl.fake.get("Deployment", "default", "web")["spec"]["replicas"] == 2

    r = kubectl("apply", "--server-side", "--field-manager=x", "--force-conflicts", "-f", other)
    assert r.returncode == 0, r.stderr
    live = kubectl.fake.get("Deployment", "default", "web")
    assert live["spec"]["replicas"] == 5
    owners = {m["manager"]: m["fieldsV1"]["f:spec"] for m in live["metadata"]["managedFields"]}
    assert "f:replicas" in owners["x"] and "f:replicas" not in owners["kubectl"]


def test_scale_then_apply_conflicts_with_scale_subresource(kubectl):
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT)).returncode == 0
    r = kubectl("scale", "deployment/web", "--replicas=4")
    assert r.returncode == 0, r.stderr
    assert kubectl.fake.get("Deployment", "default", "web")["spec"]["replicas"] == 4
    r = kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT))
    assert r.returncode == 1
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' in r.stderr


def test_diff_server_side_exit_codes(kubectl):
    path = kubectl.manifest(DEPLOYMENT)
    assert kubectl("apply", "--server-side", "-f", path).returncode == 0
    r = kubectl("diff", "--server-side", "-f", path)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr

    changed = kubectl.manifest(DEPLOYMENT.replace("nginx:1.25", "nginx:1.27"), "changed.yaml")
    r = kubectl("diff", "--server-side", "-f", changed)
    assert r.returncode == 1, r.stderr
    assert "-      - image: nginx:1.25" in r.stdout and "+      - image: nginx:1.27" in r.stdout
    assert "-  generation: 1" in r.stdout and "+  generation: 2" in r.stdout
    # The diff was a dry run: nothing changed.
    live = kubectl.fake.get("Deployment", "default", "web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    patches = [r for r in kubectl.fake.requests if r.verb == "patch" and r.path.endswith("/deployments/web")]
    assert [p.query.get("dryRun") for p in patches[-2:]] == ["All", "All"]


def test_dry_run_server_is_not_persisted(kubectl):
    r = kubectl("apply", "--server-side", "--dry-run=server", "-f", kubectl.manifest(DEPLOYMENT))
    assert r.returncode == 0, r.stderr
    assert "serverside-applied (server dry run)" in r.stdout
    assert kubectl.fake.get("Deployment", "default", "web") is None


def test_immutable_field_error(kubectl):
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT)).returncode == 0
    changed = DEPLOYMENT.replace("matchLabels: {app: web}", "matchLabels: {app: web, v: '2'}").replace(
        "labels: {app: web}\n    spec:", "labels: {app: web, v: '2'}\n    spec:")
    r = kubectl("apply", "--server-side", "-f", kubectl.manifest(changed, "changed.yaml"))
    assert r.returncode == 1
    assert 'The Deployment "web" is invalid: spec.selector: Invalid value:' in r.stderr
    assert "field is immutable" in r.stderr


def test_delete_and_not_found(kubectl):
    path = kubectl.manifest(DEPLOYMENT)
    assert kubectl("apply", "--server-side", "-f", path).returncode == 0
    r = kubectl("delete", "-f", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ['deployment.apps "web" deleted', 'configmap "cfg" deleted']
    assert kubectl.fake.get("Deployment", "default", "web") is None
    r = kubectl("delete", "deployment", "web")
    assert r.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "web" not found' in r.stderr


def test_get_with_label_selector_as_json(kubectl):
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT)).returncode == 0
    r = kubectl("get", "deploy,cm", "-l", "app=web", "-o", "json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)["items"]
    assert [(i["kind"], i["metadata"]["name"]) for i in items] == [("Deployment", "web")]


def test_forbidden_is_reported_like_rbac(kubectl):
    kubectl.fake.inject("patch", "/configmaps/cfg$", status=403)
    r = kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT))
    assert r.returncode == 1
    assert ('configmaps "cfg" is forbidden: User "kubepush-test" cannot patch resource "configmaps" in API '
            'group "" in the namespace "default"') in r.stderr
    assert kubectl.fake.get("Deployment", "default", "web") is not None


def test_rollout_status_follows_status_helpers(kubectl):
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT)).returncode == 0
    kubectl.fake.rollout_complete("Deployment", "default", "web")
    r = kubectl("rollout", "status", "deployment/web", "--timeout=20s")
    assert r.returncode == 0, r.stderr
    assert 'deployment "web" successfully rolled out' in r.stdout

    kubectl.fake.rollout_fail("Deployment", "default", "web")
    r = kubectl("rollout", "status", "deployment/web", "--timeout=20s")
    assert r.returncode == 1
    assert 'deployment "web" exceeded its progress deadline' in r.stderr


def test_crd_then_custom_resource(kubectl):
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"""
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(crd, "crd.yaml")).returncode == 0
    r = kubectl("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")
    assert r.returncode == 0, r.stderr
    cr = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: 3}\n"
    r = kubectl("apply", "--server-side", "-f", kubectl.manifest(cr, "cr.yaml"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "widget.example.com/w serverside-applied"
    r = kubectl("get", "wd", "w", "-o", "jsonpath={.spec.size}")
    assert (r.returncode, r.stdout) == (0, "3"), r.stderr
    bad = cr.replace("size: 3", "size: 3, colour: red")
    r = kubectl("apply", "--server-side", "-f", kubectl.manifest(bad, "bad.yaml"))
    assert r.returncode == 1
    assert ("Error from server: failed to create typed patch object (default/w; example.com/v1, Kind=Widget): "
            ".spec.colour: field not declared in schema") in r.stderr


def test_simulated_controllers_let_waiting_tools_finish(kubectl):
    kubectl.fake.simulate(rollouts="complete", jobs="complete", delay=0.3)
    job = ("apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: default}\nspec:\n  template:\n"
           "    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: 'migrate:1'}]\n")
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(DEPLOYMENT + "---\n" + job)).returncode == 0
    r = kubectl("rollout", "status", "deployment/web", "--timeout=20s")
    assert r.returncode == 0, r.stderr
    r = kubectl("wait", "--for=condition=Complete", "job/migrate", "--timeout=20s")
    assert r.returncode == 0, r.stderr

    kubectl.fake.simulate(rollouts="fail")
    changed = DEPLOYMENT.replace("nginx:1.25", "nginx:1.27")
    assert kubectl("apply", "--server-side", "-f", kubectl.manifest(changed, "c.yaml")).returncode == 0
    r = kubectl("rollout", "status", "deployment/web", "--timeout=20s")
    assert r.returncode == 1
    assert "exceeded its progress deadline" in r.stderr
