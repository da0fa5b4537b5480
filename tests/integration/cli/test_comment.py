"""``kubepush comment``: one sticky comment per target, sections edited in place, on all forges."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubepush.ci import sticky
from tests.support.kubepush_cli import assert_no_traceback, kubepush

TOKEN_VARS = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "gitea": "GITEA_TOKEN"}
CI_PREFIXES = ("GITHUB_", "GITLAB_", "GIT_", "CI_", "GITEA_", "FORGEJO_", "GH_", "CHANGE_", "JENKINS_", "BUILD_")


def clean_env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(CI_PREFIXES)}
    return {**base, **extra}


def report(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def post(rig, tmp_path: Path, pr: int, target: str, section: str, text: str, *extra: str, **env: str):
    proc = kubepush("comment", "--pr", str(pr), "-t", target, "--section", section,
                    "--from", report(tmp_path, f"{section}.md", text), "--repo", f"{rig.fake.origin}/octo/app",
                    "--forge", rig.kind, "--forge-url", rig.fake.url, "-o", "json", *extra,
                    env=clean_env(**{TOKEN_VARS[rig.kind]: rig.fake.token}, **env))
    assert_no_traceback(proc)
    return proc


def bot_comments(rig, number: int) -> list[str]:
    return [body for author, body in rig.comments(number) if author == rig.fake.bot]


def test_one_comment_per_target_sections_replaced_in_place(forge_rig, tmp_path):
    r = forge_rig
    r.branch("feature")
    pr = r.client.create("feature", "main", "t", "b")
    r.human_comment(pr.number, "please check staging")
    first = post(r, tmp_path, pr.number, "production", "validate", "## ❌ kubepush validate failed\n1 error")
    assert first.returncode == 0, first.stderr
    created = json.loads(first.stdout)
    assert created["action"] == "created" and created["number"] == pr.number
    post(r, tmp_path, pr.number, "production", "diff", "## kubepush diff\n2 objects change")
    post(r, tmp_path, pr.number, "staging", "diff", "## kubepush diff\nin sync")
    again = post(r, tmp_path, pr.number, "production", "validate", "## ✅ kubepush validate passed")
    assert json.loads(again.stdout) | {"action": None} == created | {"action": None}
    assert json.loads(again.stdout)["action"] == "updated"
    same = post(r, tmp_path, pr.number, "production", "validate", "## ✅ kubepush validate passed")
    assert json.loads(same.stdout)["action"] == "unchanged"

    mine = bot_comments(r, pr.number)
    assert len(mine) == 2, "one comment per target, never a new one per run"
    production, staging = mine
    assert "target `production`" in production and "target `staging`" in staging
    assert "validate passed" in production and "validate failed" not in production
    assert production.index("validate passed") < production.index("2 objects change"), "section order is kept"
    assert "in sync" in staging and "validate" not in staging
    assert ("alice", "please check staging") in r.comments(pr.number)


LIST_COMMENTS = {"github": "issues/list-comments", "gitlab": "list notes", "gitea": "issueGetComments"}


def test_each_run_lists_the_comments_once(forge_rig, tmp_path):
    """Finding the sticky comment is one listing per run, whether it is created, edited or left."""
    r = forge_rig
    r.branch("feature")
    pr = r.client.create("feature", "main", "t", "b")
    r.human_comment(pr.number, "looks good")
    for section, text, action in (("validate", "## validate\nok", "created"), ("diff", "## diff\n1 change", "updated"),
                                  ("diff", "## diff\n1 change", "unchanged")):
        before = len(r.fake.calls(LIST_COMMENTS[r.kind]))
        proc = post(r, tmp_path, pr.number, "prod", section, text)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["action"] == action
        assert len(r.fake.calls(LIST_COMMENTS[r.kind])) - before == 1, f"{action}: the comments were listed again"


def test_long_reports_fold_and_fit_the_forge_limit_with_a_link(fake_github, tmp_path):
    from tests.support.fakeforge.rig import Rig, Sleeps, make_client

    r = Rig("github", fake_github, make_client("github", fake_github), Sleeps())
    r.branch("feature")
    pr = r.client.create("feature", "main", "t", "b")
    post(r, tmp_path, pr.number, "prod", "validate", "## ✅ kubepush validate passed")
    huge = "## kubepush diff\n```diff\n" + "".join(f"+  line {i}: {'x' * 60}\n" for i in range(3000)) + "```\n"
    proc = post(r, tmp_path, pr.number, "prod", "diff", huge, "--link", "https://ci.example/run/7")
    assert proc.returncode == 0, proc.stderr
    (body,) = bot_comments(r, pr.number)
    assert len(body) <= r.client.max_body_chars
    assert "validate passed" in body, "a long section must not push the others out"
    assert "<details><summary>diff report: " in body and body.count("<details>") == body.count("</details>")
    assert body.count("```") % 2 == 0, "the cut diff still closes its code fence"
    assert "[Full report](https://ci.example/run/7)" in body and "Truncated by kubepush" in body


def test_ci_environment_supplies_pr_repo_api_and_run_link(fake_github, fake_gitlab, tmp_path):
    from tests.support.fakeforge.rig import make_client

    gh = make_client("github", fake_github)
    fake_github.branches.add("feature")
    pr = gh.create("feature", "main", "t", "b")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": pr.number,
                                 "pull_request": {"number": pr.number}}))
    env = clean_env(GITHUB_ACTIONS="true", GITHUB_EVENT_PATH=str(event), GITHUB_SERVER_URL=fake_github.origin,
                    GITHUB_REPOSITORY="octo/app", GITHUB_API_URL=fake_github.url, GITHUB_RUN_ID="99",
                    GITHUB_TOKEN=fake_github.token)
    proc = kubepush("comment", "-t", "prod", "--from", "-", stdin="## kubepush diff\nok", env=env)
    assert proc.returncode == 0, proc.stderr
    (comment,) = fake_github.issue_comments.values()
    assert comment["issue"] == pr.number and "kubepush diff" in comment["body"]
    assert f"[CI run]({fake_github.origin}/octo/app/actions/runs/99)" in comment["body"]

    gl = make_client("gitlab", fake_gitlab)
    fake_gitlab.branches.add("feature")
    mr = gl.create("feature", "main", "t", "b")
    env = clean_env(GITLAB_CI="true", CI_MERGE_REQUEST_IID=str(mr.number),
                    CI_PROJECT_URL=f"{fake_gitlab.origin}/octo/app", CI_API_V4_URL=fake_gitlab.url,
                    CI_JOB_URL="https://gitlab.example/octo/app/-/jobs/5", GITLAB_TOKEN=fake_gitlab.token)
    proc = kubepush("comment", "-t", "prod", "--from", "-", stdin="## kubepush validate\nok", env=env)
    assert proc.returncode == 0, proc.stderr
    (note,) = [n for n in fake_gitlab.notes.values() if n["iid"] == mr.number]
    assert "kubepush validate" in note["body"] and "jobs/5" in note["body"]


def test_tokens_never_reach_the_comment(fake_github, tmp_path):
    from tests.support.fakeforge.rig import Rig, Sleeps, make_client

    r = Rig("github", fake_github, make_client("github", fake_github), Sleeps())
    r.branch("feature")
    pr = r.client.create("feature", "main", "t", "b")
    leaked = f"## kubepush validate\nurl: https://x:{fake_github.token}@example.com/repo.git"
    assert post(r, tmp_path, pr.number, "prod", "validate", leaked).returncode == 0
    (body,) = bot_comments(r, pr.number)
    assert fake_github.token not in body and "https://x:***@example.com" in body


@pytest.mark.parametrize("case", ["no-pr", "unreadable", "bad-token", "bad-section", "push-event"])
def test_usage_errors_exit_2_with_a_message(case, fake_github, tmp_path):
    env = clean_env(GITHUB_TOKEN=fake_github.token)
    args = ["comment", "-t", "prod", "--from", report(tmp_path, "r.md", "hi"), "--repo",
            f"{fake_github.origin}/octo/app", "--forge", "github", "--forge-url", fake_github.url, "--pr", "1"]
    expect = {"no-pr": "no pull request to comment on", "unreadable": "cannot read the report",
              "bad-token": "401", "bad-section": "invalid section name", "push-event": "no pull request"}[case]
    if case == "no-pr":
        args.remove("--pr"), args.remove("1")
    elif case == "unreadable":
        args[args.index("--from") + 1] = str(tmp_path / "missing.md")
    elif case == "bad-token":
        env["GITHUB_TOKEN"] = "ghp_notavalidtoken0000"
    elif case == "bad-section":
        args += ["--section", "Bad Name"]
    else:
        event = tmp_path / "push.json"
        event.write_text(json.dumps({"ref": "refs/heads/main"}))
        env.update(GITHUB_ACTIONS="true", GITHUB_EVENT_PATH=str(event))
        args.remove("--pr"), args.remove("1")
    proc = kubepush(*args, env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert expect in proc.stderr
    assert_no_traceback(proc)
    assert "ghp_notavalidtoken0000" not in proc.stderr and fake_github.token not in proc.stderr


def test_sections_survive_report_text_that_mimics_them():
    hostile = "<!-- /kubepush-section:validate -->\n<!-- kubepush-section:diff -->\nfake"
    body = sticky.compose("prod", "", "validate", hostile, 65536)
    assert list(sticky.sections(body)) == ["validate"]
    assert sticky.marker("eu west/prod") == "target/eu-west-prod"
