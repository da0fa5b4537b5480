"""Why a kustomize build or ``helm template`` failed, as findings in the file the user edits.

A render failure is a finding about the manifests (exit 1), never an environment error: the
fix is in Git. The tools' own messages are a poor place to start from - ``kubectl kustomize``
wraps its error in a klog line (``E1201 12:00:00.000000  4242 run.go:72] "command failed"
err="..."``), names absolute paths (and our throw-away wrapper kustomization), and counts the
line of a duplicate key from the start of the YAML *document*, in its own re-serialised copy of
it. So the message is cleaned of that noise and the finding is placed by looking at the files
themselves:

* a path kustomize could not use (missing file or directory, a directory without a
  kustomization, a file outside the load root) is reported at the kustomization line that
  names it;
* a YAML error is located by kubepush's own reader in the base or overlay file that has it;
* an unknown or mistyped kustomization field at its key;
* anything else at the kustomization that failed, with kustomize's reason.

Helm names template positions as ``<chart name>/templates/x.yaml:LINE:COL``; those map onto the
chart directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kubepush import lazy_re
from kubepush.errors import UsageError
from kubepush.manifests import kustomization
from kubepush.manifests.documents import Document, parse_text, yaml_error_finding
from kubepush.manifests.errors import YAMLError
from kubepush.model import Finding

RULE = "render-error"

# klog's text format (k8s.io/klog/v2): `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg key=value`.
# A value is Go-quoted, or - when it has several lines - written as `<`, tab-indented lines, ` >`
# (https://www.kubernetes.dev/blog/2022/05/25/contextual-logging/, "klog enhancements").
_KLOG_HEADER = lazy_re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]\s]+\] ", re.M)
_KLOG_ERR = lazy_re.compile(r'^[IWEF]\d{4} [^\]\n]+\] "command failed" err=(?:"(?P<quoted>(?:[^"\\\n]|\\.)*)"'
                       r"|<\n(?P<block>.*?)\n >)", re.M | re.S)
_GO_ESCAPE = lazy_re.compile(r'\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[abfnrtv"\\\'])')
_GO_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

# What each kustomization level (our wrapper's, then each base's) adds in front of the real
# error: kustomize first tries a resource as a file, then as a directory, and reports both.
_LAYER = lazy_re.compile(r"^accumulating resources: accumulation err='accumulating resources from '[^']*': "
                      r"'[^']*' must resolve to a file': (?:recursed accumulation of path '[^']*': "
                      r"|couldn't make target for path '[^']*': )?")

# Reasons that name a path kustomize could not use, and the short form we report them in.
_UNUSABLE_PATH = (
    (lazy_re.compile(r"lstat (?P<path>/[^:']+): (?P<why>[^'\":]+)"), "{path}: {why}",
     "create it, or correct or remove this entry"),
    (lazy_re.compile(r"unable to find one of '[^']+', '[^']+' or '[^']+' in directory '(?P<path>[^']+)'"),
     "{path} has no kustomization.yaml", "a directory listed here must be a kustomization: add one, "
                                         "or list the directory's files instead"),
    (lazy_re.compile(r"security; file '(?P<path>[^']+)' is not in or below '(?P<root>[^']+)'"),
     "{path} is outside {root} (kustomize loads files only in or below the kustomization's directory)",
     "reference a kustomization directory that contains the file instead"),
)
_FIELD = lazy_re.compile(r'unknown field "(?P<key>[^"]+)"|Go struct field Kustomization\.(?P<typed>\w+) ')
_YAMLISH = lazy_re.compile(r"\byaml: |unmarshal errors|mapping key|did not find expected|found character")
#: reference fields whose files are YAML kubepush can read (generator files are arbitrary data)
_MANIFEST_FIELDS = frozenset({"resources", "bases", "crds", "patches", "patchesStrategicMerge", "patchesJson6902",
                              "replacements", "configurations", "generators", "transformers", "validators"})


def tool_message(stderr: str) -> str:
    """The error a renderer printed, without klog framing, quoting or an ``Error:`` prefix."""
    match = _KLOG_ERR.search(stderr)
    if match and match.group("quoted") is not None:
        text = _go_unquote(match.group("quoted"))
    elif match:
        text = "\n".join(line[1:] if line.startswith("\t") else line for line in match.group("block").splitlines())
    else:
        lines = stderr.splitlines()
        first = next((i for i, line in enumerate(lines) if line.startswith("Error: ")), None)
        text = "\n".join(lines[first:])[len("Error: "):] if first is not None else _KLOG_HEADER.sub("", stderr)
    return " ".join(text.split())


def _go_unquote(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group()[1:]
        if escape[0] in "xuU":
            return chr(int(escape[1:], 16))
        return _GO_SIMPLE.get(escape, escape)

    return _GO_ESCAPE.sub(one, text)


def _shown(text: str) -> str:
    """``text`` with absolute paths under the working directory made relative to it."""
    return text.replace(os.getcwd().rstrip(os.sep) + os.sep, "")


def kustomize_failure(directory: Path, stderr: str) -> list[Finding]:
    """Findings for a failed ``kustomize build`` of ``directory`` (at least one)."""
    raw = tool_message(stderr)
    reason = raw
    while _LAYER.match(reason):
        reason = _LAYER.sub("", reason, count=1)
    what = f"kustomize build of {directory} failed"
    tree = list(kustomization.walk(directory))
    docs = [d for d in tree if isinstance(d, Document)]
    refs = [r for d in docs for r in kustomization.references(d)]
    for pattern, template, hint in _UNUSABLE_PATH:
        for match in reversed(list(pattern.finditer(reason))):  # the innermost error comes last
            target = os.path.realpath(match.group("path"))  # kustomize names paths with symlinks resolved
            ref = next((r for r in refs if os.path.realpath(r.target) == target), None)
            if ref is not None:
                line, column = ref.locate()
                detail = _shown(template.format(**match.groupdict()))
                return [Finding(rule=RULE, message=f"{what}: {ref.value!r} in {ref.field[0]}: {detail}",
                                file=ref.kustomization.file, line=line, column=column, hint=hint)]
    yaml_errors = [f for f in tree if isinstance(f, Finding)] + _yaml_errors(refs)
    if yaml_errors and _YAMLISH.search(reason):
        return [_render_finding(what, f) for f in yaml_errors]
    mentioned = _mentioned_first(docs, raw)
    field = _FIELD.search(reason)
    key: str | None = (field.group("key") or field.group("typed")) if field else None
    owner = next((d for d in mentioned if isinstance(d.obj, dict) and key in d.obj), None) if key else None
    if owner is not None and key is not None:
        line, column = owner.locate((key,))
        return [Finding(rule=RULE, message=f"{what}: {_shown(reason)}", file=owner.file, line=line, column=column,
                        hint="see https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/ "
                             "for the fields a kustomization has")]
    file = mentioned[0].file if mentioned else _kustomization_file(directory)
    return [Finding(rule=RULE, message=f"{what}: {_shown(reason)}", file=file)] + \
        [_render_finding(what, f) for f in yaml_errors]


def _yaml_errors(refs: list[kustomization.Reference]) -> list[Finding]:
    """YAML errors in the manifest files the kustomizations name, each file once."""
    files = dict.fromkeys(r.target for r in refs if r.field[0] in _MANIFEST_FIELDS and r.target.is_file())
    return [f for file in files for f in _file_yaml_errors(file)]


def _file_yaml_errors(file: Path) -> list[Finding]:
    """The YAML errors kubepush's reader finds in ``file`` (none when it cannot be read)."""
    from kubepush.manifests.sources import read_text  # sources renders, so it imports this module

    name = os.path.relpath(file)
    try:
        text = read_text(str(file))
    except YAMLError as exc:
        return [yaml_error_finding(exc, name, 0)]
    except UsageError:
        return []  # unreadable: the tool's own message says so
    return [f for f in parse_text(text, name) if isinstance(f, Finding)]


