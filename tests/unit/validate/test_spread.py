"""forked_map: map's results in map's order, over forked children, exceptions where they happened."""

from __future__ import annotations

import os
import signal

import pytest

from kubepush.errors import UsageError
from kubepush.validate.spread import WorkerDied, forked_map


def _square_with_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


@pytest.mark.parametrize("processes", [1, 2, 3, 8])
def test_results_come_in_input_order_from_this_process_and_its_children(processes: int) -> None:
    results = list(forked_map(_square_with_pid, list(range(50)), processes))
    assert [square for square, _ in results] == [n * n for n in range(50)]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == min(processes, 50)


def test_a_large_result_streams_through_the_pipe() -> None:
    """More than a pipe holds: a child blocks until the parent reads, and nothing is lost."""
    big = list(forked_map(lambda n: bytes([n % 256]) * 300_000, list(range(12)), 2))
    assert [len(b) for b in big] == [300_000] * 12 and [b[0] for b in big] == list(range(12))


def _fail_at_five(n: int) -> int:
    if n == 5:
        raise UsageError(f"{n}: cannot read")
    return n


def test_an_exception_in_a_child_is_raised_at_its_item() -> None:
    seen = []
    with pytest.raises(UsageError, match="5: cannot read"):
        for n in forked_map(_fail_at_five, list(range(10)), 2):
            seen.append(n)
    assert seen == [0, 1, 2, 3, 4]


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}/{b}")

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("cannot pickle")


def _unpicklable_failure(n: int) -> int:
    if n == 1:
        raise _Unpicklable(1, 2)
    return n


def test_an_exception_that_does_not_pickle_is_still_told() -> None:
    with pytest.raises(RuntimeError, match="_Unpicklable: 1/2"):
        list(forked_map(_unpicklable_failure, [0, 1, 2], 2))


def _die_at_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(WorkerDied):
        list(forked_map(_die_at_three, list(range(6)), 2))


def _children() -> set[int]:
    """This process's children, zombies included (what ``/proc`` says; the suite runs on Linux)."""
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rpartition(")")[2].split()
            except OSError:
                continue  # gone meanwhile
            if fields[1] == me:
                found.add(int(entry))
    return found


def test_children_are_reaped_when_the_caller_stops_early() -> None:
    """Only the children forked_map started count: the suite's own servers may be children too."""
    before = _children()
    results = forked_map(_square_with_pid, list(range(1000)), 3)
    next(results)
    assert len(_children() - before) == 2  # running
    results.close()  # the caller stopped reading: the children are stopped and waited for
    assert _children() - before == set()
