"""Coverage-guided fuzzing (atheris/libFuzzer) of kubepush's input parsers.

    python tests/fuzz/harness.py TARGET [libFuzzer flags] [CORPUS_DIR ...]
    python tests/fuzz/harness.py yaml -max_total_time=600 /tmp/new tests/fuzz/corpus/yaml

Targets: ``yaml`` (fast vs exact path, loader, validator), ``reference`` (image
reference parser), ``edit`` (the tag editor's minimal-diff promise). Each calls
the same oracle as the hypothesis tests (tests/fuzz/oracles.py), so any
exception - including a broken property's AssertionError - is a crash that
libFuzzer saves as ``crash-*``; ``-timeout`` and ``-rss_limit_mb`` turn hangs
and unbounded memory into failures too. CI runs every target for a few
seconds (tests/fuzz/test_atheris.py); a crash found there belongs in
tests/fuzz/corpus/<target>/ once fixed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for the tests package

with atheris.instrument_imports(include=["kubepush"]):
    from tests.fuzz import oracles

#: New tags the editor is asked to write; chosen by input length so seeds stay plain files.
NEW_TAGS = ("9.9.9", "1.10", "007", "v2-rc.1", "latest", "x" * 128, "1e3", "yes")


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def fuzz_yaml(data: bytes) -> None:
    text = _text(data)
    if text is not None:
        oracles.yaml_paths_agree(text)
        oracles.validator_never_crashes(oracles.loader_never_crashes(text))


def fuzz_reference(data: bytes) -> None:
    text = _text(data)
    if text is not None:
        oracles.reference_parses_or_says_why(text)


def fuzz_edit(data: bytes) -> None:
    text = _text(data)
    if text is None:
        return
    file = "kustomization.yaml" if "newTag" in text else "values.yaml" if "repository" in text else "pod.yaml"
    oracles.edit_changes_only_the_tag(data, NEW_TAGS[len(data) % len(NEW_TAGS)], file)


TARGETS: dict[str, Callable[[bytes], None]] = {"yaml": fuzz_yaml, "reference": fuzz_reference, "edit": fuzz_edit}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags] [corpus dirs]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
