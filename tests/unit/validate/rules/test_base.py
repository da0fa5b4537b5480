"""validate/rules/base.py: invalid-enum findings (the message the API server gives, and a did-you-mean
for a case mistake), wherever a rule checks an enum."""

from __future__ import annotations

import pytest

from tests.unit.validate.rules.objects import C0, cronjob, deployment, only, service


def test_enum_case_mistake_gets_did_you_mean():
    f = only(deployment(imagePullPolicy="ifNotPresent"), "invalid-enum")
    assert f.path == C0 + ("imagePullPolicy",)
    assert (
        f.message
        == 'imagePullPolicy: Unsupported value: "ifNotPresent": supported values: "Always", "IfNotPresent", "Never"'
    )
    assert f.hint == 'did you mean "IfNotPresent"? Values are case-sensitive.'


@pytest.mark.parametrize(
    ("doc", "path", "value"),
    [
        (service(type="Nodeport"), ("spec", "type"), "Nodeport"),
        (service(externalTrafficPolicy="Global"), ("spec", "externalTrafficPolicy"), "Global"),
        (service(ports=[{"port": 53, "protocol": "dns"}]), ("spec", "ports", 0, "protocol"), "dns"),
        (deployment(ports=[{"containerPort": 53, "protocol": "udp"}]), C0 + ("ports", 0, "protocol"), "udp"),
        (deployment(terminationMessagePolicy="file"), C0 + ("terminationMessagePolicy",), "file"),
        (
            deployment(readinessProbe={"httpGet": {"port": 80, "scheme": "https"}}),
            C0 + ("readinessProbe", "httpGet", "scheme"),
            "https",
        ),
        (
            cronjob(
                {"restartPolicy": "Never", "dnsPolicy": "clusterFirst", "containers": [{"name": "c", "image": "x"}]}
            ),
            ("spec", "jobTemplate", "spec", "template", "spec", "dnsPolicy"),
            "clusterFirst",
        ),
        (
            cronjob(
                {
                    "restartPolicy": "Never",
                    "tolerations": [{"operator": "exists"}],
                    "containers": [{"name": "c", "image": "x"}],
                }
            ),
            ("spec", "jobTemplate", "spec", "template", "spec", "tolerations", 0, "operator"),
            "exists",
        ),
    ],
)
def test_invalid_enum_values(doc, path, value):
    f = only(doc, "invalid-enum")
    assert f.path == path and f'Unsupported value: "{value}"' in f.message
