"""Image discovery on small inline cases: one test per source kind and per trap."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kubepush.errors import UsageError
from kubepush.images.detect.collect import is_placeholder
from kubepush.images.detect.helm import parse_value_paths
from kubepush.images.discover import discover, discover_paths, iter_files, list_images
from kubepush.images.sites import ImageSite, SiteKind
from kubepush.model import Severity

DIGEST = "sha256:" + "ab" * 32


def find(text: str, file: str = "manifest.yaml", **kw: object):
    return discover(textwrap.dedent(text), file=file, **kw)  # type: ignore[arg-type]


def images(text: str, file: str = "manifest.yaml", **kw: object) -> list[tuple[str, str, str]]:
    """(kind, json path, image as written) of every site."""
    return [(s.kind.value, _path(s), s.text) for s in find(text, file, **kw).sites]


def _path(site: ImageSite) -> str:
    from kubepush.model import format_path

    return format_path(site.path)


# ---------------------------------------------------------------- containers


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        ("Deployment", "spec.template.spec"),
        ("StatefulSet", "spec.template.spec"),
        ("DaemonSet", "spec.template.spec"),
        ("ReplicaSet", "spec.template.spec"),
        ("ReplicationController", "spec.template.spec"),
        ("Job", "spec.template.spec"),
    ],
)
def test_pod_templates_of_every_workload(kind: str, prefix: str) -> None:
    text = f"""\
    apiVersion: apps/v1
    kind: {kind}
    metadata: {{name: web, namespace: shop}}
    spec:
      template:
        spec:
          initContainers:
          - name: init
            image: busybox:1.36
          containers:
          - name: app
            image: ghcr.io/acme/web:1.2.3
          ephemeralContainers:
          - name: debug
            image: docker.io/library/alpine:3.20
    """
    got = images(text)
    assert got == [
        ("container", f"{prefix}.initContainers[0].image", "busybox:1.36"),
        ("container", f"{prefix}.containers[0].image", "ghcr.io/acme/web:1.2.3"),
        ("container", f"{prefix}.ephemeralContainers[0].image", "docker.io/library/alpine:3.20"),
    ]
    site = find(text).sites[1]
    assert str(site.object) == f"{kind}/shop/web"
    assert site.reference is not None and site.reference.repository == "acme/web"
    assert (site.line, site.column) == (12, 16)


def test_pod_and_cronjob_job_template() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    spec:
      containers: [{name: a, image: "nginx:1.27"}]
    ---
    apiVersion: batch/v1
    kind: CronJob
    spec:
      jobTemplate:
        spec:
          template:
            spec:
              containers:
              - name: c
                image: registry.k8s.io/kubectl:v1.31.0
    """
    sites = find(text).sites
    assert [(s.document, _path(s), s.text) for s in sites] == [
        (0, "spec.containers[0].image", "nginx:1.27"),
        (1, "spec.jobTemplate.spec.template.spec.containers[0].image", "registry.k8s.io/kubectl:v1.31.0"),
    ]


def test_custom_resources_embedding_containers_and_spec_image() -> None:
    text = """\
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    spec:
      workloadRef: {}
      strategy:
        canary:
          analysis:
            containers:
            - name: check
              image: ghcr.io/acme/check:0.1.0
    ---
    apiVersion: monitoring.coreos.com/v1
    kind: Prometheus
    spec:
      image: quay.io/prometheus/prometheus:v3.5.0
    """
    assert images(text) == [
        ("container", "spec.strategy.canary.analysis.containers[0].image", "ghcr.io/acme/check:0.1.0"),
        ("container", "spec.image", "quay.io/prometheus/prometheus:v3.5.0"),
    ]


