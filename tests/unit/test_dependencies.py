"""dependencies.py: unknown names, cycles and the waves of targets; config.py's dependsOn checks."""

from __future__ import annotations

from kubepush import config, dependencies


def test_waves_put_each_target_one_after_its_deepest_dependency():
    depends = {"app": ["infra", "crds"], "infra": ["crds"], "crds": [], "tools": []}
    assert dependencies.waves(depends) == [["crds", "tools"], ["infra"], ["app"]]
    assert dependencies.waves({}) == []


def test_within_keeps_only_the_dependencies_selected_in_the_run():
    depends = {"app": ["infra"], "infra": [], "tools": []}
    assert dependencies.within(depends, ["app", "tools"]) == {"app": [], "tools": []}
    assert dependencies.waves(dependencies.within(depends, ["app", "infra"])) == [["infra"], ["app"]]


def test_unknown_names_and_cycles():
    assert dependencies.unknown({"a": ["b", "a"], "b": []}) == [("a", 1, "a")]
    assert dependencies.unknown({"a": ["c"]}) == [("a", 0, "c")]
    assert dependencies.cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": []}) == ["a", "b", "c", "a"]
    assert dependencies.cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) == []


def test_config_checks_depends_on_and_a_config_without_targets_is_fine():
    assert config.check({"apply": {"timeout": 10}}) == []
    problems = config.check({"targets": [{"name": "a", "path": "a", "dependsOn": ["b"]},
                                         {"name": "b", "path": "b", "dependsOn": ["a"]}]})
    assert problems == [(("targets", 0, "dependsOn", 0), "dependsOn forms a cycle: a -> b -> a; remove one of these "
                                                         "dependencies")]
