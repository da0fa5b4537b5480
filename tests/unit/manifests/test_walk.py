"""The one walk validate and bump share: which files a directory holds for kubepush.

Before it was shared, validate skipped hidden files and followed links to
directories while image discovery read hidden files (a Flux marker in
``.gitlab-ci.yml`` was an image site), did not follow links, listed a
directory's files before its subdirectories and silently left out a directory
it could not read. The rule chosen is pinned here, for both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubepush.errors import UsageError
from kubepush.images.discover import discover_paths, iter_files
from kubepush.manifests import sources, walk

POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27 # {"$imagepolicy": "flux-system:nginx"}\n'


def _tree(root: Path, outside: Path) -> None:
    (root / "apps" / "web").mkdir(parents=True)
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "a.yaml").write_text(POD % "a")
    (root / "apps" / "web" / "pod.yaml").write_text(POD % "web")
    (root / "apps" / "z.yml").write_text(POD % "z")
    (root / "apps" / ".hidden.yaml").write_text(POD % "hidden")
    (root / ".gitlab-ci.yml").write_text('build:\n  image: python:3.12 # {"$imagepolicy": "ci:python"}\n')
    (root / ".github" / "workflows" / "ci.yaml").write_text(POD % "workflow")
    (outside / "secret.yaml").write_text(POD % "outside")
    (root / "elsewhere").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling.yaml").symlink_to(root / "missing.yaml")
    (root / "linked.yaml").symlink_to(root / "a.yaml")
    os.mkfifo(root / "pipe.yaml")  # reading it would block for ever


EXPECTED = ["a.yaml", "apps/web/pod.yaml", "apps/z.yml", "linked.yaml"]


def test_validate_and_image_discovery_walk_the_same_files(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    _tree(root, outside)
    manifests = [Path(s.path).relative_to(root).as_posix() for s in sources.discover([str(root)])]
    images = [Path(f).relative_to(root).as_posix() for f in iter_files([root])]
    assert manifests == images == EXPECTED
    found = discover_paths([root])
    assert sorted({Path(s.file).relative_to(root).as_posix() for s in found.sites}) == EXPECTED
    assert found.findings == []


def test_a_path_named_on_the_command_line_is_taken_as_given(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / ".hidden.yaml").write_text(POD % "hidden")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "pod.yaml").write_text(POD % "pod")
    hidden = str(tmp_path / "real" / ".hidden.yaml")
    assert list(iter_files([tmp_path / "link", hidden])) == [str(tmp_path / "link" / "pod.yaml"), hidden]
    assert [s.path for s in sources.discover([str(tmp_path / "link"), hidden])] == [
        str(tmp_path / "link" / "pod.yaml"), hidden,
    ]


def test_an_unreadable_directory_is_an_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "pod.yaml").write_text(POD % "pod")
    scandir = os.scandir

    def refuse(path: str) -> object:
        if Path(path).name == "locked":  # as root, chmod 000 would not stop the walk
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(walk.os, "scandir", refuse)
    message = f"{tmp_path / 'locked'}: cannot read directory: Permission denied"
    with pytest.raises(UsageError) as images:
        discover_paths([tmp_path])
    with pytest.raises(UsageError) as manifests:
        list(sources.discover([str(tmp_path)]))
    assert str(images.value) == str(manifests.value) == message


def test_a_directory_rendered_as_a_unit_is_yielded_instead_of_walked(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    (tmp_path / "base" / "pod.yaml").write_text(POD % "pod")
    (tmp_path / "plain.yaml").write_text(POD % "plain")

    def unit(path: str) -> str | None:
        return "kustomize" if (Path(path) / "kustomization.yaml").is_file() else None

    assert list(walk.walk(str(tmp_path), lambda name: name.endswith(".yaml"), unit)) == [
        (str(tmp_path / "base"), "kustomize"), (str(tmp_path / "plain.yaml"), None),
    ]
    assert list(walk.walk(str(tmp_path / "base"), lambda name: True, unit)) == [(str(tmp_path / "base"), "kustomize")]
