"""kubepush: push-mode GitOps from the CI pipeline you already have.

The package is importable as a library; the CLI in :mod:`kubepush.cli` is a thin
wrapper around the stage modules.
"""

__version__ = "0.1.0"
