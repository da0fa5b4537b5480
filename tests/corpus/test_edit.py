"""Edit every image of the real corpus (test data: external_data.py) at once: real files, real formatting."""

from __future__ import annotations

import difflib
from collections import defaultdict
from pathlib import Path

from kubepush.images.discover import discover, discover_paths
from kubepush.images.edit import Edit, apply
from kubepush.images.sites import ImageSite
from tests.support.external_data import require

CORPUS = require("corpus/real")

NEW_TAG = "9.9.9-kubepush"
NEW_DIGEST = "sha256:" + "e" * 64


def changed_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """Character ranges of ``old`` a diff replaces: lines first, then characters within changed lines.

    A character-level SequenceMatcher over a 100 kB values file would be quadratic.
    """
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    out = []
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in lines.get_opcodes():
        if op == "equal":
            continue
        a, b = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        chars = difflib.SequenceMatcher(None, a, b, autojunk=False)
        out += [(starts[i1] + c1, starts[i1] + c2) for o, c1, c2, _, _ in chars.get_opcodes() if o != "equal"]
    return out


def test_every_corpus_image_can_be_bumped_touching_only_its_tag() -> None:
    by_file: dict[str, list[ImageSite]] = defaultdict(list)
    for site in discover_paths([CORPUS]).sites:
        by_file[site.file].append(site)
    assert sum(len(s) for s in by_file.values()) == 227
    for file, sites in by_file.items():
        data = Path(file).read_bytes()
        edits = [Edit(s, tag=NEW_TAG, digest=NEW_DIGEST if s.digest else None) for s in sites]
        result = apply(data, edits, file=file)  # the re-parse safety check runs inside
        old, new = data.decode("utf-8"), result.new.decode("utf-8")
        allowed = [s.tag_span for s in sites] + [s.digest_span for s in sites if s.digest]
        allowed += [f.scalar.content for s in sites for f in s.fields if f.role == "tag"]
        for i1, i2 in changed_ranges(old, new):
            # +-1: an empty tag (the chart's appVersion) is filled inside its quotes
            assert any(span and span[0] - 1 <= i1 and i2 <= span[1] + 1 for span in allowed), (file, old[i1:i2])
        after = discover(result.new, file=file).sites
        assert [(s.path, s.kind) for s in after] == [(s.path, s.kind) for s in sites]
        assert all(s.tag == NEW_TAG for s in after), file
        assert [s.digest for s in after] == [NEW_DIGEST if s.digest else None for s in sites]
