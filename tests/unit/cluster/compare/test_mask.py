"""cluster/compare/mask.py: Secret values never shown, only whether they changed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubepush.cluster.compare import diff, mask
from tests.unit.cluster.compare.objects import b64


def test_mask_never_shows_secret_values_only_whether_they_changed():
    have = {"apiVersion": "v1", "kind": "Secret", "data": {"same": b64("a"), "moved": b64("b"), "gone": b64("c")}}
    want = {"apiVersion": "v1", "kind": "Secret", "data": {"same": b64("a"), "moved": b64("B")},
            "stringData": {"new": "secret-value"}}
    shown_live, shown_want = mask.mask(have, want)
    assert shown_live["data"] == {"same": "***", "moved": "***", "gone": "***"}
    assert shown_want["data"] == {"same": "***", "moved": "*** (changed)", "new": "*** (added)"}
    text = diff.unified(shown_live, shown_want, "Secret/s")
    for value in ("secret-value", b64("a"), b64("B"), b64("b"), b64("secret-value")):
        assert value not in text
    assert "*** (changed)" in text
    # kubectl's client-side apply annotation holds the values too
    annotated = {**have, "metadata": {"annotations": {mask.LAST_APPLIED: '{"data":{"same":"YQ=="}}'}}}
    shown_live, shown_want = mask.mask(annotated, {**want, "metadata": annotated["metadata"]})
    assert shown_live["metadata"]["annotations"][mask.LAST_APPLIED] == "***"
    assert shown_want["metadata"]["annotations"][mask.LAST_APPLIED] == "***"
    assert annotated["metadata"]["annotations"][mask.LAST_APPLIED] != "***"  # copies were masked
    # not a Secret: untouched
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}
    assert mask.mask(cm, cm) == (cm, cm)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text("kp", min_size=1, max_size=3), st.text(max_size=12).map("s3cr3t-".__add__),
                       min_size=1, max_size=4),
       st.dictionaries(st.text("kp", min_size=1, max_size=3), st.text(max_size=12).map("s3cr3t-".__add__),
                       max_size=4))
def test_no_secret_value_survives_masking(live_values, git_values):
    live = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {k: b64(v) for k, v in live_values.items()}}
    want = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": git_values}
    shown = diff.unified(*mask.mask(live, want), "Secret/s")
    for value in [*live_values.values(), *git_values.values()]:
        assert value not in shown and b64(value) not in shown
