"""Discovery on the public corpus, compared with what Renovate extracts from it.

``corpus/real/EXPECTED-renovate-images.json`` of the test data (external_data.py) is Renovate's extraction
(kubernetes, helm-values, kustomize, flux, argocd managers). Discovery must find
every image Renovate finds, except Renovate's false positives, and also the real
images Renovate misses. Each difference is listed below with its reason, so the
test fails on any new difference in either direction.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from kubepush.images.discover import discover_paths
from kubepush.images.reference import InvalidReference, parse_reference
from tests.support.external_data import require

CORPUS = require("corpus/real")
EXPECTED = CORPUS / "EXPECTED-renovate-images.json"

MS = "GoogleCloudPlatform__microservices-demo/kustomize/components"
BOUTIQUE = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo"
SERVICES = ["adservice", "cartservice", "checkoutservice", "currencyservice", "emailservice", "frontend",
            "loadgenerator", "paymentservice", "productcatalogservice", "recommendationservice",
            "shippingservice"]

Key = tuple[str, str, str | None, str | None]  # file, fully qualified name, tag, digest

#: What Renovate reports that is not a container image, and why.
RENOVATE_FALSE_POSITIVES: dict[Key, str] = {
    **{
        (f"kubernetes__examples/_archived/volumes/rbd/{name}", "docker.io/library/foo", None, None):
            "spec.volumes[].rbd.image is a Ceph RBD block-device name, not a container image"
        for name in ("rbd.yaml", "rbd-with-secret.yaml")
    },
    **{
        (f"{MS}/container-images-registry/kustomization.yaml", f"<invalid>CONTAINER_IMAGES_REGISTRY/{svc}", None,
         None): "unrendered sed placeholder CONTAINER_IMAGES_REGISTRY (reported as image-placeholder)"
        for svc in SERVICES + ["redis"]
    },
    **{
        (f"{MS}/container-images-tag/kustomization.yaml", f"{BOUTIQUE}/{svc}", "CONTAINER_IMAGES_TAG", None):
            "unrendered sed placeholder CONTAINER_IMAGES_TAG (reported as image-placeholder)"
        for svc in SERVICES
    },
    ("fluxcd__flux2-kustomize-helm-example/infrastructure/controllers/cert-manager.yaml",
     "quay.io/jetstack/charts/cert-manager", None, None):
        "an OCIRepository url: a Helm chart stored in an OCI registry, not a container image",
    ("fluxcd__flux2-kustomize-helm-example/infrastructure/controllers/envoy-gateway.yaml",
     "docker.io/envoyproxy/gateway-helm", None, None):
        "an OCIRepository url: a Helm chart stored in an OCI registry, not a container image",
}

#: Real images Renovate misses, and why it misses them.
RENOVATE_MISSES: dict[Key, str] = {
    ("stefanprodan__podinfo/charts/podinfo/values.yaml", "docker.io/library/redis", "8.8.0", None):
        "redis: {repository, tag} - the parent key does not end in 'image'",
    ("stefanprodan__podinfo/charts/podinfo/values-prod.yaml", "docker.io/library/redis", "8.8.0", None):
        "redis: {repository, tag} - the parent key does not end in 'image'",
    ("fluxcd__flux2-kustomize-helm-example/apps/base/podinfo/release.yaml",
     "public.ecr.aws/docker/library/redis", "8.6.2", None):
        "HelmRelease spec.values.redis {repository, tag}: Renovate reads no HelmRelease values",
    ("GoogleCloudPlatform__microservices-demo/helm-chart/values.yaml", BOUTIQUE, None, None):
        "images: {repository, tag: ''} - the chart's registry prefix, tag defaults to the appVersion",
}


def _renovate() -> Counter[Key]:
    data = json.loads(EXPECTED.read_text())
    found: Counter[Key] = Counter()
    for file, deps in data["files"].items():
        for dep in deps:
            try:
                name = parse_reference(dep["depName"]).name
            except InvalidReference:
                name = "<invalid>" + dep["depName"]
            found[(file, name, dep["currentValue"] or None, dep["currentDigest"])] += 1
    return found


def test_every_renovate_image_is_found_and_every_difference_is_explained() -> None:
    result = discover_paths([CORPUS])
    ours: Counter[Key] = Counter()
    for site in result.sites:
        assert site.reference is not None
        ours[(Path(site.file).relative_to(CORPUS).as_posix(), site.reference.name, site.reference.tag,
              site.reference.digest)] += 1
    renovate = _renovate()
    assert sum(renovate.values()) == 250  # the file's _meta.counts.docker_deps
    only_renovate = renovate - ours
    only_ours = ours - renovate
    assert dict(only_renovate) == dict.fromkeys(RENOVATE_FALSE_POSITIVES, 1)
    assert dict(only_ours) == dict.fromkeys(RENOVATE_MISSES, 1)
    assert sum((renovate & ours).values()) == 250 - len(RENOVATE_FALSE_POSITIVES)


def test_corpus_findings_are_the_placeholders_only() -> None:
    result = discover_paths([CORPUS])
    rules = Counter((f.rule, Path(f.file).relative_to(CORPUS).parts[0]) for f in result.findings)
    assert rules == {
        ("image-placeholder", "GoogleCloudPlatform__microservices-demo"): 23,
        # image: <YOUR-CONTAINER> and image: "<image_url>", which Renovate skips too
        ("image-placeholder", "kubernetes__examples"): 2,
    }


def test_corpus_digests_tags_and_default_tags() -> None:
    sites = discover_paths([CORPUS]).sites
    digests = [s for s in sites if s.digest]
    assert len(digests) == 5  # busybox and otel-collector in microservices-demo, as Renovate saw
    for site in digests:
        text = Path(site.file).read_text()
        assert site.digest_span is not None and text[slice(*site.digest_span)] == site.digest
        assert site.tag_span is not None and text[slice(*site.tag_span)] == site.tag
    defaults = sorted(Path(s.file).relative_to(CORPUS).as_posix() for s in sites if s.default_tag)
    assert defaults == [
        "GoogleCloudPlatform__microservices-demo/helm-chart/values.yaml",
        "kubernetes-sigs__metrics-server/charts/metrics-server/values.yaml",
    ]


def test_prefilter_skips_files_without_image_keys() -> None:
    result = discover_paths([CORPUS])
    assert result.files == 527  # every *.yaml/*.yml (SOURCES.json is not YAML)
    assert result.parsed < result.files / 2  # Services, RBAC, CRD-only files are never composed
