"""Image reference parsing, cross-checked against distribution's grammar."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubepush.images.reference import (
    ImageRef,
    InvalidReference,
    parse_reference,
)
from tests.support.external_data import require

H64 = "0123456789abcdef" * 4
H96 = "0123456789abcdef" * 6
H128 = "0123456789abcdef" * 8

# value -> (registry, repository, tag, digest, familiar)
VALID = {
    "nginx": ("docker.io", "library/nginx", None, None, "nginx"),
    "nginx:1.25.3": ("docker.io", "library/nginx", "1.25.3", None, "nginx:1.25.3"),
    "user/app": ("docker.io", "user/app", None, None, "user/app"),
    "docker.io/nginx": ("docker.io", "library/nginx", None, None, "nginx"),
    "index.docker.io/nginx:1": ("docker.io", "library/nginx", "1", None, "nginx:1"),
    "index.docker.io/user/app": ("docker.io", "user/app", None, None, "user/app"),
    "docker.io/library/foo/bar": ("docker.io", "library/foo/bar", None, None, "library/foo/bar"),
    "docker.io/a.b/c": ("docker.io", "a.b/c", None, None, "docker.io/a.b/c"),
    "registry-1.docker.io/library/x": (
        "registry-1.docker.io", "library/x", None, None, "registry-1.docker.io/library/x"),
    "localhost:5000/a/b:1": ("localhost:5000", "a/b", "1", None, "localhost:5000/a/b:1"),
    "localhost/foo": ("localhost", "foo", None, None, "localhost/foo"),
    "localhost:5000": ("docker.io", "library/localhost", "5000", None, "localhost:5000"),
    "127.0.0.1:5000/deep/nested/path/img:v2": (
        "127.0.0.1:5000", "deep/nested/path/img", "v2", None, "127.0.0.1:5000/deep/nested/path/img:v2"),
    "192.168.0.1": ("docker.io", "library/192.168.0.1", None, None, "192.168.0.1"),
    "[fc00::1]:5000/docker/docker": (
        "[fc00::1]:5000", "docker/docker", None, None, "[fc00::1]:5000/docker/docker"),
    "Foo/bar": ("Foo", "bar", None, None, "Foo/bar"),
    "test_com/foo": ("docker.io", "test_com/foo", None, None, "test_com/foo"),
    "xn--n3h.com:18080/foo": ("xn--n3h.com:18080", "foo", None, None, "xn--n3h.com:18080/foo"),
    "docker---rules/d__ock.er": ("docker.io", "docker---rules/d__ock.er", None, None,
                                 "docker---rules/d__ock.er"),
    "ghcr.io/org/app:MixedCase_Tag-1.0": (
        "ghcr.io", "org/app", "MixedCase_Tag-1.0", None, "ghcr.io/org/app:MixedCase_Tag-1.0"),
    f"busybox:1.36@sha256:{H64}": (
        "docker.io", "library/busybox", "1.36", f"sha256:{H64}", f"busybox:1.36@sha256:{H64}"),
    f"quay.io/org/app@sha256:{H64}": (
        "quay.io", "org/app", None, f"sha256:{H64}", f"quay.io/org/app@sha256:{H64}"),
    f"app@sha384:{H96}": ("docker.io", "library/app", None, f"sha384:{H96}", f"app@sha384:{H96}"),
    f"app@sha512:{H128}": ("docker.io", "library/app", None, f"sha512:{H128}", f"app@sha512:{H128}"),
    f"docker.io/{H64}": ("docker.io", f"library/{H64}", None, None, f"library/{H64}"),
    "app:" + "t" * 128: ("docker.io", "library/app", "t" * 128, None, "app:" + "t" * 128),
    "us-central1-docker.pkg.dev/proj/repo/img:1": (
        "us-central1-docker.pkg.dev", "proj/repo/img", "1", None,
        "us-central1-docker.pkg.dev/proj/repo/img:1"),
}

# value -> words the reason must contain
INVALID = {
    "": "empty",
    "docker/Docker": "must be lowercase",
    "docker.io/docker/Docker": "must be lowercase",
    "localhost:5000/Foo:1": "must be lowercase",
    "-docker": "path component '-docker'",
    "docker-/docker": "path component 'docker-'",
    "dock..er/docker": "registry host 'dock..er'",
    "0.0_0/0": "registry host '0.0_0' is not a valid host[:port]",
    "docker/dock..er": "path component 'dock..er'",
    "____/____": "path component '____'",
    "docker///docker": "empty path component",
    "docker/": "empty path component",
    "-docker.io/docker/docker": "registry host '-docker.io'",
    "fc00::1:5000/debian": "registry host",
    "[fe80::1%eth0]:5000/debian": "registry host",
    H64: "image ID",
    "app:" + "t" * 129: "129 characters, at most 128",
    "app:-bad": "must start with",
    "app:bad/tag": "registry host 'app:bad' is not a valid host[:port]",
    "app:a+b": "invalid characters '+'",
    "app@sha256:abc": "64 hex digits, got 3",
    f"app@sha256:{H64.upper()}": "lowercase hexadecimal",
    f"app@md5:{H64[:32]}": "'md5' is not supported",
    f"app@sha256:{H64}@sha256:{H64}": "more than one '@'",
    "app@": "not followed by a digest",
    "app@sha256": "<algorithm>:<hex>",
    "ng inx": "whitespace",
    "nginx\n": "whitespace",
    "https://github.com/docker/docker": "URL scheme",
    "<image_url>": "path component '<image_url>'",
    "a" * 250 + "/" + "b" * 10: "at most 255",
}


@pytest.mark.parametrize("value", sorted(VALID))
def test_valid_references(value: str) -> None:
    registry, repository, tag, digest, familiar = VALID[value]
    ref = parse_reference(value)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)
    assert ref.familiar == familiar
    assert ref.original == value
    assert parse_reference(ref.canonical) == ref
    assert parse_reference(ref.familiar) == ref


@pytest.mark.parametrize("value", sorted(INVALID))
def test_invalid_references_say_why(value: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_reference(value)
    assert caught.value.value == value
    assert INVALID[value] in caught.value.reason
    assert caught.value.reason in str(caught.value)


def test_non_string_is_an_invalid_reference() -> None:
    with pytest.raises(InvalidReference, match="expected a string, got int"):
        parse_reference(5)  # type: ignore[arg-type]


def test_canonical_and_familiar_forms() -> None:
    ref = parse_reference(f"index.docker.io/nginx:1.25@sha256:{H64}")
    assert ref.name == "docker.io/library/nginx"
    assert ref.canonical == f"docker.io/library/nginx:1.25@sha256:{H64}"
    assert ref.familiar == f"nginx:1.25@sha256:{H64}"
    assert str(ref) == f"index.docker.io/nginx:1.25@sha256:{H64}"
    assert str(ImageRef("ghcr.io", "o/a", "1")) == "ghcr.io/o/a:1"


def test_with_tag_keeps_the_written_name_and_drops_the_digest() -> None:
    ref = parse_reference(f"index.docker.io/nginx:1.25@sha256:{H64}")
    bumped = ref.with_tag("1.26")
    assert (bumped.registry, bumped.repository, bumped.tag, bumped.digest) == (
        "docker.io", "library/nginx", "1.26", None)
    assert bumped.original == "index.docker.io/nginx:1.26"
    assert parse_reference("localhost:5000/a/b").with_tag("v2").original == "localhost:5000/a/b:v2"
    assert ImageRef("docker.io", "library/x").with_tag("1").original == "x:1"


def test_with_digest_keeps_the_tag() -> None:
    pinned = parse_reference("ghcr.io/o/app:1.2").with_digest(f"sha256:{H64}")
    assert pinned.original == f"ghcr.io/o/app:1.2@sha256:{H64}"
    assert pinned.tag == "1.2"


@pytest.mark.parametrize(
    ("method", "value", "reason"),
    [
        ("with_tag", "", "tag is empty"),
        ("with_tag", "x" * 129, "at most 128"),
        ("with_tag", "a b", "invalid characters ' '"),
        ("with_digest", "sha256:123", "64 hex digits"),
        ("with_digest", f"foo:{H64}", "'foo' is not supported"),
        ("with_digest", f"1foo:{H64}", "malformed"),
        ("with_digest", H64, "<algorithm>:<hex>"),
    ],
)
def test_derivation_validates(method: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidReference, match=reason):
        getattr(parse_reference("nginx"), method)(value)


def test_same_repository_compares_normalised_names() -> None:
    a = parse_reference("nginx:1")
    assert a.same_repository(parse_reference(f"docker.io/library/nginx@sha256:{H64}"))
    assert a.same_repository(parse_reference("index.docker.io/library/nginx:2"))
    assert not a.same_repository(parse_reference("ghcr.io/library/nginx:1"))
    assert not a.same_repository(parse_reference("user/nginx:1"))
    assert parse_reference("LocalHost:5000/x").same_repository(parse_reference("localhost:5000/x"))


def test_equality_ignores_how_it_was_written() -> None:
    assert parse_reference("nginx:1") == parse_reference("docker.io/library/nginx:1")
    assert parse_reference("nginx") != parse_reference("nginx:latest")


def _corpus_refs() -> list[tuple[str, str, bool]]:
    """(file, reference string, is a documented placeholder) for every docker dep."""
    data = json.loads((require("corpus/real") / "EXPECTED-renovate-images.json").read_text())
    refs = []
    for path, deps in data["files"].items():
        for dep in deps:
            if dep["manager"] == "kubernetes":
                value = dep["replaceString"]
            else:
                value = dep["depName"]
                if dep["currentValue"]:
                    value += ":" + dep["currentValue"]
                if dep["currentDigest"]:
                    value += "@" + dep["currentDigest"]
            # _meta notes: microservices-demo's container-images-registry
            # component uses CONTAINER_IMAGES_REGISTRY as a newName placeholder.
            placeholder = value.startswith("CONTAINER_IMAGES_REGISTRY/")
            refs.append((path, value, placeholder))
    return refs


def test_every_real_image_in_the_corpus_parses() -> None:
    refs = _corpus_refs()
    assert len(refs) == 250  # _meta.counts.docker_deps
    parsed = 0
    for path, value, placeholder in refs:
        if placeholder:
            with pytest.raises(InvalidReference, match="registry host 'CONTAINER_IMAGES_REGISTRY'"):
                parse_reference(value)
            continue
        ref = parse_reference(value)
        assert parse_reference(ref.canonical) == ref, (path, value)
        parsed += 1
    assert parsed == 238
    digests = [parse_reference(v).digest for _, v, p in refs if not p and "@" in v]
    assert len(digests) == 5 and all(d.startswith("sha256:") for d in digests)


# Property tests: generate references from the grammar and round-trip them.
_alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_separator = st.sampled_from([".", "_", "__", "-", "--"])
_component = st.builds(
    lambda first, rest: first + "".join(s + a for s, a in rest),
    _alnum, st.lists(st.tuples(_separator, _alnum), max_size=2),
)
_path = st.lists(_component, min_size=1, max_size=4).map("/".join)
_host = st.sampled_from(
    ["", "docker.io", "index.docker.io", "localhost", "localhost:5000", "ghcr.io",
     "127.0.0.1:5000", "[::1]:5000", "Reg.Example.com", "registry-1.docker.io"]
)
_tag = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_digest = st.sampled_from(["sha256", "sha384", "sha512"]).flatmap(
    lambda alg: st.text("0123456789abcdef", min_size={"sha256": 64, "sha384": 96, "sha512": 128}[alg],
                        max_size={"sha256": 64, "sha384": 96, "sha512": 128}[alg]).map(
        lambda hexa: f"{alg}:{hexa}")
)


@given(_host, _path, st.none() | _tag, st.none() | _digest)
def test_parse_format_round_trip(host: str, path: str, tag: str | None, digest: str | None) -> None:
    value = (f"{host}/" if host else "") + path
    value += (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")
    first = path.split("/")[0]
    if not host and "/" in path and "." in first:
        if "_" in first:  # a dotted first component is a host, and hosts have no '_'
            with pytest.raises(InvalidReference, match=f"registry host '{first}'"):
                parse_reference(value)
            return
        host, path = first, path.partition("/")[2]
    if len(path) > 200 or (not host and len(path) == 64 and set(path) <= set("0123456789abcdef")):
        return  # length / image-ID rules are covered by the tables above
    ref = parse_reference(value)
    assert (ref.tag, ref.digest) == (tag, digest)
    assert ref.repository.endswith(path)
    for text in (ref.canonical, ref.familiar, ref.original):
        assert parse_reference(text) == ref
    if tag is not None:
        assert parse_reference(ref.with_tag(tag).original) == ref.with_tag(tag)


@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        ref = parse_reference(text)
    except InvalidReference as exc:
        assert exc.reason
    else:
        assert parse_reference(ref.canonical) == ref
