"""The YAML error type, apart from the parser so that importing it costs nothing.

PyYAML (behind :mod:`kubepush.manifests.yaml11`) takes ~20 ms to import and is
only needed for the exact slow path and for positions; modules that merely
catch or raise YAML errors import this instead.
"""


class YAMLError(Exception):  # not a UsageError: a broken document is a finding (exit code 1)
    """A document is not valid Kubernetes YAML; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int = 0, column: int = 0, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
