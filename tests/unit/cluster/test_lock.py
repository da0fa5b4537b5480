"""cluster/lock.py: one apply per target at a time, against the fake API server's server-side apply.

The lock is an annotation owned by a per-run field manager, claimed without force, so the API
server's 409 conflict is what makes a second run wait; these tests check each way out of
``acquire`` (taken, refused after ``wait``, taken over once expired) and that ``release`` frees it.
Two whole applies racing for one target are in tests/faults/test_apply.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from kubepush.cluster.client import Cluster
from kubepush.cluster.errors import LockHeld
from kubepush.cluster.inventory import Parent
from kubepush.cluster.lock import LEASE_SECONDS, LOCK_ANNOTATION, ApplyLock
from tests.support.fakekube.fake import FakeKube

PARENT = Parent("app", "default")


@pytest.fixture
def cluster(fake_kube: FakeKube) -> Iterator[Cluster]:
    c = Cluster(fake_kube.kubeconfig_path)
    yield c
    c.close()


def lock(cluster: Cluster, wait: float = 0.0, progress: Callable[[str], None] = lambda message: None) -> ApplyLock:
    return ApplyLock(cluster, cluster.resource("v1", "Secret"), PARENT, wait, progress)


def annotation(fake: FakeKube) -> str | None:
    live = fake.get("Secret", PARENT.namespace, PARENT.name) or {}
    return ((live.get("metadata") or {}).get("annotations") or {}).get(LOCK_ANNOTATION)


def test_acquire_writes_holder_and_a_future_expiry_and_release_removes_it(fake_kube: FakeKube,
                                                                          cluster: Cluster) -> None:
    held = lock(cluster)
    before = time.time()
    held.acquire()
    try:
        holder, _, expiry = (annotation(fake_kube) or "").partition(" ")
        assert holder == held.holder
        assert before + LEASE_SECONDS - 1 <= int(expiry) <= time.time() + LEASE_SECONDS
    finally:
        held.release()
    assert annotation(fake_kube) is None


def test_a_second_run_is_refused_after_wait_naming_the_holder_and_the_parent(fake_kube: FakeKube,
                                                                             cluster: Cluster) -> None:
    first = lock(cluster)
    first.acquire()
    progress: list[str] = []
    try:
        second = lock(cluster, wait=1.5, progress=progress.append)
        started = time.monotonic()
        with pytest.raises(LockHeld) as refused:
            second.acquire()
        assert time.monotonic() - started >= 1.5  # it waited before giving up
        assert first.holder in str(refused.value) and "Secret/default/app" in str(refused.value)
        assert progress == [f"waiting for another kubepush apply on this target to finish (lock {first.holder})"]
        assert annotation(fake_kube).startswith(first.holder)  # type: ignore[union-attr]  # untouched
    finally:
        first.release()


def test_a_released_lock_can_be_taken_by_the_next_run(fake_kube: FakeKube, cluster: Cluster) -> None:
    first = lock(cluster)
    first.acquire()
    first.release()
    second = lock(cluster)
    second.acquire()
    try:
        assert (annotation(fake_kube) or "").startswith(second.holder + " ")
    finally:
        second.release()


def test_an_expired_lock_left_by_a_dead_run_is_taken_over(fake_kube: FakeKube, cluster: Cluster) -> None:
    dead = lock(cluster)
    dead._write({LOCK_ANNOTATION: f"{dead.holder} {int(time.time()) - 1}"}, force=False)  # killed -9, never renewed
    taker = lock(cluster)
    taker.acquire()
    try:
        assert (annotation(fake_kube) or "").startswith(taker.holder + " ")
    finally:
        taker.release()
