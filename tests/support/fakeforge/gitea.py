"""Fake Gitea ``/api/v1`` pull requests, per contracts/gitea.json (v1.26.3).

Follows the handler behaviour the contract records beside the swagger: edits answer
201, a scheduled auto-merge answers 201 with no body (409 if already scheduled),
error bodies are ``{"message", "url"}`` JSON, 404s carry ``errors``.
"""

from __future__ import annotations

from typing import Any

from .contract import GiteaContract, fill, schema_at
from .server import FakeForge, Request, Response, route

SWAGGER = "https://gitea.example/api/swagger"


class FakeGitea(FakeForge):
    contract_cls = GiteaContract
    forge = "gitea"

    def __init__(self, owner: str = "octo", repo: str = "app") -> None:
        super().__init__(owner, repo)
        self.pulls: dict[int, dict[str, Any]] = {}
        self.issue_comments: dict[int, dict[str, Any]] = {}
        self.labels: dict[str, int] = {"bug": 1, "dependencies": 2, "security": 3}
        self.branches = {"main"}
        self.collaborators = {self.bot, "alice", "bob", "carol"}
        self.teams = {"platform"}
        self._seq = 0

    @property
    def url(self) -> str:
        return self.origin + "/api/v1"

    # -- forge conventions ------------------------------------------------------------
    def error(self, status: int, message: str, **extra: Any) -> Response:
        if status == 404:
            return Response(404, {"message": "The target couldn't be found.", "url": SWAGGER,
                                  "errors": extra.get("errors")})
        return Response(status, {"message": message, "url": SWAGGER})

    def auth_token(self, headers: dict[str, str]) -> str | None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return token if scheme.lower() in ("token", "bearer") and token else None

    def unauthorized(self) -> Response:
        # the body a real Gitea sends for an unknown token (go-gitea/gitea#27695)
        return self.error(401, "user does not exist [uid: 0, name: , keyid: 0]")

    def forbidden(self, req: Request) -> Response:
        scope = "write:issue" if "/issues/" in req.path or req.path.endswith("/labels") \
            else "write:repository"
        return self.error(403, "token does not have at least one of required scope(s), "
                               f"required=[{scope}], token scope=read:repository,read:issue")

    def scope(self, req: Request) -> Response | None:
        if "owner" in req.params and (req.params["owner"], req.params["repo"]) != (self.owner, self.repo):
            return self.error(404, "not found")
        if "index" in req.params and int(req.params["index"]) not in self.pulls:
            return self.error(404, "not found")
        return None

    # -- rendering ---------------------------------------------------------------------
    def _schema(self, op_id: str, status: int) -> dict[str, Any]:
        return self.contract.operation(op_id).spec["responses"][str(status)]["schema"]

    def _user(self, schema: dict[str, Any], login: str) -> dict[str, Any]:
        return fill(schema, {"id": abs(hash(login)) % 10**6, "login": login, "username": login})

    def _label(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        return fill(schema, {"id": self.labels[name], "name": name, "color": "ededed",
                             "url": f"{self.url}/repos/{self.owner}/{self.repo}/labels/"
                                    f"{self.labels[name]}"})

    def render_pr(self, pr: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        def ref(branch: str) -> dict[str, Any]:
            return {"ref": branch, "label": branch, "sha": "0" * 40, "repo_id": 7,
                    "repo": {"id": 7, "name": self.repo, "full_name": f"{self.owner}/{self.repo}"}}

        title = pr["title"]
        return fill(schema, {
            "id": 3000 + pr["number"], "number": pr["number"], "title": title, "body": pr["body"],
            "state": pr["state"], "draft": title.lower().startswith(("wip:", "[wip]")),
            "merged": False, "mergeable": True,
            "html_url": f"https://gitea.example/{self.owner}/{self.repo}/pulls/{pr['number']}",
            "url": f"https://gitea.example/{self.owner}/{self.repo}/pulls/{pr['number']}",
            "head": ref(pr["head"]), "base": ref(pr["base"]),
            "user": self._user(schema_at(schema, "user"), pr["user"]),
            "labels": [self._label(schema_at(schema, "labels", "items"), n) for n in pr["labels"]],
            "assignees": [self._user(schema_at(schema, "assignees", "items"), u)
                          for u in pr["assignees"]],
            "requested_reviewers": [self._user(schema_at(schema, "requested_reviewers", "items"),
                                               u) for u in pr["reviewers"]],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})

    def render_comment(self, c: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        return fill(schema, {
            "id": c["id"], "body": c["body"], "user": self._user(schema_at(schema, "user"), c["user"]),
            "html_url": f"https://gitea.example/{self.owner}/{self.repo}/pulls/{c['issue']}"
                        f"#issuecomment-{c['id']}"})

    # -- pulls --------------------------------------------------------------------------
    @route("repoListPullRequests")
    def list_pulls(self, req: Request) -> Response:
        state, base = req.arg("state", "open"), req.arg("base_branch")
        found = [p for p in sorted(self.pulls.values(), key=lambda p: -p["number"])
                 if state in ("all", p["state"]) and base in (None, p["base"])]
        schema = self._schema("repoListPullRequests", 200)["items"]
        resp = self.paginate(req, [self.render_pr(p, schema) for p in found],
                             size_param="limit", default_size=30)
        resp.headers["X-Total-Count"] = str(len(found))
        return resp

    @route("repoCreatePullRequest")
    def create_pull(self, req: Request) -> Response:
        b = req.body
        if b.get("head") not in self.branches or b.get("base") not in self.branches:
            return self.error(404, "not found")
        for p in self.pulls.values():
            if p["state"] == "open" and (p["head"], p["base"]) == (b["head"], b["base"]):
                return self.error(409, "pull request already exists for these targets "
                                       f"[id: {p['number']}, issue_id: {p['number']}, "
                                       f"head_repo_id: 7, base_repo_id: 7, head_branch: "
                                       f"{p['head']}, base_branch: {p['base']}]")
        if not b.get("title"):
            return self.error(422, "[Title]: Required")
        self._seq += 1
        n = self._seq
        self.pulls[n] = {"number": n, "title": b["title"], "body": b.get("body") or "",
                         "state": "open", "head": b["head"], "base": b["base"],
                         "labels": [self._name(i) for i in b.get("labels") or []],
                         "assignees": [u for u in b.get("assignees") or []
                                       if u in self.collaborators],
                         "reviewers": list(b.get("reviewers") or []), "user": req.user,
                         "auto_merge": None}
        return Response(201, self.render_pr(self.pulls[n], self._schema("repoCreatePullRequest", 201)))

    @route("repoGetPullRequest")
    def get_pull(self, req: Request) -> Response:
        return Response(200, self.render_pr(self.pulls[int(req.params["index"])],
                                            self._schema("repoGetPullRequest", 200)))

    @route("repoEditPullRequest")
    def edit_pull(self, req: Request) -> Response:
        pr, b = self.pulls[int(req.params["index"])], req.body
        for key in ("title", "body", "state"):
            if key in b:
                pr[key] = b[key]
        if "assignees" in b:
            pr["assignees"] = [u for u in b["assignees"] if u in self.collaborators]
        return Response(201, self.render_pr(pr, self._schema("repoEditPullRequest", 201)))

    @route("repoCreatePullReviewRequests")
    def request_reviewers(self, req: Request) -> Response:
        pr = self.pulls[int(req.params["index"])]
        users, teams = req.body.get("reviewers") or [], req.body.get("team_reviewers") or []
        if set(users) - self.collaborators or set(teams) - self.teams:
            return self.error(422, "reviewer or team does not exist")
        pr["reviewers"] += [u for u in users if u not in pr["reviewers"]]
        schema = self._schema("repoCreatePullReviewRequests", 201)["items"]
        return Response(201, [fill(schema, {"id": i + 1, "state": "REQUEST_REVIEW"})
                              for i, _ in enumerate(users + teams)])

    @route("repoMergePullRequest")
    def merge(self, req: Request) -> Response:
        pr = self.pulls[int(req.params["index"])]
        if (req.body or {}).get("merge_when_checks_succeed"):
            if pr["auto_merge"]:
                return self.error(409, "Pull request is already scheduled to auto merge when "
                                       "checks succeed")
            pr["auto_merge"] = req.body["do"]
            return Response(201)
        pr["state"] = "closed"
        return Response(200)

    # -- labels ----------------------------------------------------------------------------
    def _name(self, label_id: int) -> str:
        return next(n for n, i in self.labels.items() if i == label_id)

    @route("issueListLabels")
    def list_labels(self, req: Request) -> Response:
        schema = self._schema("issueListLabels", 200)["items"]
        resp = self.paginate(req, [self._label(schema, n) for n in self.labels],
                             size_param="limit", default_size=30)
        resp.headers["X-Total-Count"] = str(len(self.labels))
        return resp

    @route("issueCreateLabel")
    def create_label(self, req: Request) -> Response:
        name = req.body["name"]
        if name in self.labels:
            return self.error(422, "label already exists")
        self.labels[name] = max(self.labels.values(), default=0) + 1
        return Response(201, self._label(self._schema("issueCreateLabel", 201), name))

    @route("issueAddLabel")
    def add_labels(self, req: Request) -> Response:
        pr = self.pulls[int(req.params["index"])]
        for item in req.body.get("labels") or []:
            name = item if isinstance(item, str) else self._name(item)
            if name in self.labels and name not in pr["labels"]:
                pr["labels"].append(name)
        schema = self._schema("issueAddLabel", 200)["items"]
        return Response(200, [self._label(schema, n) for n in pr["labels"]])

    # -- comments ----------------------------------------------------------------------------
    @route("issueGetComments")
    def list_comments(self, req: Request) -> Response:
        n = int(req.params["index"])
        schema = self._schema("issueGetComments", 200)["items"]
        # v1.26: not paginated (since/before only)
        return Response(200, [self.render_comment(c, schema) for c in
                              sorted(self.issue_comments.values(), key=lambda c: c["id"])
                              if c["issue"] == n])

    @route("issueCreateComment")
    def create_comment(self, req: Request) -> Response:
        c = self.add_human_comment(int(req.params["index"]), req.body["body"], req.user)
        return Response(201, self.render_comment(c, self._schema("issueCreateComment", 201)))

    @route("issueEditComment")
    def edit_comment(self, req: Request) -> Response:
        c = self.issue_comments.get(int(req.params["id"]))
        if c is None:
            return self.error(404, "not found")
        if c["user"] != req.user:
            return self.error(403, "user should be the poster")
        c["body"] = req.body["body"]
        return Response(200, self.render_comment(c, self._schema("issueEditComment", 200)))

    def add_human_comment(self, number: int, body: str, user: str = "alice") -> dict[str, Any]:
        with self.lock:
            cid = 800 + len(self.issue_comments) + 1
            self.issue_comments[cid] = {"id": cid, "issue": number, "body": body, "user": user}
            return self.issue_comments[cid]

    @route("userGetCurrent", "GET", "/api/v1/user",
           doc="Gitea swagger v1.26.3 'userGetCurrent' (not extracted into the contract)")
    def whoami(self, req: Request) -> Response:
        return Response(200, {"id": 1, "login": req.user, "username": req.user})
