"""Fake GitHub REST (+ the one GraphQL mutation kubepush uses), per contracts/github.json.

Serves both github.com-style paths (``/repos/...``) and GHES-style ones
(``/api/v3/repos/...``, GraphQL at ``/api/graphql``).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from .contract import GitHubContract, fill, load, schema_at
from .server import FakeForge, Request, Response, route

DOCS = "https://docs.github.com/rest"


class FakeGitHub(FakeForge):
    contract_cls = GitHubContract
    forge = "github"
    ghes_prefix = "/api/v3"

    def __init__(self, owner: str = "octo", repo: str = "app") -> None:
        super().__init__(owner, repo)
        self.pulls: dict[int, dict[str, Any]] = {}
        self.issue_comments: dict[int, dict[str, Any]] = {}
        self.label_ids: dict[str, int] = {}
        self.branches = {"main"}
        self.collaborators = {self.bot, "alice", "bob", "carol"}
        self.teams = {"platform", "sre"}
        self.auto_merge_allowed = True
        self.whoami_forbidden = False  # like an Actions / App installation token
        self._seq = 0
        self._remaining = 5000

    # -- URLs -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """github.com-style API root."""
        return self.origin

    @property
    def ghes_url(self) -> str:
        return self.origin + self.ghes_prefix

    def route_for(self, method: str, path: str):
        if path.startswith(self.ghes_prefix + "/"):
            path = path[len(self.ghes_prefix):]
        elif path == "/api/graphql":
            path = "/graphql"
        return super().route_for(method, path)

    # -- forge conventions ------------------------------------------------------------
    def error(self, status: int, message: str, **extra: Any) -> Response:
        return Response(status, {"message": message, "documentation_url": DOCS,
                                 "status": str(status), **extra})

    def auth_token(self, headers: dict[str, str]) -> str | None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return token if scheme.lower() in ("bearer", "token") and token else None

    def unauthorized(self) -> Response:
        return self.error(401, "Bad credentials")

    def forbidden(self, req: Request) -> Response:
        resp = self.error(403, "Resource not accessible by personal access token")
        resp.headers["X-Accepted-GitHub-Permissions"] = (
            "issues=write" if "/issues/" in req.path else "pull_requests=write")
        return resp

    def scope(self, req: Request) -> Response | None:
        if "owner" in req.params and (req.params["owner"], req.params["repo"]) != (self.owner, self.repo):
            return self.error(404, "Not Found")
        return None

    def common_headers(self, req: Request, resp: Response) -> None:
        self._remaining = max(0, self._remaining - 1)
        resp.headers.setdefault("x-ratelimit-limit", "5000")
        resp.headers.setdefault("x-ratelimit-remaining", str(self._remaining))
        resp.headers.setdefault("x-ratelimit-used", str(5000 - self._remaining))
        resp.headers.setdefault("x-ratelimit-reset", str(int(time.time()) + 3600))
        resp.headers.setdefault("x-ratelimit-resource", "core")

    def rate_limited(self, retry_after: int | None = None, *, reset_in: int = 1,
                     status: int = 403, secondary: bool = False, times: int = 1) -> None:
        """Inject GitHub's primary (remaining 0 + reset) or secondary (retry-after) limit."""
        if secondary:
            headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
            body = {"message": "You have exceeded a secondary rate limit. Please wait a few "
                               "minutes before you try again.", "documentation_url": DOCS}
        else:
            headers = {"x-ratelimit-remaining": "0",
                       "x-ratelimit-reset": str(int(time.time()) + reset_in)}
            body = {"message": "API rate limit exceeded for user ID 1.", "documentation_url": DOCS}
        self.fail("*", status, times=times, headers=headers, body=body)

    # -- rendering ------------------------------------------------------------------------
    def _schema(self, op_id: str, status: int) -> dict[str, Any]:
        return self.contract.operation(op_id).spec["responses"][str(status)]["schema"]

    def _user(self, schema: dict[str, Any], login: str) -> dict[str, Any]:
        return fill(schema, {"login": login, "id": abs(hash(login)) % 10**6,
                                          "type": "Bot" if login == self.bot else "User"})

    def render_pr(self, pr: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        def items(name: str) -> dict[str, Any]:
            return schema_at(schema, name, "items")

        def ref(branch: str) -> dict[str, Any]:
            return {"ref": branch, "label": f"{self.owner}:{branch}", "sha": "0" * 40,
                    "repo": {"name": self.repo, "full_name": f"{self.owner}/{self.repo}",
                             "owner": {"login": self.owner}}}

        values = {
            "number": pr["number"], "id": pr["number"] + 1000, "node_id": pr["node_id"],
            "state": pr["state"], "title": pr["title"], "body": pr["body"],
            "draft": pr["draft"], "locked": False, "merged": False,
            "html_url": f"https://github.example/{self.owner}/{self.repo}/pull/{pr['number']}",
            "url": f"{self.origin}/repos/{self.owner}/{self.repo}/pulls/{pr['number']}",
            "user": self._user(schema_at(schema, "user"), pr["user"]),
            "head": ref(pr["head"]), "base": ref(pr["base"]),
            "labels": [fill(items("labels"), {"id": self.label_ids[n], "name": n})
                       for n in pr["labels"]],
            "assignees": [self._user(items("assignees"), u) for u in pr["assignees"]],
            "requested_reviewers": [self._user(items("requested_reviewers"), u)
                                    for u in pr["reviewers"]],
            "requested_teams": [fill(items("requested_teams"), {"slug": t, "name": t})
                                for t in pr["teams"]],
            "auto_merge": None if pr["auto_merge"] is None else fill(
                schema_at(schema, "auto_merge"),
                {"merge_method": pr["auto_merge"],
                 "enabled_by": self._user(schema_at(schema, "auto_merge", "enabled_by"), self.bot)}),
        }
        values = {k: v for k, v in values.items() if k in schema["properties"]}
        return fill(schema, values)

    def render_comment(self, c: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        return fill(schema, {
            "id": c["id"], "body": c["body"], "node_id": f"IC_{c['id']}",
            "html_url": f"https://github.example/{self.owner}/{self.repo}/pull/{c['issue']}"
                        f"#issuecomment-{c['id']}",
            "user": self._user(schema_at(schema, "user"), c["user"])})

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _pull(self, req: Request, key: str = "pull_number") -> dict[str, Any] | None:
        return self.pulls.get(int(req.params[key]))

    # -- pulls --------------------------------------------------------------------------
    @route("pulls/list")
    def list_pulls(self, req: Request) -> Response:
        state, head, base = req.arg("state", "open"), req.arg("head"), req.arg("base")
        if head is not None and ":" not in head:
            self.violations.append(f"pulls/list head={head!r} is not 'user:ref-name'")
        found = [p for p in sorted(self.pulls.values(), key=lambda p: -p["number"])
                 if state in ("all", p["state"])
                 and (head is None or head == f"{self.owner}:{p['head']}")
                 and (base is None or base == p["base"])]
        schema = self._schema("pulls/list", 200)["items"]
        return self.paginate(req, [self.render_pr(p, schema) for p in found])

    @route("pulls/create")
    def create_pull(self, req: Request) -> Response:
        b = req.body
        if not b.get("title"):
            return self.error(422, "Validation Failed", errors=[
                {"resource": "PullRequest", "field": "title", "code": "missing_field"}])
        if b["head"] not in self.branches:
            return self.error(422, "Validation Failed", errors=[
                {"resource": "PullRequest", "field": "head", "code": "invalid"}])
        for p in self.pulls.values():
            if p["state"] == "open" and (p["head"], p["base"]) == (b["head"], b["base"]):
                return self.error(422, "Validation Failed", errors=[{
                    "resource": "PullRequest", "code": "custom",
                    "message": f"A pull request already exists for {self.owner}:{b['head']}."}])
        n = self._next()
        self.pulls[n] = {"number": n, "node_id": f"PR_kw{n:06d}", "state": "open",
                         "title": b["title"], "body": b.get("body") or "",
                         "draft": bool(b.get("draft")), "head": b["head"], "base": b["base"],
                         "labels": [], "assignees": [], "reviewers": [], "teams": [],
                         "auto_merge": None, "user": req.user}
        resp = Response(201, self.render_pr(self.pulls[n], self._schema("pulls/create", 201)))
        resp.headers["Location"] = f"{self.origin}/repos/{self.owner}/{self.repo}/pulls/{n}"
        return resp

    @route("pulls/get")
    def get_pull(self, req: Request) -> Response:
        pr = self._pull(req)
        if pr is None:
            return self.error(404, "Not Found")
        return Response(200, self.render_pr(pr, self._schema("pulls/get", 200)))

    @route("pulls/update")
    def update_pull(self, req: Request) -> Response:
        pr = self._pull(req)
        if pr is None:
            return self.error(422, "Validation Failed", errors=[
                {"resource": "PullRequest", "field": "number", "code": "invalid"}])
        for key in ("title", "body", "state", "base"):
            if key in req.body:
                pr[key] = req.body[key]
        return Response(200, self.render_pr(pr, self._schema("pulls/update", 200)))

    @route("pulls/request-reviewers")
    def request_reviewers(self, req: Request) -> Response:
        pr = self._pull(req)
        users, teams = req.body.get("reviewers", []), req.body.get("team_reviewers", [])
        if pr is None:
            return self.error(422, "Validation Failed")
        if pr["user"] in users:
            return self.error(422, "Review cannot be requested from pull request author.")
        if set(users) - self.collaborators or set(teams) - self.teams:
            return self.error(422, "Reviews may only be requested from collaborators. One or more "
                              "of the users or teams you specified is not a collaborator of the "
                              f"{self.owner}/{self.repo} repository.")
        pr["reviewers"] += [u for u in users if u not in pr["reviewers"]]
        pr["teams"] += [t for t in teams if t not in pr["teams"]]
        return Response(201, self.render_pr(pr, self._schema("pulls/request-reviewers", 201)))

    # -- issues (labels, assignees, comments) -------------------------------------------
    @route("issues/add-labels")
    def add_labels(self, req: Request) -> Response:
        pr = self._pull(req, "issue_number")
        if pr is None:
            return self.error(404, "Not Found")
        names = req.body["labels"] if isinstance(req.body, dict) else req.body
        for name in names:
            name = name if isinstance(name, str) else name["name"]
            self.label_ids.setdefault(name, len(self.label_ids) + 1)
            if name not in pr["labels"]:
                pr["labels"].append(name)
        schema = self._schema("issues/add-labels", 200)["items"]
        return Response(200, [fill(schema, {"id": self.label_ids[n], "name": n})
                              for n in pr["labels"]])

    @route("issues/add-assignees", "POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
           doc="https://docs.github.com/rest/issues/assignees#add-assignees-to-an-issue")
    def add_assignees(self, req: Request) -> Response:
        pr = self._pull(req, "issue_number")
        if pr is None:
            return self.error(404, "Not Found")
        # GitHub silently ignores users who cannot be assigned
        pr["assignees"] += [u for u in req.body.get("assignees", [])
                            if u in self.collaborators and u not in pr["assignees"]]
        return Response(201, {"number": pr["number"],
                              "assignees": [{"login": u} for u in pr["assignees"]]})

    @route("issues/list-comments")
    def list_comments(self, req: Request) -> Response:
        n = int(req.params["issue_number"])
        if n not in self.pulls:
            return self.error(404, "Not Found")
        schema = self._schema("issues/list-comments", 200)["items"]
        found = [self.render_comment(c, schema) for c in self.issue_comments.values()
                 if c["issue"] == n]
        return self.paginate(req, found)

    @route("issues/create-comment")
    def create_comment(self, req: Request) -> Response:
        n = int(req.params["issue_number"])
        if n not in self.pulls:
            return self.error(404, "Not Found")
        body = req.body.get("body", "")
        if len(body) > 65536:
            return self.error(422, "Validation Failed", errors=[{
                "resource": "IssueComment", "code": "custom", "field": "data",
                "message": "Body is too long (maximum is 65536 characters)"}])
        cid = 5000 + len(self.issue_comments) + 1
        self.issue_comments[cid] = {"id": cid, "issue": n, "body": body, "user": req.user}
        return Response(201, self.render_comment(self.issue_comments[cid],
                                                 self._schema("issues/create-comment", 201)))

    @route("issues/update-comment")
    def update_comment(self, req: Request) -> Response:
        c = self.issue_comments.get(int(req.params["comment_id"]))
        if c is None:
            return self.error(422, "Validation Failed")
        body = req.body.get("body", "")
        if len(body) > 65536:
            return self.error(422, "Validation Failed", errors=[{
                "resource": "IssueComment", "code": "custom", "field": "data",
                "message": "Body is too long (maximum is 65536 characters)"}])
        c["body"] = body
        return Response(200, self.render_comment(c, self._schema("issues/update-comment", 200)))

    def add_human_comment(self, number: int, body: str, user: str = "alice") -> int:
        """Seed a comment written by someone else (as if through the UI)."""
        with self.lock:
            cid = 5000 + len(self.issue_comments) + 1
            self.issue_comments[cid] = {"id": cid, "issue": number, "body": body, "user": user}
            return cid

    # -- GitHub App installation tokens ----------------------------------------------------
    def enable_app(self, app_id: int, public_key: Any, installation_id: int = 77) -> None:
        """Accept RS256 JWTs signed for ``app_id`` on the App endpoints."""
        self.app = (str(app_id), public_key, installation_id)

    def authorize(self, req: Request, token: str | None) -> tuple[str, bool] | None:
        if req.op_id.startswith("apps/"):
            return ("app", True) if token and self._valid_jwt(token) else None
        return super().authorize(req, token)

    def _valid_jwt(self, token: str) -> bool:
        """Checks what GitHub checks: RS256 signature by the app key, iss, iat/exp window."""
        import base64
        import json

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if getattr(self, "app", None) is None or token.count(".") != 2:
            return False
        app_id, public_key, _ = self.app
        head, claims, sig = token.split(".")

        def unb64(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        try:
            public_key.verify(unb64(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(),
                              hashes.SHA256())
        except InvalidSignature:
            return False
        header, body = json.loads(unb64(head)), json.loads(unb64(claims))
        now = time.time()
        return (header.get("alg") == "RS256" and body.get("iss") == app_id
                and body["iat"] <= now < body["exp"] and body["exp"] - body["iat"] <= 600)

    @route("apps/get-repo-installation", "GET", "/repos/{owner}/{repo}/installation",
           doc="https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app")
    def repo_installation(self, req: Request) -> Response:
        return Response(200, {"id": self.app[2], "app_id": int(self.app[0]),
                              "account": {"login": self.owner}})

    @route("apps/create-installation-access-token", "POST",
           "/app/installations/{installation_id}/access_tokens",
           doc="https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app")
    def mint(self, req: Request) -> Response:
        if int(req.params["installation_id"]) != self.app[2]:
            return self.error(404, "Not Found")
        token = f"ghs_{secrets.token_hex(18)}"
        self.tokens[token] = ("kubepush-app[bot]", True)
        return Response(201, {"token": token, "expires_at": "2026-01-01T01:00:00Z",
                              "permissions": {"pull_requests": "write", "issues": "write"}})

    # -- identity and GraphQL -------------------------------------------------------------
    @route("users/get-authenticated", "GET", "/user",
           doc="https://docs.github.com/rest/users/users#get-the-authenticated-user")
    def whoami(self, req: Request) -> Response:
        if self.whoami_forbidden:
            return self.error(403, "Resource not accessible by integration")
        return Response(200, {"login": req.user, "id": 1, "type": "Bot"})

    @route("graphql", "POST", "/graphql",
           doc="contracts/github.json 'graphql' (GraphQL schema, enablePullRequestAutoMerge)")
    def graphql(self, req: Request) -> Response:
        spec = load("github")["graphql"]["mutations"]["enablePullRequestAutoMerge"]
        query, variables = req.body.get("query", ""), req.body.get("variables") or {}
        if "enablePullRequestAutoMerge" not in query or set(req.body) - {"query", "variables",
                                                                          "operationName"}:
            self.violations.append(f"graphql: unexpected request {req.body!r}")
        method = variables.get("method", spec["input_fields"]["mergeMethod"]["default"])
        if method not in spec["input_fields"]["mergeMethod"]["enum"]:
            self.violations.append(f"graphql: mergeMethod {method!r} not in the schema's enum")
        pr = next((p for p in self.pulls.values() if p["node_id"] == variables.get("id")), None)
        if pr is None:
            return Response(200, {"data": {"enablePullRequestAutoMerge": None}, "errors": [{
                "type": "NOT_FOUND", "path": ["enablePullRequestAutoMerge"],
                "message": f"Could not resolve to a node with the global id of '{variables.get('id')}'"}]})
        if not self.auto_merge_allowed:
            return Response(200, {"data": {"enablePullRequestAutoMerge": None}, "errors": [{
                "type": "UNPROCESSABLE", "path": ["enablePullRequestAutoMerge"],
                "message": "Pull request Auto merge is not allowed for this repository"}]})
        pr["auto_merge"] = method.lower()
        return Response(200, {"data": {"enablePullRequestAutoMerge": {"pullRequest": {
            "number": pr["number"], "autoMergeRequest": {"enabledAt": "2026-01-01T00:00:00Z",
                                                         "mergeMethod": method}}}}})
