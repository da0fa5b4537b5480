"""The rules against the real and mutated corpora (test data outside the repository: external_data.py).

Mutated corpus: every mutation in the categories these rules own must produce a
finding whose path maps (via yaml.compose marks) to the line MUTATIONS.json gives,
and nothing else. Real corpus: no crash, and exactly the expected flags - each
checked by hand to be a real problem (no false positives on valid manifests).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kubepush.manifests.documents import object_ref
from kubepush.model import Finding
from kubepush.validate.rules import RULES, DuplicateTracker, check_document, diagnose_unknown
from kubepush.validate.rules.schema_index import served_apis
from tests.support.external_data import require

MUTATED = require("corpus/mutated")
REAL = require("corpus/real")

#: Mutation number -> the rule that must report it.
EXPECTED_RULE = {
    16: "missing-image",
    19: "missing-name",
    **{n: "removed-api" for n in range(30, 36)},
    36: "unknown-api-version",
    37: "unknown-api-version",
    38: "duplicate-resource",
    39: "duplicate-resource",
    **{n: "duplicate-list-key" for n in range(40, 45)},
    49: "invalid-enum",
    50: "invalid-name",
    51: "invalid-quantity",
    52: "invalid-port",
    53: "selector-mismatch",
}
#: Mutations of other categories that these rules also (rightly) flag: (rule, line).
ALSO_FLAGGED = {
    # matchLabels misspelled as matchlabels leaves the DaemonSet selector empty, which the API
    # server rejects; reported at the selector (line 14), the misspelling (15) is the schema's.
    13: ("selector-mismatch", 14),
}
#: YAML errors and duplicate keys: the loader owner covers them.
LOADER_CATEGORIES = {"tabs in YAML", "unterminated quote", "duplicate key"}


class _Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """safe_load, plus YAML 1.1's ``=`` value tag read as the string "=" (as go-yaml does)."""


_Loader.add_constructor("tag:yaml.org,2002:value", _Loader.construct_yaml_str)


def check_file(path: Path) -> list[tuple[int, Finding]]:
    """All rule findings for one file, emulating the validate pipeline's calls."""
    text = path.read_text(encoding="utf-8")
    tracker = DuplicateTracker()
    out = []
    for index, doc in enumerate(yaml.load_all(text, Loader=_Loader)):
        found = check_document(doc, kubernetes_version=(1, 37), enabled=frozenset(RULES))
        if isinstance(doc, dict):
            api_version, kind = doc.get("apiVersion"), doc.get("kind")
            if isinstance(api_version, str) and isinstance(kind, str) and (api_version, kind) not in served_apis():
                diagnosis = diagnose_unknown(api_version, kind)  # what the schema layer does without a schema
                if diagnosis is not None:
                    found.append(diagnosis)
            duplicate = tracker.add((str(path), index), object_ref(doc), f"{path.name} (document {index + 1})")
            if duplicate is not None:
                found.append(duplicate)
        out += [(index, f) for f in found]
    return out


def line_of(path: Path, index: int, json_path: tuple) -> int:
    """1-based line of a JSON path: a mapping member at its key, a list item at its start."""
    node = list(yaml.compose_all(path.read_text(encoding="utf-8"), Loader=_Loader))[index]
    mark = node.start_mark
    for part in json_path:
        if isinstance(node, yaml.MappingNode):
            key, node = next((k, v) for k, v in node.value if k.value == part)
            mark = key.start_mark
        else:
            node = node.value[part]
            mark = node.start_mark
    return mark.line + 1


def _mutations() -> list[dict]:
    return json.loads((MUTATED / "MUTATIONS.json").read_text())


def _number(entry: dict) -> int:
    return int(entry["file"].split("-", 1)[0])


@pytest.mark.parametrize("entry", [e for e in _mutations() if _number(e) in EXPECTED_RULE], ids=lambda e: e["file"])
def test_mutation_is_found_at_its_line(entry):
    path = MUTATED / entry["file"]
    found = {(f.rule, line_of(path, index, f.path)) for index, f in check_file(path)}
    assert found == {(EXPECTED_RULE[_number(entry)], entry["line"])}, entry["expect"]


@pytest.mark.parametrize(
    "entry",
    [e for e in _mutations() if _number(e) not in EXPECTED_RULE and e["category"] not in LOADER_CATEGORIES],
    ids=lambda e: e["file"],
)
def test_other_mutations_give_only_true_findings(entry):
    """Mutations owned by the schema layer: the rules add nothing, except a real consequence."""
    path = MUTATED / entry["file"]
    found = {(f.rule, line_of(path, index, f.path)) for index, f in check_file(path)}
    expected = {ALSO_FLAGGED[_number(entry)]} if _number(entry) in ALSO_FLAGGED else set()
    assert found == expected