def test_ceph_rbd_image_and_crd_schemas_are_not_images() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    spec:
      containers: [{name: a, image: nginx}]
      volumes:
      - name: data
        rbd: {monitors: ["10.0.0.1:6789"], pool: kube, image: foo}
    ---
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    spec:
      versions:
      - schema:
          openAPIV3Schema:
            properties:
              image: {type: string, default: "nginx:1"}
    """
    assert images(text) == [("container", "spec.containers[0].image", "nginx")]
    assert find(text).sites[0].tag is None  # untagged: no implicit latest


def test_flux_image_repository_and_capi_machine_images_are_not_sites() -> None:
    text = """\
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    spec:
      image: ghcr.io/stefanprodan/podinfo
    ---
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: OpenStackMachineTemplate
    spec:
      template:
        spec:
          image: ubuntu-2204-kube-v1.30
    """
    assert images(text) == []


def test_list_kind_items_are_manifests() -> None:
    text = """\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec: {containers: [{name: a, image: "nginx:1.27"}]}
    """
    (site,) = find(text).sites
    assert _path(site) == "items[0].spec.containers[0].image"
    assert str(site.object) == "Pod/p"


def test_placeholders_are_info_and_invalid_references_are_findings() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    spec:
      containers:
      - {name: a, image: "{{ .Values.image }}"}
      - {name: b, image: "${IMAGE}"}
      - {name: c, image: <YOUR-CONTAINER>}
      - {name: d, image: "Bad/Upper:1"}
      - {name: e, image: "nginx:1.27"}
      - {name: f, image: ""}
    """
    result = find(text)
    assert [s.text for s in result.sites] == ["nginx:1.27"]
    rules = [(f.rule, f.severity, f.line) for f in result.findings]
    assert rules == [
        ("image-placeholder", Severity.INFO, 5),
        ("image-placeholder", Severity.INFO, 6),
        ("image-placeholder", Severity.INFO, 7),
        ("invalid-image-reference", Severity.ERROR, 8),
        ("invalid-image-reference", Severity.ERROR, 10),
    ]
    bad = result.findings[3]
    assert "lowercase" in bad.message and bad.json_path == "spec.containers[3].image"
    assert bad.file == "manifest.yaml" and bad.object.kind == "Pod"


