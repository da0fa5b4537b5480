"""The one exception base that maps to exit code 2, so the CLI maps exit codes in one place.

A ``UsageError`` is something the user can fix - a bad flag value, an unreadable
path, a broken ``kubepush.yaml``, an unreachable service. Its message is printed
as is, so it must name the file/object and say what to do, and must never carry
a secret.

Each domain raises its own subclass, defined beside the kinds its callers branch on:
:class:`~kubepush.gitops.errors.GitError`, :class:`~kubepush.forges.errors.ForgeError`,
:class:`~kubepush.registry.errors.RegistryError`, :class:`~kubepush.cluster.errors.ClusterError`
(unreachable, untrusted, API errors, a held lock), and in ``images/`` the policy and
edit errors. :class:`~kubepush.manifests.errors.YAMLError` is deliberately not one:
a broken manifest is a finding (exit code 1), not an environment error.

The three exit codes are defined here, once, and imported by everything that
returns one (this module imports nothing, so ``kubepush --help`` stays fast).
"""

#: Every command's exit code: ok; findings, changes or drift; a usage or environment error.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """User-fixable problem with the invocation or the environment: exit code 2."""
