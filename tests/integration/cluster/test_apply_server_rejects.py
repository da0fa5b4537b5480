"""What the API server refuses to apply is reported as the server says it, on the object.

A Deployment whose container lists the same port twice is accepted by a plain create or
update (a ``Warning`` header) but cannot be typed by server-side apply: the real server
answers a reasonless 500 ``failed to create typed patch object (...): ... duplicate entries
for key [containerPort=80,protocol="TCP"]`` (tests/support/fakekube/typed.py and warnings.py cite
the sources). Validation catches it offline; with ``--no-validate`` the server's reason
must still reach the report, on the object, without the HTTP noise.
"""

from __future__ import annotations

from tests.support.cluster_helpers import configmap, deployment, run_json, write


def duplicate_ports():
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 80},
                                                                 {"containerPort": 80, "protocol": "TCP"}]
    return dep


def by_name(report):
    return {f["object"]["name"]: f for f in report["findings"] if f["object"].get("name")}


def test_validation_refuses_duplicate_list_keys_before_any_write(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", configmap("cfg"), duplicate_ports())
    code, report, _ = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-wait", str(tmp_path))
    assert code == 1
    assert by_name(report)["web"]["rule"] == "duplicate-list-key"
    assert fake_kube.count(method="PATCH") == 0


def test_the_servers_reason_for_refusing_an_apply_names_the_object_and_the_duplicate(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", configmap("cfg"), duplicate_ports())
    code, report, _ = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-wait",
                               "--no-validate", str(tmp_path))
    assert code == 1
    web = by_name(report)["web"]
    assert web["rule"] == "failed" and web["severity"] == "error"
    message = web["message"]
    assert ('server-side apply cannot type the object: .spec.template.spec.containers[name="app"].ports: duplicate '
            'entries for key [containerPort=80,protocol="TCP"]') in message
    assert "500" not in message and "Internal Server Error" not in message and "/apis/apps" not in message
    assert "remove or merge the duplicate entries" in message
    assert fake_kube.get("Deployment", "default", "web") is None
    assert by_name(report)["cfg"]["rule"] == "created"
