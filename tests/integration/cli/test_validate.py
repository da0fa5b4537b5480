"""``kubepush validate`` as users run it: exit codes, bad input, config, CRDs, kustomize, reports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.kubepush_cli import assert_no_traceback, kubepush

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""


def test_help_and_version_are_instant() -> None:
    start = time.perf_counter()
    proc = kubepush("--help")
    assert proc.returncode == 0 and "validate" in proc.stdout
    assert time.perf_counter() - start < 5
    version = kubepush("--version")
    assert version.returncode == 0 and version.stdout.startswith("kubepush ")
    sub = kubepush("validate", "--help")
    assert sub.returncode == 0 and "--kubernetes-version" in sub.stdout and "--report" in sub.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = ("import sys; from kubepush import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('yaml', 'jsonschema_rs', 'kubernetes', 'requests', 'yaml_rs') if m in sys.modules]\n"
            "print(heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_valid_file_exits_0(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOYMENT)
    proc = kubepush("validate", str(tmp_path / "d.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 resource in 1 file: 0 errors" in proc.stdout


def test_findings_exit_1_with_file_line_col(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOYMENT.replace("  selector:", "  replicas: \"2\"\n  selector:"))
    proc = kubepush("validate", "d.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert 'd.yaml:6:3: error: spec.replicas: expected integer, got string "2"' in proc.stdout


def test_bad_flag_and_unknown_version_exit_2() -> None:
    assert kubepush("validate", "--no-such-flag").returncode == 2
    proc = kubepush("validate", "-k", "1.2", str(EXAMPLES / "broken"))
    assert proc.returncode == 2 and "no bundled schemas for Kubernetes 1.2" in proc.stderr


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        (lambda p: None, "no such file or directory"),
        (lambda p: p.mkdir(), "no manifests found"),
    ],
    ids=["nonexistent", "empty-dir"],
)
def test_unusable_paths_exit_2(tmp_path: Path, setup, needle: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "in"
    setup(target)
    proc = kubepush("validate", str(target))
    assert proc.returncode == 2 and needle in proc.stderr
    assert_no_traceback(proc)


@pytest.mark.parametrize(
    ("content", "line", "needle"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", 1, "not a text file"),
        (b"kind: ConfigMap\nmetadata:\n  name: caf\xe9\n", 3, "invalid UTF-8"),
        (b"kind: ConfigMap\nmetadata:\n  name: 'open\n", 3, "unterminated quoted string"),
        (b"kind: ConfigMap\nmetadata:\n\tname: x\n", 3, "tab"),
        (b"- just\n- a list\n", 1, "must be a mapping"),
        (b"just a string\n", 1, "must be a mapping"),
        (b"apiVersion: v1\nmetadata:\n  name: x\n", 1, "missing kind"),
    ],
    ids=["binary", "invalid-utf8", "unterminated-quote", "tab-indent", "list-document", "scalar-document", "no-kind"],
)
def test_bad_documents_are_precise_findings(tmp_path: Path, content: bytes, line: int, needle: str) -> None:
    (tmp_path / "bad.yaml").write_bytes(content)
    proc = kubepush("validate", "bad.yaml", "-o", "json", cwd=tmp_path)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert any(f["line"] == line and needle in f["message"] for f in findings), findings


def test_alias_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    proc = kubepush("validate", "bomb.yaml", cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and "alias bomb" in proc.stdout
    assert time.perf_counter() - start < 30


@pytest.mark.slow
def test_50_mb_file_streams(tmp_path: Path) -> None:
    doc = DEPLOYMENT
    count = 50 * 1024 * 1024 // len(doc) + 1
    with (tmp_path / "big.yaml").open("w") as fh:
        for i in range(count):
            fh.write(doc.replace("name: web\nspec", f"name: web-{i}\nspec"))
            fh.write("---\n")
    assert (tmp_path / "big.yaml").stat().st_size >= 50 * 1024 * 1024
    proc = kubepush("validate", "big.yaml", "-o", "json", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert json.loads(proc.stdout)["summary"]["resources"] == count


def test_stdin_with_invalid_utf8_is_the_same_finding_as_a_file(tmp_path: Path) -> None:
    data = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: caf\xe9\n"
    (tmp_path / "bad.yaml").write_bytes(data)
    piped = subprocess.run([sys.executable, "-m", "kubepush.cli", "validate", "-", "-o", "json"], input=data,
                           capture_output=True, timeout=120, check=False, cwd=tmp_path)
    assert b"Traceback" not in piped.stderr and piped.returncode == 1, piped.stderr
    (finding,) = json.loads(piped.stdout)["findings"]
    from_file = json.loads(kubepush("validate", "bad.yaml", "-o", "json", cwd=tmp_path).stdout)["findings"]
    assert (finding["file"], finding["line"], finding["column"]) == ("<stdin>", 6, 9)
    assert {k: v for k, v in finding.items() if k != "file"} == {k: v for k, v in from_file[0].items() if k != "file"}


def test_stdin(tmp_path: Path) -> None:
    proc = kubepush("validate", "-", stdin=DEPLOYMENT.replace("nginx:1.27", "nginx:1.27\n        imagePullPolicy: always"))
    assert proc.returncode == 1 and "<stdin>:" in proc.stdout and '"Always"' in proc.stdout


def test_example_config_repo_is_valid_and_renders_kustomize() -> None:
    proc = kubepush("validate", "--config", str(EXAMPLES / "config-repo" / "kubepush.yaml"), "-o", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["summary"]["resources"] == 10  # 5 objects x 2 targets


def test_kustomize_findings_point_at_the_source_file(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    (base / "deploy.yaml").write_text(DEPLOYMENT.replace("        image: nginx:1.27", "        image: nginx:1.27\n        imagePullPolicy: ifNotPresent"))
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources: [../base]\nnamePrefix: prod-\n")
    proc = kubepush("validate", "overlay", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    finding = next(f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "invalid-enum")
    assert finding["file"] == "base/deploy.yaml" and finding["line"] == 15
    assert finding["object"]["name"] == "prod-web"


def test_broken_kustomization_is_a_finding_at_the_line_that_names_the_missing_file(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    proc = kubepush("validate", "kustomization.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert ("kustomization.yaml:1:13: error: kustomize build of . failed: 'missing.yaml' in resources: "
            "missing.yaml: no such file or directory [render-error]") in proc.stdout
    assert_no_traceback(proc)


def test_helm_chart_without_helm_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    proc = subprocess.run([sys.executable, "-m", "kubepush.cli", "validate", str(tmp_path)],
                          capture_output=True, text=True, env={"PATH": "/nonexistent"}, check=False)
    assert proc.returncode == 2 and "needs `helm` on PATH" in proc.stderr


def test_helm_chart_is_rendered_with_helm_template(tmp_path: Path) -> None:
    """A stand-in ``helm`` proves the command line and that its output is validated."""
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helm = bindir / "helm"
    helm.write_text("#!/bin/sh\n[ \"$1\" = template ] || exit 9\necho '---'\necho '# Source: c/templates/cm.yaml'\n"
                    "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: Bad_Name\\n'\n")
    helm.chmod(0o755)
    import os

    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-m", "kubepush.cli", "validate", str(chart), "-o", "json"],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert any(f["rule"] == "invalid-name" and "(helm template)" in f["file"] for f in findings)


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
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
            required: [size]
            properties:
              size: {type: integer}
              port: {x-kubernetes-int-or-string: true}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              note: {type: string, nullable: true}
"""


