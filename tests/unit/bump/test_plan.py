"""Pure bump planning: which sites move where, by --image or by registry policy."""

from __future__ import annotations

import pytest

from kubepush import gitops
from kubepush.bump import plan, templates
from kubepush.errors import UsageError
from kubepush.images.discover import discover

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  template:
    spec:
      containers:
      - name: shop
        image: ghcr.io/acme/shop:1.4.1
      - name: proxy
        image: nginx:1.25.3 # {"$imagepolicy": "flux-system:nginx"}
      - name: pinned
        image: ghcr.io/acme/shop:1.4.1@sha256:0000000000000000000000000000000000000000000000000000000000000000
"""


def sites():
    return discover(MANIFEST, file="deploy.yaml").sites


def test_requested_image_moves_every_reference_and_drops_stale_pins() -> None:
    result = plan.plan_requested(sites(), plan.parse_requested(["ghcr.io/acme/shop:1.4.2"]))
    assert [(u.site.line, u.old, u.new, u.tag, u.digest) for u in result.updates] == [
        (9, "1.4.1", "1.4.2", "1.4.2", None),
        (13, "1.4.1@sha256:" + "0" * 64, "1.4.2", "1.4.2", ""),
    ]
    assert not result.findings


def test_requested_image_already_current_is_up_to_date() -> None:
    result = plan.plan_requested(sites(), plan.parse_requested(["docker.io/library/nginx:1.25.3"]))
    assert result.updates == [] and len(result.up_to_date) == 1


def test_requested_image_not_present_is_an_error_finding() -> None:
    result = plan.plan_requested(sites(), plan.parse_requested(["ghcr.io/acme/cart:2.0.0"]))
    assert result.updates == [] and result.findings[0].rule == "image-not-found"


@pytest.mark.parametrize("value", ["ghcr.io/acme/shop", "Ghcr.io/UPPER/x:1", "shop::1"])
def test_bad_requested_images_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError, match="--image"):
        plan.parse_requested([value])


def test_policies_by_repository_and_by_marker() -> None:
    rules = plan.parse_policies([
        {"image": "ghcr.io/acme/shop", "kind": "semver", "range": "^1.4"},
        {"name": "flux-system:nginx", "kind": "semver", "range": "~1.25"},
    ])
    repos = plan.repositories(sites(), rules)
    assert sorted(r.name for r in repos) == ["docker.io/library/nginx", "ghcr.io/acme/shop"]
    tags = {"ghcr.io/acme/shop": ["1.4.1", "1.5.0", "2.0.0", "1.5.1-rc.1", "latest"],
            "docker.io/library/nginx": ["1.25.3", "1.25.4", "1.26.0"]}
    result = plan.plan_policies(sites(), rules, tags)
    assert sorted((u.site.line, u.new) for u in result.updates) == [(9, "1.5.0"), (11, "1.25.4"), (13, "1.5.0")]
    assert all("semver" in u.reason for u in result.updates)


def test_policy_with_digest_pinning_and_registry_errors() -> None:
    rules = plan.parse_policies([{"image": "ghcr.io/acme/shop", "kind": "semver", "range": "^1", "pinDigest": True}])
    digest = "sha256:" + "a" * 64
    result = plan.plan_policies(sites(), rules, {"ghcr.io/acme/shop": ["1.9.0"]}, digest_of=lambda ref, tag: digest)
    assert {u.new for u in result.updates} == {f"1.9.0@{digest}"}
    failed = plan.plan_policies(sites(), rules, {"ghcr.io/acme/shop": RuntimeError("401")})
    assert failed.updates == [] and {f.rule for f in failed.findings} == {"registry-error"}
    none = plan.plan_policies(sites(), rules, {"ghcr.io/acme/shop": ["0.1.0"]})
    assert none.findings[0].rule == "no-matching-tag"


def test_bad_policy_entries_name_the_entry() -> None:
    with pytest.raises(UsageError, match=r"bump.policies\[0\]"):
        plan.parse_policies([{"kind": "semver", "range": "^1"}])
    with pytest.raises(UsageError, match="semvr"):
        plan.parse_policies([{"image": "x/y", "kind": "semvr"}])


def test_templates_give_stable_valid_branch_names_and_a_table() -> None:
    updates = plan.plan_requested(sites(), plan.parse_requested(["ghcr.io/acme/shop:1.4.2"])).updates
    values = templates.fields(updates, "all")
    assert gitops.branch_name(templates.DEFAULT_BRANCH, **values) == "kubepush/repo/shop"
    assert gitops.commit_message(templates.DEFAULT_TITLE, **values) == "chore(deps): bump shop to 1.4.2\n"
    body = templates.body(updates, "https://ci.example/run/1")
    assert body.count("| `deploy.yaml:") == 2 and "https://ci.example/run/1" in body
    with pytest.raises(UsageError, match="unknown field"):
        gitops.commit_message("{nope}", **values)


def test_pinned_site_moves_to_a_new_tag_whose_digest_is_the_same_image() -> None:
    """A retagged image (1.4.2 is the very image 1.4.1 was): the pin stays, the tag moves, and the
    edit carries the digest - without it the editor refuses to keep an old pin on a new tag."""
    from kubepush.images import edit

    rules = plan.parse_policies([{"image": "ghcr.io/acme/shop", "kind": "semver", "range": "^1", "pinDigest": True}])
    same = "sha256:" + "0" * 64
    result = plan.plan_policies(sites(), rules, {"ghcr.io/acme/shop": ["1.4.2"]}, digest_of=lambda ref, tag: same)
    pinned = next(u for u in result.updates if u.site.line == 13)
    assert (pinned.old, pinned.new, pinned.tag, pinned.digest) == (f"1.4.1@{same}", f"1.4.2@{same}", "1.4.2", same)
    edited = edit.apply(MANIFEST.encode(), [u.edit() for u in result.updates if u.site.line == 13]).new.decode()
    assert f"image: ghcr.io/acme/shop:1.4.2@{same}\n" in edited
