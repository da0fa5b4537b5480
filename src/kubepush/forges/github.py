"""GitHub (github.com and GitHub Enterprise Server) pull requests over the REST API.

Auth is ``Authorization: Bearer <token>`` for personal, fine-grained, Actions and App
installation tokens alike. Auto-merge has no REST endpoint, so it uses the GraphQL
``enablePullRequestAutoMerge`` mutation (``/graphql``; on GHES ``/api/graphql``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

import requests

from kubepush.forges import errors as E
from kubepush.forges.base import Comment, PullRequest, PullRequests, issue_comment, login_of, split_reviewers
from kubepush.forges.errors import ForgeError
from kubepush.forges.http import Dialect, TokenAuth, Transport, header_retry_after
from kubepush.net.retry import RetryPolicy

DEFAULT_API_URL = "https://api.github.com"
_MERGE_METHODS = {"merge": "MERGE", "squash": "SQUASH", "rebase": "REBASE"}
_AUTO_MERGE_MUTATION = (
    "mutation($id: ID!, $method: PullRequestMergeMethod) { "
    "enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) { "
    "pullRequest { number autoMergeRequest { enabledAt mergeMethod } } } }"
)


class GitHubDialect(Dialect):
    """GitHub's error bodies, rate limits (primary and secondary) and permission headers."""

    def __init__(self, token_env: str) -> None:
        super().__init__(
            forge="GitHub", token_env=token_env,
            permission_hint=("the token needs 'pull_requests: write' and 'issues: write' "
                             "(fine-grained token or GitHub App) or the 'repo' scope (classic "
                             "token); in GitHub Actions grant `permissions: pull-requests: write`"))

    def error_message(self, body: Any) -> str:
        """``message`` plus each ``errors[]`` entry (its ``message``, or resource.field code)."""
        if not isinstance(body, dict):
            return ""
        parts = [str(body.get("message") or "")]
        for err in body.get("errors") or []:
            if isinstance(err, dict):
                parts.append(str(err.get("message") or " ".join(
                    str(err[k]) for k in ("resource", "field", "code") if err.get(k))))
            else:
                parts.append(str(err))
        return ": ".join(p for p in parts if p)

    def is_already_exists(self, status: int, message: str) -> bool:
        return status == 422 and "already exists" in message.lower()

    def rate_limit_wait(self, resp: requests.Response, now: float) -> float | None:
        """Primary limit: wait for ``x-ratelimit-reset``; secondary: ``retry-after`` or 60s."""
        if resp.status_code not in (403, 429):
            return None
        after = header_retry_after(resp, now)
        if after is not None:
            return after
        if resp.headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(0.0, float(resp.headers["x-ratelimit-reset"]) - now)
            except (KeyError, ValueError):
                return 60.0
        text = resp.text.lower()
        if resp.status_code == 429 or "rate limit" in text:
            return 60.0  # GitHub docs: wait at least one minute for a secondary limit
        return None

    def forbidden_advice(self, resp: requests.Response, message: str) -> str:
        need = resp.headers.get("X-Accepted-GitHub-Permissions")
        scopes = resp.headers.get("X-Accepted-OAuth-Scopes")
        if need or scopes:
            wanted = " or ".join(filter(None, [
                need and f"permission {need} (fine-grained token / GitHub App)",
                scopes and f"scope '{scopes}' (classic token)"]))
            return f"permission denied ({message or 'forbidden'}): the token needs {wanted}"
        return super().forbidden_advice(resp, message)


