"""``kubepush validate``: manifests against offline schemas and API-server rules."""

from __future__ import annotations

import argparse
import time

from kubepush import config as configuration
from kubepush.cli import flags, output, settings
from kubepush.errors import EXIT_OK, UsageError
from kubepush.model import Result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files, directories (recursive), kustomizations, charts, or - for stdin "
                             "(default: the targets in kubepush.yaml, else .)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="validate only this target from kubepush.yaml (repeatable)")
    flags.add_validation(parser)
    parser.add_argument("--schema-location", action="append", default=[], metavar="TEMPLATE",
                        help="also look up schemas here: a URL or folder, kubeconform template syntax "
                             "(e.g. '{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'); "
                             "downloads are cached in $KUBEPUSH_CACHE_DIR (repeatable)")
    parser.add_argument("--list-rules", action="store_true", help="list rule ids and exit")
    parser.add_argument("--no-render", dest="render", action="store_false", default=None,
                        help="read kustomization and chart directories as plain files")
    parser.add_argument("-j", "--workers", type=int, default=0, metavar="N",
                        help="worker processes (default: one per CPU)")
    flags.add_reports(parser)


def run(args: argparse.Namespace) -> int:
    from kubepush.validate import engine
    from kubepush.validate.catalog import catalog

    rules = catalog()
    if args.list_rules:
        for rule_id, rule in rules.items():
            print(f"{rule_id:24} {rule.description}")
        return EXIT_OK
    cfg = configuration.load(args.config)
    unknown = sorted(settings.disabled_rules(args, cfg) - set(rules))
    if unknown:
        raise UsageError(f"--disable: unknown rule {', '.join(unknown)} (see kubepush validate --list-rules)")
    # every flag and setting is checked before the reports open: a usage error writes no report
    jobs = [(paths, settings.validation(args, cfg, version)) for paths, version in _jobs(args, cfg)]
    with output.open_output(args) as reporter:
        results = []
        for paths, options in jobs:
            started = time.perf_counter()
            result = engine.run(paths, options, reporter)
            output.log(args, 1, f"{' '.join(paths)}: {result.documents} resources in {result.files} sources, "
                                f"Kubernetes {options.kubernetes_version}{' strict' if options.strict else ''}, "
                                f"{time.perf_counter() - started:.2f} s")
            results.append(result)
        result = results[0] if len(results) == 1 else _merge(results)
        result.rules = {rule_id: rule.description for rule_id, rule in rules.items()}
        reporter.close(result)
    return result.exit_code


def _jobs(args: argparse.Namespace, cfg: configuration.Config) -> list[tuple[list[str], str | None]]:
    """(paths, kubernetes version) per run: CLI paths, else each selected target, else '.'."""
    if args.paths:
        if args.target:
            raise UsageError("give either paths or --target, not both")
        return [(args.paths, None)]
    targets = cfg.select(args.target)
    if targets:
        return [([t.path], t.kubernetes_version) for t in targets]
    return [(["."], None)]


def _merge(results: list[Result]) -> Result:
    merged = Result(command="validate")
    for r in results:
        merged.findings.extend(r.findings)
        merged.documents += r.documents
        merged.files += r.files
    return merged