def test_anchor_and_alias_are_one_site() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    spec:
      initContainers:
      - {name: a, image: &img "nginx:1.27"}
      containers:
      - {name: b, image: *img}
      - &c {name: c, image: "redis:7"}
      - *c
    """
    assert images(text) == [
        ("container", "spec.initContainers[0].image", "nginx:1.27"),
        ("container", "spec.containers[1].image", "redis:7"),
    ]


# ---------------------------------------------------------------- kustomize


def test_kustomization_images() -> None:
    text = f"""\
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    images:
    - name: nginx
      newTag: "1.27"
    - name: gcr.io/old/app
      newName: ghcr.io/new/app
      newTag: v2.0.0
    - name: redis
      digest: {DIGEST}
    - name: only-suffix
      tagSuffix: -alpine
    - {{name: busybox, newName: quay.io/b/busybox}}
    """
    sites = find(text, file="kustomization.yaml").sites
    assert [(s.kind, _path(s), s.text) for s in sites] == [
        (SiteKind.KUSTOMIZE, "images[0]", "nginx:1.27"),
        (SiteKind.KUSTOMIZE, "images[1]", "ghcr.io/new/app:v2.0.0"),
        (SiteKind.KUSTOMIZE, "images[2]", f"redis@{DIGEST}"),
        (SiteKind.KUSTOMIZE, "images[4]", "quay.io/b/busybox"),
    ]
    assert sites[1].field("match").value == "gcr.io/old/app"  # type: ignore[union-attr]
    assert sites[3].entry is not None and sites[3].entry.flow


def test_numeric_kustomize_new_tag_is_a_warning() -> None:
    result = find("images:\n- name: nginx\n  newTag: 1.20\n", file="kustomization.yaml")
    assert [s.tag for s in result.sites] == ["1.20"]
    (warning,) = result.findings
    assert warning.rule == "image-tag-not-string" and "kustomize" in warning.message
    assert warning.hint == 'quote it: newTag: "1.20"'


def test_kustomization_without_apiversion_component_and_flux_kustomization() -> None:
    bare = "images:\n- name: nginx\n  newTag: 1.27.0\n"
    assert images(bare, file="kustomization.yml") == [("kustomize", "images[0]", "nginx:1.27.0")]
    assert images(bare, file="other.yaml") == []  # not a kustomization, not a manifest
    component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" + bare
    assert images(component, file="comp.yaml") == [("kustomize", "images[0]", "nginx:1.27.0")]
    flux = """\
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    spec:
      images:
      - name: podinfo
        newName: ghcr.io/stefanprodan/podinfo
        newTag: 6.7.0
    """
    assert images(flux) == [("kustomize", "spec.images[0]", "ghcr.io/stefanprodan/podinfo:6.7.0")]


def test_sed_placeholders_need_upper_case_words() -> None:
    assert is_placeholder("CONTAINER_IMAGES_REGISTRY/app") and is_placeholder("app:IMAGE_TAG")
    assert not is_placeholder("app:A_") and not is_placeholder("app:RELEASE_1") and not is_placeholder("app:V1")


def test_kustomize_placeholders_are_skipped() -> None:
    text = """\
    images:
    - name: app
      newName: CONTAINER_IMAGES_REGISTRY/app
    - name: us-docker.pkg.dev/p/app
      newTag: CONTAINER_IMAGES_TAG
    """
    result = find(text, file="kustomization.yaml")
    assert result.sites == []
    assert [f.rule for f in result.findings] == ["image-placeholder", "image-placeholder"]


# -------------------------------------------------------------- helm values


def test_helm_values_shapes() -> None:
    text = f"""\
    image:
      repository: ghcr.io/stefanprodan/podinfo
      tag: 6.7.0
    bitnami:
      image:
        registry: docker.io
        repository: bitnami/redis
        tag: 7.4.1-debian-12-r0
        digest: ""
    split:
      image:
        registry: quay.io
        image: prometheus/node-exporter
        digest: {DIGEST}
    redis:
      master:
        image: {{repository: redis, tag: "7.2"}}
    metrics:
      image: {{registry: docker.io, repository: bitnami/redis-exporter, tag: 1.62.0}}
    volumePermissions:
      image: {{registry: docker.io, namespace: bitnami, name: os-shell, tag: "12"}}
    sidecar:
      image: busybox:1.36
    legacy:
      image: jenkins/jenkins
      imageTag: 2.462.3
    cache:
      repository: docker.io/redis
      tag: 8.0.0
    git:
      repository: https://github.com/acme/site
      branch: main
    chart:
      repository: ""
    """
    got = [(s.kind.value, _path(s), s.text, s.default_tag) for s in find(text, file="values.yaml").sites]
    assert got == [
        ("helm-values", "image", "ghcr.io/stefanprodan/podinfo:6.7.0", False),
        ("helm-values", "bitnami.image", "docker.io/bitnami/redis:7.4.1-debian-12-r0", False),
        ("helm-values", "split.image", f"quay.io/prometheus/node-exporter@{DIGEST}", True),
        ("helm-values", "redis.master.image", "redis:7.2", False),
        ("helm-values", "metrics.image", "docker.io/bitnami/redis-exporter:1.62.0", False),
        ("helm-values", "volumePermissions.image", "docker.io/bitnami/os-shell:12", False),
        ("helm-values", "sidecar.image", "busybox:1.36", False),
        ("helm-values", "legacy.image", "jenkins/jenkins:2.462.3", False),
        ("helm-values", "cache", "docker.io/redis:8.0.0", False),
    ]


def test_missing_or_empty_tag_means_app_version() -> None:
    text = """\
    image:
      repository: registry.k8s.io/metrics-server/metrics-server
      tag: ""
    images:
      repository: us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo
      tag:
    other:
      image:
        repository: ghcr.io/acme/other
    """
    sites = find(text, file="values-prod.yaml").sites
    assert [(s.text, s.tag, s.default_tag) for s in sites] == [
        ("registry.k8s.io/metrics-server/metrics-server", None, True),
        ("us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo", None, True),
        ("ghcr.io/acme/other", None, True),
    ]
    assert sites[2].field("tag") is None


def test_numeric_helm_tag_is_reported_as_written_with_a_warning() -> None:
    result = find("image:\n  repository: nginx\n  tag: 1.10\n", file="values.yaml")
    (site,) = result.sites
    assert site.tag == "1.10"  # as written, not the float 1.1
    (warning,) = result.findings
    assert warning.rule == "image-tag-not-string" and warning.severity is Severity.WARNING
    assert 'tag: "1.10"' in warning.hint


def test_values_of_helmrelease_and_argo_application() -> None:
    text = """\
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    spec:
      values:
        redis:
          repository: public.ecr.aws/docker/library/redis
          tag: 8.6.2
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    spec:
      sources:
      - helm:
          valuesObject:
            image: {repository: ghcr.io/acme/api, tag: v3.1.0}
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    spec:
      template:
        spec:
          source:
            helm:
              valuesObject:
                worker: {image: "ghcr.io/acme/worker:v1"}
    """
    assert images(text) == [
        ("helm-values", "spec.values.redis", "public.ecr.aws/docker/library/redis:8.6.2"),
        ("helm-values", "spec.sources[0].helm.valuesObject.image", "ghcr.io/acme/api:v3.1.0"),
        ("helm-values", "spec.template.spec.source.helm.valuesObject.worker.image", "ghcr.io/acme/worker:v1"),
    ]


def test_declared_values_file_and_extra_value_paths() -> None:
    text = """\
    server:
      containerImage:
        repo: ghcr.io/acme/server
        version: 2.4.0
    """
    assert images(text, file="settings.yaml") == []
    assert images(text, file="settings.yaml", values_file=True) == []  # keys named otherwise
    paths = [{"repository": "server.containerImage.repo", "tag": "server.containerImage.version"}]
    got = images(text, file="settings.yaml", values_file=True, extra_value_paths=paths)
    assert got == [("helm-values", "server.containerImage.repo", "ghcr.io/acme/server:2.4.0")]
    tag = find(text, file="settings.yaml", values_file=True, extra_value_paths=paths).sites[0].field("tag")
    assert tag is not None and tag.value == "2.4.0" and tag.path == ("server", "containerImage", "version")


def test_extra_value_paths_are_validated() -> None:
    assert parse_value_paths([{"repository": "a.b[0].c", "tag": "x"}]) == [
        {"repository": ("a", "b", 0, "c"), "tag": ("x",)}
    ]
    with pytest.raises(UsageError, match="unknown key"):
        parse_value_paths([{"repo": "a"}])
    with pytest.raises(UsageError, match="need a \"repository\""):
        parse_value_paths([{"tag": "a"}])
    with pytest.raises(UsageError, match="not like"):
        parse_value_paths([{"repository": "a..b"}])


# ------------------------------------------------------------------ markers


def test_flux_markers_set_the_policy_of_recognised_sites() -> None:
    text = """\
    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
          - name: app
            image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
          - name: plain
            image: nginx:1.27 # just a comment
    ---
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    images:
    - name: podinfo
      newName: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
      newTag: 6.7.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
    """
    sites = find(text).sites
    assert [(s.kind.value, s.text, s.policy) for s in sites] == [
        ("container", "ghcr.io/acme/app:1.0.0", "flux-system:app"),
        ("container", "nginx:1.27", ""),
        ("kustomize", "ghcr.io/stefanprodan/podinfo:6.7.0", "flux-system:podinfo"),
    ]


def test_markers_on_keys_no_rule_knows() -> None:
    text = f"""\
    apiVersion: acme.io/v1
    kind: App
    spec:
      web:
        tagOnly: v1.2.3 # {{"$imagepolicy": "apps:web:tag"}}
      worker:
        img: ghcr.io/acme/worker # {{"$imagepolicy": "apps:worker:name"}}
        ver: "2.0.0" # {{"$imagepolicy": "apps:worker:tag"}}
        sum: {DIGEST} # {{"$imagepolicy": "apps:worker:digest"}}
      whole:
        ref: 'quay.io/acme/whole:3.0' #   {{"$imagepolicy": "apps:whole"}}
    """
    sites = find(text).sites
    got = [(s.kind.value, _path(s), s.text, s.policy, s.reference is not None) for s in sites]
    assert got == [
        ("marker", "spec.web.tagOnly", ":v1.2.3", "apps:web", False),
        ("marker", "spec.worker.img", f"ghcr.io/acme/worker:2.0.0@{DIGEST}", "apps:worker", True),
        ("marker", "spec.whole.ref", "quay.io/acme/whole:3.0", "apps:whole", True),
    ]
    assert sites[0].tag == "v1.2.3"
    tag_only = sites[0]
    assert tag_only.tag_span is not None


def test_invalid_markers_are_reported_and_lookalikes_ignored() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    spec:
      containers:
      - name: a
        image: nginx:1 # {"$imagepolicy": "no-namespace"}
      - name: b
        image: nginx:2 # {"$imagepolicy": "ns:p:version"}
      - name: c
        image: nginx:3 # see {"$imagepolicy": "ns:p"} in the docs
      - name: d
        image: 'nginx:4 # {"$imagepolicy": "ns:p"}'
    """
    result = find(text)
    assert [(s.text, s.policy) for s in result.sites] == [("nginx:1", ""), ("nginx:2", ""), ("nginx:3", "")]
    assert [(f.rule, f.line) for f in result.findings] == [
        ("invalid-image-reference", 12),  # the "marker" is inside the quoted value
        ("invalid-image-marker", 6),
        ("invalid-image-marker", 8),
    ]
    assert "\":tag\", \":name\" or \":digest\"" in result.findings[2].message


