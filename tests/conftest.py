from collections.abc import Iterator

import pytest
from cluster_helpers import Controller

pytest_plugins = [
    "fakeforge.fixtures",
    "fakekube.fixtures",
]


@pytest.fixture
def controller() -> Iterator[Controller]:
    """A stand-in cluster controller (see cluster_helpers.Controller); its failures fail the test."""
    c = Controller()
    yield c
    c.join()
