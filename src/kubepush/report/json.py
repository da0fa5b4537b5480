"""One JSON object for scripts: ``{"command", "summary", "findings"}`` (and ``"previews"``, the
rendered diff of ``diff --rendered``, per target).

Findings are in the stable order of :meth:`BufferingReporter.sorted_findings`, so
two runs over the same input give byte-identical output. Each finding is
:meth:`Finding.to_dict` with ``file`` made relative to the root: the facts a script
needs (``target``, ``action``, each differing field with its values and manager) are
fields of their own, never only words in ``message``.
"""

from __future__ import annotations

import json
from typing import Any

from kubepush.model import Result, Severity
from kubepush.report.base import BufferingReporter


class JSONReporter(BufferingReporter):
    """Collects findings and prints one indented JSON document at close."""

    def close(self, result: Result) -> None:
        findings = []
        for finding in self.sorted_findings():
            data = finding.to_dict()
            data["file"] = self.relpath(finding.file)
            findings.append(data)
        doc: dict[str, Any] = {
            "command": result.command,
            "summary": {
                "resources": result.documents,
                "files": result.files,
                "targets": result.targets,
                "errors": result.errors,
                "warnings": result.warnings,
                "infos": sum(1 for f in result.findings if f.severity is Severity.INFO),
                "exitCode": result.exit_code,
            },
            "findings": findings,
        }
        if result.previews:  # diff --rendered: per target, every object change with its fields and diff
            doc["previews"] = [target.to_dict() for target in result.previews]
            for target in doc["previews"]:
                for change in target["objects"]:
                    change["file"] = self.relpath(change["file"])
                    change["baseFile"] = self.relpath(change["baseFile"])
        json.dump(doc, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
        self.stream.flush()
