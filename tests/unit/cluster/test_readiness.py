"""readiness.py: which answers mean "not yet", and retrying them until a deadline."""

from __future__ import annotations

import pytest

from kubepush.cluster import readiness
from kubepush.cluster.client import ResourceInfo
from kubepush.cluster.errors import ApiError

WEBHOOK = ('patch /apis/cert-manager.io/v1/namespaces/a/issuers/x: 500 InternalError: Internal error occurred: '
           'failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post '
           '"https://cert-manager-webhook.cert-manager.svc:443/validate?timeout=30s": dial tcp 10.96.0.9:443: '
           'connect: connection refused')
INFO = ResourceInfo("v1", "ConfigMap", "configmaps", True)


def error(status, reason, text, details=None):
    return ApiError(status, reason, text, {"details": details} if details else {})


def test_only_a_failed_webhook_call_is_a_webhook_not_answering():
    assert readiness.webhook_not_answering(error(500, "InternalError", WEBHOOK)) == "webhook.cert-manager.io"
    assert readiness.webhook_not_answering(error(500, "InternalError", "Internal error occurred: etcd")) == ""
    denied = 'admission webhook "validate.kyverno.svc" denied the request: policy x'
    assert readiness.webhook_not_answering(error(400, "BadRequest", denied)) == ""
    assert readiness.webhook_not_answering(error(500, "", WEBHOOK)) == ""


def test_a_not_routed_404_names_no_object():
    text = "patch /apis/example.com/v1/namespaces/a/backups/x: 404 NotFound: the server could not find the " \
           "requested resource"
    assert readiness.not_routed(error(404, "NotFound", text))
    assert not readiness.not_routed(error(404, "NotFound", 'namespaces "a" not found', {"name": "a"}))


class Cluster:
    def __init__(self):
        self.rediscovered = []

    def rediscover(self, api_version):
        self.rediscovered.append(api_version)


def test_retries_until_the_webhook_answers_and_announces_it_once(monkeypatch):
    monkeypatch.setattr(readiness.time, "sleep", lambda s: None)
    said = []
    waiter = readiness.Waiter(Cluster(), 60, said.append)
    answers = [error(500, "InternalError", WEBHOOK)] * 3 + [{"ok": True}]

    def call():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert waiter.write(INFO, "ConfigMap/a/x", call) == {"ok": True}
    assert len(said) == 1 and 'waiting for admission webhook "webhook.cert-manager.io"' in said[0]


def test_gives_up_at_the_deadline_naming_the_webhook_and_never_retries_other_errors(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(readiness.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(readiness.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    waiter = readiness.Waiter(Cluster(), 3, lambda line: None)
    calls = []

    def refused():
        calls.append(1)
        raise error(500, "InternalError", WEBHOOK)

    with pytest.raises(ApiError, match='admission webhook "webhook.cert-manager.io" did not answer within 3s'):
        waiter.write(INFO, "x", refused)
    assert 1 < len(calls) < 10

    def other():
        calls.append(2)
        raise error(500, "InternalError", "Internal error occurred: something else")

    with pytest.raises(ApiError, match="something else"):
        waiter.write(INFO, "x", other)
    assert calls.count(2) == 1


def test_discovery_lag_rediscovers_the_group_version():
    cluster = Cluster()
    waiter = readiness.Waiter(cluster, 60, lambda line: None)
    answers = [error(404, "NotFound", "the server could not find the requested resource"), {"ok": 1}]

    def call():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert waiter.write(ResourceInfo("example.com/v1", "Backup", "backups", True), "x", call) == {"ok": 1}
    assert cluster.rediscovered == ["example.com/v1"]


def test_a_kind_discovery_does_not_list_yet_is_looked_up_again_then_believed(monkeypatch):
    from kubepush.cluster.errors import ClusterError

    clock = [0.0]
    monkeypatch.setattr(readiness.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(readiness.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))

    class Lagging(Cluster):
        def __init__(self, missing):
            super().__init__()
            self.missing, self.refreshed = missing, 0

        def refresh(self):
            self.refreshed += 1

        def resource(self, api_version, kind):
            if self.refreshed < self.missing:
                raise ClusterError(f"the cluster does not serve {kind} in {api_version}")
            return ResourceInfo(api_version, kind, "backups", True)

    assert readiness.Waiter(Lagging(2), 60, print).resource("example.com/v1", "Backup").plural == "backups"
    never = Lagging(1000)
    with pytest.raises(ClusterError, match="does not serve Backup"):
        readiness.Waiter(never, 60, print).resource("example.com/v1", "Backup")
    assert clock[0] <= readiness.DISCOVERY_LAG + 5
