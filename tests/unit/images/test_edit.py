"""Byte-minimal image edits: a table of tricky YAML, exact bytes, and the refusals."""

from __future__ import annotations

import dataclasses
import difflib
import os
import stat
from pathlib import Path

import pytest
import yaml

from kubepush.images.discover import discover, discover_paths
from kubepush.images.edit import Edit, EditError, apply, plan, write
from kubepush.images.sites import ImageSite

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
POD = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n"


def sites(text: str, file: str) -> list[ImageSite]:
    return discover(text.encode("utf-8"), file=file).sites


def edit_one(text: str, file: str = "pod.yaml", index: int = 0, **change: str) -> str:
    site = sites(text, file)[index]
    result = apply(text.encode("utf-8"), [Edit(site, **change)], file=file)
    return result.new.decode("utf-8")


def changed_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """Ranges of ``old`` that difflib says were replaced or deleted (insertions are empty ranges)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2) for op, i1, i2, _, _ in matcher.get_opcodes() if op != "equal"]


# (name, file, input, change, expected output)
CASES = [
    ("comment after the value", "pod.yaml",
     POD + "    image: nginx:1.27.0 # pinned by ops\n", {"tag": "1.27.1"},
     POD + "    image: nginx:1.27.1 # pinned by ops\n"),
    ("single quotes", "pod.yaml",
     POD + "    image: 'nginx:1.27.0'\n", {"tag": "1.28.0"},
     POD + "    image: 'nginx:1.28.0'\n"),
    ("double quotes", "pod.yaml",
     POD + '    image: "ghcr.io/acme/app:v1.9"\n', {"tag": "v1.10"},
     POD + '    image: "ghcr.io/acme/app:v1.10"\n'),
    ("CRLF line endings", "pod.yaml",
     POD.replace("\n", "\r\n") + "    image: nginx:1.27.0\r\n", {"tag": "1.27.2"},
     POD.replace("\n", "\r\n") + "    image: nginx:1.27.2\r\n"),
    ("no trailing newline", "pod.yaml",
     POD + "    image: nginx:1.27.0", {"tag": "1.27.3"},
     POD + "    image: nginx:1.27.3"),
    ("BOM", "pod.yaml",
     "\ufeff" + POD + "    image: nginx:1.27.0\n", {"tag": "1.27.4"},
     "\ufeff" + POD + "    image: nginx:1.27.4\n"),
    ("non-ASCII text before the image", "pod.yaml",
     "# \u00e9t\u00e9 \u2014 \u65e5\u672c\n" + POD + "    image: nginx:1.27.0 # \u2713\n", {"tag": "1.27.1"},
     "# \u00e9t\u00e9 \u2014 \u65e5\u672c\n" + POD + "    image: nginx:1.27.1 # \u2713\n"),
    ("untagged gets a tag", "pod.yaml",
     POD + "    image: nginx # latest\n", {"tag": "1.27.0"},
     POD + "    image: nginx:1.27.0 # latest\n"),
    ("insert a digest", "pod.yaml",
     POD + "    image: nginx:1.27.0\n", {"digest": D1},
     POD + f"    image: nginx:1.27.0@{D1}\n"),
    ("new tag and digest of a pinned image", "pod.yaml",
     POD + f"    image: nginx:1.27.0@{D1}\n", {"tag": "1.27.1", "digest": D2},
     POD + f"    image: nginx:1.27.1@{D2}\n"),
    ("unpin", "pod.yaml",
     POD + f"    image: nginx:1.27.0@{D1}\n", {"digest": ""},
     POD + "    image: nginx:1.27.0\n"),
    ("whole new reference", "pod.yaml",
     POD + "    image: nginx:1.27.0\n", {"reference": "ghcr.io/acme/nginx:2.0.0"},
     POD + "    image: ghcr.io/acme/nginx:2.0.0\n"),
    ("same repository written differently keeps the spelling", "pod.yaml",
     POD + "    image: nginx:1.27.0\n", {"reference": "docker.io/library/nginx:1.28.0"},
     POD + "    image: nginx:1.28.0\n"),
    ("anchored scalar changes once, the alias follows", "pod.yaml",
     POD + "    image: &img nginx:1.27.0\n  initContainers:\n  - name: b\n    image: *img\n", {"tag": "1.28.0"},
     POD + "    image: &img nginx:1.28.0\n  initContainers:\n  - name: b\n    image: *img\n"),
    ("flow mapping", "pod.yaml",
     "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: nginx:1.27.0}]}\n", {"tag": "1.27.5"},
     "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: nginx:1.27.5}]}\n"),
    ("flow sequence of values", "values.yaml",
     "sidecars: [{image: busybox:1.36}]\n", {"tag": "1.37"},
     "sidecars: [{image: busybox:1.37}]\n"),
    ("literal block scalar", "pod.yaml",
     POD + "    image: |-\n      nginx:1.27.0\n", {"tag": "1.27.6"},
     POD + "    image: |-\n      nginx:1.27.6\n"),
    ("folded block scalar", "pod.yaml",
     POD + "    image: >-\n      nginx:1.27.0\n    name2: x\n", {"tag": "1.27.7"},
     POD + "    image: >-\n      nginx:1.27.7\n    name2: x\n"),
    ("second of several documents, separators and end marker kept", "pod.yaml",
     "---\n" + POD + "    image: redis:7.2\n...\n---\n# c\n" + POD + "    image: nginx:1.27.0\n", {"tag": "1.27.8"},
     "---\n" + POD + "    image: redis:7.2\n...\n---\n# c\n" + POD + "    image: nginx:1.27.8\n"),
    ("Flux marker kept", "pod.yaml",
     POD + '    image: nginx:1.27.0 # {"$imagepolicy": "flux-system:nginx"}\n', {"tag": "1.27.9"},
     POD + '    image: nginx:1.27.9 # {"$imagepolicy": "flux-system:nginx"}\n'),
    ("marker on a lone tag", "app.yaml",
     'apiVersion: a/v1\nkind: A\nspec:\n  tag: v1.0.0 # {"$imagepolicy": "ns:app:tag"}\n', {"tag": "v1.1.0"},
     'apiVersion: a/v1\nkind: A\nspec:\n  tag: v1.1.0 # {"$imagepolicy": "ns:app:tag"}\n'),
    ("kustomize newTag", "kustomization.yaml",
     "images:\n- name: nginx\n  newTag: 1.27.0  # keep\n", {"tag": "1.27.1"},
     "images:\n- name: nginx\n  newTag: 1.27.1  # keep\n"),
    ("kustomize missing newTag is added after newName", "kustomization.yaml",
     "images:\n- name: nginx\n  newName: ghcr.io/acme/nginx # mirror\n  # trailing comment\n", {"tag": "1.27.1"},
     "images:\n- name: nginx\n  newName: ghcr.io/acme/nginx # mirror\n  newTag: 1.27.1\n  # trailing comment\n"),
    ("kustomize missing newTag, CRLF, no final newline", "kustomization.yaml",
     "images:\r\n  - name: nginx\r\n    newName: ghcr.io/acme/nginx", {"tag": "1.27.1"},
     "images:\r\n  - name: nginx\r\n    newName: ghcr.io/acme/nginx\r\n    newTag: 1.27.1"),
    ("kustomize numeric newTag is added quoted", "kustomization.yaml",
     "images:\n- name: nginx\n  newName: mirror/nginx\n", {"tag": "1.10"},
     'images:\n- name: nginx\n  newName: mirror/nginx\n  newTag: "1.10"\n'),
    ("kustomize entry gets newTag and digest", "kustomization.yaml",
     "images:\n- name: nginx\n  newName: mirror.io/nginx # ours\n", {"tag": "1.27.1", "digest": D1},
     f"images:\n- name: nginx\n  newName: mirror.io/nginx # ours\n  newTag: 1.27.1\n  digest: {D1}\n"),
    ("kustomize flow entry gets a digest", "kustomization.yaml",
     "images:\n- {name: nginx, newTag: v1}\n", {"digest": D1},
     f"images:\n- {{name: nginx, newTag: v1, digest: {D1}}}\n"),
    ("kustomize digest changes in place", "kustomization.yaml",
     f"images:\n- name: nginx\n  newTag: v1\n  digest: {D1}\n", {"tag": "v2", "digest": D2},
     f"images:\n- name: nginx\n  newTag: v2\n  digest: {D2}\n"),
    ("helm tag that stays a string stays plain", "values.yaml",
     "image:\n  repository: nginx\n  tag: 1.27.0\n", {"tag": "1.27.1"},
     "image:\n  repository: nginx\n  tag: 1.27.1\n"),
    ("helm number tag becomes a quoted string", "values.yaml",
     "image:\n  repository: nginx\n  tag: 1.2\n", {"tag": "1.10"},
     'image:\n  repository: nginx\n  tag: "1.10"\n'),
    ("helm number tag to a version string needs no quotes", "values.yaml",
     "image:\n  repository: nginx\n  tag: 1.2\n", {"tag": "1.2.1"},
     "image:\n  repository: nginx\n  tag: 1.2.1\n"),
    ("helm integer-looking tag", "values.yaml",
     "image:\n  repository: acme/app\n  tag: v20240101\n", {"tag": "20240102"},
     'image:\n  repository: acme/app\n  tag: "20240102"\n'),
    ("helm quoted tag stays quoted", "values.yaml",
     "image:\n  repository: nginx\n  tag: '1.2'\n", {"tag": "1.10"},
     "image:\n  repository: nginx\n  tag: '1.10'\n"),
    ("helm empty tag (appVersion) pinned", "values.yaml",
     'image:\n  repository: nginx\n  tag: ""\n', {"tag": "1.27.0"},
     'image:\n  repository: nginx\n  tag: "1.27.0"\n'),
    ("helm null tag pinned", "values.yaml",
     "image:\n  repository: nginx\n  tag:\n  pullPolicy: Always\n", {"tag": "1.27.0"},
     "image:\n  repository: nginx\n  tag: 1.27.0\n  pullPolicy: Always\n"),
    ("bitnami digest filled in", "values.yaml",
     'image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.4.1\n  digest: ""\n', {"digest": D1},
     f'image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.4.1\n  digest: "{D1}"\n'),
    ("helm move to another registry", "values.yaml",
     "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.4.1\n",
     {"reference": "ghcr.io/acme/redis:7.4.2"},
     "image:\n  registry: ghcr.io\n  repository: acme/redis\n  tag: 7.4.2\n"),
    ("helm values inside a HelmRelease", "release.yaml",
     ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n"
      "    redis: {repository: redis, tag: 8.6.2}\n"), {"tag": "8.6.3"},
     ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n"
      "    redis: {repository: redis, tag: 8.6.3}\n")),
]


@pytest.mark.parametrize(("name", "file", "before", "change", "after"), CASES, ids=[c[0] for c in CASES])
def test_edit_table(name: str, file: str, before: str, change: dict[str, str], after: str) -> None:
    site = sites(before, file)[-1] if "second of several" in name else sites(before, file)[0]
    result = apply(before.encode("utf-8"), [Edit(site, **change)], file=file)
    assert result.new.decode("utf-8") == after
    assert result.changed and not result.up_to_date
    # The parsed documents are the same except the image.
    assert len(list(yaml.safe_load_all(after.lstrip("\ufeff")))) == len(list(yaml.safe_load_all(before.lstrip("\ufeff"))))
    # Only characters inside the tag/digest/name scalars changed (plus added keys and quotes).
    spans = [f.scalar.content for f in site.fields if f.scalar.content]
    for i1, i2 in changed_ranges(before, after):
        inside = any(a - 1 <= i1 and i2 <= b + 1 for a, b in spans)  # +-1: quotes added around a value
        added_key = i1 == i2 and site.entry is not None
        assert inside or added_key, f"{name}: changed {before[i1:i2]!r} at {i1}"
    # Idempotent: the same edit on the result changes nothing.
    again = sites(after, file)[-1] if "second of several" in name else sites(after, file)[0]
    second = apply(result.new, [Edit(again, **change)], file=file)
    assert second.new == result.new and second.up_to_date == [Edit(again, **change)] and not second.changed


def test_only_the_tag_characters_change() -> None:
    before = POD + "    image: registry.example.com:5000/team/app:2024.11.3-r7 # keep\n"
    after = edit_one(before, tag="2024.11.4-r1")
    (site,) = sites(before, "pod.yaml")
    assert site.tag_span is not None
    tag_start, tag_end = site.tag_span
    for i1, i2 in changed_ranges(before, after):
        assert tag_start <= i1 and i2 <= tag_end
    assert after == before.replace("2024.11.3-r7", "2024.11.4-r1")


def test_unchanged_is_identical_bytes_and_up_to_date() -> None:
    data = ("\ufeff" + POD.replace("\n", "\r\n") + "    image: nginx:1.27.0").encode("utf-8")
    (site,) = discover(data, file="pod.yaml").sites
    for change in ({"tag": "1.27.0"}, {"reference": "docker.io/library/nginx:1.27.0"}, {}):
        result = apply(data, [Edit(site, **change)], file="pod.yaml")
        assert result.new is data or result.new == data
        assert not result.modified and result.up_to_date and not result.changed


def test_several_edits_in_one_file() -> None:
    text = POD + "    image: nginx:1.27.0\n  - name: b\n    image: redis:7.2.4\n"
    a, b = sites(text, "pod.yaml")
    result = apply(text.encode(), [Edit(b, tag="7.2.5"), Edit(a, tag="1.27.1")], file="pod.yaml")
    assert result.new.decode() == text.replace("1.27.0", "1.27.1").replace("7.2.4", "7.2.5")
    assert "-    image: nginx:1.27.0" in result.diff() and "+    image: redis:7.2.5" in result.diff()


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("file", "text", "change", "message"),
    [
        ("pod.yaml", POD + f"    image: nginx:1.27.0@{D1}\n", {"tag": "1.28.0"}, "pinned to a digest"),
        ("pod.yaml", POD + "    image: nginx:1.27.0\n", {"tag": "bad tag"}, "invalid tag 'bad tag'"),
        ("pod.yaml", POD + "    image: nginx:1.27.0\n", {"digest": "sha256:abc"}, "invalid digest"),
        ("pod.yaml", POD + "    image: nginx:1.27.0\n", {"reference": "Nginx:1"}, "lowercase"),
        ("pod.yaml", POD + "    image: nginx:1.27.0\n", {"reference": "nginx:2", "tag": "2"}, "not both"),
        ("pod.yaml", POD + '    image: "nginx\\x3a1.27.0"\n', {"tag": "1.28.0"}, "written with escapes"),
        ("pod.yaml", POD + '    image: "nginx:\\\n      1.27.0"\n', {"tag": "1.28.0"}, "across lines"),
        ("values.yaml", "image:\n  repository: nginx\n", {"tag": "1.27.0"}, "appVersion"),
        ("values.yaml", "image:\n  repository: nginx\n  tag: 1.2.3\n", {"digest": D1}, "no digest key"),
        ("values.yaml", "image: {registry: docker.io, namespace: bitnami, name: redis, tag: '7'}\n",
         {"reference": "ghcr.io/x/redis:8"}, "ambiguous"),
        ("kustomization.yaml", "images:\n- name: nginx\n  newTag: v1\n", {"reference": "ghcr.io/x/nginx:v2"},
         "add newName"),
    ],
)
def test_unsafe_or_ambiguous_edits_are_refused(file: str, text: str, change: dict[str, str], message: str) -> None:
    (site,) = sites(text, file)
    with pytest.raises(EditError, match=message) as info:
        apply(text.encode(), [Edit(site, **change)], file=file)
    assert file in str(info.value) or site.location in str(info.value)


def test_two_different_edits_for_one_site_are_refused() -> None:
    text = POD + "    image: nginx:1.27.0\n"
    (site,) = sites(text, "pod.yaml")
    with pytest.raises(EditError, match="two different edits"):
        apply(text.encode(), [Edit(site, tag="1"), Edit(site, tag="2")], file="pod.yaml")
    same = apply(text.encode(), [Edit(site, tag="2"), Edit(site, tag="2")], file="pod.yaml")
    assert same.new.decode() == text.replace("1.27.0", "2")


def test_a_file_changed_since_discovery_is_refused() -> None:
    text = POD + "    image: nginx:1.27.0\n"
    (site,) = sites(text, "pod.yaml")
    moved = ("# a new first line\n" + text).encode()
    with pytest.raises(EditError, match="changed since it was read"):
        apply(moved, [Edit(site, tag="1.28.0")], file="pod.yaml")


def test_safety_check_refuses_an_edit_that_would_change_anything_else() -> None:
    text = POD + "    image: nginx:1.27.0\n    imagePullPolicy: nginx:1.27.0\n"
    (site,) = sites(text, "pod.yaml")
    ref = site.field("ref")
    assert ref is not None and ref.content is not None
    # A site whose span wrongly points at another scalar with the same text.
    other = text.rindex("nginx:1.27.0")
    wrong = dataclasses.replace(ref, content=(other, other + len("nginx:1.27.0")))
    forged = dataclasses.replace(site, fields=(dataclasses.replace(site.fields[0], scalar=wrong),))
    with pytest.raises(EditError, match="safety check failed.*nothing written"):
        apply(text.encode(), [Edit(forged, tag="1.28.0")], file="pod.yaml")


def test_non_utf8_is_refused() -> None:
    text = POD + "    image: nginx:1.27.0\n"
    (site,) = sites(text, "pod.yaml")
    with pytest.raises(EditError, match="not UTF-8"):
        apply(text.encode("utf-16"), [Edit(site, tag="1")], file="pod.yaml")


# ------------------------------------------------------------------- writing


def test_plan_and_write_atomically_keep_mode_and_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_bytes((POD + "    image: nginx:1.27.0\n").encode())
    os.chmod(real, 0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real.name)
    site = discover_paths([link]).sites[0]
    (change,) = plan([Edit(site, tag="1.28.0")])
    assert change.modified and change.file == str(link)
    assert write(change) is True
    assert link.is_symlink() and real.read_text().endswith("image: nginx:1.28.0\n")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "real.yaml"]  # no temp file left
    (again,) = plan([Edit(discover_paths([real]).sites[0], tag="1.28.0")])
    assert write(again) is False


def test_plan_names_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.yaml"
    path.write_text(POD + "    image: nginx:1\n")
    site = discover_paths([path]).sites[0]
    path.unlink()
    with pytest.raises(EditError, match="gone.yaml: cannot read"):
        plan([Edit(site, tag="2")])


def test_deep_nesting_is_refused_by_the_parser_and_just_below_it_edits_fine() -> None:
    """libyaml (PyYAML >= 6.0.4) refuses nesting past 1,000 levels: nothing to edit, a finding instead."""
    def nested(levels: int) -> str:
        return "image: nginx:1.27.0\na:\n" + "".join(" " * i + "b:\n" for i in range(1, levels)) + " " * levels + "c: 1\n"

    refused = discover(nested(1100).encode(), file="values.yaml")
    assert refused.sites == [] and "nesting depth" in refused.findings[0].message
    # Just below it the edit is either made exactly or - when Python's stack cannot hold the
    # node-by-node comparison (it depends on how deep the caller already is) - refused whole.
    (site,) = sites(nested(990), "values.yaml")
    try:
        result = apply(nested(990).encode(), [Edit(site, tag="1.28.0")], file="values.yaml")
    except EditError as exc:
        assert "nested too deeply to compare; nothing written" in str(exc)
    else:
        assert result.new == nested(990).replace("1.27.0", "1.28.0").encode()
