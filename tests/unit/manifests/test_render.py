"""manifests/render.py: kustomize and Helm run as subprocesses, and what their failures become.

The commands built on it (a target that does not render, beside a healthy one, for validate,
apply and diff) are tested in tests/integration/cli/test_render_failures.py. Here: the real
``kubectl kustomize`` renders with origin annotations that lead back to the user's file without
touching the user's directory; Helm is a stand-in script on PATH that records its arguments.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from kubepush.errors import UsageError
from kubepush.manifests import render
from kubepush.manifests.render import (
    ORIGIN_ANNOTATION,
    RenderFailed,
    helm_template,
    is_chart_dir,
    is_kustomization_dir,
    kustomize,
    origin_file,
)

needs_kustomize = pytest.mark.skipif(not (shutil.which("kustomize") or shutil.which("kubectl")),
                                     reason="kubectl or kustomize not on PATH")

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: v\n"


def stand_in(tmp_path: Path, name: str, script: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``name`` executable on a PATH that holds nothing else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / name
    tool.write_text(f"#!/bin/sh\n{script}\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return tool


def test_directory_kinds_are_told_by_their_marker_file(tmp_path: Path) -> None:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        d = tmp_path / name.replace(".", "-")
        d.mkdir()
        (d / name).write_text("resources: []\n")
        assert is_kustomization_dir(d) and not is_chart_dir(d)
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("name: c\nversion: 0.1.0\n")
    assert is_chart_dir(chart) and not is_kustomization_dir(chart)
    (tmp_path / "plain").mkdir()
    assert not is_kustomization_dir(tmp_path / "plain")


@needs_kustomize
def test_kustomize_renders_with_origins_that_name_the_users_file_and_leaves_the_directory_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "cm.yaml").write_text(CONFIGMAP)
    (base / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    before = sorted(p.name for p in base.iterdir())
    monkeypatch.chdir(tmp_path)
    text, wrapper = kustomize(base)
    doc = yaml.safe_load(text)
    assert doc["data"] == {"k": "v"}
    assert origin_file(doc["metadata"]["annotations"][ORIGIN_ANNOTATION], wrapper) == os.path.join("base", "cm.yaml")
    assert sorted(p.name for p in base.iterdir()) == before
    assert not wrapper.exists()  # the throw-away wrapper is gone


@needs_kustomize
def test_a_kustomization_that_fails_is_render_failed_with_the_tools_message(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(RenderFailed) as failed:
        kustomize(tmp_path)
    assert "missing.yaml" in failed.value.stderr


def test_without_kustomize_or_kubectl_rendering_is_an_environment_error(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="needs `kustomize` or `kubectl` on PATH"):
        kustomize(tmp_path)


def test_helm_template_passes_release_chart_and_values_in_order(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(tmp_path, "helm", 'echo "$@"', monkeypatch)
    chart, a, b = tmp_path / "chart", tmp_path / "a.yaml", tmp_path / "b.yaml"
    out = helm_template(chart, [a, b], release="web")
    assert out.split() == ["template", "web", str(chart), "--values", str(a), "--values", str(b)]


def test_a_helm_that_fails_is_render_failed_and_an_empty_message_names_the_exit_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(tmp_path, "helm", 'echo "Error: parse error in deploy.yaml" >&2; exit 1', monkeypatch)
    with pytest.raises(RenderFailed) as failed:
        helm_template(tmp_path)
    assert failed.value.stderr.strip() == "Error: parse error in deploy.yaml"
    stand_in(tmp_path, "helm", "exit 3", monkeypatch)
    with pytest.raises(RenderFailed) as silent:
        helm_template(tmp_path)
    assert str(silent.value) == silent.value.stderr == "exit code 3"


def test_without_helm_a_chart_is_an_environment_error_naming_it(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match=f"{tmp_path / 'chart'} is a Helm chart, and rendering it needs `helm`"):
        helm_template(tmp_path / "chart")


def test_a_renderer_that_hangs_is_an_environment_error_after_the_timeout(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(tmp_path, "helm", f"exec {shutil.which('sleep')} 30", monkeypatch)
    monkeypatch.setattr(render, "RENDER_TIMEOUT_S", 0.5)
    with pytest.raises(UsageError, match=r"helm template of .* did not finish within 0.5s"):
        helm_template(tmp_path)


def test_origin_file_is_relative_to_the_wrapper_and_empty_for_remote_resources(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wrapper = tmp_path / "wrap"
    assert origin_file("path: ../base/cm.yaml\n", wrapper) == os.path.join("base", "cm.yaml")
    assert origin_file("path: cm.yaml\nrepo: https://github.com/example/config\nref: v1\n", wrapper) == ""
    assert origin_file("configuredIn: kustomization.yaml\n", wrapper) == ""
