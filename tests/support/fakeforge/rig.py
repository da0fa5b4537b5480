"""A forge-neutral view over (fake, client) pairs so one test body covers all three forges."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kubepush.forges.base import PullRequests
from kubepush.forges.gitea import Gitea
from kubepush.forges.github import GitHub
from kubepush.forges.gitlab import GitLab
from kubepush.net.retry import RetryPolicy

from .gitlab import FakeGitLab
from .server import FakeForge

#: the operation id each fake uses for these actions, for fault injection and call counts
OPS = {
    "github": {"list": "pulls/list", "create": "pulls/create", "update": "pulls/update",
               "get": "pulls/get", "comments": "issues/list-comments",
               "add_comment": "issues/create-comment", "edit_comment": "issues/update-comment"},
    "gitlab": {"list": "getApiV4ProjectsIdMergeRequests",
               "create": "postApiV4ProjectsIdMergeRequests",
               "update": "putApiV4ProjectsIdMergeRequestsMergeRequestIid",
               "get": "getApiV4ProjectsIdMergeRequestsMergeRequestIid",
               "comments": "list notes", "add_comment": "create note",
               "edit_comment": "update note"},
    "gitea": {"list": "repoListPullRequests", "create": "repoCreatePullRequest",
              "update": "repoEditPullRequest", "get": "repoGetPullRequest",
              "comments": "issueGetComments", "add_comment": "issueCreateComment",
              "edit_comment": "issueEditComment"},
}


@dataclass
class Sleeps:
    """Stands in for ``time.sleep``: records each wait and sleeps at most 10 ms of it."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(min(seconds, 0.01))


def make_client(kind: str, fake: FakeForge, *, token: str | None = None,
                repo: str | None = None, sleep: Any = None, **kw: Any) -> PullRequests:
    retry = RetryPolicy(attempts=4, max_wait=5.0, backoff=0.05,
                        sleep=sleep if sleep is not None else Sleeps())
    kw.setdefault("timeout", (2.0, 2.0))
    token = fake.token if token is None else token
    owner, name = fake.owner, repo or fake.repo
    if kind == "github":
        return GitHub(owner, name, token=token, api_url=fake.url, retry=retry, **kw)  # type: ignore[attr-defined]
    if kind == "gitlab":
        return GitLab(f"{owner}/{name}", token=token, api_url=fake.url, retry=retry, **kw)  # type: ignore[attr-defined]
    return Gitea(owner, name, token=token, api_url=fake.url, retry=retry, **kw)  # type: ignore[attr-defined]


@dataclass
class Rig:
    kind: str
    fake: Any
    client: PullRequests
    sleeps: Sleeps

    def op(self, action: str) -> str:
        return OPS[self.kind][action]

    def branch(self, *names: str) -> None:
        self.fake.branches.update(names)

    def open_prs(self) -> list[dict[str, Any]]:
        """The fake's open PRs in one shape: title (raw), body, labels, people, auto-merge."""
        f = self.fake
        if isinstance(f, FakeGitLab):
            names = {v: k for k, v in f.users.items()}
            return [{"number": m["iid"], "title": m["title"], "body": m["description"],
                     "head": m["source_branch"], "labels": m["labels"],
                     "reviewers": [names[i] for i in m["reviewer_ids"]],
                     "assignees": [names[i] for i in m["assignee_ids"]],
                     "auto_merge": m["auto_merge"]}
                    for m in f.mrs.values() if m["state"] == "opened"]
        return [{"number": p["number"], "title": p["title"], "body": p["body"],
                 "head": p["head"], "labels": p["labels"],
                 "reviewers": p["reviewers"] + [f"{f.owner}/{t}" for t in p.get("teams", [])],
                 "assignees": p["assignees"], "auto_merge": p["auto_merge"]}
                for p in f.pulls.values() if p["state"] == "open"]

    def comments(self, number: int) -> list[tuple[str, str]]:
        f = self.fake
        if isinstance(f, FakeGitLab):
            return [(n["author"], n["body"]) for n in sorted(f.notes.values(), key=lambda n: n["id"])
                    if n["iid"] == number]
        return [(c["user"], c["body"]) for c in sorted(f.issue_comments.values(),
                                                         key=lambda c: c["id"])
                if c["issue"] == number]

    def human_comment(self, number: int, body: str, user: str = "alice") -> None:
        if isinstance(self.fake, FakeGitLab):
            self.fake.add_note(number, body, user)
        else:
            self.fake.add_human_comment(number, body, user)
