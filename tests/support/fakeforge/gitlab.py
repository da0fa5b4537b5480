"""Fake GitLab ``/api/v4`` merge requests, per contracts/gitlab.json.

The contract has no MR entity schema (stubs accept anything), so MR bodies follow
GitLab's REST docs; the Notes and Users endpoints are not in the contract either and
are registered as documented extras.
"""

from __future__ import annotations

import time
from typing import Any

from .contract import GitLabContract
from .server import FakeForge, Request, Response, route

DOCS = "https://docs.gitlab.com/api"


class FakeGitLab(FakeForge):
    contract_cls = GitLabContract
    forge = "gitlab"

    def __init__(self, owner: str = "octo", repo: str = "app") -> None:
        super().__init__(owner, repo)
        self.project_path = f"{owner}/{repo}"
        self.project_id = 42
        self.mrs: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, dict[str, Any]] = {}
        self.branches = {"main"}
        self.users = {self.bot: 10, "alice": 11, "bob": 12, "carol": 13}
        self.job_token = f"job{self.token}"
        self.tokens[self.job_token] = ("gitlab-ci-token", True)
        self._seq = 0

    @property
    def url(self) -> str:
        return self.origin + "/api/v4"

    # -- forge conventions ------------------------------------------------------------
    def error(self, status: int, message: Any, **extra: Any) -> Response:
        if isinstance(message, str) and status in (401, 403, 404, 405, 429) and \
                not message.startswith(str(status)):
            message = f"{status} {message}"
        return Response(status, {"message": message, **extra})

    def auth_token(self, headers: dict[str, str]) -> str | None:
        for name in ("PRIVATE-TOKEN", "JOB-TOKEN"):
            if headers.get(name):
                return headers[name]
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return token if scheme.lower() == "bearer" and token else None

    def unauthorized(self) -> Response:
        return self.error(401, "401 Unauthorized")

    def forbidden(self, req: Request) -> Response:
        return self.error(403, "403 Forbidden")

    def scope(self, req: Request) -> Response | None:
        pid = req.params.get("id")
        if pid is not None and pid not in (self.project_path, str(self.project_id)):
            return self.error(404, "404 Project Not Found")
        if "merge_request_iid" in req.params and int(req.params["merge_request_iid"]) not in self.mrs:
            return self.error(404, "404 Not found")
        return None

    def common_headers(self, req: Request, resp: Response) -> None:
        if resp.status == 429:
            after = resp.headers.get("Retry-After", "60")
            reset = int(time.time()) + (int(after) if after.isdigit() else 60)
            resp.headers.setdefault("RateLimit-Limit", "600")
            resp.headers.setdefault("RateLimit-Observed", "601")
            resp.headers.setdefault("RateLimit-Remaining", "0")
            resp.headers.setdefault("RateLimit-Reset", str(reset))

    # -- rendering ---------------------------------------------------------------------
    def _user(self, name: str) -> dict[str, Any]:
        return {"id": self.users.get(name, 99), "username": name, "name": name.title(),
                "state": "active", "web_url": f"https://gitlab.example/{name}"}

    def render(self, mr: dict[str, Any]) -> dict[str, Any]:
        draft = mr["title"].lower().startswith(("draft:", "[draft]", "(draft)", "draft -"))
        ids = {v: k for k, v in self.users.items()}
        return {
            "id": 9000 + mr["iid"], "iid": mr["iid"], "project_id": self.project_id,
            "title": mr["title"], "description": mr["description"], "state": mr["state"],
            "draft": draft, "work_in_progress": draft,
            "source_branch": mr["source_branch"], "target_branch": mr["target_branch"],
            "source_project_id": self.project_id, "target_project_id": self.project_id,
            "labels": list(mr["labels"]), "author": self._user(mr["author"]),
            "assignees": [self._user(ids[i]) for i in mr["assignee_ids"]],
            "reviewers": [self._user(ids[i]) for i in mr["reviewer_ids"]],
            "merge_when_pipeline_succeeds": mr["auto_merge"], "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable",
            "web_url": f"https://gitlab.example/{self.project_path}/-/merge_requests/{mr['iid']}",
            "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
        }

    def _ids(self, value: Any) -> list[int] | Response:
        ids = value.split(",") if isinstance(value, str) else list(value or [])
        ids = [int(i) for i in ids]
        if set(ids) - set(self.users.values()):
            return self.error(400, "reviewer_ids/assignee_ids contain unknown users")
        return ids

    @staticmethod
    def _labels(value: Any) -> list[str]:
        return [v.strip() for v in (value.split(",") if isinstance(value, str) else value or [])
                if v.strip()]

    # -- merge requests ---------------------------------------------------------------
    @route("getApiV4ProjectsIdMergeRequests")
    def list_mrs(self, req: Request) -> Response:
        state = req.arg("state", "all")
        src, tgt = req.arg("source_branch"), req.arg("target_branch")
        found = [self.render(m) for m in sorted(self.mrs.values(), key=lambda m: -m["iid"])
                 if state in ("all", m["state"]) and src in (None, m["source_branch"])
                 and tgt in (None, m["target_branch"])]
        return self.paginate(req, found, default_size=20, extra_headers=True)

    @route("postApiV4ProjectsIdMergeRequests")
    def create_mr(self, req: Request) -> Response:
        b = req.body
        if b["source_branch"] not in self.branches:
            return self.error(422, {"source_branch": ["is invalid"]})
        for m in self.mrs.values():
            if m["state"] == "opened" and (m["source_branch"], m["target_branch"]) == (
                    b["source_branch"], b["target_branch"]):
                # real GitLab wraps this one message in a list; the contract's error_body
                # says string or object, so the fake sends the string form
                return self.error(409, "Another open merge request already exists for this "
                                  f"source branch: !{m['iid']}")
        reviewers = self._ids(b.get("reviewer_ids"))
        assignees = self._ids(b.get("assignee_ids"))
        for ids in (reviewers, assignees):
            if isinstance(ids, Response):
                return ids
        self._seq += 1
        self.mrs[self._seq] = {
            "iid": self._seq, "title": b["title"], "description": b.get("description") or "",
            "state": "opened", "source_branch": b["source_branch"],
            "target_branch": b["target_branch"], "labels": self._labels(b.get("labels")),
            "author": req.user, "reviewer_ids": reviewers, "assignee_ids": assignees,
            "auto_merge": False}
        return Response(201, self.render(self.mrs[self._seq]))

    @route("getApiV4ProjectsIdMergeRequestsMergeRequestIid")
    def get_mr(self, req: Request) -> Response:
        return Response(200, self.render(self.mrs[int(req.params["merge_request_iid"])]))

    @route("putApiV4ProjectsIdMergeRequestsMergeRequestIid")
    def update_mr(self, req: Request) -> Response:
        mr, b = self.mrs[int(req.params["merge_request_iid"])], req.body
        if "title" in b:
            mr["title"] = b["title"]
        if "description" in b:
            mr["description"] = b["description"]
        if b.get("state_event") == "close":
            mr["state"] = "closed"
        if "labels" in b:
            mr["labels"] = self._labels(b["labels"])
        mr["labels"] += [n for n in self._labels(b.get("add_labels")) if n not in mr["labels"]]
        for key in ("reviewer_ids", "assignee_ids"):
            if key in b:
                ids = self._ids(b[key])
                if isinstance(ids, Response):
                    return ids
                mr[key] = ids
        return Response(200, self.render(mr))

    @route("putApiV4ProjectsIdMergeRequestsMergeRequestIidMerge")
    def merge_mr(self, req: Request) -> Response:
        mr = self.mrs[int(req.params["merge_request_iid"])]
        if self.render(mr)["draft"] or mr["state"] != "opened":
            return self.error(405, "405 Method Not Allowed")
        if (req.body or {}).get("auto_merge") or (req.body or {}).get("merge_when_pipeline_succeeds"):
            mr["auto_merge"] = True
            mr["squash"] = bool((req.body or {}).get("squash"))
        else:
            mr["state"] = "merged"
        return Response(200, self.render(mr))

    # -- documented outside the contract -------------------------------------------------
    def _note(self, n: dict[str, Any]) -> dict[str, Any]:
        return {"id": n["id"], "body": n["body"], "author": self._user(n["author"]),
                "system": n.get("system", False), "noteable_type": "MergeRequest",
                "noteable_iid": n["iid"], "created_at": "2026-01-01T00:00:00.000Z"}

    @route("list notes", "GET", "/api/v4/projects/{id}/merge_requests/{merge_request_iid}/notes",
           doc=f"{DOCS}/notes/#list-all-merge-request-notes")
    def list_notes(self, req: Request) -> Response:
        iid = int(req.params["merge_request_iid"])
        found = sorted((n for n in self.notes.values() if n["iid"] == iid), key=lambda n: n["id"])
        if req.arg("sort", "desc") == "desc":
            found.reverse()
        return self.paginate(req, [self._note(n) for n in found], default_size=20,
                             extra_headers=True)

    @route("create note", "POST", "/api/v4/projects/{id}/merge_requests/{merge_request_iid}/notes",
           doc=f"{DOCS}/notes/#create-new-merge-request-note")
    def create_note(self, req: Request) -> Response:
        if not (req.body or {}).get("body"):
            return self.error(400, "body is missing")
        return Response(201, self._note(self.add_note(int(req.params["merge_request_iid"]),
                                                      req.body["body"], req.user)))

    @route("update note", "PUT",
           "/api/v4/projects/{id}/merge_requests/{merge_request_iid}/notes/{note_id}",
           doc=f"{DOCS}/notes/#modify-existing-merge-request-note")
    def update_note(self, req: Request) -> Response:
        note = self.notes.get(int(req.params["note_id"]))
        if note is None:
            return self.error(404, "404 Note Not Found")
        if note["author"] != req.user:
            return self.error(403, "403 Forbidden")
        note["body"] = req.body["body"]
        return Response(200, self._note(note))

    def add_note(self, iid: int, body: str, user: str = "alice", system: bool = False) -> dict:
        with self.lock:
            nid = 700 + len(self.notes) + 1
            self.notes[nid] = {"id": nid, "iid": iid, "body": body, "author": user,
                               "system": system}
            return self.notes[nid]

    @route("get current user", "GET", "/api/v4/user", doc=f"{DOCS}/users/#get-the-current-user")
    def whoami(self, req: Request) -> Response:
        if req.user == "gitlab-ci-token":
            return self.error(403, "403 Forbidden")
        return Response(200, self._user(req.user))

    @route("find user", "GET", "/api/v4/users", doc=f"{DOCS}/users/#list-users")
    def find_user(self, req: Request) -> Response:
        name = req.arg("username")
        return Response(200, [self._user(name)] if name in self.users else [])
