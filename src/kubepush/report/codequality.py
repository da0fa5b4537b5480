"""GitLab Code Quality JSON (``artifacts:reports:codequality``) for the merge-request widget.

GitLab reads a JSON array of issues with ``description``, ``check_name``,
``fingerprint``, ``severity`` (``info``/``minor``/``major``/``critical``/``blocker``),
``location.path`` relative to the repository and ``location.lines.begin``.
GitLab compares fingerprints between the source and target branch to show
new and fixed issues, and keeps only one issue per fingerprint, so they are
stable across runs (no line numbers in them) and unique within a report.
"""

from __future__ import annotations

import json
from typing import Any

from kubepush.model import Finding, Result, Severity
from kubepush.report.base import BufferingReporter, fingerprint

#: The mapping linters' GitLab formatters (ESLint, Stylelint, ...) use.
SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def description(finding: Finding) -> str:
    """The widget shows one line per issue: name the object, since several share a file."""
    obj = finding.object
    text = f"{obj}: {finding.message}" if obj.kind or obj.name else finding.message
    if finding.path:
        text += f" (at {finding.json_path})"
    return text


class CodeQualityReporter(BufferingReporter):
    """Collects findings and writes the issue array at close."""

    def close(self, result: Result) -> None:
        issues: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for finding in self.sorted_findings():
            path = self.relpath(finding.file)
            base = fingerprint(finding, path)[:32]
            # Identical findings (same rule, object, path, message) must still be
            # distinct issues, or GitLab would silently show only one of them.
            count = seen.get(base, 0)
            seen[base] = count + 1
            issues.append(
                {
                    "description": description(finding),
                    "check_name": finding.rule,
                    "fingerprint": base if count == 0 else fingerprint(finding, f"{path}#{count}")[:32],
                    "severity": SEVERITIES[finding.severity],
                    # GitLab needs a line; a finding about the whole file points at its first.
                    "location": {"path": path, "lines": {"begin": max(finding.line, 1)}},
                }
            )
        json.dump(issues, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
        self.stream.flush()
