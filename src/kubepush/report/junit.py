"""JUnit XML for Jenkins' ``junit`` step, GitLab's ``artifacts:reports:junit`` and
GitHub test reporters.

One ``<testsuite>`` per file (named by its repository path), one ``<testcase>``
per resource named ``Kind/ns/name (doc N)``; a resource with errors carries one
``<failure>`` whose message is its first error and whose text lists every
finding as ``file:line:col: severity: message [rule]``, and warnings of a
passing resource go to its ``<system-out>``. The shape follows the Jenkins
xunit-plugin ``junit-10.xsd`` that Jenkins validates against.

A suite needs its counts in its start tag, so the test cases of the current
file are held until the next file starts (or ``close``); earlier files are
already written. Memory is bounded by the largest file, not the repository.
A file seen again later simply gets a second suite of the same name.

A cluster action's findings carry their target: several targets render one file (a kustomize
base), so their test cases are held until ``close`` - a cluster's objects, not a repository's
files, bound them - and written as one suite per target and file, ``staging: base/web.yaml``
(objects only the cluster has: ``staging: cluster``), each named once.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report.base import Reporter, location, orphan_name, resource_name

# Characters XML 1.0 cannot carry at all, even escaped (control characters,
# lone surrogates, U+FFFE/U+FFFF). Manifests can contain them; a report that
# Jenkins refuses to parse would hide every finding.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with characters XML cannot represent shown as ``\\uXXXX``."""
    return _ILLEGAL_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _line(finding: Finding, file: str) -> str:
    """The same compiler-style line the text format prints, for the failure body."""
    where = location(file, finding.line, finding.column)
    text = f"{where + ': ' if where else ''}{finding.severity.value}: {finding.message} [{finding.rule}]"
    if finding.path:
        text += f"\n  at {finding.json_path}"
    if finding.hint:
        text += f"\n  hint: {finding.hint}"
    return text


class JUnitReporter(Reporter):
    """Writes one suite per file as soon as the next file starts (per target and file at close)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[tuple[str, int], list[Finding]] = {}
        self._suite: ET.Element | None = None
        self._suite_file: str | None = None
        self._started = False
        #: (target, file) -> the suite of a cluster action's objects, written at close
        self._targets: dict[tuple[str, str], ET.Element] = {}

    def write(self, finding: Finding) -> None:
        self._pending.setdefault((finding.file, finding.document), []).append(finding)

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:
        findings = self._pending.pop((file, document), [])
        self._testcase(file, resource_name(obj, document), ok, findings)

    def _suite_for(self, file: str, findings: list[Finding]) -> ET.Element:
        target = next((f.target for f in findings if f.target), "")
        rel = self.relpath(file) or "<input>"
        if target:
            suite = self._targets.get((target, file))
            if suite is None:
                name = f"{target}: {'cluster' if file == f'cluster:{target}' else rel}"
                suite = self._targets[(target, file)] = ET.Element("testsuite", name=xml_text(name),
                                                                  file=xml_text(rel))
            return suite
        if self._suite is None or file != self._suite_file:
            self._flush_suite()
            self._suite = ET.Element("testsuite", name=xml_text(rel), file=xml_text(rel))
            self._suite_file = file
        return self._suite

    def _testcase(self, file: str, name: str, ok: bool, findings: list[Finding]) -> None:
        suite = self._suite_for(file, findings)
        rel = suite.get("file", "")
        case = ET.SubElement(suite, "testcase", name=xml_text(name), classname=suite.get("name", rel), time="0")
        if not ok:
            errors = [f for f in findings if f.severity is Severity.ERROR] or findings
            first = errors[0] if errors else None
            message = first.message.splitlines()[0] if first and first.message else "failed"
            if len(errors) > 1:
                message += f" (and {len(errors) - 1} more)"
            failure = ET.SubElement(
                case, "failure", message=xml_text(message), type=xml_text(first.rule if first else "")
            )
            failure.text = xml_text("\n".join(_line(f, rel) for f in findings))
        elif findings:
            ET.SubElement(case, "system-out").text = xml_text("\n".join(_line(f, rel) for f in findings))

    def _flush_suite(self, suite: ET.Element | None = None) -> None:
        """Write the held suite (or ``suite``) with its counts."""
        if not self._started:
            self.stream.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kubepush">\n')
            self._started = True
        if suite is None:
            suite, self._suite, self._suite_file = self._suite, None, None
        if suite is None:
            return
        cases = list(suite)
        failures = sum(1 for case in cases if case.find("failure") is not None)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        ET.indent(suite, space="  ", level=1)
        self.stream.write("  " + ET.tostring(suite, encoding="unicode") + "\n")
        self.stream.flush()

    def close(self, result: Result) -> None:
        for (file, document), findings in list(self._pending.items()):
            ok = not any(f.severity is Severity.ERROR for f in findings)
            self._testcase(file, orphan_name(findings, self.relpath(file), document), ok, findings)
        self._pending.clear()
        self._flush_suite()
        for key in sorted(self._targets, key=lambda k: (k[0], self.relpath(k[1]))):
            self._flush_suite(self._targets[key])
        self.stream.write("</testsuites>\n")
        self.stream.flush()
