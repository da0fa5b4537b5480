"""Where images are written: one detector per source kind, reported as the site's kind.

:mod:`.workloads` (``container``), :mod:`.kustomize` (``kustomize``),
:mod:`.helm` (``helm-values``) and :mod:`.markers` (``marker``) each know one
way of writing an image; :mod:`.document` decides which of them a document
gets, and :mod:`.collect` turns what they find into sites and findings.
"""
