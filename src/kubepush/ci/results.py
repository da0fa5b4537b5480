"""What a CI step hands back, computed once from kubepush's JSON result for every platform.

The GitHub Action's step outputs, the GitLab dotenv variables and the Jenkins steps' result
map are the same values under each platform's names (kebab-case, ``KUBEPUSH_<COMMAND>_<NAME>``,
camelCase): :func:`derive` computes them from the JSON report (validate, diff, drift, apply)
or ``-o json`` result (bump, revert, targets). A bump's or revert's account is rendered here
too: :func:`pull_request_lines` for the GitLab and Jenkins logs, :func:`pull_request_markdown`
for the Action's step summary and the pull-request comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubepush import model

#: commands whose result is their ``-o json`` on stdout (no findings reports)
PULL_REQUEST_COMMANDS = ("bump", "revert")
#: the commands whose CI step also writes the reviewer's HTML report, for the run's artifacts
HTML_COMMANDS = ("diff",)


def derive(command: str, data: Any) -> dict[str, object]:
    """The outputs of ``command`` from its parsed JSON (``{}`` / ``None`` when there is none)."""
    data = data or {}
    if command == "targets":
        # as kubepush printed it: a GitHub matrix ({"include": rows}, the Action) or the rows (-o json)
        rows = data.get("include", []) if isinstance(data, Mapping) else data
        waves: dict[int, list[str]] = {}
        for row in rows:  # dependsOn order: a job per wave, each after the one before
            waves.setdefault(int(row.get("wave", 0)), []).append(row["target"])
        return {"matrix": data, "count": len(rows), "targets": [row["target"] for row in rows],
                "waves": [waves[n] for n in sorted(waves)], "wave-count": len(waves)}
    if command in PULL_REQUEST_COMMANDS:
        groups = data.get("groups", []) if command == "bump" else [data] if data else []  # a revert: one PR
        prs = [g["pullRequest"] for g in groups if g.get("pullRequest")]
        return {"changed": bool(data.get("changed")), "pr-number": prs[0]["number"] if prs else "",
                "pr-url": prs[0]["url"] if prs else "", "pr-urls": [p["url"] for p in prs],
                "branches": [g["branch"] for g in groups], "findings": len(data.get("findings", []))}
    if command == "status":
        return _status(data)
    counts = data.get("summary", {})
    rules = [f.get("rule") for f in data.get("findings", [])]
    out: dict[str, object] = {"errors": counts.get("errors", 0), "warnings": counts.get("warnings", 0),
                              "findings": counts.get("errors", 0) + counts.get("warnings", 0)}
    # diff's plan: what an apply would change, plus what it would leave behind (an extra, prune off)
    drift_count = sum(rule in (model.DRIFT | model.PLAN if command == "diff" else model.DRIFT) for rule in rules)
    if command in ("diff", "drift"):
        out.update({"drifted": drift_count > 0, "drift-count": drift_count})
    if command == "diff":
        out["changed"] = any(rule in model.PLAN | model.DRIFT - {model.EXTRA} for rule in rules)
    if command == "apply":
        out["changed"] = any(rule in model.CHANGES for rule in rules)
    return out


def _status(data: Mapping[str, Any]) -> dict[str, object]:
    """``kubepush status``'s outputs: all well, the targets that are not, and the objects that drifted."""
    targets = data.get("targets", [])
    drifted = [o for t in targets for o in (t.get("sync") or {}).get("objects", [])
               if o.get("action") in model.DRIFT]
    return {"healthy": bool(targets) and all(t.get("ok") for t in targets),
            "failing-targets": [t["target"] for t in targets if not t.get("ok")],
            "drifted": bool(drifted), "drift-count": len(drifted)}


def pull_request_lines(command: str, result: Mapping[str, Any], forge_word: str = "pull request #") -> list[str]:
    """A bump's or revert's result as log lines: each image moved, each branch and its pull request."""
    if not result:  # kubepush failed before it had a result: its error is in the log already
        return []
    lines = []
    if command == "revert":
        lines.append(f"kubepush revert {result['commit'][:12]} ({result['subject']}) on {result['base']}")
    groups = result.get("groups", []) if command == "bump" else [result]
    for group in groups:
        for u in group.get("updates", []):
            lines.append(f"{u['file']}:{u['line']}: {u['image']} {u['old']} -> {u['new']}")
        pr = group.get("pullRequest")
        link = f", {forge_word}{pr['number']} {pr['url']}" if pr else ""
        lines.append(f"{group['branch']}: {group['status']}{link}")
    for f in result.get("findings", []):
        where = (f.get("file") or "kubepush") + (f":{f['line']}" if f.get("line") else "")
        lines.append(f"{where}: {f['severity']}: {f['message']} [{f['rule']}]")
    if command == "bump" and not groups and not result.get("findings"):
        lines.append(f"kubepush bump: up to date ({result.get('upToDate', 0)} image references current)")
    return lines


def pull_request_markdown(command: str, result: Mapping[str, Any]) -> str:
    """A bump's or revert's result as the Markdown of a step summary and comment section."""
    return _bump_markdown(result) if command == "bump" else _revert_markdown(result)


def _bump_markdown(result: Mapping[str, Any]) -> str:
    """The step summary (and comment section) of a bump: each image moved and where it went."""
    from kubepush.report.markdown import cell, row

    if not result["groups"] and not result.get("findings"):
        return f"## ✅ kubepush bump: up to date\n\n{result.get('upToDate', 0)} image references already current."
    out = ["## kubepush bump", "", row(["Image", "From", "To", "File", "Branch", "Pull request"]), row(["---"] * 6)]
    for group in result["groups"]:
        pr = group.get("pullRequest")
        link = f"[#{pr['number']}]({pr['url']})" if pr else cell(group["status"])
        for u in group["updates"]:
            out.append(row([cell(u["image"]), cell(u["old"]), cell(u["new"]), cell(f"{u['file']}:{u['line']}"),
                            cell(group["branch"]), link]))
    for finding in result.get("findings", []):
        out.append(f"\n❌ {cell(finding['message'])}")
    return "\n".join(out)


def _revert_markdown(result: Mapping[str, Any]) -> str:
    """The step summary (and comment section) of a revert: the commit, its branch and pull request."""
    from kubepush.report.markdown import cell

    pr = result.get("pullRequest")
    where = f"[#{pr['number']}]({pr['url']}) ({pr['state']})" if pr else cell(result["status"])
    out = [f"## {'❌' if result.get('findings') else '↩️'} kubepush revert", "",
           f"Reverts `{result['commit'][:12]}` ({cell(result['subject'])}) on `{result['base']}`: "
           f"`{result['branch']}` {cell(result['status'])}, pull request {where}."]
    if result.get("targets"):
        out.append("\nTargets it changes: " + ", ".join(f"`{t}`" for t in result["targets"]))
    for finding in result.get("findings", []):
        out.append(f"\n❌ `{cell(finding['file'])}`: {cell(finding['message'])}")
    return "\n".join(out)