# ---------------------------------------------------------------- positions


def test_spans_point_at_the_tag_and_digest_characters() -> None:
    text = (
        "\ufeffapiVersion: v1\r\nkind: Pod\r\nmetadata: {name: caf\u00e9}\r\nspec:\r\n"
        f"  containers:\r\n  - {{name: a, image: \"ghcr.io/acme/app:1.2.3@{DIGEST}\"}}\r\n"
    )
    (site,) = discover(text, file="p.yaml").sites
    assert site.tag_span and site.digest_span and site.scalar_span
    assert text[slice(*site.tag_span)] == "1.2.3"
    assert text[slice(*site.digest_span)] == DIGEST
    assert text[slice(*site.scalar_span)] == f"ghcr.io/acme/app:1.2.3@{DIGEST}"
    assert site.line == 6


def test_block_scalar_value_is_addressable() -> None:
    text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: >-\n      nginx:1.27\n"
    (site,) = discover(text, file="p.yaml").sites
    assert site.tag_span is not None and text[slice(*site.tag_span)] == "1.27"


def test_untagged_reference_has_an_empty_tag_span_at_the_end_of_the_name() -> None:
    text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx\n"
    (site,) = discover(text, file="p.yaml").sites
    assert site.tag_span == (text.index("nginx") + 5,) * 2


