"""cluster/spec.py: a target's cluster settings read from kubepush.yaml."""

from __future__ import annotations

import pytest


def test_config_accepts_the_cluster_settings_and_suggests_misspelt_keys(tmp_path):
    from kubepush import config
    from kubepush.cluster.spec import TargetSpec
    from kubepush.errors import UsageError

    good = tmp_path / "kubepush.yaml"
    good.write_text(
        "targets:\n"
        "  - {name: prod, path: ., context: prod, namespaces: [shop], restricted: true, recreate: true,\n"
        "     kinds: {deny: [Secret]}, prune: {enabled: true, namespaces: true}, inventory: {kind: ConfigMap}}\n"
        "apply: {timeout: 60, concurrency: 4}\n"
        "drift: {ignore: [{kind: Deployment, paths: [/spec/replicas], managers: [hpa]}]}\n")
    cfg = config.load(str(good))
    spec = TargetSpec.from_config(cfg.targets[0].raw, ".", None, None)
    assert (spec.context, spec.prune, spec.prune_namespaces, spec.prune_crds) == ("prod", True, True, False)
    assert (spec.inventory_kind, spec.recreate, spec.guard.cluster_scoped) == ("ConfigMap", True, False)
    assert cfg.section("apply")["timeout"] == 60
    for text, hint in [("apply: {timout: 5}\n", "did you mean 'timeout'?"),
                       ("targets: [{name: a, path: ., namespces: [x]}]\n", "did you mean 'namespaces'?"),
                       ("drift: {ignore: [{pahts: [/a]}]}\n", "did you mean 'paths'?")]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(UsageError) as err:
            config.load(str(bad))
        assert hint.replace("'", '"') in str(err.value) or hint in str(err.value), str(err.value)