def test_mutation_messages_say_what_the_api_server_says():
    by_number = {}
    for entry in _mutations():
        if _number(entry) in EXPECTED_RULE:
            by_number[_number(entry)] = [f.message for _, f in check_file(MUTATED / entry["file"])]
    assert by_number[31] == ["apps/v1beta2 DaemonSet was removed in Kubernetes 1.16; use apps/v1"]
    assert by_number[36] == ["unknown apiVersion app/v1 for kind Deployment (did you mean apps/v1?)"]
    assert by_number[37] == [
        "unknown kind ApiService in apiregistration.k8s.io/v1 (kinds are case-sensitive: APIService)"
    ]
    assert "default/unset" in by_number[38][0]
    assert 'duplicate name "PORT"' in by_number[40][0]
    assert "9898/TCP" in by_number[41][0] and "9898/TCP" in by_number[43][0]
    assert 'Unsupported value: "always"' in by_number[49][0]
    assert "DNS-1035 label" in by_number[50][0]
    assert '"1GB" is not a valid quantity' in by_number[51][0]
    assert "91000" in by_number[52][0]
    assert "`selector` does not match template `labels`" in by_number[53][0]


#: Every flag the rules raise on the real corpus, checked by hand: (file, document, rule, path).
EXPECTED_REAL = {
    # Removed APIs (old examples, kept in the corpus on purpose; kubeconform: "could not find schema").
    ("kubernetes-sigs__metrics-server/manifests/components/high-availability/pdb.yaml", 0, "removed-api", "apiVersion"),
    (
        "kubernetes__examples/_archived/cloud-controller-manager/persistent-volume-label-initializer-config.yaml",
        0,
        "removed-api",
        "apiVersion",
    ),
    ("kubernetes__examples/_archived/cockroachdb/cockroachdb-statefulset.yaml", 2, "removed-api", "apiVersion"),
    (
        "kubernetes__examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml",
        0,
        "removed-api",
        "apiVersion",
    ),
    ("kubernetes__examples/_archived/podsecuritypolicy/rbac/policies.yaml", 0, "removed-api", "apiVersion"),
    ("kubernetes__examples/_archived/podsecuritypolicy/rbac/policies.yaml", 1, "removed-api", "apiVersion"),
    ("kubernetes__examples/_archived/volumes/flexvolume/deploy/ds.yaml", 0, "removed-api", "apiVersion"),
    *{
        (
            f"kubernetes__examples/_archived/volumes/azure_disk/claim/{d}/storageclass-{n}.yaml",
            0,
            "removed-api",
            "apiVersion",
        )
        for d, n in [
            ("blob-based-disk/account-specified-hdd", "account-hdd"),
            ("blob-based-disk/dedicated-hdd", "dedicated-hdd"),
            ("blob-based-disk/shared-hdd", "shared-hdd"),
            ("blob-based-disk/shared-ssd", "shared-ssd"),
            ("managed-disk/managed-hdd", "managed-hdd"),
            ("managed-disk/managed-ssd", "managed-ssd"),
        ]
    },
    # v1 Endpoints is deprecated since 1.33 (the API server answers with a deprecation warning).
    ("kubernetes__examples/_archived/spark/spark-gluster/glusterfs-endpoints.yaml", 0, "deprecated-api", "apiVersion"),
    ("kubernetes__examples/_archived/volumes/glusterfs/glusterfs-endpoints.yaml", 0, "deprecated-api", "apiVersion"),
    # "protocol: tcp": protocols are case-sensitive, the API server rejects "tcp" (supported: TCP, UDP, SCTP).
    (
        "kubernetes__examples/_archived/volumes/aws_ebs/aws-ebs-web.yaml",
        0,
        "invalid-enum",
        "spec.containers[0].ports[0].protocol",
    ),
    (
        "kubernetes__examples/_archived/volumes/cinder/cinder-web.yaml",
        0,
        "invalid-enum",
        "spec.containers[0].ports[0].protocol",
    ),
    # Patches, not complete objects (a kustomize strategic-merge patch and a kubeadm static-Pod patch):
    # applied as resources the API server would reject them for the missing image, which is what the
    # rules see when such a file is passed as a manifest. Kustomize directories are rendered first.
    (
        "kubernetes-sigs__metrics-server/manifests/components/autoscale/patch.yaml",
        0,
        "missing-image",
        "spec.template.spec.containers[0]",
    ),
    (
        "prometheus-operator__kube-prometheus/tests/e2e/kind/patches/kube-controller-manager.yaml",
        0,
        "missing-image",
        "spec.containers[0]",
    ),
}


def test_real_corpus_flags_exactly_the_known_problems():
    files = sorted(p for p in REAL.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert len(files) > 500
    flagged = set()
    for path in files:
        for index, finding in check_file(path):
            assert finding.rule in RULES
            flagged.add((str(path.relative_to(REAL)), index, finding.rule, finding.json_path))
    assert flagged == EXPECTED_REAL
