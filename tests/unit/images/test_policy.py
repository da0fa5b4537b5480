"""Update policies: semver ranges, ordered patterns, ignore lists, config errors."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubepush.errors import UsageError
from kubepush.images.policy import Policy, PolicyError

TAGS = [
    "latest", "stable", "1.25", "1", "1.2.0", "1.2.5", "1.3.0", "1.10.0", "v1.11.0",
    "1.12.0-rc.1", "1.12.0-rc.10", "1.12.0-rc.2", "2.0.0-alpha", "2.0.0-alpha.1", "2.0.0-beta",
    "2.0.0", "2.1.0+build.5", "3.0.0-rc.1", "01.2.3", "1.2.3.4", "V9.9.9", " 9.9.9", "1.2.3-01",
]


def semver(rng: str, **extra: object) -> Policy:
    return Policy.from_dict({"kind": "semver", "range": rng, **extra})


@pytest.mark.parametrize(
    ("rng", "expected"),
    [
        ("^1.2", "v1.11.0"),
        ("~1.2.3", "1.2.5"),
        ("~1.2", "1.2.5"),
        (">=1.0 <2", "v1.11.0"),
        ("1.x", "v1.11.0"),
        ("1.2.x || 1.3.x", "1.3.0"),
        ("1.2.3 - 1.3", "1.3.0"),
        ("*", "2.1.0+build.5"),
        (">=2", "2.1.0+build.5"),
        ("=1.2.5", "1.2.5"),
        ("v1.2", "1.2.5"),
        ("^4", None),
        # a pre-release in the range admits pre-releases of that same x.y.z only
        (">=1.12.0-rc.1 <1.13", "1.12.0-rc.10"),
        (">=2.0.0-alpha <2.0.0", "2.0.0-beta"),
        (">=2.0.0-alpha", "2.1.0+build.5"),
        (">=3.0.0-rc.0", "3.0.0-rc.1"),
    ],
)
def test_semver_ranges(rng: str, expected: str | None) -> None:
    assert semver(rng).select(TAGS) == expected


def test_prereleases_only_when_asked() -> None:
    assert semver(">=1.11").select(TAGS) == "2.1.0+build.5"
    assert semver("^1.11").select(TAGS) == "v1.11.0"
    assert semver("^1.11", include_prerelease=True).select(TAGS) == "1.12.0-rc.10"
    assert semver("^3", include_prerelease=True).select(TAGS) is None
    assert semver(">=1.12.0 <1.13", include_prerelease=True).select(TAGS) is None
    assert semver("1.x", include_prerelease=True).rank(TAGS)[0] == "1.12.0-rc.10"
    assert semver(">=3.0.0-rc.0", include_prerelease=True).select(TAGS) == "3.0.0-rc.1"


def test_semver_precedence_of_prereleases() -> None:
    tags = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    policy = semver("*", include_prerelease=True)
    for _ in range(5):
        shuffled = random.sample(tags, len(tags))
        assert policy.rank(shuffled) == list(reversed(tags))


def test_floating_and_malformed_tags_are_never_semver_candidates() -> None:
    ranked = semver("*", include_prerelease=True).rank(TAGS)
    for not_semver in ["latest", "1.25", "1", "01.2.3", "1.2.3.4", "V9.9.9", " 9.9.9", "1.2.3-01"]:
        assert not_semver not in ranked


def test_tie_between_equal_versions_does_not_depend_on_input_order() -> None:
    policy = semver("^1")
    assert policy.select(["1.2.3", "v1.2.3"]) == policy.select(["v1.2.3", "1.2.3"]) == "v1.2.3"
    assert policy.select(["1.2.3+b", "1.2.3+a"]) == policy.select(["1.2.3+a", "1.2.3+b"])


def test_duplicates_and_empty_input() -> None:
    assert semver("^1").select([]) is None
    assert semver("^1").rank(["1.0.0", "1.0.0", "1.0.1"]) == ["1.0.1", "1.0.0"]
    assert semver("^1").select(iter(["1.0.0", "1.1.0"])) == "1.1.0"


TS_TAGS = ["main-1700000000-abc123", "main-999999999-fff000", "main-1700000100-def456",
           "feature-1800000000-aaa111", "main-notanumber-abc", "main-1700000050-ABC"]
TS_PATTERN = r"^main-(?P<ts>\d+)-[a-f0-9]+$"


@pytest.mark.parametrize("extract", ["ts", "$ts", "${ts}"])
def test_numerical_extract_asc_picks_highest(extract: str) -> None:
    policy = Policy.from_dict({"kind": "numerical", "pattern": TS_PATTERN, "extract": extract})
    # numeric, not string order: 999999999 < 1700000000 though "9" > "1"
    assert policy.rank(TS_TAGS) == ["main-1700000100-def456", "main-1700000000-abc123",
                                    "main-999999999-fff000"]


def test_numerical_desc_picks_lowest() -> None:
    policy = Policy.from_dict({"kind": "numerical", "order": "desc", "pattern": TS_PATTERN,
                               "extract": "ts"})
    assert policy.select(TS_TAGS) == "main-999999999-fff000"


def test_numerical_whole_tags_and_decimals() -> None:
    policy = Policy.from_dict({"kind": "numerical"})
    assert policy.select(["9", "10", "2.5", "1e3", "-4", "nan", "inf", "1_000", "x"]) == "1e3"
    assert policy.select(["nan", "inf", "1_000", " 7", ""]) is None


def test_alphabetical_orders() -> None:
    tags = ["RELEASE.2023-01-31", "RELEASE.2024-05-01", "RELEASE.2023-12-24", "latest"]
    asc = Policy.from_dict({"kind": "alphabetical", "pattern": r"^RELEASE\."})
    assert asc.select(tags) == "RELEASE.2024-05-01"
    desc = Policy.from_dict({"kind": "alphabetical", "order": "desc", "pattern": r"^RELEASE\."})
    assert desc.select(tags) == "RELEASE.2023-01-31"


def test_semver_on_extracted_part() -> None:
    policy = Policy.from_dict({"kind": "semver", "range": "^1", "pattern": r"^app-(?P<v>.+)$",
                               "extract": "v"})
    assert policy.select(["app-1.2.0", "app-1.3.0", "1.9.0", "app-2.0.0"]) == "app-1.3.0"


def test_ignore_globs_and_regexes() -> None:
    policy = semver("*", ignore=["2.1.*", r"/^v/"])
    assert policy.select(TAGS) == "2.0.0"
    assert policy.rank(TAGS)[:3] == ["2.0.0", "1.10.0", "1.3.0"]
    assert "v1.11.0" not in policy.rank(TAGS)
    glob_is_whole_tag = Policy.from_dict({"kind": "alphabetical", "ignore": ["b"]})
    assert glob_is_whole_tag.select(["a", "b", "abc"]) == "abc"


def test_flux_imagepolicy_spec_is_accepted() -> None:
    spec = {
        "imageRepositoryRef": {"name": "podinfo"},
        "filterTags": {"pattern": TS_PATTERN, "extract": "$ts"},
        "policy": {"numerical": {"order": "asc"}},
    }
    policy = Policy.from_dict(spec)
    assert (policy.kind, policy.extract, policy.order) == ("numerical", "ts", "asc")
    assert policy.select(TS_TAGS) == "main-1700000100-def456"
    assert Policy.from_dict({"policy": {"semver": {"range": "~1.2"}}}).select(TAGS) == "1.2.5"
    assert Policy.from_dict({"policy": {"alphabetical": None}}).select(["a", "c", "b"]) == "c"


def test_describe() -> None:
    assert semver("^1.2").describe() == "semver '^1.2' (no pre-releases)"
    text = Policy.from_dict({"kind": "numerical", "order": "desc", "pattern": TS_PATTERN,
                             "extract": "ts", "ignore": ["*-dirty"]}).describe()
    assert text == (f"numerical order, lowest wins, comparing group 'ts' of /{TS_PATTERN}/, "
                    "ignoring '*-dirty'")
    assert "pre-releases included" in semver("*", include_prerelease=True).describe()
    assert "tags matching /^v/" in Policy.from_dict({"kind": "alphabetical", "pattern": "^v"}).describe()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a mapping, got list"),
        ({}, "missing 'kind'"),
        ({"kind": "semvar", "range": "1"}, "unknown policy kind 'semvar' (did you mean 'semver'?)"),
        ({"kind": "numeric"}, "did you mean 'numerical'?"),
        ({"kind": "zzz"}, "expected one of semver, numerical, alphabetical"),
        ({"kind": "semver"}, "needs 'range'"),
        ({"kind": "semver", "range": " "}, "needs 'range'"),
        ({"kind": "semver", "range": 1}, "got 1"),
        ({"kind": "semver", "range": "^^1"}, "range '^^1' is not a valid semver range"),
        ({"kind": "semver", "range": "latest"}, "range 'latest' is not a valid semver range"),
        ({"kind": "semver", "range": "^1", "rnage": "^2"}, "unknown key 'rnage' (did you mean 'range'?)"),
        ({"kind": "semver", "range": "^1", "order": "asc"}, "key 'order' does not apply to kind 'semver'"),
        ({"kind": "numerical", "range": "^1"}, "key 'range' does not apply to kind 'numerical'"),
        ({"kind": "semver", "range": "^1", "include_prerelease": "yes"}, "'include_prerelease' must be true or false"),
        ({"kind": "numerical", "order": "up"}, "'order' must be one of asc, desc; got 'up'"),
        ({"kind": "numerical", "pattern": "(?P<x>"}, "'pattern' '(?P<x>' is not a valid regular expression"),
        ({"kind": "numerical", "pattern": 5}, "'pattern' must be a non-empty regular expression"),
        ({"kind": "numerical", "extract": "ts"}, "needs a 'pattern' with that named group"),
        ({"kind": "numerical", "pattern": r"(?P<x>\d)", "extract": "$y"},
         "'extract' names group 'y', but pattern /(?P<x>\\d)/ has named groups: x"),
        ({"kind": "numerical", "pattern": r"(\d)", "extract": "ts"}, "has named groups: none"),
        ({"kind": "numerical", "pattern": r"(?P<x>\d)", "extract": 3}, "'extract' must be a group name"),
        ({"kind": "alphabetical", "ignore": "latest"}, "'ignore' must be a list"),
        ({"kind": "alphabetical", "ignore": ["ok", ""]}, "'ignore' entries must be non-empty strings"),
        ({"kind": "alphabetical", "ignore": ["/(/"]}, "'ignore' entry '/(/' is not a valid regex"),
        ({"policy": {"semver": {}, "numerical": {}}}, "'policy' must hold exactly one of"),
        ({"policy": {"semver": "^1"}}, "policy.semver must be a mapping, got str"),
        ({"policy": {"alphabetical": {}}, "filterTags": "x"}, "'filterTags' must be a mapping"),
        ({"policy": {"semverr": {"range": "1"}}}, "did you mean 'semver'?"),
    ],
)
def test_bad_policies_name_the_key(data: object, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(data, where="kubepush.yaml: images[0].policy")  # type: ignore[arg-type]
    assert isinstance(caught.value, UsageError)
    text = str(caught.value)
    assert text.startswith("kubepush.yaml: images[0].policy: ")
    assert message in text


@given(st.lists(st.from_regex(r"\Av?\d{1,3}\.\d{1,3}\.\d{1,3}(-rc\.\d)?\Z"), max_size=15),
       st.randoms())
def test_selection_never_depends_on_input_order(tags: list[str], rnd: random.Random) -> None:
    policy = semver(">=1.0.0", include_prerelease=True)
    shuffled = list(tags)
    rnd.shuffle(shuffled)
    assert policy.select(tags) == policy.select(shuffled)
    assert policy.rank(tags) == policy.rank(shuffled)
    chosen = policy.select(tags)
    if chosen is not None:
        assert chosen in tags
