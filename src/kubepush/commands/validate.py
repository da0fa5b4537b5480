"""``kubepush validate``: manifests against offline schemas and API-server rules."""

from __future__ import annotations

import argparse
import time

from kubepush import config as configuration
from kubepush.commands import output
from kubepush.errors import EXIT_OK, UsageError
from kubepush.model import Result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files, directories (recursive), kustomizations, charts, or - for stdin "
                             "(default: the targets in kubepush.yaml, else .)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="validate only this target from kubepush.yaml (repeatable)")
    parser.add_argument("-k", "--kubernetes-version", metavar="X.Y",
                        help="Kubernetes version to validate against (default: newest bundled)")
    parser.add_argument("--strict", dest="strict", action="store_true", default=None,
                        help="reject unknown fields (default)")
    parser.add_argument("--no-strict", dest="strict", action="store_false",
                        help="accept unknown fields")
    parser.add_argument("--ignore-missing-schemas", action="store_true", default=None,
                        help="warn instead of fail on kinds without a schema")
    parser.add_argument("--crd", action="append", default=[], metavar="PATH",
                        help="CustomResourceDefinitions to validate custom resources with (repeatable)")
    parser.add_argument("--schema-location", action="append", default=[], metavar="TEMPLATE",
                        help="also look up schemas here: a URL or folder, kubeconform template syntax "
                             "(e.g. '{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'); "
                             "downloads are cached in $KUBEPUSH_CACHE_DIR (repeatable)")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE",
                        help="switch off a rule, e.g. deprecated-api (repeatable; see --list-rules)")
    parser.add_argument("--list-rules", action="store_true", help="list rule ids and exit")
    parser.add_argument("--no-render", dest="render", action="store_false", default=None,
                        help="read kustomization and chart directories as plain files")
    parser.add_argument("-j", "--workers", type=int, default=0, metavar="N",
                        help="worker processes (default: one per CPU)")
    output.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from kubepush.validate import engine
    from kubepush.validate.catalog import catalog
    from kubepush.validate.schemas import resolve_version

    rules = catalog()
    if args.list_rules:
        for rule_id, rule in rules.items():
            print(f"{rule_id:24} {rule.description}")
        return EXIT_OK
    cfg = configuration.load(args.config)
    settings = cfg.section("validate")
    unknown = sorted((set(args.disable) | set(settings.get("disabledRules", ()))) - set(rules))
    if unknown:
        raise UsageError(f"--disable: unknown rule {', '.join(unknown)} (see kubepush validate --list-rules)")
    # every flag and setting is checked before the reports open: a usage error writes no report
    jobs = [(paths, engine.Options(
        kubernetes_version=resolve_version(args.kubernetes_version or version or settings.get("kubernetesVersion")),
        strict=_pick(args.strict, settings.get("strict"), True),
        ignore_missing_schemas=_pick(args.ignore_missing_schemas, settings.get("ignoreMissingSchemas"), False),
        disabled_rules=frozenset(args.disable) | frozenset(settings.get("disabledRules", ())),
        crd_paths=tuple(args.crd or settings.get("crds", ())),
        schema_locations=tuple(args.schema_location or settings.get("schemaLocations", ())),
        render=_pick(args.render, settings.get("render"), True),
        workers=max(0, args.workers),
    )) for paths, version in _jobs(args, cfg)]
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


def _pick(flag: object, configured: object, default: bool) -> bool:
    """CLI flag over config file over default."""
    return bool(flag if flag is not None else configured if configured is not None else default)


def _merge(results: list[Result]) -> Result:
    merged = Result(command="validate")
    for r in results:
        merged.findings.extend(r.findings)
        merged.documents += r.documents
        merged.files += r.files
    return merged