# ------------------------------------------------------------ files and dirs


def test_directories_are_walked_and_list_images_is_discover_paths(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: 'nginx:1.27'}]\n"
    (tmp_path / "apps" / "pod.yaml").write_text(pod)
    (tmp_path / ".git" / "pod.yaml").write_text(pod)
    (tmp_path / "apps" / "notes.txt").write_text(pod)
    (tmp_path / "chart" / "values.yaml").write_text("image:\n  repository: redis\n  tag: 7.2.5\n")
    (tmp_path / "chart" / "templates" / "deploy.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: {{ .Values.image.repository }}\n"
    )
    (tmp_path / "apps" / "Kustomization").write_text("images:\n- name: busybox\n  newTag: '1.36'\n")
    files = list(iter_files([tmp_path]))
    assert [Path(f).relative_to(tmp_path).as_posix() for f in files] == [
        "apps/Kustomization", "apps/pod.yaml", "chart/templates/deploy.yaml", "chart/values.yaml",
    ]  # name order, depth first: the walk every command shares (tests/unit/manifests/test_walk.py)
    result = discover_paths([tmp_path])
    assert [s.text for s in result.sites] == ["busybox:1.36", "nginx:1.27", "redis:7.2.5"]
    assert result.findings == []  # the Helm template is not parsed
    assert list_images([tmp_path]) == result.sites
    assert discover_paths([tmp_path], mentions=["redis"]).parsed == 1


