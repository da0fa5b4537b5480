"""``kubepush diff``: preview what merging a change does.

Two previews, one command:

* the live one (the default): what an apply would change in each cluster - the drift
  comparison (server-side apply dry run, managedFields attribution, masked Secrets);
* ``--rendered`` / ``--base REF``: what the change does to the rendered manifests, base against
  head, without a cluster (:mod:`kubepush.preview`) - for pull requests, forks included, where no
  job should hold cluster credentials. In a pull-request pipeline ``--rendered`` takes the pull
  request's base.
"""

from __future__ import annotations

import argparse
import sys

from kubepush.cli import drift

RENDERED_HELP = ("exit codes with --rendered: 0 previewed (changes are not failures, unless --fail-on-drift), "
                 "1 error findings (a change the API server refuses, a target that does not render), "
                 "2 usage or environment error (unknown base, shallow clone, no kustomize)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    drift.add_arguments(parser, heal=False)
    parser.epilog = f"{parser.epilog}; {RENDERED_HELP}"
    group = parser.add_argument_group("preview without a cluster (the rendered diff)")
    group.add_argument("--rendered", action="store_true",
                       help="compare the rendered manifests with the base revision instead of a cluster (no "
                            "kubeconfig, no network); the base is --base, else the pull request's in CI")
    group.add_argument("--base", metavar="REF",
                       help="the revision to compare with (implies --rendered): a branch, tag or commit; the "
                            "change is what HEAD and the working tree add since they forked from it")


def run(args: argparse.Namespace) -> int:
    if args.rendered or args.base:
        return rendered(args)
    return drift.run(args, preview=True)


def rendered(args: argparse.Namespace) -> int:
    from kubepush import config as configuration
    from kubepush.ci import context
    from kubepush.cli import output
    from kubepush.errors import UsageError
    from kubepush.model import Result, Severity
    from kubepush.preview import risks
    from kubepush.preview.run import Target, preview, targets_of

    cfg = configuration.load(args.config)
    ref = args.base or context.detect().base
    if not ref:
        raise UsageError("--rendered: no base to compare with - pass --base REF (in a pull-request pipeline "
                         "it is the pull request's base: GITHUB_EVENT_PATH, CI_MERGE_REQUEST_DIFF_BASE_SHA or "
                         "CHANGE_TARGET, which this run does not have)")
    if args.paths:
        if args.target:
            raise UsageError("give either paths or --target, not both")
        targets, config_file = {"default": Target("default", tuple(args.paths))}, None
    else:
        if not cfg.targets:
            raise UsageError("no manifests: give PATH arguments or define targets in kubepush.yaml")
        targets, config_file = targets_of(cfg, args.target), cfg.path

    def progress(text: str) -> None:
        if not args.quiet:
            sys.stderr.write(f"kubepush diff: {text}\n")

    result = Result(command="diff", rules={rule: description for rule, (description, _) in risks.RULES.items()})
    with output.open_output(args) as reporter:
        outcome = preview(ref, targets, config_file, args.target, progress)
        result.previews, result.files = outcome.previews, outcome.files
        for finding in outcome.findings:
            result.findings.append(finding)
            reporter.write(finding)
        for target in outcome.previews:
            for change in target.objects:
                finding = change.to_finding()
                result.findings.append(finding)
                reporter.write(finding)
                reporter.document_done(finding.file, finding.document, change.ref, True)
            result.documents += len(target.objects) + target.unchanged
            counts = target.counts()
            shown = ", ".join(f"{n} to {a}" for a, n in counts.items() if n and a != "unchanged")
            progress(f"[{target.target}] {target.status}: {shown or 'no change'}"
                     + (f", {counts['unchanged']} unchanged" if counts["unchanged"] else "")
                     + (f" ({target.note})" if target.note else ""))
        if args.fail_on_drift and any(t.objects for t in outcome.previews):
            for finding in result.findings:  # asked to fail on changes: each change is an error
                if finding.severity is Severity.INFO:
                    finding.severity = Severity.ERROR
        reporter.close(result)
    return result.exit_code
