"""Exceptions that cross module boundaries and map to exit code 2.

A ``UsageError`` is something the user can fix - a bad flag value, an unreadable
path, a broken ``kubepush.yaml``, an unreachable service. Its message is printed
as is, so it must name the file/object and say what to do, and must never carry
a secret.
"""


class UsageError(Exception):
    """User-fixable problem with the invocation or the environment: exit code 2."""