def test_bad_files_are_findings_and_bad_paths_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Pod\nspec:\n  image: caf\xe9\n")
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers: [image: x\n")
    result = discover_paths([tmp_path])
    found = {Path(f.file).name: f for f in result.findings}
    assert sorted((name, f.rule) for name, f in found.items()) == [
        ("broken.yaml", "yaml-syntax"), ("latin1.yaml", "yaml-syntax"),
    ]
    assert found["broken.yaml"].severity is Severity.WARNING  # the images before the error are read
    # a file that cannot be decoded hides every image in it: an error where it breaks, as validate says it
    latin1 = found["latin1.yaml"]
    assert (latin1.severity, latin1.line, latin1.column) == (Severity.ERROR, 3, 13)
    assert "invalid UTF-8 (byte 0xe9" in latin1.message
    with pytest.raises(UsageError, match="no such file"):
        discover_paths([tmp_path / "missing"])


def test_to_dict_is_plain_data() -> None:
    (site,) = find("image:\n  repository: redis\n  tag: 7.2.5 # {\"$imagepolicy\": \"a:b:tag\"}\n",
                   file="values.yaml").sites
    data = site.to_dict()
    assert data["image"] == "redis:7.2.5" and data["repository"] == "library/redis"
    assert data["registry"] == "docker.io" and data["policy"] == "a:b" and data["kind"] == "helm-values"
    assert data["fields"]["tag"]["span"] is not None and data["fields"]["tag"]["style"] == "plain"


def test_marker_for_another_part_of_the_image_is_a_warning() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    spec:
      containers:
      - name: a
        image: nginx:1.27 # {"$imagepolicy": "ns:web:tag"}
      - name: b
        image: redis:7 # {"$imagepolicy": "ns:db"}
        env: [{name: X, value: "1"}] # {"$imagepolicy": "ns:db"}
    """
    result = find(text)
    assert [(s.text, s.policy) for s in result.sites] == [("nginx:1.27", "ns:web"), ("redis:7", "ns:db")]
    (warning,) = [f for f in result.findings if f.rule == "image-marker-mismatch"]
    assert warning.line == 6 and "write the image's tag here" in warning.message
    assert warning.hint == "use ns:web for this field"


def test_pathologically_nested_files_are_findings_not_crashes() -> None:
    # libyaml's composer would overflow the C stack on these: they are refused before parsing.
    flow = "apiVersion: v1\nkind: Pod\nspec: " + "[" * 60000 + "image: x" + "]" * 60000 + "\n"
    dashes = "image: x\nspec:\n" + "- " * 60000 + "x\n"
    for text in (flow, dashes):
        result = find(text, file="values.yaml")
        assert result.sites == [] and [f.rule for f in result.findings] == ["yaml-syntax"]
        assert "nested more than 256 levels" in result.findings[0].message
    # Deep block nesting: libyaml (PyYAML >= 6.0.4) refuses it - a finding, not a crash.
    deep = "a:\n" + "".join(" " * i + "image: x:1\n" + " " * i + "b:\n" for i in range(1, 1100)) + " " * 1100 + "c: 1\n"
    result = discover(deep, file="values.yaml")
    assert [f.rule for f in result.findings] == ["yaml-syntax"] and "nesting depth" in result.findings[0].message


def test_parallel_discovery_gives_the_same_result_in_the_same_order(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"app{i:02d}").mkdir()
        (tmp_path / f"app{i:02d}" / "pod.yaml").write_text(
            f"apiVersion: v1\nkind: Pod\nspec:\n  containers: [{{name: a, image: 'ghcr.io/acme/app{i}:1.{i}'}}]\n"
        )
        (tmp_path / f"app{i:02d}" / "values.yaml").write_text(f"image: {{repository: redis, tag: '7.{i}'}}\n")
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: {containers: [{image: 'Bad:1'}]}\n")
    serial = discover_paths([tmp_path], jobs=1)
    parallel = discover_paths([tmp_path], jobs=2)
    assert len(serial.sites) == 60
    assert parallel.sites == serial.sites
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings] != []
    assert (parallel.files, parallel.parsed) == (serial.files, serial.parsed) == (61, 61)
