"""The forge-neutral pull-request interface the bump and comment features program against.

Each forge module implements the primitive operations; the behaviour a polite
image-update bot needs on top of them - find-or-create without duplicates, sticky
comments edited in place, bodies kept under the forge's size limit - lives here once.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kubepush.forges import errors as E
from kubepush.forges.errors import ForgeError
from kubepush.forges.http import Transport

log = logging.getLogger("kubepush.forges")

_MARKER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
_TRUNC_NOTE = ("\n\n---\n_Truncated by kubepush: {shown} of {total} characters shown "
               "(the forge accepts at most {limit}); the full text is in the CI log._")


@dataclass(frozen=True)
class PullRequest:
    """A pull/merge request as kubepush sees it, whatever the forge calls it.

    ``number`` is what humans and the API use (GitHub/Gitea number, GitLab ``iid``);
    ``state`` is ``open``, ``closed`` or ``merged``; ``title`` is without the
    draft prefix GitLab/Gitea keep in the title (``draft`` says it instead).
    """

    number: int
    url: str
    head_branch: str
    base_branch: str
    title: str
    body: str
    state: str
    draft: bool


@dataclass(frozen=True)
class Comment:
    """A comment (GitLab: note) on a pull request."""

    id: int
    body: str
    author: str
    url: str = ""


def comment_marker(marker: str) -> str:
    """The hidden HTML comment that identifies a sticky comment: ``<!-- kubepush:<marker> -->``."""
    if not _MARKER_NAME.match(marker):
        raise ValueError(f"invalid sticky-comment marker {marker!r}: use letters, digits, . _ : / -")
    return f"<!-- kubepush:{marker} -->"


def fit_body(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending on a line and with a note.

    Forges reject over-long bodies (GitHub: 65536 characters) with a 422, which would
    lose the whole comment; a truncated report that says so is more useful. An open
    code fence or ``<details>`` block is closed so the rest of the page still renders.
    """
    if len(text) <= limit:
        return text
    total = len(text)
    reserve = len(_TRUNC_NOTE.format(shown=total, total=total, limit=limit)) + 64
    if reserve >= limit:
        raise ValueError(f"body limit {limit} is too small to hold the truncation note")
    cut = text[: limit - reserve]
    newline = cut.rfind("\n")
    if newline > len(cut) // 2:
        cut = cut[:newline]
    closing = ""
    if cut.count("```") % 2:
        closing += "\n```"
    closing += "\n</details>" * max(0, cut.count("<details") - cut.count("</details>"))
    shown = len(cut)
    out = cut + closing + _TRUNC_NOTE.format(shown=shown, total=total, limit=limit)
    assert len(out) <= limit
    return out


def split_reviewers(reviewers: Sequence[str]) -> tuple[list[str], list[str]]:
    """Users and team slugs of ``reviewers``: ``"org/team"`` is the team ``team``, a plain name a user."""
    split = [name.rpartition("/") for name in reviewers]
    return [name for org, _, name in split if not org], [team for org, _, team in split if org]


def login_of(user: dict[str, Any], key: str) -> str | None:
    """The login in a forge's user object; ``None`` (who the token is stays unknown) when it has none."""
    login = user.get(key)
    return login if isinstance(login, str) else None


def issue_comment(data: dict[str, Any]) -> Comment:
    """A comment as GitHub's issue-comment API returns it (Gitea's follows it)."""
    return Comment(id=data["id"], body=data.get("body") or "",
                   author=(data.get("user") or {}).get("login", ""),
                   url=data.get("html_url", ""))


