"""The rendered preview of a change (``kubepush diff --base REF``): what merging it does to each
target's rendered objects, without a cluster.

Both revisions are rendered with the loader validate and apply use (kustomize, Helm, plain YAML),
the base from a ``git worktree``, the head from the working tree; only the targets the change
touches are rendered, several kustomizations in one process. Objects are compared, not files:

    load.py      the targets of one revision, rendered (joint kustomize builds, one by one on failure)
    keys.py      which lists are maps and by which keys (the validate rules' list-map index)
    compare.py   two object sets -> created, configured, pruned, renamed, moved; field changes and
                 a unified YAML diff, Secret values masked (pure)
    risks.py     the changes the API server refuses or that destroy state, as findings (pure)
    base.py      which revision the change is compared with (flag, or the pull request's base)
    run.py       the order of effects: resolve, select, render both sides, compare, report
"""
