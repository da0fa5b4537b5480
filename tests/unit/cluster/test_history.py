"""The apply history on the inventory parent: its stored form, order, bounds and what it survives."""

from __future__ import annotations

import json

from kubepush.cluster import history
from kubepush.cluster.history import FIELD_LIMIT, HISTORY, LIMIT, Entry


def entry(n: int, **fields: str) -> Entry:
    values = {"revision": f"r{n}", "started": f"2026-12-02T01:{n:02d}:00.000Z",
              "finished": f"2026-12-02T01:{n:02d}:30.000Z", "result": history.HEALTHY, **fields}
    return Entry(**values)


def parent_with(text: str) -> dict:
    return {"metadata": {"annotations": {HISTORY: text}}}


def test_entries_round_trip_in_camel_case_leaving_out_empty_fields() -> None:
    stored = entry(1, run="https://ci.example/1", rollback_of="r0").to_dict()
    assert stored == {"revision": "r1", "started": "2026-12-02T01:01:00.000Z",
                      "finished": "2026-12-02T01:01:30.000Z", "result": "healthy", "run": "https://ci.example/1",
                      "rollbackOf": "r0"}
    assert history.read(parent_with(json.dumps([stored]))) == [entry(1, run="https://ci.example/1", rollback_of="r0")]


def test_a_rollback_recorded_before_the_apply_it_undid_still_lists_after_it() -> None:
    failed = entry(5, result=history.UNHEALTHY)
    rollback = entry(6, revision="r4", rollback_of="r5")
    assert history.appended(history.appended([entry(4)], rollback), failed) == [entry(4), failed, rollback]


def test_the_history_keeps_the_newest_entries_and_cuts_long_texts() -> None:
    entries: list[Entry] = []
    for n in range(LIMIT + 5):
        entries = history.appended(entries, entry(n, run="https://ci.example/" + "x" * 5000))
    assert [e.revision for e in entries] == [f"r{n}" for n in range(5, LIMIT + 5)]
    assert all(len(e.run) == FIELD_LIMIT for e in entries)


def test_what_cannot_be_read_is_left_out_not_an_error() -> None:
    assert history.read(None) == [] and history.read({"metadata": {}}) == []
    assert history.read(parent_with("{not json")) == []
    assert history.read(parent_with(json.dumps({"revision": "r1"}))) == []  # not a list
    good = entry(1).to_dict()
    mixed = [good, "text", {"revision": "r2"}, {**good, "result": 3}, {**good, "revision": "r9", "extra": "kept out"}]
    assert [e.revision for e in history.read(parent_with(json.dumps(mixed)))] == ["r1", "r9"]


def test_now_sorts_as_text_like_the_times_it_stores() -> None:
    first, second = history.now(), history.now()
    assert first <= second and first.endswith("Z") and len(first) == len("2026-12-02T01:40:00.123Z")
