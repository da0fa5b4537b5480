"""A faithful fake Kubernetes API server for kubepush's tests and benchmarks.

Real clients (the ``kubernetes`` Python client, ``kubectl``) talk to it over plain HTTP on
127.0.0.1. See docs in :mod:`tests.support.fakekube.fake` (controls) and the README of this package.
"""

from .fake import FakeKube

__all__ = ["FakeKube"]