class PullRequests(ABC):
    """One repository's pull/merge requests on one forge."""

    #: human name used in messages ("GitHub", "GitLab", "Gitea")
    forge: ClassVar[str]
    #: longest body (PR description or comment) the forge accepts, in characters
    max_body_chars: ClassVar[int]

    def __init__(self, http: Transport, *, bot_login: str | None = None) -> None:
        self.http = http
        self._bot_login = bot_login
        self._identity_resolved = bot_login is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.http.subject!r}, api_url={self.http.api_url!r})"

    # -- primitives every forge implements ----------------------------------------
    @abstractmethod
    def find_open(self, head_branch: str, base_branch: str) -> PullRequest | None:
        """The open pull request from ``head_branch`` into ``base_branch`` in this repo, if any."""

    @abstractmethod
    def create(self, head: str, base: str, title: str, body: str, *, draft: bool = False,
               labels: Sequence[str] = (), reviewers: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> PullRequest:
        """Open a pull request; labels, reviewers (``org/team`` for teams) and assignees too."""

    @abstractmethod
    def get(self, number: int) -> PullRequest:
        """One pull request by number."""

    #: how this forge names the description field, marks a draft in the title ("" where a
    #: field does that), and closes a pull request
    BODY_FIELD = "body"
    DRAFT_TITLE_PREFIX = ""
    CLOSE_FIELDS: dict[str, Any] = {"state": "closed"}

    @abstractmethod
    def _edit(self, number: int, fields: dict[str, Any]) -> PullRequest:
        """Send changed fields of one pull request (PATCH or PUT, as the forge wants)."""

    def update(self, number: int, *, title: str | None = None,
               body: str | None = None) -> PullRequest:
        """Refresh title and/or body, keeping a draft a draft."""
        fields: dict[str, Any] = {}
        if title is not None:
            # where the title marks a draft, a title without the prefix would silently mark it ready
            draft = bool(self.DRAFT_TITLE_PREFIX) and self.get(number).draft
            fields["title"] = self.DRAFT_TITLE_PREFIX + title if draft else title
        if body is not None:
            fields[self.BODY_FIELD] = self.fit(body)
        return self._edit(number, fields) if fields else self.get(number)

    def close(self, number: int) -> PullRequest:
        """Close without merging (e.g. the bump became obsolete)."""
        return self._edit(number, dict(self.CLOSE_FIELDS))

    @abstractmethod
    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        """Add labels, keeping the ones already there."""

    @abstractmethod
    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        """Ask users (or ``org/team`` teams where the forge has them) for review."""

    @abstractmethod
    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        """Assign users, keeping existing assignees."""

    @abstractmethod
    def enable_auto_merge(self, number: int, *, method: str = "merge") -> None:
        """Merge automatically once required checks pass. ``method``: merge, squash or rebase."""

    @abstractmethod
    def comments(self, number: int) -> Iterator[Comment]:
        """All comments on the pull request, oldest first (every page)."""

    @abstractmethod
    def add_comment(self, number: int, body: str) -> Comment:
        """Post a new comment."""

    @abstractmethod
    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        """Replace the text of a comment."""

    @abstractmethod
    def _whoami(self) -> str | None:
        """Login of the token's user, or ``None`` when the token cannot tell (app/job tokens)."""

    # -- behaviour built on the primitives ------------------------------------------
    def bot_login(self) -> str | None:
        """Who the token posts as, asked once; ``None`` means "match sticky comments by marker only"."""
        if not self._identity_resolved:
            self._bot_login = self._whoami()
            self._identity_resolved = True
            if self._bot_login is None:
                log.info("%s: cannot tell which user the token belongs to; sticky comments are "
                         "matched by their marker alone", self.forge)
        return self._bot_login

    def fit(self, body: str) -> str:
        return fit_body(body, self.max_body_chars)

    def find_comment(self, number: int, marker: str) -> Comment | None:
        """The sticky comment tagged ``marker``: the bot's own (a human quoting the marker is
        not it), found in one listing of the pull request's comments."""
        tag = comment_marker(marker)
        me = self.bot_login()
        return next((c for c in self.comments(number) if tag in c.body and (me is None or c.author == me)), None)

    def upsert_comment(self, number: int, marker: str, body: str) -> Comment:
        """Create the sticky comment tagged ``marker`` once, then edit it on every later run."""
        return self.save_comment(number, marker, body, self.find_comment(number, marker))

    def save_comment(self, number: int, marker: str, body: str, existing: Comment | None) -> Comment:
        """Write the sticky comment :meth:`find_comment` found (``existing``), or create it.

        For a caller that read the comment first (to keep its other sections): the comments
        are not listed a second time. An unchanged body is not re-sent, so re-runs do not
        notify anyone.
        """
        text = self.fit(f"{comment_marker(marker)}\n{body}")
        if existing is None:
            return self.add_comment(number, text)
        if existing.body == text:
            return existing
        return self.edit_comment(number, existing.id, text)

    def ensure(self, head: str, base: str, title: str, body: str, *, draft: bool = False,
               labels: Sequence[str] = (), reviewers: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> tuple[PullRequest, bool]:
        """Find-or-create: returns ``(pull_request, created)``; never opens a duplicate.

        An existing PR gets the new title/body (only if they changed) and any missing
        labels; reviewers and assignees are only set on creation, so humans who changed
        them are not overridden and nobody is re-notified on every run. If another run
        created the PR between our lookup and our create, the forge's "already exists"
        answer sends us to update that one instead.
        """
        existing = self.find_open(head, base)
        if existing is None:
            try:
                return self.create(head, base, title, body, draft=draft, labels=labels,
                                   reviewers=reviewers, assignees=assignees), True
            except ForgeError as exc:
                if exc.kind != E.EXISTS:
                    raise
                existing = self.find_open(head, base)
                if existing is None:
                    raise
        pr = existing
        if existing.title != title or existing.body != self.fit(body):
            pr = self.update(existing.number, title=title, body=body)
        if labels:
            self.add_labels(pr.number, labels)
        return pr, False

    def follow_push(self, head: str, base: str, title: str, body: str, *, on_base: bool, draft: bool = False,
                    labels: Sequence[str] = (), reviewers: Sequence[str] = (), assignees: Sequence[str] = (),
                    auto_merge: bool = False) -> tuple[PullRequest | None, str]:
        """The pull request for ``head`` right after it was pushed (or found up to date).

        Found-or-created (:meth:`ensure`), auto-merge enabled when asked. When the base already
        has the change (``on_base``: nothing was pushed) an open one is stale and is closed.
        Returns the pull request (``None``: nothing open to close) and what was done:
        ``opened``, ``updated`` or ``closed``.
        """
        if on_base:
            stale = self.find_open(head, base)
            return (self.close(stale.number), "closed") if stale is not None else (None, "")
        pr, created = self.ensure(head, base, title, body, draft=draft, labels=labels, reviewers=reviewers,
                                  assignees=assignees)
        if auto_merge:
            self.enable_auto_merge(pr.number)
        return pr, "opened" if created else "updated"
