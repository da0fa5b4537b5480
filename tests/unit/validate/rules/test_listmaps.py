"""validate/rules/listmaps.py: duplicate-list-key, two entries of a list-map with the same key."""

from __future__ import annotations

from tests.unit.validate.rules.objects import C0, cronjob, deployment, only, run, service


def test_duplicate_env_name_points_at_second_key():
    doc = deployment(env=[{"name": "PORT", "value": "1"}, {"name": "X"}, {"name": "PORT", "value": "2"}])
    f = only(doc, "duplicate-list-key")
    assert f.path == C0 + ("env", 2, "name")
    assert 'duplicate name "PORT" in spec.template.spec.containers[0].env (also at index 0' in f.message


def test_duplicate_container_port_uses_protocol_default():
    doc = deployment(
        ports=[
            {"containerPort": 80},
            {"containerPort": 80, "protocol": "UDP"},
            {"name": "x", "containerPort": 80, "protocol": "TCP"},
        ]
    )
    f = only(doc, "duplicate-list-key")
    assert f.path == C0 + ("ports", 2)
    assert "duplicate containerPort/protocol 80/TCP" in f.message and "also at index 0" in f.message


def test_duplicate_service_port_and_default_note():
    doc = service(ports=[{"name": "a", "port": 80, "protocol": "TCP"}, {"name": "b", "port": 80}])
    f = only(doc, "duplicate-list-key")
    assert f.path == ("spec", "ports", 1) and "protocol defaults to TCP" in f.message


def test_duplicate_containers_volumes_and_two_key_lists():
    doc = cronjob(
        {
            "restartPolicy": "Never",
            "containers": [{"name": "a", "image": "x"}, {"name": "a", "image": "y"}],
            "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "configMap": {"name": "c"}}],
            "topologySpreadConstraints": [
                {"topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 1},
                {"topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 1},
                {"topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 2},
            ],
        }
    )
    base = ("spec", "jobTemplate", "spec", "template", "spec")
    paths = sorted((f.path for f in run(doc) if f.rule == "duplicate-list-key"), key=str)
    assert paths == sorted(
        [base + ("containers", 1, "name"), base + ("volumes", 1, "name"), base + ("topologySpreadConstraints", 2)],
        key=str,
    )


def test_list_items_are_checked_with_item_paths():
    doc = {"apiVersion": "v1", "kind": "List", "items": [service(), deployment(env=[{"name": "A"}, {"name": "A"}])]}
    f = only(doc, "duplicate-list-key")
    assert f.path == ("items", 1) + C0 + ("env", 1, "name")
    assert f.object.kind == "Deployment"


def test_custom_resources_have_no_list_map_index():
    doc = {
        "apiVersion": "example.com/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}},
    }
    assert run(doc) == []
