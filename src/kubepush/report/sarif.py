"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``) and IDEs.

What code scanning needs, and why the output looks the way it does:

* ``artifactLocation.uri`` relative to the repository root with ``uriBaseId``
  ``%SRCROOT%`` - absolute runner paths never match a file in the repository.
  The path is percent-encoded: a ``:`` or space in a file name must not turn it
  into a URI scheme or an invalid URI.
* ``region`` only with a real position: GitHub rejects ``startLine`` 0, so an
  unknown line leaves the region out and the alert attaches to the file.
* ``partialFingerprints`` so an alert keeps its identity when lines move.
* every ``ruleId`` is described in ``tool.driver.rules`` with a help link.
* GitHub rejects the whole upload if one result has no location, so findings
  not tied to any file (a cluster-side problem) are tool execution
  notifications of the run's invocation instead of results.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from kubepush import __version__
from kubepush.model import Finding, Result, Severity
from kubepush.report.base import PROJECT_URL, RULES_URL, SEVERITY_RANK, BufferingReporter, fingerprint

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "kubepush/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rule_title(rule: str) -> str:
    """``deprecated-api`` -> ``Deprecated api``: a readable short description from the id."""
    words = rule.replace("_", "-").replace("/", "-").split("-")
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:] if text else rule


def message_text(finding: Finding) -> str:
    """The message plus the object and hint, which SARIF has no field for."""
    text = finding.message
    obj = finding.object
    if obj.kind or obj.name:
        text += f"\nObject: {obj}" + (f" at {finding.json_path}" if finding.path else "")
    if finding.hint:
        text += f"\nHint: {finding.hint}"
    return text


def notification(finding: Finding, rule_index: int) -> dict[str, Any]:
    """A finding with no file, as a ``toolExecutionNotification`` (needs no location)."""
    return {
        "level": LEVELS[finding.severity],
        "message": {"text": message_text(finding)},
        "associatedRule": {"id": finding.rule, "index": rule_index},
    }


class SARIFReporter(BufferingReporter):
    """Collects findings and writes one SARIF log with a single run at close."""

    def artifact_location(self, file: str) -> dict[str, str]:
        """Repository-relative URI under ``%SRCROOT%``, or an absolute ``file:`` URI."""
        rel = self.relpath(file)
        if os.path.isabs(rel):
            return {"uri": Path(rel).as_uri()}
        return {"uri": urllib.parse.quote(rel, safe="/"), "uriBaseId": SRCROOT}

    def result(self, finding: Finding, rule_index: int) -> dict[str, Any]:
        """One SARIF ``result`` for a finding in a file."""
        obj = finding.object
        out: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": rule_index,
            "level": LEVELS[finding.severity],
            "message": {"text": message_text(finding)},
        }
        physical: dict[str, Any] = {"artifactLocation": self.artifact_location(finding.file)}
        if finding.line > 0:
            physical["region"] = {"startLine": finding.line}
            if finding.column > 0:
                physical["region"]["startColumn"] = finding.column
        location: dict[str, Any] = {"physicalLocation": physical}
        if obj.kind or obj.name:
            location["logicalLocations"] = [{"fullyQualifiedName": str(obj), "kind": "object"}]
        out["locations"] = [location]
        out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(finding, self.relpath(finding.file))}
        return out

    def close(self, result: Result) -> None:
        findings = self.sorted_findings()
        worst: dict[str, Severity] = {}
        for f in findings:
            if f.rule not in worst or SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst[f.rule]]:
                worst[f.rule] = f.severity
        rule_ids = sorted(worst)
        index = {rule: i for i, rule in enumerate(rule_ids)}
        rules = [
            {
                "id": rule,
                "name": rule,
                "shortDescription": {"text": result.rules.get(rule) or rule_title(rule)},
                "helpUri": f"{RULES_URL}#{rule}",
                "defaultConfiguration": {"level": LEVELS[worst[rule]]},
            }
            for rule in rule_ids
        ]
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "kubepush",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "informationUri": PROJECT_URL,
                    "rules": rules,
                }
            },
            "automationDetails": {"id": f"kubepush/{result.command}/"},
            "columnKind": "unicodeCodePoints",
            "results": [self.result(f, index[f.rule]) for f in findings if f.file],
        }
        fileless = [notification(f, index[f.rule]) for f in findings if not f.file]
        if fileless or result.environment_error:
            run["invocations"] = [{"executionSuccessful": not result.environment_error,
                                   "toolExecutionNotifications": fileless}]
        if self.root:
            run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(self.root).as_uri().rstrip("/") + "/"}}
        log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        json.dump(log, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
        self.stream.flush()