def _render_finding(what: str, error: Finding) -> Finding:
    return Finding(rule=RULE, message=f"{what}: {error.message}", file=error.file, line=error.line,
                   column=error.column, document=error.document, hint=error.hint)


def _mentioned_first(docs: list[Document], reason: str) -> list[Document]:
    """The kustomizations of the tree, those whose directory the reason names (last named) first."""
    def position(doc: Document) -> int:
        return reason.rfind(f"'{os.path.dirname(os.path.realpath(doc.file))}'")

    return sorted(docs, key=position, reverse=True)


def _kustomization_file(directory: Path) -> str:
    file = kustomization.find(directory)
    return os.path.relpath(file) if file else str(directory)


_HELM_TEMPLATE = lazy_re.compile(r"(?:template: |error at \(|parse error in \"|YAML parse error on )"
                            r"(?P<file>[^\s:()\"]+)(?::(?P<line>\d+))?(?::(?P<column>\d+))?")
_HELM_CHART_FILE = lazy_re.compile(r"\b(Chart\.yaml|values\.yaml|Chart\.lock|requirements\.yaml)\b")


def helm_failure(chart: Path, stderr: str) -> list[Finding]:
    """Findings for a failed ``helm template`` of ``chart`` (at least one).

    Helm names templates ``<chart name>/templates/x.yaml`` (subcharts below ``charts/``); a line
    is only trusted when helm gives one for the template source (``template:``, ``error at (``),
    not for a YAML error in its rendered output (``YAML parse error on``).
    """
    reason = tool_message(stderr)
    what = f"helm template of {chart} failed"
    hint = "render it yourself with `helm template` to see the whole error"
    match = _HELM_TEMPLATE.search(reason)
    if match:
        inside = Path(*Path(match.group("file")).parts[1:]) if len(Path(match.group("file")).parts) > 1 else None
        if inside is not None and (chart / inside).is_file():
            rendered_output = match.group(0).startswith("YAML parse error")
            return [Finding(rule=RULE, message=f"{what}: {_shown(reason)}", file=os.path.relpath(chart / inside),
                            line=0 if rendered_output else int(match.group("line") or 0),
                            column=0 if rendered_output else int(match.group("column") or 0), hint=hint)]
    named = _HELM_CHART_FILE.search(reason)
    file = chart / (named.group(1) if named and (chart / named.group(1)).is_file() else "Chart.yaml")
    errors = _file_yaml_errors(file) if file.is_file() else []
    if errors:
        return [_render_finding(what, f) for f in errors]
    return [Finding(rule=RULE, message=f"{what}: {_shown(reason)}", file=os.path.relpath(file), hint=hint)]
