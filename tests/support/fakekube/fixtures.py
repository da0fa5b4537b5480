"""pytest fixtures for the fake apiserver (registered from tests/conftest.py).

``fake_kube``      a started FakeKube on plain http (kubeconfig in tmp_path); stopped after the test.
``fake_kube_tls``  the same over https, where the bearer token is always required (kubectl only
                   sends kubeconfig credentials over TLS).
``make_fake_kube`` factory: ``make_fake_kube(latency=0.05, tls=True, token="t", user="...")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .fake import FakeKube


@pytest.fixture
def make_fake_kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., FakeKube]]:
    started: list[FakeKube] = []

    def make(**options: Any) -> FakeKube:
        options.setdefault("kubeconfig_dir", str(tmp_path_factory.mktemp("fakekube")))
        fake = FakeKube(**options).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def fake_kube(make_fake_kube: Callable[..., FakeKube]) -> FakeKube:
    return make_fake_kube()


@pytest.fixture
def fake_kube_tls(make_fake_kube: Callable[..., FakeKube]) -> FakeKube:
    return make_fake_kube(tls=True)
