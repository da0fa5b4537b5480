"""invalid-rollout-annotation: a wave, hook or hook delete policy kubepush (or Argo CD) cannot read.

``kubepush apply`` refuses such a target before anything is applied
(:mod:`kubepush.cluster.rollout` reads the annotations for both); reporting it here puts the
finding on the annotation's line in a pull request, before the merge.
"""

from __future__ import annotations

from typing import Any

from .base import Emitter

_KEYS = ("kubepush.dev/", "argocd.argoproj.io/")


def check_rollout(doc: dict[str, Any], out: Emitter) -> None:
    meta = doc.get("metadata")
    annotations = meta.get("annotations") if type(meta) is dict else None
    if type(annotations) is not dict or not any(type(k) is str and k.startswith(_KEYS) for k in annotations):
        return
    from kubepush.cluster.rollout import annotation_problems  # lazy: cluster.plan costs a one-file run ~3 ms

    for key, problem in annotation_problems(annotations):
        out.add("invalid-rollout-annotation", ("metadata", "annotations", key), problem,
                "see docs/ordering.md for the waves, hook phases and delete policies kubepush reads")
