"""TAP version 13: one test point per resource, the plan at the end.

Each resource prints ``ok N - Kind/ns/name (doc D)`` or ``not ok N - ...`` the
moment it is done, with its findings in a YAML diagnostic block; the plan
``1..N`` comes last, which TAP allows, so nothing waits for the whole run.
Findings never followed by their resource (an unreadable file) become one
failing test point per file and document at close.
"""

from __future__ import annotations

import functools
from typing import Any

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report.base import Reporter, location, orphan_name, resource_name


def escape_description(text: str) -> str:
    """A description is one line, and ``#`` would start a directive (SKIP/TODO)."""
    return " ".join(text.replace("\\", "\\\\").replace("#", "\\#").split())


@functools.cache
def _dumper() -> Any:
    """A YAML dumper that writes multi-line strings as readable ``|`` blocks."""
    import yaml  # only when TAP is chosen

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        """libyaml's emitter when PyYAML has it: TAP of a big repository is mostly YAML."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    Dumper.add_representer(str, text)
    return Dumper


def _yaml_block(data: dict[str, Any]) -> str:
    import yaml

    return yaml.dump(data, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=1_000_000)


class TAPReporter(Reporter):
    """Streams test points; keeps only findings of resources not yet done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[tuple[str, int], list[Finding]] = {}
        self._count = 0
        self._started = False

    def _start(self) -> None:
        """The version line goes out with the first output, not at construction, so a
        run that fails before it starts (a bad flag) prints nothing on stdout."""
        if not self._started:
            self.stream.write("TAP version 13\n")
            self._started = True

    def write(self, finding: Finding) -> None:
        self._pending.setdefault((finding.file, finding.document), []).append(finding)

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:
        findings = self._pending.pop((file, document), [])
        self._point(ok, resource_name(obj, document), findings)

    def _point(self, ok: bool, name: str, findings: list[Finding]) -> None:
        self._start()
        self._count += 1
        lines = [f"{'ok' if ok else 'not ok'} {self._count} - {escape_description(name)}"]
        if findings:
            diagnostic = {
                "findings": [
                    {
                        "severity": f.severity.value,
                        "rule": f.rule,
                        "message": f.message,
                        "at": location(self.relpath(f.file), f.line, f.column),
                        **({"path": f.json_path} if f.path else {}),
                        **({"hint": f.hint} if f.hint else {}),
                    }
                    for f in findings
                ]
            }
            block = _yaml_block(diagnostic)
            lines.append("  ---")
            lines.extend("  " + line for line in block.splitlines())
            lines.append("  ...")
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    def close(self, result: Result) -> None:
        for (file, document), findings in self._pending.items():
            ok = not any(f.severity is Severity.ERROR for f in findings)
            self._point(ok, orphan_name(findings, self.relpath(file), document), findings)
        self._pending.clear()
        self._start()
        self.stream.write(f"1..{self._count}\n")
        self.stream.flush()
