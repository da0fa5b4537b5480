import os
from collections.abc import Iterator

import pytest

from tests.support.cluster_helpers import Controller
from tests.support.external_data import ENV

pytest_plugins = [
    "tests.support.fakeforge.fixtures",
    "tests.support.fakekube.fixtures",
    "tests.support.sops_keys",
]


def pytest_report_header() -> str:
    """Say up front whether the tests reading the outside test data run or skip."""
    return f"test data ({ENV}): {os.environ.get(ENV) or 'not set - the corpus and forge-contract tests skip'}"


@pytest.fixture
def controller() -> Iterator[Controller]:
    """A stand-in cluster controller (see cluster_helpers.Controller); its failures fail the test."""
    c = Controller()
    yield c
    c.join()
