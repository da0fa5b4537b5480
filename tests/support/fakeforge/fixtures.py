"""pytest fixtures: one fresh fake forge per test, contract violations fail the test.

Every request the client sends and every answer the fake gives is checked against
the forge contracts (test data, see external_data.py); the teardown asserts that nothing
was violated, so each test that uses a fake is also a contract test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .gitea import FakeGitea
from .github import FakeGitHub
from .gitlab import FakeGitLab
from .rig import Rig, Sleeps, make_client
from .server import FakeForge


def _serve(fake: FakeForge) -> Iterator[FakeForge]:
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.violations, "contract violations:\n" + "\n".join(fake.violations)


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    yield from _serve(FakeGitHub())  # type: ignore[misc]


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    yield from _serve(FakeGitLab())  # type: ignore[misc]


@pytest.fixture
def fake_gitea() -> Iterator[FakeGitea]:
    yield from _serve(FakeGitea())  # type: ignore[misc]


@pytest.fixture(params=["github", "gitlab", "gitea"])
def forge_rig(request: pytest.FixtureRequest) -> Rig:
    """The same test against each fake forge, with a client whose sleeps are recorded."""
    fake = request.getfixturevalue(f"fake_{request.param}")
    sleeps = Sleeps()
    return Rig(request.param, fake, make_client(request.param, fake, sleep=sleeps), sleeps)
