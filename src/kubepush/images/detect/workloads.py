"""``container`` sites: the images a manifest runs.

``image`` of every ``containers``/``initContainers``/``ephemeralContainers``
item anywhere in a manifest (pods, every pod template, custom resources that
embed containers), and any other ``image:`` string key of a manifest (the
Prometheus/Alertmanager ``spec.image``) unless it is known not to be a
container image (a Ceph ``rbd.image`` is a block-device name).
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.images.detect.collect import Collector
from kubepush.images.nodes import get, is_str
from kubepush.images.sites import Path_, SiteKind

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
#: Parents under which an ``image`` key is not a container image.
NOT_CONTAINER_IMAGE_PARENTS = frozenset({"rbd"})
#: API groups whose ``image`` keys are not images to run: Cluster API machine
#: images are VM images; a Flux ImageRepository names a repository to scan and
#: must never get a tag.
NOT_CONTAINER_IMAGE_GROUPS = frozenset({"infrastructure.cluster.x-k8s.io", "image.toolkit.fluxcd.io"})


def detect(doc: Collector, node: Node, path: Path_, group: str) -> None:
    """The container images of the manifest at ``node`` (of API group ``group``)."""
    if group not in NOT_CONTAINER_IMAGE_GROUPS:
        _walk(doc, node, path, set())


def _walk(doc: Collector, node: Node, path: Path_, seen: set[int]) -> None:
    if id(node) in seen:
        return  # an alias of a collection already walked is not a second site
    seen.add(id(node))
    holds_key = doc.ctx.holds_key
    if isinstance(node, MappingNode):
        parent = path[-1] if path else None
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None:
                continue
            if key in CONTAINER_LISTS and isinstance(value, SequenceNode):
                for i, item in enumerate(value.value):
                    image = get(item, "image")
                    if is_str(image):
                        doc.whole(SiteKind.CONTAINER, image, path + (key, i, "image"), definite=True)
            elif key == "image" and parent not in NOT_CONTAINER_IMAGE_PARENTS and is_str(value):
                doc.whole(SiteKind.CONTAINER, value, path + (key,), definite=False)
            if value.__class__ is not ScalarNode and holds_key(value):
                _walk(doc, value, path + (key,), seen)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            if item.__class__ is not ScalarNode and holds_key(item):
                _walk(doc, item, path + (i,), seen)