def widget(spec: str) -> str:
    return f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n{spec}"


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("  size: 3\n  port: http\n  extra: {anything: [1]}\n  note: null\n", None),
        ("  size: 3\n  port: 8080\n", None),
        ("  size: three\n", "schema-type"),
        ("  port: 80\n", "schema-required"),
        ("  size: 1\n  colour: red\n", "schema-unknown-field"),
    ],
)
def test_custom_resources_follow_their_crd(tmp_path: Path, spec: str, rule: str | None) -> None:
    (tmp_path / "crd.yaml").write_text(CRD)
    (tmp_path / "w.yaml").write_text(widget(spec))
    proc = kubepush("validate", "--crd", "crd.yaml", "w.yaml", "-o", "json", cwd=tmp_path)
    findings = json.loads(proc.stdout)["findings"]
    assert [f["rule"] for f in findings] == ([rule] if rule else []), findings


def test_crd_among_inputs_is_used_and_missing_schema_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(widget("  size: 1\n") + "---\n" + CRD)
    assert kubepush("validate", "all.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / "only.yaml").write_text(widget("  size: 1\n"))
    proc = kubepush("validate", "only.yaml", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"][0]["rule"] == "missing-schema"
    relaxed = kubepush("validate", "only.yaml", "--ignore-missing-schemas", cwd=tmp_path)
    assert relaxed.returncode == 0 and "warning" in relaxed.stdout


def test_non_strict_accepts_unknown_fields(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOYMENT.replace("  name: web\n", "  name: web\n  lables: {a: b}\n"))
    assert kubepush("validate", "d.yaml", cwd=tmp_path).returncode == 1
    assert kubepush("validate", "--no-strict", "d.yaml", cwd=tmp_path).returncode == 0


def test_rules_can_be_disabled_and_listed(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOYMENT.replace("nginx:1.27", "nginx:1.27\n        imagePullPolicy: always"))
    assert kubepush("validate", "d.yaml", cwd=tmp_path).returncode == 1
    assert kubepush("validate", "d.yaml", "--disable", "invalid-enum", cwd=tmp_path).returncode == 0
    unknown = kubepush("validate", "d.yaml", "--disable", "no-such-rule", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr
    listed = kubepush("validate", "--list-rules")
    assert listed.returncode == 0 and "duplicate-resource" in listed.stdout


def test_reports_are_written_in_every_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = ["validate", str(EXAMPLES / "broken"), "-o", "github", "--summary-md", str(out / "summary.md")]
    for fmt in ("sarif", "junit", "codequality", "json", "tap"):
        args += ["--report", f"{fmt}={out / ('report.' + fmt)}"]
    proc = kubepush(*args, cwd=REPO)
    assert proc.returncode == 1
    assert "::error file=examples/broken/deployment.yaml,line=9" in proc.stdout
    sarif = json.loads((out / "report.sarif").read_text())
    assert sarif["runs"][0]["results"]
    assert json.loads((out / "report.codequality").read_text())[0]["location"]["path"] == "examples/broken/deployment.yaml"
    assert "<testsuite" in (out / "report.junit").read_text()
    assert "❌" in (out / "summary.md").read_text()


def test_bad_report_spec_is_exit_2_before_any_work() -> None:
    proc = kubepush("validate", str(EXAMPLES / "broken"), "--report", "sarf=x.sarif")
    assert proc.returncode == 2 and "did you mean 'sarif'" in proc.stderr


def test_targets_from_config_and_versions_per_target(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "cj.yaml").write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
        "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}\n")
    (tmp_path / "kubepush.yaml").write_text(
        "targets:\n- name: legacy\n  path: old\n  kubernetesVersion: '1.25'\n")
    proc = kubepush("validate", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1
    assert any(f["rule"] == "removed-api" for f in json.loads(proc.stdout)["findings"])
    unknown = kubepush("validate", "--target", "prod", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown target prod" in unknown.stderr and "legacy" in unknown.stderr


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ("targets:\n- name: a\n  path: .\n  kubernetesVerison: '1.30'\n",
         'kubepush.yaml:4:3: unknown key "kubernetesVerison" in targets[0] (did you mean "kubernetesVersion"?)'),
        ("valdate: {}\n", 'unknown key "valdate" in the top level (did you mean "validate"?)'),
        ("targets:\n- name: a\n  path: x\n- name: a\n  path: y\n", 'duplicate target name "a"'),
        ("targets: [\n", "kubepush.yaml:"),
        ("validate:\n  strict: maybe\n", "validate.strict"),
    ],
    ids=["typo-in-target", "typo-top-level", "duplicate-target", "broken-yaml", "wrong-type"],
)
def test_config_errors_are_exit_2_with_position(tmp_path: Path, config: str, needle: str) -> None:
    (tmp_path / "kubepush.yaml").write_text(config)
    (tmp_path / "x.yaml").write_text(DEPLOYMENT)
    proc = kubepush("validate", "x.yaml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    assert needle in proc.stderr
    assert_no_traceback(proc)


def test_missing_config_file_named_explicitly_is_exit_2(tmp_path: Path) -> None:
    proc = kubepush("validate", "--config", "nope.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "nope.yaml: config file not found" in proc.stderr


def test_duplicate_resources_are_scoped_per_path(tmp_path: Path) -> None:
    for env in ("staging", "prod"):
        (tmp_path / env).mkdir()
        (tmp_path / env / "d.yaml").write_text(DEPLOYMENT)
    assert kubepush("validate", "staging", "prod", cwd=tmp_path).returncode == 0
    (tmp_path / "staging" / "copy.yaml").write_text(DEPLOYMENT)
    proc = kubepush("validate", "staging", "-o", "json", cwd=tmp_path)
    finding = json.loads(proc.stdout)["findings"][0]
    assert finding["rule"] == "duplicate-resource" and finding["line"] == 4


def test_parallel_and_serial_runs_report_the_same(tmp_path: Path) -> None:
    for i in range(40):
        body = DEPLOYMENT.replace("name: web\nspec", f"name: web-{i}\nspec")
        if i % 7 == 0:
            body = body.replace("nginx:1.27", "nginx:1.27\n        imagePullPolicy: sometimes")
        (tmp_path / f"d{i:02}.yaml").write_text(body * 1 + "---\n" + body.replace(f"web-{i}", f"api-{i}") * 1)
    serial = kubepush("validate", ".", "-j", "1", "-o", "json", cwd=tmp_path)
    parallel = kubepush("validate", ".", "-j", "2", "-o", "json", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)


def test_quiet_and_verbose() -> None:
    broken = str(EXAMPLES / "broken")
    normal = kubepush("validate", broken)
    lines = [line.split(":")[1] for line in normal.stdout.splitlines() if ": error:" in line]
    assert lines == sorted(lines, key=int), "findings of a document are in line order"
    quiet = kubepush("validate", broken, "-q")
    assert quiet.returncode == 1 and "error:" in quiet.stdout and "warning:" not in quiet.stdout
    silent = kubepush("validate", broken, "-qq")
    assert silent.returncode == 1 and silent.stdout == ""
    verbose = kubepush("validate", broken, "-v")
    assert "2 resources in 1 file," in verbose.stderr and "Kubernetes 1.37.0 strict" in verbose.stderr


def test_rules_doc_is_up_to_date() -> None:
    from kubepush.validate.catalog import markdown

    assert (REPO / "docs" / "rules.md").read_text() == markdown(), "run: python -m kubepush.validate.catalog > docs/rules.md"


def test_schema_rules_can_be_disabled_too(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOYMENT.replace("  name: web\n", "  name: web\n  lables: {a: b}\n"))
    assert kubepush("validate", "d.yaml", "--disable", "schema-unknown-field", cwd=tmp_path).returncode == 0


def test_sarif_rules_carry_descriptions(tmp_path: Path) -> None:
    kubepush("validate", str(EXAMPLES / "broken"), "--report", f"sarif={tmp_path / 'r.sarif'}")
    rules = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["tool"]["driver"]["rules"]
    described = {r["id"]: r["shortDescription"]["text"] for r in rules}
    assert described["invalid-enum"].startswith("value outside the set the API server accepts")


def test_a_large_file_is_shared_by_workers_with_exact_positions(tmp_path: Path) -> None:
    """Parts of one big file are validated in parallel; indexes and lines stay file-wide."""
    bad = {5, 9000, 17999}
    with (tmp_path / "big.yaml").open("w") as fh:
        for i in range(18000):
            body = DEPLOYMENT.replace("name: web\nspec", f"name: web-{i}\nspec")
            if i in bad:
                body = body.replace("nginx:1.27", "nginx:1.27\n        imagePullPolicy: sometimes")
            fh.write(body + "---\n")
    from kubepush.validate.engine import PART_BYTES

    assert (tmp_path / "big.yaml").stat().st_size > 2 * PART_BYTES  # at least two parts
    serial = kubepush("validate", "big.yaml", "-j", "1", "-o", "json", cwd=tmp_path)
    parallel = kubepush("validate", "big.yaml", "-j", "2", "-o", "json", cwd=tmp_path)
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    findings = json.loads(parallel.stdout)["findings"]
    per_doc = DEPLOYMENT.count("\n") + 1  # its lines plus the --- line; a bad one has one line more
    expected = [(i, i * per_doc + n + 15) for n, i in enumerate(sorted(bad))]  # imagePullPolicy: 15th line
    assert [(f["document"], f["line"]) for f in findings] == expected
    assert json.loads(parallel.stdout)["summary"]["files"] == 1


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000 + "]" * 100_000 + "\n", "- " * 100_000 + "x\n"],
                         ids=["flow", "sequence"])
def test_pathological_nesting_is_a_finding_not_a_crash(tmp_path: Path, text: str) -> None:
    """libyaml and yaml-rs overflow the C stack on such input: it must never reach them."""
    (tmp_path / "deep.yaml").write_text(text)
    proc = kubepush("validate", "deep.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and "nested more than 256 levels" in proc.stdout
    (tmp_path / "kubepush.yaml").write_text("targets: " + text)
    config = kubepush("validate", "--config", "kubepush.yaml", cwd=tmp_path)
    assert config.returncode == 2 and "nested more than 256 levels" in config.stderr


def test_infinity_is_named_as_written(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(DEPLOYMENT.replace("image: nginx:1.27", "image: nginx:1.27\n        resources: {requests: {cpu: .inf}}"))
    proc = kubepush("validate", "p.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and "(.inf/.nan are not numbers JSON or Kubernetes accept)" in proc.stdout and "null null" not in proc.stdout


HPA_V2BETA2 = ("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n"
               "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n")


def overlays(tmp_path: Path, deployment: str) -> None:
    """A kustomize base with ``deployment`` and two overlays of it, each a target of kubepush.yaml."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(deployment)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    for name in ("staging", "production"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text(f"namespace: {name}\nresources: [../base]\n")
    (tmp_path / "kubepush.yaml").write_text(
        "apiVersion: kubepush.dev/v1\nkind: Config\ntargets:\n- {name: staging, path: staging}\n"
        "- {name: production, path: production}\n")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kubectl kustomize)")
def test_an_error_in_a_base_is_reported_once_naming_every_target(tmp_path: Path) -> None:
    overlays(tmp_path, DEPLOYMENT.replace("spec:\n  selector", "spec:\n  replicas: \"2\"\n  selector"))
    proc = kubepush("validate", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    [finding] = [f for f in json.loads(proc.stdout)["findings"] if f["severity"] == "error"]
    assert finding["rule"] == "schema-type" and finding["file"] == "base/deployment.yaml"
    assert finding["targets"] == ["staging", "production"] and finding["path"] == "spec.replicas"
    text = kubepush("validate", cwd=tmp_path)
    assert text.stdout.count("expected integer") == 1, text.stdout
    assert "in targets staging, production" in text.stdout
    assert text.stdout.splitlines()[-1] == "2 resources in 1 file, 2 targets: 1 error, 0 warnings"


@pytest.mark.parametrize("render", [True, False])
def test_validate_of_a_config_repository_skips_kubepush_yaml_and_kustomizations(tmp_path: Path, render: bool) -> None:
    overlays(tmp_path, DEPLOYMENT)
    if render and shutil.which("kubectl") is None:
        pytest.skip("needs kubectl (kubectl kustomize)")
    proc = kubepush("validate", ".", "-o", "json", *([] if render else ["--no-render"]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    files = {f["file"] for f in json.loads(proc.stdout)["findings"]}
    assert not {"kubepush.yaml", "base/kustomization.yaml", "staging/kustomization.yaml"} & files, files


def test_validate_uses_the_kubernetes_version_of_the_target_and_says_which(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "hpa.yaml").write_text(HPA_V2BETA2)
    (tmp_path / "kubepush.yaml").write_text("targets:\n- name: legacy\n  path: old\n  kubernetesVersion: '1.25'\n")
    for args in ((), ("old",), ("old/hpa.yaml",)):  # the target, or a path inside it: its cluster's version
        proc = kubepush("validate", *args, "-o", "json", cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stdout)  # autoscaling/v2beta2 is served up to 1.25
        assert "Kubernetes 1.25" in proc.stderr and "kubernetesVersion of target legacy" in proc.stderr, proc.stderr
    proc = kubepush("validate", "old", "-k", "1.26", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1 and "Kubernetes 1.26" in proc.stderr and "--kubernetes-version" in proc.stderr
    assert any(f["rule"] == "removed-api" for f in json.loads(proc.stdout)["findings"])
