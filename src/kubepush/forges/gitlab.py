"""GitLab (gitlab.com and self-managed ``/api/v4``) merge requests.

Auth: ``PRIVATE-TOKEN`` for personal/project/group access tokens, ``JOB-TOKEN`` for
``CI_JOB_TOKEN``. The project is addressed by numeric id or URL-encoded path
(``group%2Fsub%2Fproject``). Drafts are the ``Draft:`` title prefix (the create API
has no draft flag). Reviewers and assignees are user ids in the API; names given
to kubepush are looked up once. Notes (comments) are not in the extracted
OpenAPI contract; they follow the documented Notes API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests

from kubepush.forges import errors as E
from kubepush.forges.base import Comment, PullRequest, PullRequests, login_of
from kubepush.forges.errors import ForgeError
from kubepush.forges.http import Dialect, TokenAuth, Transport, header_retry_after
from kubepush.net.retry import RetryPolicy

DEFAULT_API_URL = "https://gitlab.com/api/v4"
DRAFT_PREFIX = "Draft: "
_DRAFT_RE = re.compile(r"^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s)\s*", re.IGNORECASE)
_STATES = {"opened": "open", "locked": "open", "closed": "closed", "merged": "merged"}


class GitLabDialect(Dialect):
    def __init__(self, token_env: str) -> None:
        super().__init__(
            forge="GitLab", token_env=token_env,
            permission_hint=("the token needs the 'api' scope and at least the Developer role "
                             "on the project (CI_JOB_TOKEN cannot create merge requests: use a "
                             "project access token)"))

    def is_already_exists(self, status: int, message: str) -> bool:
        return status == 409 and "already exists" in message.lower()

    def rate_limit_wait(self, resp: requests.Response, now: float) -> float | None:
        if resp.status_code != 429:
            return None
        after = header_retry_after(resp, now)
        if after is not None:
            return after
        try:
            return max(0.0, float(resp.headers["RateLimit-Reset"]) - now)
        except (KeyError, ValueError):
            return 60.0

    def next_page(self, resp: requests.Response) -> str | None:
        """``Link: rel="next"``, or (keyset-less offset pagination) ``X-Next-Page``."""
        nxt = super().next_page(resp)
        page = resp.headers.get("X-Next-Page", "").strip()
        if nxt or not page:
            return nxt
        parts = urlsplit(resp.url)
        query = dict(parse_qsl(parts.query))
        query["page"] = page
        return urlunsplit(parts._replace(query=urlencode(query)))


def strip_draft(title: str) -> str:
    return _DRAFT_RE.sub("", title, count=1)


class GitLab(PullRequests):
    """Merge requests of one project (``group/sub/project`` path or numeric id)."""

    forge = "GitLab"
    max_body_chars = 1_000_000  # GitLab's limit for descriptions and notes
    BODY_FIELD = "description"
    DRAFT_TITLE_PREFIX = DRAFT_PREFIX
    CLOSE_FIELDS = {"state_event": "close"}

    def __init__(self, project: str | int, *, token: str | None,
                 api_url: str = DEFAULT_API_URL, token_env: str = "GITLAB_TOKEN",
                 job_token: bool = False, bot_login: str | None = None,
                 verify: bool | str = True, timeout: tuple[float, float] = (10.0, 30.0),
                 retry: RetryPolicy | None = None) -> None:
        auth = TokenAuth(token, "JOB-TOKEN" if job_token else "PRIVATE-TOKEN", None) \
            if token else None
        http = Transport(api_url, GitLabDialect(token_env), auth,
                         subject=f"project {project}", verify=verify, timeout=timeout,
                         retry=retry or RetryPolicy())
        super().__init__(http, bot_login=bot_login)
        self.project = project
        self._base = f"projects/{quote(str(project), safe='')}"
        self._user_ids: dict[str, int] = {}

    def _pr(self, data: dict[str, Any]) -> PullRequest:
        draft = bool(data.get("draft", data.get("work_in_progress", False)))
        title = strip_draft(data["title"]) if draft else data["title"]
        return PullRequest(number=data["iid"], url=data["web_url"],
                           head_branch=data["source_branch"], base_branch=data["target_branch"],
                           title=title, body=data.get("description") or "",
                           state=_STATES.get(data["state"], data["state"]), draft=draft)

    def _mr(self, number: int) -> str:
        return f"{self._base}/merge_requests/{int(number)}"

    def find_open(self, head_branch: str, base_branch: str) -> PullRequest | None:
        params = {"state": "opened", "source_branch": head_branch,
                  "target_branch": base_branch, "per_page": 100}
        for item in self.http.paginate(f"{self._base}/merge_requests",
                                       operation="list merge requests", params=params):
            if item["source_branch"] == head_branch and item["target_branch"] == base_branch:
                return self._pr(item)
        return None

    def create(self, head: str, base: str, title: str, body: str, *, draft: bool = False,
               labels: Sequence[str] = (), reviewers: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> PullRequest:
        payload: dict[str, Any] = {
            "source_branch": head, "target_branch": base,
            "title": (DRAFT_PREFIX + title) if draft else title, "description": self.fit(body)}
        if labels:
            payload["labels"] = list(labels)
        if reviewers:
            payload["reviewer_ids"] = self._ids(reviewers)
        if assignees:
            payload["assignee_ids"] = self._ids(assignees)
        return self._pr(self.http.json("POST", f"{self._base}/merge_requests",
                                       operation="create merge request", ok=(201,), json=payload))

    def _get(self, number: int) -> dict[str, Any]:
        return self.http.json_object("GET", self._mr(number), operation="get merge request", ok=(200,))

    def get(self, number: int) -> PullRequest:
        return self._pr(self._get(number))

    def _edit(self, number: int, fields: dict[str, Any]) -> PullRequest:
        return self._pr(self.http.json("PUT", self._mr(number), operation="update merge request",
                                       ok=(200,), json=fields))

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            self._edit(number, {"add_labels": list(labels)})

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        self._add_people(number, "reviewers", "reviewer_ids", reviewers)

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        self._add_people(number, "assignees", "assignee_ids", assignees)

    def _add_people(self, number: int, key: str, field: str, names: Sequence[str]) -> None:
        """``*_ids`` replace the whole list, so merge with the current one."""
        if not names:
            return
        current = [u["id"] for u in self._get(number).get(key) or []]
        wanted = current + [i for i in self._ids(names) if i not in current]
        if wanted != current:
            self._edit(number, {field: wanted})

    def _ids(self, names: Sequence[str]) -> list[int]:
        """User names -> ids (``GET /users?username=``); digits are taken as ids."""
        ids = []
        for name in names:
            if str(name).isdigit():
                ids.append(int(name))
                continue
            if name not in self._user_ids:
                found = self.http.json("GET", "users", operation="find user",
                                       params={"username": name}, ok=(200,)) or []
                if not found:
                    raise ForgeError(f"GitLab has no user {name!r} (reviewer/assignee); check "
                                     "the name", operation="find user", kind=E.NOT_FOUND)
                self._user_ids[name] = found[0]["id"]
            ids.append(self._user_ids[name])
        return ids

    def enable_auto_merge(self, number: int, *, method: str = "merge") -> None:
        """Accept with ``auto_merge`` (GitLab >= 17) and the older ``merge_when_pipeline_succeeds``."""
        if method not in ("merge", "squash"):
            raise ValueError("GitLab auto-merge supports method 'merge' or 'squash' "
                             "(rebase is a project setting)")
        payload: dict[str, Any] = {"auto_merge": True, "merge_when_pipeline_succeeds": True}
        if method == "squash":
            payload["squash"] = True
        self.http.call("PUT", f"{self._mr(number)}/merge", operation="accept merge request",
                       ok=(200,), json=payload)

    def _comment(self, data: dict[str, Any]) -> Comment:
        return Comment(id=data["id"], body=data.get("body") or "",
                       author=(data.get("author") or {}).get("username", ""))

    def comments(self, number: int) -> Iterator[Comment]:
        for item in self.http.paginate(f"{self._mr(number)}/notes", operation="list notes",
                                       params={"sort": "asc", "order_by": "created_at",
                                               "per_page": 100}):
            if not item.get("system"):
                yield self._comment(item)

    def add_comment(self, number: int, body: str) -> Comment:
        return self._comment(self.http.json("POST", f"{self._mr(number)}/notes",
                                            operation="create note", ok=(201,),
                                            json={"body": self.fit(body)}))

    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        return self._comment(self.http.json("PUT", f"{self._mr(number)}/notes/{int(comment_id)}",
                                            operation="update note", ok=(200,),
                                            json={"body": self.fit(body)}))

    def _whoami(self) -> str | None:
        """``GET /user``; a job token may not read it, hence ``None``."""
        try:
            user = self.http.json_object("GET", "user", operation="get current user", ok=(200,))
        except ForgeError as exc:
            if exc.kind in (E.PERMISSION, E.NOT_FOUND, E.AUTH) and \
                    self.http.auth is not None and self.http.auth.header == "JOB-TOKEN":
                return None
            raise
        return login_of(user, "username")
