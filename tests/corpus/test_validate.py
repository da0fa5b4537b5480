"""kubepush validate against real-world manifests and realistic mistakes.

``corpus/real`` of the test data (external_data.py) carries kubeconform's verdict for every document. kubepush
must agree on each one, or this file says why kubeconform is wrong there.
``corpus/mutated`` holds one mistake per file, with the line a good
validator must point at: kubepush reports each at that line, including the
fourteen kubeconform misses.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report.base import Reporter
from kubepush.validate import engine
from tests.support.external_data import require

REAL = require("corpus/real")
MUTATED = require("corpus/mutated")

#: Documents where kubepush and kubeconform v0.7.0 disagree, and why kubeconform is wrong.
#: (mode, file, document position) -> (rule kubepush reports, reason)
KUBECONFORM_IS_WRONG: dict[tuple[str, str, int], tuple[str, str]] = {
    **{
        ("non_strict", f, 0): ("yaml-syntax", "duplicate key: kubectl refuses it ('key already set in map'); "
                                               "kubeconform's non-strict mode silently keeps the last value")
        for f in (
            "kubernetes__examples/_archived/openshift-origin/etcd-controller.yaml",
            "kubernetes__examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
            "kubernetes__examples/_archived/openshift-origin/openshift-controller.yaml",
            "kubernetes__examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
            "kubernetes__examples/_archived/volumes/scaleio/sc-pvc.yaml",
        )
    },
    **{
        (mode, f, 0): ("invalid-enum", "port protocol 'tcp': the API server accepts only TCP, UDP, SCTP "
                                         "(case-sensitive); the OpenAPI schema has no enum, so kubeconform passes it")
        for mode in ("strict", "non_strict")
        for f in (
            "kubernetes__examples/_archived/volumes/aws_ebs/aws-ebs-web.yaml",
            "kubernetes__examples/_archived/volumes/cinder/cinder-web.yaml",
        )
    },
    **{
        (mode, "prometheus-operator__kube-prometheus/tests/e2e/kind/patches/kube-controller-manager.yaml", 0): (
            "missing-image",
            "a Pod without a container image: the API server rejects it ('image: Required value'); the schema "
            "does not mark image required. (The file is a kind/kubeadm patch, not meant to be applied alone.)",
        )
        for mode in ("strict", "non_strict")
    },
}


class Capture(Reporter):
    """Records what the engine streams, in order."""

    def __init__(self) -> None:
        super().__init__(stream=None)  # type: ignore[arg-type]
        self.findings: list[Finding] = []
        self.done: list[tuple[str, int, ObjectRef, bool]] = []

    def write(self, finding: Finding) -> None:
        self.findings.append(finding)

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:
        self.done.append((file, document, obj, ok))

    def close(self, result: Result) -> None:
        pass


def verdicts(capture: Capture) -> list[tuple[str, list[Finding]]]:
    """One (kind, error findings) per resource in document order; unparsable documents count as one."""
    errors: dict[int, list[Finding]] = {}
    for f in capture.findings:
        if f.severity is Severity.ERROR:
            errors.setdefault(f.document, []).append(f)
    entries: list[tuple[int, int, str, list[Finding]]] = []
    seen_docs = set()
    for seq, (_file, doc, ref, _ok) in enumerate(capture.done):
        seen_docs.add(doc)
        entries.append((doc, seq, ref.kind, errors.get(doc, [])))
    for doc, found in errors.items():
        if doc not in seen_docs:  # a YAML error: no resource was produced
            entries.append((doc, -1, "", found))
    return [(kind, found) for _doc, _seq, kind, found in sorted(entries, key=lambda e: (e[0], e[1]))]


def run_file(path: str, *, strict: bool = True) -> Capture:
    capture = Capture()
    options = engine.Options(kubernetes_version="1.37.0", strict=strict, render=False, workers=1)
    engine.run([path], options, capture)
    return capture


EXPECTED = json.loads((REAL / "EXPECTED-kubeconform.json").read_text())["files"]


@pytest.mark.parametrize("mode", ["strict", "non_strict"])
def test_real_corpus_agrees_with_kubeconform_or_says_why_not(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REAL)
    disagreements: dict[tuple[str, str, int], str] = {}
    compared = 0
    for file, expected in sorted(EXPECTED.items()):
        theirs = [r for r in expected[mode]["resources"] if r["status"] != "empty"]
        ours = verdicts(run_file(file, strict=mode == "strict"))
        assert len(ours) == len(theirs), f"{file}: {len(ours)} resources, kubeconform saw {len(theirs)}"
        for i, (resource, (kind, errors)) in enumerate(zip(theirs, ours)):
            compared += 1
            if resource["kind"] and kind:  # a YAML error has no kind on our side
                assert kind == resource["kind"], f"{file} #{i}"
            they_fail = resource["status"] in ("invalid", "error")
            if they_fail != bool(errors):
                disagreements[(mode, file, i)] = errors[0].rule if errors else "valid"
            if resource["status"] == "error" and "could not find schema" in resource.get("msg", ""):
                assert {e.rule for e in errors} & {"missing-schema", "removed-api", "unknown-api-version"}, file
    expected_disagreements = {k: v[0] for k, v in KUBECONFORM_IS_WRONG.items() if k[0] == mode}
    assert disagreements == expected_disagreements
    assert compared > 600


MUTATIONS = json.loads((MUTATED / "MUTATIONS.json").read_text())


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m["id"] for m in MUTATIONS])
def test_every_mutation_is_reported_at_its_line(mutation: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(MUTATED)
    capture = run_file(mutation["file"])
    errors = [f for f in capture.findings if f.severity is Severity.ERROR]
    if mutation["id"] == "tab-after-colon":  # legal YAML: must stay valid
        assert errors == [] and len(capture.done) == 1
        return
    at_line = [f for f in errors if f.line == mutation["line"]]
    assert at_line, f"nothing at line {mutation['line']}; got {[(f.line, f.rule, f.message) for f in errors]}"
    for f in at_line:
        assert f.file == mutation["file"] and f.column >= 1 and f.message


def test_kubeconform_misses_are_caught() -> None:
    missed = [m for m in MUTATIONS if "MISSED" in m["kubeconform_catches"]]
    assert len(missed) == 14
    os.chdir(MUTATED)
    for m in missed:
        assert any(f.severity is Severity.ERROR for f in run_file(m["file"]).findings), m["file"]
