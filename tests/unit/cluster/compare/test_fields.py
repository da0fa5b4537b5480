"""compare/fields.py: the JSON-tree copy the apply path makes of every object."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from kubepush.cluster.compare.fields import copy_tree

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                    max_leaves=30)


@given(JSON)
def test_copy_tree_equals_deepcopy(value: object) -> None:
    assert copy_tree(value) == copy.deepcopy(value)


def test_copy_tree_shares_no_container_with_the_original() -> None:
    shared = {"k": "v"}
    original = {"metadata": {"labels": shared}, "spec": {"items": [shared, [1, 2]]}}
    copied = copy_tree(original)
    copied["metadata"]["labels"]["k"] = "changed"
    copied["spec"]["items"][1].append(3)
    assert original == {"metadata": {"labels": {"k": "v"}}, "spec": {"items": [{"k": "v"}, [1, 2]]}}
