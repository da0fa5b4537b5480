"""Adding an ``images:`` entry to a kustomization: only characters are added, and kustomize reads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kubepush.bump.kustomize_names import Build
from kubepush.images.edit import EditError
from kubepush.images.kustomization import NewEntry, add_entries, entry_line

D = "sha256:" + "c" * 64


def add(text: str, *entries: tuple[str, str | None, str | None]) -> str:
    new = [NewEntry("kustomization.yaml", n, t, d) for n, t, d in entries]
    return add_entries(text.encode("utf-8"), new, file="kustomization.yaml").decode("utf-8")


@pytest.mark.parametrize(("name", "before", "entries", "after"), [
    ("no images: key, lists indented", "# overlay\nresources:\n  - ../../base  # the base\n",
     [("ghcr.io/acme/web", "1.1.0", None)],
     "# overlay\nresources:\n  - ../../base  # the base\nimages:\n  - name: ghcr.io/acme/web\n    newTag: 1.1.0\n"),
    ("no images: key, lists not indented", "resources:\n- ../../base\n",
     [("web", "2", D)], f"resources:\n- ../../base\nimages:\n- name: web\n  newTag: \"2\"\n  digest: {D}\n"),
    ("after the last entry, before trailing comments", "images:\n  - name: a\n    newTag: v1 # pin\n\n# end\n",
     [("b", "1.10", None)], "images:\n  - name: a\n    newTag: v1 # pin\n  - name: b\n    newTag: \"1.10\"\n\n# end\n"),
    ("flow list", "resources: [../base]\nimages: [{name: a, newTag: v1}]\n", [("b", "v2", None)],
     "resources: [../base]\nimages: [{name: a, newTag: v1}, {name: b, newTag: v2}]\n"),
    ("empty flow list", "images: []\n", [("b", None, D)], f"images: [{{name: b, digest: {D}}}]\n"),
    ("CRLF and no final newline", "resources:\r\n  - ../base", [("b", "v2", None)],
     "resources:\r\n  - ../base\r\nimages:\r\n  - name: b\r\n    newTag: v2"),
    ("BOM", "\ufeffresources:\n  - ../base\n", [("b", "v2", None)],
     "\ufeffresources:\n  - ../base\nimages:\n  - name: b\n    newTag: v2\n"),
    ("last value a block scalar", "resources:\n  - ../base\nnote: |\n  text\n", [("b", "v2", None)],
     "resources:\n  - ../base\nnote: |\n  text\nimages:\n  - name: b\n    newTag: v2\n"),
    ("two entries at once", "images:\n- name: a\n  newTag: v1\n", [("b", "v2", None), ("c", "v3", None)],
     "images:\n- name: a\n  newTag: v1\n- name: b\n  newTag: v2\n- name: c\n  newTag: v3\n"),
])
def test_entries_are_added_without_touching_anything_else(name: str, before: str,
                                                          entries: list[tuple[str, str | None, str | None]],
                                                          after: str) -> None:
    assert add(before, *entries) == after
    assert entry_line(before.encode(), NewEntry("k", *entries[0])) == next(
        i for i, line in enumerate(after.splitlines(), 1) if f"name: {entries[0][0]}" in line)


@pytest.mark.parametrize(("before", "message"), [
    ("images:\n", "images: is empty"),
    ("images: {a: b}\n", "not a list"),
    ("{resources: [a]}\n", "not a block-style kustomization"),
    ("resources: [a]\n---\nimages: []\n", "kustomization.yaml"),
    ("resources: [a\n", "kustomization.yaml:"),
])
def test_unusual_kustomizations_are_refused_and_nothing_is_returned(before: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        add(before, ("b", "v2", None))


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kubectl kustomize)")
def test_names_follow_renames_in_bases_and_components_as_kustomize_does(tmp_path: Path) -> None:
    """The name Build predicts for the overlay is the one kustomize's overlay entry matches."""
    files = {
        "base/deploy.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                            "    - {name: a, image: 'app:1'}\n    - {name: b, image: 'side:1'}\n",
        "base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n  - {name: app, newName: reg/app}\n",
        "mid/kustomization.yaml": "resources: [../base]\ncomponents: [../comp]\n",
        "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                   "images:\n  - {name: side, newName: mirror/side}\n",
        "top/kustomization.yaml": "resources: [../mid]\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    build = Build.load(tmp_path / "top")
    app = build.names_at_top(tmp_path / "base/deploy.yaml", "app")
    side = build.names_at_top(tmp_path / "base/deploy.yaml", "side")
    assert (app, side) == ({"reg/app"}, {"mirror/side"})
    (tmp_path / "top/kustomization.yaml").write_bytes(add_entries(
        (tmp_path / "top/kustomization.yaml").read_bytes(),
        [NewEntry("top", app.pop(), "9", None), NewEntry("top", side.pop(), "8", None)]))
    out = subprocess.run(["kubectl", "kustomize", str(tmp_path / "top")], capture_output=True, text=True, check=True)
    assert "image: reg/app:9" in out.stdout and "image: mirror/side:8" in out.stdout
    assert build.names_at_top(tmp_path / "elsewhere.yaml", "app") == set()
