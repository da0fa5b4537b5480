"""kubepush.errors: every domain's environment error is exit code 2, mapped in one place.

The CLI has one ``except UsageError``; these tests raise each domain's error from a
command and check that it comes out as exit code 2 with its message on one line, and
that a YAML error - a finding, not the environment - is not caught as one.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from kubepush import cli
from kubepush.cluster.errors import ApiError, ClusterError, LockHeld, Unreachable, Untrusted
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from kubepush.forges.errors import ForgeError
from kubepush.gitops.errors import GitError
from kubepush.manifests.errors import YAMLError
from kubepush.model import Finding, Result, Severity
from kubepush.registry.errors import RegistryError

DOMAIN_ERRORS = [
    GitError("git push failed: the token cannot write to acme/config; give it contents: write"),
    ForgeError("GitHub refused the pull request (403); give the token pull-requests: write", operation="open"),
    RegistryError("auth", "ghcr.io", "ghcr.io rejected the credentials for acme/app; log in again"),
    ClusterError("the cluster does not serve Widget in example.com/v1 (is its CRD installed?)"),
    Unreachable("connection refused"),
    Untrusted("certificate verify failed: the kubeconfig's CA does not match the server"),
    ApiError(403, "Forbidden", "apply Deployment shop/web: forbidden; grant the service account patch", {}),
    LockHeld("another kubepush apply still holds this target; re-run when it has finished"),
]


def _run_raising(monkeypatch: pytest.MonkeyPatch, error: BaseException,
                 capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    module = importlib.import_module(cli.COMMANDS["targets"][0])

    def run(args: Any) -> int:
        raise error

    monkeypatch.setattr(module, "run", run)
    code = cli.main(["targets"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda e: type(e).__name__)
def test_every_domain_error_is_exit_2_with_its_message(monkeypatch: pytest.MonkeyPatch, error: UsageError,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_raising(monkeypatch, error, capsys)
    assert code == EXIT_USAGE
    assert err == f"kubepush targets: error: {error}\n"
    assert "Traceback" not in err


def test_a_yaml_error_is_not_an_environment_error(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # a broken document is a finding (exit 1) that the loaders report; it must never be
    # swallowed as exit 2 by the CLI's one handler
    assert not issubclass(YAMLError, UsageError)
    with pytest.raises(YAMLError):
        _run_raising(monkeypatch, YAMLError("found character '\\t' that cannot start any token", 3, 1), capsys)


@pytest.mark.parametrize(("findings", "environment", "expected"), [
    ([], False, EXIT_OK),
    ([Finding("x", "a warning", Severity.WARNING)], False, EXIT_OK),
    ([Finding("x", "an error")], False, EXIT_FINDINGS),
    ([Finding("x", "an error")], True, EXIT_USAGE),
])
def test_result_exit_code_uses_the_one_definition(findings: list[Finding], environment: bool, expected: int) -> None:
    assert (EXIT_OK, EXIT_FINDINGS, EXIT_USAGE) == (0, 1, 2)
    assert Result("validate", findings, environment_error=environment).exit_code == expected