class GitHub(PullRequests):
    """Pull requests of ``owner/repo`` on github.com or a GHES ``https://host/api/v3``."""

    forge = "GitHub"
    max_body_chars = 65536

    def __init__(self, owner: str, repo: str, *, token: str | None,
                 api_url: str = DEFAULT_API_URL, token_env: str = "GITHUB_TOKEN",
                 bot_login: str | None = None, verify: bool | str = True,
                 timeout: tuple[float, float] = (10.0, 30.0),
                 retry: RetryPolicy | None = None) -> None:
        http = Transport(api_url, GitHubDialect(token_env),
                         TokenAuth(token, "Authorization", "Bearer") if token else None,
                         subject=f"repository {owner}/{repo}", verify=verify, timeout=timeout,
                         retry=retry or RetryPolicy())
        http.session.headers.update({"Accept": "application/vnd.github+json",
                                     "X-GitHub-Api-Version": "2022-11-28"})
        super().__init__(http, bot_login=bot_login)
        self.owner, self.repo = owner, repo
        self._base = f"repos/{quote(owner, safe='')}/{quote(repo, safe='')}"

    @property
    def graphql_url(self) -> str:
        api = self.http.api_url
        return api[: -len("/v3")] + "/graphql" if api.endswith("/api/v3") else api + "/graphql"

    def _pr(self, data: dict[str, Any]) -> PullRequest:
        state = "merged" if data.get("merged_at") else data["state"]
        return PullRequest(number=data["number"], url=data["html_url"],
                           head_branch=data["head"]["ref"], base_branch=data["base"]["ref"],
                           title=data["title"], body=data.get("body") or "", state=state,
                           draft=bool(data.get("draft")))

    def find_open(self, head_branch: str, base_branch: str) -> PullRequest | None:
        params = {"state": "open", "head": f"{self.owner}:{head_branch}", "base": base_branch,
                  "per_page": 100}
        for item in self.http.paginate(f"{self._base}/pulls", operation="pulls/list",
                                       params=params):
            if item["head"]["ref"] == head_branch and item["base"]["ref"] == base_branch:
                return self._pr(item)
        return None

    def create(self, head: str, base: str, title: str, body: str, *, draft: bool = False,
               labels: Sequence[str] = (), reviewers: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> PullRequest:
        data = self.http.json("POST", f"{self._base}/pulls", operation="pulls/create", ok=(201,),
                              json={"title": title, "head": head, "base": base,
                                    "body": self.fit(body), "draft": draft})
        pr = self._pr(data)
        if labels:
            self.add_labels(pr.number, labels)
        if reviewers:
            self.request_reviewers(pr.number, reviewers)
        if assignees:
            self.add_assignees(pr.number, assignees)
        return pr

    def get(self, number: int) -> PullRequest:
        return self._pr(self._get(number))

    def _get(self, number: int) -> dict[str, Any]:
        return self.http.json_object("GET", f"{self._base}/pulls/{int(number)}",
                                     operation="pulls/get", ok=(200,))

    def _edit(self, number: int, fields: dict[str, Any]) -> PullRequest:
        return self._pr(self.http.json("PATCH", f"{self._base}/pulls/{int(number)}",
                                       operation="pulls/update", ok=(200,), json=fields))

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            self.http.call("POST", f"{self._base}/issues/{int(number)}/labels",
                           operation="issues/add-labels", ok=(200,),
                           json={"labels": list(labels)})

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        users, teams = split_reviewers(reviewers)
        if users or teams:
            self.http.call("POST", f"{self._base}/pulls/{int(number)}/requested_reviewers",
                           operation="pulls/request-reviewers", ok=(201,),
                           json={"reviewers": users, "team_reviewers": teams})

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        if assignees:
            self.http.call("POST", f"{self._base}/issues/{int(number)}/assignees",
                           operation="issues/add-assignees", ok=(201,),
                           json={"assignees": list(assignees)})

    def enable_auto_merge(self, number: int, *, method: str = "merge") -> None:
        """GraphQL ``enablePullRequestAutoMerge``: REST has no way to request auto-merge."""
        if method not in _MERGE_METHODS:
            raise ValueError(f"merge method must be one of {sorted(_MERGE_METHODS)}")
        data = self._get(number)
        if data.get("auto_merge"):
            return
        answer = self.http.json("POST", self.graphql_url, operation="graphql enablePullRequestAutoMerge",
                                ok=(200,), json={"query": _AUTO_MERGE_MUTATION, "variables": {
                                    "id": data["node_id"], "method": _MERGE_METHODS[method]}})
        errors = (answer or {}).get("errors") or []
        if errors:
            text = "; ".join(str(e.get("message", e)) for e in errors)
            raise ForgeError(
                self.http._redact(f"GitHub enablePullRequestAutoMerge failed for #{number}: {text} "
                                  "(auto-merge must be allowed in the repository settings and "
                                  "the base branch needs required checks)"),
                operation="graphql enablePullRequestAutoMerge", status=200, kind=E.VALIDATION,
                forge_message=text)

    def comments(self, number: int) -> Iterator[Comment]:
        for item in self.http.paginate(f"{self._base}/issues/{int(number)}/comments",
                                       operation="issues/list-comments", params={"per_page": 100}):
            yield issue_comment(item)

    def add_comment(self, number: int, body: str) -> Comment:
        return issue_comment(self.http.json(
            "POST", f"{self._base}/issues/{int(number)}/comments",
            operation="issues/create-comment", ok=(201,), json={"body": self.fit(body)}))

    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        return issue_comment(self.http.json(
            "PATCH", f"{self._base}/issues/comments/{int(comment_id)}",
            operation="issues/update-comment", ok=(200,), json={"body": self.fit(body)}))

    def _whoami(self) -> str | None:
        """``GET /user``; Actions and App installation tokens get 403 there, hence ``None``."""
        try:
            user = self.http.json_object("GET", "user", operation="users/get-authenticated", ok=(200,))
        except ForgeError as exc:
            if exc.kind in (E.PERMISSION, E.NOT_FOUND):
                return None
            raise
        return login_of(user, "login")
