"""The validate stage: documents in, findings out, in input order.

One source (file, stdin, rendered unit) is the unit of work. Sources are spread
over this process and forked children (:mod:`.spread`, forked after the
definitions are read); each parses and checks its sources and returns only the
findings plus the identities needed for cross-document duplicate detection.
Memory therefore grows with the number of findings, not of documents.

Positions are computed only for documents that have findings: locating needs
the slower position-keeping parse, and the common case has nothing to locate.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubepush import redact
from kubepush.errors import UsageError
from kubepush.manifests import sources as srcs
from kubepush.manifests.documents import Document
from kubepush.manifests.render_errors import RULE as RENDER_ERROR
from kubepush.manifests.sops_format import mentions_sops
from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report.base import Reporter, location
from kubepush.validate import crds, rules
from kubepush.validate.messages import schema_findings
from kubepush.validate.schemas import BuiltinSchemas, CompiledSchema, compile_schema, split_api_version

if TYPE_CHECKING:
    from kubepush.manifests.sops import Sealed
    from kubepush.manifests.sops_decrypt import Decryptor
    from kubepush.validate.remote import SchemaLocations

#: Below this many bytes of input, forking workers costs more than it saves.
PARALLEL_THRESHOLD_BYTES = 2_000_000
#: Files larger than this are cut into parts so that all cores share them.
PART_BYTES = 2_000_000


@dataclass(frozen=True)
class Options:
    """What to check and how; built from flags and kubepush.yaml by the command."""

    kubernetes_version: str
    strict: bool = True
    ignore_missing_schemas: bool = False
    disabled_rules: frozenset[str] = frozenset()
    crd_paths: tuple[str, ...] = ()
    schema_locations: tuple[str, ...] = ()
    render: bool = True
    workers: int = 0  # 0: one per CPU

    @property
    def version_tuple(self) -> tuple[int, int]:
        major, minor = self.kubernetes_version.split(".")[:2]
        return int(major), int(minor)

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled_rules


@dataclass(slots=True)
class SourceResult:
    """What a worker sends back for one source."""

    findings: list[Finding] = field(default_factory=list)
    resources: list[tuple[str, int, ObjectRef]] = field(default_factory=list)  # file, document index, object
    documents: int = 0  # YAML documents read (a part of a file numbers its documents from 0)

    def renumber(self, base: int) -> None:
        """Make a file part's document indexes file-wide."""
        for finding in self.findings:
            finding.document += base
        self.resources = [(file, index + base, ref) for file, index, ref in self.resources]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (from a worker) with each object as its four strings: a third of the time
        pickling and unpickling the frozen ObjectRefs themselves takes, one per document."""
        refs = [(file, index, ref.api_version, ref.kind, ref.namespace, ref.name)
                for file, index, ref in self.resources]
        return (_unpickled, (self.findings, refs, self.documents))


def _unpickled(findings: list[Finding], refs: list[tuple[str, int, str, str, str, str]], documents: int
               ) -> SourceResult:
    return SourceResult(findings, [(file, index, ObjectRef(*ref)) for file, index, *ref in refs], documents)


class Checker:
    """Checks documents against one Kubernetes version's schemas, CRDs and rules."""

    def __init__(self, options: Options, crd_objects: Iterable[dict[str, Any]] = ()) -> None:
        self.options = options
        self.builtins = BuiltinSchemas(options.kubernetes_version, options.strict)
        self._crd_openapi: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._crd_compiled: dict[tuple[str, str, str], CompiledSchema] = {}
        self._rules = frozenset(rules.RULES) - options.disabled_rules
        self._version = options.version_tuple
        self.locations: SchemaLocations | None = None
        if options.schema_locations:
            from kubepush.validate.remote import SchemaLocations  # lazy: its hashlib alone costs ~4 ms

            self.locations = SchemaLocations(options.schema_locations, options.kubernetes_version, options.strict)
        for crd in crd_objects:
            self.add_crd(crd)

    def add_crd(self, crd: dict[str, Any]) -> None:
        """Make a CRD's custom resources validatable (later definitions win)."""
        for key, schema in crds.crd_schemas(crd).items():
            self._crd_openapi[key] = schema
            self._crd_compiled.pop(key, None)

    def _schema(self, group: str, version: str, kind: str) -> CompiledSchema | None:
        key = (group, version, kind)
        if key in self._crd_openapi:
            if key not in self._crd_compiled:
                meta = self.builtins.standalone("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
                try:
                    self._crd_compiled[key] = compile_schema(
                        crds.to_json_schema(self._crd_openapi[key], strict=self.options.strict, object_meta=meta)
                    )
                except ValueError as exc:  # a CRD is input too: a bad regex or type there is its author's finding
                    reason = str(exc).split("\n", 1)[0]
                    gv = "/".join(filter(None, (group, version)))
                    raise crds.InvalidSchema(
                        f"the CustomResourceDefinition's schema for {kind} {gv} is invalid: {reason}") from None
            return self._crd_compiled[key]
        schema = self.builtins.validator(group, version, kind)
        if schema is None and self.locations is not None:
            schema = self.locations.find(group, version, kind)
        return schema

    def check(self, doc: Document) -> list[Finding]:
        """Every finding for one document, positioned in its file."""
        sealed = doc.sealed
        found = self._check_sealed(doc.obj, sealed) if sealed and not sealed.decrypted else self._check_object(doc.obj)
        if not found:
            return found
        if sealed and sealed.secrets:  # a decrypted value is a secret wherever a message would quote it
            for f in found:
                f.message, f.hint = redact.redact(f.message, sealed.secrets), redact.redact(f.hint, sealed.secrets)
        kept = [f for f in _dedupe(found) if f.rule not in self.options.disabled_rules]
        return sorted((doc.place(f) for f in kept), key=lambda f: (f.line, f.column))

    def _check_sealed(self, obj: dict[str, Any], sealed: Sealed) -> list[Finding]:
        """A SOPS document without its key: the structure, each encrypted leaf accepted as the type
        it was encrypted from, its ``sops`` block not a field of the resource."""
        from kubepush.manifests import sops, sops_format  # lazy: only SOPS documents get here

        encrypted = set(sealed.paths)
        if {("apiVersion",), ("kind",)} & encrypted:
            return [Finding(rule=sops.NOT_DECRYPTED, severity=Severity.WARNING, path=(sops_format.KEY,),
                            message="apiVersion or kind is encrypted: without the key nothing can tell what "
                                    "this document is, so it was not validated",
                            hint="encrypt only the values: sops --encrypt --encrypted-regex '^(data|stringData)$'")]
        found = self._check_object(sops_format.placeholders(obj))
        for f in found:  # a type error stands (sops records the type); the placeholder's value is no value
            if f.rule == "schema-type" and f.path in encrypted:
                f.message = re.sub(r"got (\w+).*", r"got an encrypted \1", f.message)
        return [f for f in found if f.rule == "schema-type" or not any(f.path[:len(p)] == p for p in encrypted)]

    def _check_object(self, obj: Any) -> list[Finding]:
        if not isinstance(obj, dict):
            got = type(obj).__name__ if not isinstance(obj, list) else "a list"
            return [Finding(rule="not-an-object",
                            message=f"a manifest must be a mapping with apiVersion and kind, got {got}")]
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not (isinstance(api_version, str) and api_version and isinstance(kind, str) and kind):
            missing = [f for f, v in (("apiVersion", api_version), ("kind", kind)) if not isinstance(v, str) or not v]
            anchor = ("kind",) if "kind" not in missing else ("apiVersion",) if "apiVersion" not in missing else ()
            return [Finding(
                rule="missing-type",
                message=f"missing {' and '.join(missing)}: cannot tell which resource type this is",
                path=anchor,
                hint="every manifest needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)",
            )]
        group, version = split_api_version(api_version)
        try:
            schema = self._schema(group, version, kind)
        except crds.InvalidSchema as exc:
            return [Finding(rule="schema", message=f"cannot validate {kind}: {exc}", path=("kind",),
                            hint="fix the openAPIV3Schema of its CustomResourceDefinition")]
        found = rules.check_document(obj, kubernetes_version=self._version, enabled=self._rules)
        if schema is None:
            if not any(f.rule == "removed-api" for f in found):  # already says why there is no schema
                found[:0] = self._no_schema(api_version, kind)
        elif not schema.validator.is_valid(obj):
            found[:0] = schema_findings(schema, obj)
        return found

    def _no_schema(self, api_version: str, kind: str) -> list[Finding]:
        diagnosis = rules.diagnose_unknown(api_version, kind)
        if diagnosis is not None:
            return [diagnosis]
        severity = Severity.WARNING if self.options.ignore_missing_schemas else Severity.ERROR
        return [Finding(
            rule="missing-schema",
            severity=severity,
            message=f"no schema for {kind} {api_version} (Kubernetes {self.options.kubernetes_version}): not validated",
            path=("kind",),
            hint="pass its CustomResourceDefinition with --crd, or --ignore-missing-schemas to accept unknown kinds",
        )]


def _dedupe(found: list[Finding]) -> list[Finding]:
    """Two checks may see one problem (a removed API is both unknown and deprecated)."""
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    out = []
    for f in found:
        key = (f.rule, f.path)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


_CHECKER: Checker | None = None
#: validate decrypts where it has a key and checks the structure where it has none (never required)
_DECRYPTOR: Decryptor | None = None


def _init_worker(checker: Checker, decryptor: Decryptor | None = None) -> None:
    global _CHECKER, _DECRYPTOR
    _CHECKER, _DECRYPTOR = checker, decryptor


def check_source(source: srcs.Source) -> SourceResult:
    """Worker entry point: all findings of one source.

    Plain files stream document by document (memory stays flat however large the
    file): their CRDs were registered by :func:`run` before the workers started.
    Rendered output and stdin are held whole, so their CRDs apply to them too.
    """
    assert _CHECKER is not None
    checker = _CHECKER
    result = SourceResult()
    items: Iterable[Document | Finding] = srcs.load(source, _DECRYPTOR)
    if source.kind != "file":
        items = list(items)
        for item in items:
            if isinstance(item, Document) and crds.is_crd(item.obj):
                checker.add_crd(item.obj)
    for item in items:
        if isinstance(item, Finding):
            result.findings.append(item)
            result.documents = max(result.documents, item.document + 1)
            continue
        result.findings.extend(checker.check(item))
        result.resources.append((item.file, item.index, item.ref))
        result.documents = max(result.documents, item.index + 1)
    return result


def collect_crds(paths: Iterable[str], render: bool) -> Iterator[dict[str, Any]]:
    """CRDs from ``--crd`` paths, and from plain input files that mention one.

    A ``--crd`` kustomization or chart that does not render is a usage error: without its CRDs
    every custom resource would be reported instead of the one thing to fix.
    """
    for source in srcs.discover(list(paths), render_dirs=render):
        for item in srcs.load(source):
            if isinstance(item, Document) and crds.is_crd(item.obj):
                yield item.obj
            elif isinstance(item, Finding) and item.rule == RENDER_ERROR:
                raise UsageError(f"--crd {source.path}: {location(item.file, item.line, item.column)}: "
                                 f"{item.message}")


def _scan(sources: list[srcs.Source]) -> tuple[list[str], bool]:
    """One read of each plain file before the checks: the files that mention a CRD (read first:
    their CRDs apply to every file), and whether any source can hold a SOPS document - when none
    can, no decryptor is made (nor its module, with subprocess, imported)."""
    crd_files: list[str] = []
    encrypted = False
    read: set[str] = set()  # the parts of a large file are one file
    for source in sources:
        if source.kind != "file":
            encrypted = True  # standard input and rendered output are seen only when loaded
            continue
        if source.path in read:
            continue
        read.add(source.path)
        try:
            with open(source.path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        if b"CustomResourceDefinition" in data:
            crd_files.append(source.path)
        encrypted = encrypted or mentions_sops(data)
    return crd_files, encrypted


def run(paths: list[str], options: Options, reporter: Reporter | None = None) -> Result:
    """Validate ``paths``, streaming findings and finished resources to ``reporter``.

    The reporter is not closed here: the caller owns it (and may add to the result).
    """
    sources = list(srcs.discover(paths, render_dirs=options.render))
    if _worker_count(options.workers) > 1:
        sources = [part for source in sources for part in srcs.split_large(source, PART_BYTES)]
    crd_objects = list(collect_crds(options.crd_paths, options.render)) if options.crd_paths else []
    crd_sources, encrypted = _scan(sources)
    crd_objects += list(collect_crds(crd_sources, False))
    checker = Checker(options, crd_objects)
    checker.builtins.defs  # noqa: B018 - read and indexed before forking, so workers share it
    decryptor = None
    if encrypted:
        from kubepush.manifests import sops_decrypt

        decryptor = sops_decrypt.Decryptor()
        if sops_decrypt.keys_at_hand():  # else no file can be decrypted: reading each one first would be waste
            decryptor.prefetch(s.path for s in sources if s.kind == "file")  # concurrently, before forking
    result = Result(command="validate")
    files: set[str] = set()  # where resources come from: a kustomization's files, not the kustomization
    trackers: dict[str, rules.DuplicateTracker] = {}
    numbered: dict[str, int] = {}  # file -> documents in its parts seen so far
    for source, outcome in zip(sources, _map(checker, decryptor, sources, options.workers), strict=True):
        if source.is_part:
            outcome.renumber(numbered.get(source.path, 0))
            numbered[source.path] = numbered.get(source.path, 0) + outcome.documents
        result.documents += len(outcome.resources)
        files.update(file for file, _, _ in outcome.resources)
        files.update(f.file for f in outcome.findings if f.file)
        found = outcome.findings
        if options.enabled("duplicate-resource"):
            tracker = trackers.setdefault(source.scope, rules.DuplicateTracker())
            found = found + list(_duplicates(tracker, outcome))
        result.findings.extend(found)
        if reporter is not None:
            for finding in found:
                reporter.write(finding)
            failed = {(f.file, f.document) for f in found if f.severity is Severity.ERROR}
            for file, index, ref in outcome.resources:
                reporter.document_done(file, index, ref, (file, index) not in failed)
    result.files = len(files)
    return result


def _duplicates(tracker: rules.DuplicateTracker, outcome: SourceResult) -> Iterator[Finding]:
    """Cross-document duplicates within one scope, positioned only once found (a second, rare parse)."""
    for file, index, ref in outcome.resources:
        finding = tracker.add((file, index), ref, f"{file} (document {index + 1})")
        if finding is not None:
            finding.file, finding.document = file, index
            finding.line, finding.column = locate_in_file(file, index, ("metadata", "name"))
            yield finding


def locate_in_file(file: str, index: int, path: tuple[str | int, ...]) -> tuple[int, int]:
    """Position of ``path`` in document ``index`` of a plain file (0, 0 when not a file)."""
    try:
        text = srcs.read_text(file)
    except Exception:  # noqa: BLE001 - rendered or vanished input: position unknown
        return (0, 0)
    from kubepush.manifests.documents import parse_text

    for item in parse_text(text, file):
        if isinstance(item, Document) and item.index == index:
            return item.locate(path)
    return (0, 0)


def _map(checker: Checker, decryptor: Decryptor | None, sources: list[srcs.Source], workers: int
         ) -> Iterator[SourceResult]:
    """Results in source order; in-process for small inputs, forked workers otherwise."""
    count = _worker_count(workers)
    _init_worker(checker, decryptor)
    if count <= 1 or len(sources) < 2 or _input_bytes(sources) < PARALLEL_THRESHOLD_BYTES:
        yield from map(check_source, sources)
        return
    from kubepush.validate.spread import forked_map

    yield from forked_map(check_source, sources, count)


def _worker_count(workers: int) -> int:
    return workers or os.cpu_count() or 1


def _input_bytes(sources: list[srcs.Source]) -> int:
    total = 0
    for s in sources:
        if s.kind != "file":
            return PARALLEL_THRESHOLD_BYTES  # rendering is slow: worth parallelising
        try:
            total += os.path.getsize(s.path)
        except OSError:
            pass
        if total >= PARALLEL_THRESHOLD_BYTES:
            break
    return total
