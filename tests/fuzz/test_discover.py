"""Property: any text, however broken, gives sites and findings - never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubepush.images.discover import discover
from kubepush.images.edit import Edit, EditError, apply

TOKENS = st.sampled_from([
    "image", "images", "tag", "repository", "registry", "digest", "newTag", "newName", "name", "containers",
    ":", ": ", "\n", "\r\n", "  ", "- ", "-", "[", "]", "{", "}", ",", "'", '"', "#", " # ", "\\", "|", ">",
    '{"$imagepolicy": "a:b"}', '{"$imagepolicy": "a:b:tag"}', '{"$imagepolicy": 1}', "&a ", "*a", "<<", "!!str ",
    "nginx", "1.2", ":1.2", "@sha256:" + "a" * 64, "{{ .Values.x }}", "~", "null", "\ufeff", "\u00e9",
    "apiVersion: v1\nkind: Pod\n", "---\n", "%YAML 1.1\n",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=40), st.sampled_from(["values.yaml", "kustomization.yaml", "pod.yaml"]))
def test_discovery_and_edits_never_raise_on_broken_yaml(parts: list[str], file: str) -> None:
    text = "".join(parts)
    result = discover(text, file=file)
    for site in result.sites:
        assert site.reference is not None or site.kind.value == "marker"
        try:
            apply(text.encode("utf-8"), [Edit(site, tag="2.0.0")], file=file)
        except EditError as exc:
            assert str(exc)  # refused with a message, never a traceback
