"""Desired versus live, without noise - pure functions, no API.

The authoritative comparison is between the live object and what a server-side-apply
dry run of the desired object returns: both went through the same defaulting and
normalisation, so only real differences remain once status and server-managed
metadata are dropped (:mod:`.normalise`). Before spending a dry run,
:func:`.diff.may_differ` decides cheaply from the live object alone whether a difference
is possible at all; :mod:`.diff` then lists the differences and renders them.

Ignored fields (``drift.ignore``) are not filtered out of the comparison but out of what
is applied: :func:`.ignore.respect` gives the object to send - Git's, with each ignored
field as it is live - to apply, heal and the dry run alike, so the preview is what an
apply does.

Every difference is attributed from ``managedFields`` (:mod:`.owners`): who set the
live value, with which operation and when. Secret values never leave this package:
:mod:`.mask` replaces them with markers that only say whether a value changed, and
decides what a message may show. :mod:`.fields` is the path arithmetic they share -
JSON pointers, list items named by key, ``managedFields``' FieldsV1 sets.

Split like Flux's ``ssa/normalize`` and ``ssa/jsondiff`` (diff, mask, selector), so each
concern can be read, and tested, on its own.
"""
