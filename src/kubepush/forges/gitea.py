"""Gitea and Forgejo (``/api/v1``) pull requests.

Auth is ``Authorization: token <t>``. Gitea has no draft flag: a ``WIP:`` title
prefix makes a PR a work in progress. Labels on a PR are set by id, so names are
mapped through the repository's labels (created when missing, like GitHub and
GitLab do implicitly). Auto-merge is a merge call with ``merge_when_checks_succeed``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from kubepush.forges import errors as E
from kubepush.forges.base import Comment, PullRequest, PullRequests, issue_comment, login_of, split_reviewers
from kubepush.forges.errors import ForgeError
from kubepush.forges.http import Dialect, TokenAuth, Transport
from kubepush.net.retry import RetryPolicy

WIP_PREFIX = "WIP: "
_WIP_RE = re.compile(r"^\s*(wip:|\[wip\])\s*", re.IGNORECASE)  # Gitea's default prefixes
_NEW_LABEL_COLOR = "#ededed"


class GiteaDialect(Dialect):
    def __init__(self, token_env: str) -> None:
        super().__init__(
            forge="Gitea", token_env=token_env,
            permission_hint=("the token needs the 'write:repository' and 'write:issue' scopes "
                             "and write access to the repository"))

    def is_already_exists(self, status: int, message: str) -> bool:
        return status == 409 and "already exists" in message.lower()


class Gitea(PullRequests):
    """Pull requests of ``owner/repo`` on a Gitea or Forgejo server (``https://host/api/v1``)."""

    forge = "Gitea"
    max_body_chars = 1_000_000  # no documented limit; keep bodies to a sane size anyway
    DRAFT_TITLE_PREFIX = WIP_PREFIX

    def __init__(self, owner: str, repo: str, *, token: str | None, api_url: str,
                 token_env: str = "GITEA_TOKEN", bot_login: str | None = None,
                 verify: bool | str = True, timeout: tuple[float, float] = (10.0, 30.0),
                 retry: RetryPolicy | None = None) -> None:
        http = Transport(api_url, GiteaDialect(token_env),
                         TokenAuth(token, "Authorization", "token") if token else None,
                         subject=f"repository {owner}/{repo}", verify=verify, timeout=timeout,
                         retry=retry or RetryPolicy())
        super().__init__(http, bot_login=bot_login)
        self.owner, self.repo = owner, repo
        self._base = f"repos/{quote(owner, safe='')}/{quote(repo, safe='')}"

    def _pr(self, data: dict[str, Any]) -> PullRequest:
        title = data["title"]
        draft = bool(data.get("draft")) or bool(_WIP_RE.match(title))
        state = "merged" if data.get("merged") else data["state"]
        return PullRequest(number=data["number"], url=data["html_url"],
                           head_branch=data["head"]["ref"], base_branch=data["base"]["ref"],
                           title=_WIP_RE.sub("", title, count=1) if draft else title,
                           body=data.get("body") or "", state=state, draft=draft)

    def _pull(self, number: int) -> str:
        return f"{self._base}/pulls/{int(number)}"

    def find_open(self, head_branch: str, base_branch: str) -> PullRequest | None:
        """List open PRs into ``base`` (the list has no head filter) and match the head."""
        params = {"state": "open", "base_branch": base_branch, "limit": 50}
        full_name = f"{self.owner}/{self.repo}".lower()
        for item in self.http.paginate(f"{self._base}/pulls", operation="repoListPullRequests",
                                       params=params):
            head = item["head"]
            same_repo = not head.get("repo") or head["repo"].get("full_name", "").lower() == full_name
            if head["ref"] == head_branch and item["base"]["ref"] == base_branch and same_repo:
                return self._pr(item)
        return None

    def create(self, head: str, base: str, title: str, body: str, *, draft: bool = False,
               labels: Sequence[str] = (), reviewers: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> PullRequest:
        payload: dict[str, Any] = {"head": head, "base": base, "body": self.fit(body),
                                   "title": (WIP_PREFIX + title) if draft else title}
        if assignees:
            payload["assignees"] = list(assignees)
        pr = self._pr(self.http.json("POST", f"{self._base}/pulls",
                                     operation="repoCreatePullRequest", ok=(201,), json=payload))
        if labels:
            self.add_labels(pr.number, labels)
        if reviewers:
            self.request_reviewers(pr.number, reviewers)
        return pr

    def _get(self, number: int) -> dict[str, Any]:
        return self.http.json_object("GET", self._pull(number), operation="repoGetPullRequest", ok=(200,))

    def get(self, number: int) -> PullRequest:
        return self._pr(self._get(number))

    def _edit(self, number: int, fields: dict[str, Any]) -> PullRequest:
        # Gitea answers 201 (not 200) to an edit
        return self._pr(self.http.json("PATCH", self._pull(number),
                                       operation="repoEditPullRequest", ok=(200, 201),
                                       json=fields))

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            ids = self._label_ids(labels)
            self.http.call("POST", f"{self._base}/issues/{int(number)}/labels",
                           operation="issueAddLabel", ok=(200,), json={"labels": ids})

    def _label_ids(self, names: Sequence[str]) -> list[int]:
        known = {item["name"]: item["id"] for item in self.http.paginate(
            f"{self._base}/labels", operation="issueListLabels", params={"limit": 50})}
        ids = []
        for name in names:
            if name not in known:
                created = self.http.json("POST", f"{self._base}/labels",
                                         operation="issueCreateLabel", ok=(201,),
                                         json={"name": name, "color": _NEW_LABEL_COLOR})
                known[name] = created["id"]
            ids.append(known[name])
        return ids

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        users, teams = split_reviewers(reviewers)
        if users or teams:
            self.http.call("POST", f"{self._pull(number)}/requested_reviewers",
                           operation="repoCreatePullReviewRequests", ok=(201,),
                           json={"reviewers": users, "team_reviewers": teams})

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        """``assignees`` in an edit replaces the list, so merge with the current one."""
        if not assignees:
            return
        current = [u["login"] for u in self._get(number).get("assignees") or []]
        wanted = current + [a for a in assignees if a not in current]
        if wanted != current:
            self._edit(number, {"assignees": wanted})

    def enable_auto_merge(self, number: int, *, method: str = "merge") -> None:
        """Schedule the merge for when checks pass (201), or merge now if they already have (200)."""
        if method not in ("merge", "squash", "rebase"):
            raise ValueError("merge method must be merge, squash or rebase")
        try:
            self.http.call("POST", f"{self._pull(number)}/merge", operation="repoMergePullRequest",
                           ok=(200, 201), json={"do": method, "merge_when_checks_succeed": True})
        except ForgeError as exc:
            if exc.status == 409 and "schedul" in exc.forge_message.lower():
                return  # already scheduled: what we wanted
            raise

    def comments(self, number: int) -> Iterator[Comment]:
        for item in self.http.paginate(f"{self._base}/issues/{int(number)}/comments",
                                       operation="issueGetComments"):
            yield issue_comment(item)

    def add_comment(self, number: int, body: str) -> Comment:
        return issue_comment(self.http.json(
            "POST", f"{self._base}/issues/{int(number)}/comments",
            operation="issueCreateComment", ok=(201,), json={"body": self.fit(body)}))

    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        data = self.http.json("PATCH", f"{self._base}/issues/comments/{int(comment_id)}",
                              operation="issueEditComment", ok=(200, 204),
                              json={"body": self.fit(body)})
        return issue_comment(data) if data else Comment(comment_id, self.fit(body),
                                                         self.bot_login() or "")

    def _whoami(self) -> str | None:
        try:
            user = self.http.json_object("GET", "user", operation="userGetCurrent", ok=(200,))
        except ForgeError as exc:
            if exc.kind == E.PERMISSION:
                return None
            raise
        return login_of(user, "login")
