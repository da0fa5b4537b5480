"""The git layer against real git and bare repositories over file:// (HTTP: test_gitops_http.py beside it)."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubepush.gitops import (
    NO_CHANGES,
    PUSHED,
    UP_TO_DATE,
    Credentials,
    GitError,
    Identity,
    PushResult,
    branch_name,
    commit_message,
    publish,
    sanitize_branch,
    workspace,
)
from kubepush.gitops import errors as E
from tests.support.git_fixtures import Remote, git, make_remote

pytest_plugins = ["tests.support.git_fixtures"]

BRANCH = "kubepush/prod/nginx"
FILES = {"apps/web.yaml": "image: nginx:1.0\n", "apps/api.yaml": "image: api:2.0\n", "README.md": "cfg\n"}


def set_tag(tag: str, path: str = "apps/web.yaml"):
    """An ``apply`` that sets the web image to ``tag`` - what the bump stage passes."""
    def apply(root: Path) -> list[str]:
        (root / path).write_text(f"image: nginx:{tag}\n")
        return [path]
    return apply


@pytest.fixture
def remote(git_remote_root: Path) -> Remote:
    return make_remote(git_remote_root, "cfg.git", FILES)


def test_branch_mode_pushes_one_commit_on_the_base(remote: Remote) -> None:
    base = remote.sha("main")
    with workspace(url=remote.url, branch=BRANCH) as repo:
        result = publish(repo, set_tag("1.1"), message="bump nginx to 1.1\n", branch=BRANCH)
    assert result.status == PUSHED and result.sha == remote.sha(BRANCH)
    assert result.base == "main" and result.base_sha == base and result.paths == ("apps/web.yaml",)
    assert remote.sha("main") == base  # the base is untouched
    assert remote.log(BRANCH, "%P") == [base, ""]
    assert remote.read(BRANCH, "apps/web.yaml") == "image: nginx:1.1\n"
    assert git("diff", "--name-only", base, BRANCH, cwd=remote.path).split() == ["apps/web.yaml"]


def test_identity_signoff_and_message(remote: Remote) -> None:
    ident = Identity("Bump Bot", "bump@example.test", committer_name="CI", committer_email="ci@example.test")
    with workspace(url=remote.url, branch=BRANCH) as repo:
        publish(repo, set_tag("1.1"), message=commit_message(image="nginx", tag="1.1"), branch=BRANCH,
                identity=ident, signoff=True)
    out = git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%s|%(trailers:key=Signed-off-by,valueonly)", BRANCH,
              cwd=remote.path)
    assert out.strip() == "Bump Bot <bump@example.test>|CI <ci@example.test>|chore(deps): update nginx to 1.1|" \
        "CI <ci@example.test>"


def test_default_identity_and_no_signoff(remote: Remote) -> None:
    with workspace(url=remote.url, branch=BRANCH) as repo:
        publish(repo, set_tag("1.1"), message="#42 bump\n\n# kept: not a comment\n", branch=BRANCH)
    assert git("log", "-1", "--format=%an <%ae>|%cn <%ce>", BRANCH, cwd=remote.path).strip() == \
        "kubepush <kubepush@users.noreply.local>|kubepush <kubepush@users.noreply.local>"
    body = git("log", "-1", "--format=%B", BRANCH, cwd=remote.path)
    assert body.startswith("#42 bump\n\n# kept: not a comment") and "Signed-off-by" not in body


def test_rerun_is_idempotent(remote: Remote) -> None:
    with workspace(url=remote.url, branch=BRANCH) as repo:
        first = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    with workspace(url=remote.url, branch=BRANCH) as repo:
        second = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
        assert set(git("for-each-ref", "--format=%(objectname)", cwd=repo.path).split()) == {first.base_sha, first.sha}
        assert repo.head() == first.sha  # no new commit was made: HEAD is the branch we found
        assert not git("status", "--porcelain", "-uno", cwd=repo.path)
    assert (first.status, second.status) == (PUSHED, UP_TO_DATE)
    assert second.sha == first.sha == remote.sha(BRANCH)
    assert len(remote.log(BRANCH)) == 2


def test_base_already_has_the_change(remote: Remote) -> None:
    with workspace(url=remote.url, branch=BRANCH) as repo:
        result = publish(repo, set_tag("1.0"), message="bump\n", branch=BRANCH)
    assert result.status == NO_CHANGES and "nothing to commit" in result.message
    assert remote.sha(BRANCH) is None


def test_new_tag_replaces_the_branch_with_force_with_lease_from_a_shallow_clone(remote: Remote) -> None:
    remote.commit("main", {"docs/a.md": "history\n"})
    with workspace(url=remote.url, branch=BRANCH) as repo:
        publish(repo, set_tag("1.1"), message="bump 1.1\n", branch=BRANCH)
    with workspace(url=remote.url, branch=BRANCH) as repo:
        assert git("rev-parse", "--is-shallow-repository", cwd=repo.path).strip() == "true"
        result = publish(repo, set_tag("1.2"), message="bump 1.2\n", branch=BRANCH)
    assert result.status == PUSHED and remote.sha(BRANCH) == result.sha
    assert remote.log(BRANCH, "%s")[0] == "bump 1.2" and len(remote.log(BRANCH)) == 3  # replaced, not stacked
    assert remote.read(BRANCH, "apps/web.yaml") == "image: nginx:1.2\n"


def test_branch_is_rebuilt_when_the_base_moved(remote: Remote) -> None:
    with workspace(url=remote.url, branch=BRANCH) as repo:
        first = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    moved = remote.commit("main", {"apps/api.yaml": "image: api:2.1\n"})
    with workspace(url=remote.url, branch=BRANCH) as repo:
        second = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    assert second.status == PUSHED and second.sha != first.sha
    assert remote.log(BRANCH, "%P")[0] == moved
    assert remote.read(BRANCH, "apps/api.yaml") == "image: api:2.1\n"


def test_direct_mode_commits_to_the_base(remote: Remote) -> None:
    base = remote.sha("main")
    with workspace(url=remote.url) as repo:
        result = publish(repo, set_tag("1.1"), message="bump\n", direct=True)
    assert result.status == PUSHED and result.branch == "main" and remote.sha("main") == result.sha
    assert remote.log("main", "%P")[0] == base


@pytest.mark.parametrize("their_file", ["apps/api.yaml", "apps/web.yaml"])
@pytest.mark.parametrize("mode", ["clone", "checkout"])
def test_direct_push_race_is_rebuilt_on_the_new_base(remote: Remote, tmp_path: Path, their_file: str,
                                                      mode: str) -> None:
    """Someone pushes between our fetch and our push - to another file, or to the one we edit."""
    others: list[str] = []

    def apply(root: Path) -> list[str]:
        if not others:
            others.append(remote.commit("main", {their_file: "theirs\n", "docs/x.md": "x\n"}))
        return set_tag("1.1")(root)

    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    with workspace(url=remote.url) if mode == "clone" else workspace(checkout) as repo:
        result = publish(repo, apply, message="bump\n", direct=True)
        assert repo.head() == result.sha and not git("status", "--porcelain", "-uno", cwd=repo.path)
    assert result.status == PUSHED and result.attempts == 2
    assert remote.log("main", "%P")[0] == others[0]  # ours sits on top of theirs: nothing lost
    assert remote.read("main", "docs/x.md") == "x\n"
    assert remote.read("main", "apps/web.yaml") == "image: nginx:1.1\n"


def test_one_repo_serves_several_publishes(remote: Remote) -> None:
    with workspace(url=remote.url, branch=BRANCH) as repo:
        first = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
        second = publish(repo, set_tag("1.2"), message="bump\n", branch=BRANCH)
        other = publish(repo, set_tag("2.0", "apps/api.yaml"), message="api\n", branch="kubepush/prod/api")
    assert (first.attempts, second.attempts, other.attempts) == (1, 1, 1)  # no stale lease from reuse
    assert remote.sha(BRANCH) == second.sha and remote.read(BRANCH, "apps/web.yaml") == "image: nginx:1.2\n"
    assert remote.log("kubepush/prod/api", "%P")[0] == first.base_sha  # each branch starts from the base
    assert remote.read("kubepush/prod/api", "apps/web.yaml") == "image: nginx:1.0\n"


def test_direct_push_gives_up_after_bounded_rejections(remote: Remote, caplog: pytest.LogCaptureFixture) -> None:
    n = [0]

    def apply(root: Path) -> list[str]:
        n[0] += 1
        remote.commit("main", {"apps/api.yaml": f"image: api:3.{n[0]}\n"})
        return set_tag("1.1")(root)

    with pytest.raises(GitError) as info, workspace(url=remote.url) as repo:
        clone = repo.path
        publish(repo, apply, message="our bump\n", direct=True, attempts=3)
    assert info.value.kind == E.REJECTED and n[0] == 3
    assert "rejected 3 times" in str(info.value) and "nothing was pushed" in str(info.value)
    assert "our bump" not in remote.log("main", "%s")  # nothing half-made on the server
    assert not clone.exists()
    assert sum("rebuilding the change" in r.message for r in caplog.records) == 2


def test_lease_protects_a_branch_pushed_meanwhile(remote: Remote) -> None:
    with workspace(url=remote.url, branch=BRANCH) as repo:
        publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    theirs: list[str] = []

    def apply(root: Path) -> list[str]:
        if not theirs:
            theirs.append(remote.commit(BRANCH, {"apps/web.yaml": "image: nginx:9.9\n"}))
        return set_tag("1.2")(root)

    with workspace(url=remote.url, branch=BRANCH) as repo:
        result = publish(repo, apply, message="bump 1.2\n", branch=BRANCH)
    # the first push was refused (stale lease), the second one saw their commit and replaced it knowingly
    assert result.attempts == 2 and remote.sha(BRANCH) == result.sha
    assert remote.read(BRANCH, "apps/web.yaml") == "image: nginx:1.2\n"


def test_server_refusal_is_not_retried(remote: Remote) -> None:
    hook = remote.path / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)
    calls = []
    with pytest.raises(GitError) as info, workspace(url=remote.url) as repo:
        publish(repo, lambda root: calls.append(1) or set_tag("1.1")(root), message="bump\n", direct=True)
    assert info.value.kind == E.REFUSED and len(calls) == 1
    assert "Protected branch update failed" in str(info.value) and "pull request" in str(info.value)


def test_ci_checkout_mode(remote: Remote, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    with workspace(checkout / "apps") as repo:  # any directory inside the checkout
        assert repo.path == checkout and repo.url == remote.url and not repo.shallow
        (checkout / "apps" / "web.yaml").write_text("image: nginx:1.1\n")  # edited before (dry-run preview)
        assert "+image: nginx:1.1" in repo.diff(["apps/web.yaml"])
        result = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    assert result.status == PUSHED and remote.read(BRANCH, "apps/web.yaml") == "image: nginx:1.1\n"
    assert checkout.exists()  # a checkout is the user's: never removed


def test_only_the_given_files_are_committed(remote: Remote, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    (checkout / "stray.txt").write_text("not ours\n")

    def apply(root: Path) -> list[str]:
        (root / "apps/api.yaml").unlink()
        (root / "apps/new.yaml").write_text("image: new:1\n")
        return [str(root / "apps/api.yaml"), "apps/new.yaml", *set_tag("1.1")(root)]

    with workspace(checkout) as repo:
        publish(repo, apply, message="bump\n", branch=BRANCH)
    changed = git("diff", "--name-status", "main", BRANCH, cwd=remote.path).split("\n")
    assert sorted(filter(None, changed)) == ["A\tapps/new.yaml", "D\tapps/api.yaml", "M\tapps/web.yaml"]


def test_paths_outside_the_repository_are_refused(remote: Remote, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside the repository"), workspace(url=remote.url) as repo:
        publish(repo, lambda root: ["../outside.yaml"], message="bump\n", direct=True)


def test_uncommitted_conflicting_changes_are_reported(remote: Remote, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    remote.commit("main", {"apps/web.yaml": "image: nginx:5\n"})
    (checkout / "apps/web.yaml").write_text("local edit\n")
    with pytest.raises(GitError) as info, workspace(checkout) as repo:
        publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    assert info.value.kind == E.CONFLICT and "would be overwritten" in str(info.value)
    assert (checkout / "apps/web.yaml").read_text() == "local edit\n"  # nothing of the user's lost


def test_queries(remote: Remote, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    start = remote.sha("main")
    with workspace(checkout) as repo:
        assert repo.head() == start and repo.rev_parse("main") == start
        assert repo.default_branch() == "main"
        assert repo.remote_branch("main") == start and repo.remote_branch("nope") is None
        (checkout / "apps/web.yaml").write_text("x\n")
        (checkout / "b c.yaml").write_text("y\n")
        git("add", ".", cwd=checkout)
        git("commit", "-qm", "local", cwd=checkout)
        assert repo.changed_since("origin/main") == ["apps/web.yaml", "b c.yaml"]
        assert repo.changed_since("HEAD") == []
        with pytest.raises(GitError, match="'nope' is not a commit"):
            repo.rev_parse("nope")
        with pytest.raises(GitError, match="nope: no commit, branch or tag of that name") as info:
            repo.changed_since("nope")
        assert info.value.kind == E.NOT_FOUND


def test_files_containing_lists_tracked_files_under_the_paths(remote: Remote, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    (checkout / "apps" / "shop.yaml").write_text("image: ghcr.io/acme/shop:1.0\n")
    (checkout / "apps" / "marker.yaml").write_text("image: x # {\"$imagepolicy\": \"flux:web\"}\n")
    (checkout / "other").mkdir()
    (checkout / "other" / "shop.yaml").write_text("image: ghcr.io/acme/shop:1.0\n")
    git("add", ".", cwd=checkout)
    (checkout / "apps" / "untracked.yaml").write_text("image: ghcr.io/acme/shop:1.0\n")
    with workspace(checkout) as repo:
        found = repo.files_containing(checkout, [str(checkout / "apps")], ["shop", "$imagepolicy"])
        assert sorted(found) == [str(checkout / "apps" / "marker.yaml"), str(checkout / "apps" / "shop.yaml")]
        assert repo.files_containing(checkout, [str(checkout / "apps")], ["nowhere"]) == []  # exit 1: none


def test_files_containing_names_paths_git_would_quote(remote: Remote, tmp_path: Path) -> None:
    """Non-ASCII, a tab, a quote: ``git grep -l`` prints such paths C-quoted unless asked for NULs."""
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    names = ["équipe/web.yaml", "apps/tab\there.yaml", 'apps/"quoted".yaml']
    for name in names:
        (checkout / name).parent.mkdir(exist_ok=True)
        (checkout / name).write_text("image: ghcr.io/acme/shop:1.0\n")
    git("add", ".", cwd=checkout)
    with workspace(checkout) as repo:
        found = repo.files_containing(checkout, [str(checkout)], ["ghcr.io/acme/shop"])
    assert sorted(found) == sorted(str(checkout / name) for name in names)
    assert all(Path(f).is_file() for f in found)


def test_changed_since_in_a_shallow_checkout_says_how_to_fix(remote: Remote, tmp_path: Path) -> None:
    remote.commit("feature", {"apps/web.yaml": "image: nginx:2\n"})
    remote.commit("main", {"README.md": "moved\n"})
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", "--depth=1", "--branch=feature", remote.url, str(checkout))
    git("fetch", "--quiet", "--depth=1", "origin", "main:refs/remotes/origin/main", cwd=checkout)
    with workspace(checkout) as repo, pytest.raises(GitError, match="fetch-depth: 0"):
        repo.changed_since("origin/main")


def test_default_branch_is_what_remote_head_points_at(git_remote_root: Path) -> None:
    remote = make_remote(git_remote_root, "trunk.git", FILES, branch="trunk")
    with workspace(url=remote.url) as repo:
        assert repo.state is not None and repo.state.base == "trunk"
        assert repo.default_branch() == "trunk" and (repo.path / "apps/web.yaml").is_file()


def test_missing_base_branch_and_repository(remote: Remote, git_remote_root: Path) -> None:
    with pytest.raises(GitError, match="branch 'release' does not exist") as info, \
            workspace(url=remote.url, base="release"):
        pass
    assert info.value.kind == E.NOT_FOUND
    with pytest.raises(GitError) as info, workspace(url=(git_remote_root / "none.git").as_uri()):
        pass
    assert info.value.kind == E.NOT_FOUND and "git ls-remote" in str(info.value)
    empty = git_remote_root / "empty.git"
    git("init", "--quiet", "--bare", str(empty))
    with pytest.raises(GitError, match="no default branch"), workspace(url=empty.as_uri()):
        pass


def test_workspace_needs_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="either a checkout path or a repository URL"), workspace():
        pass
    with pytest.raises(GitError, match="no such directory"), workspace(tmp_path / "missing"):
        pass
    with pytest.raises(GitError, match="not a git repository") as info, workspace(tmp_path):
        pass
    assert info.value.kind == E.NOT_FOUND and info.value.status == 128


def test_inherited_git_dir_does_not_redirect_commands(remote: Remote, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    decoy = tmp_path / "decoy"
    git("init", "--quiet", str(decoy))
    monkeypatch.setenv("GIT_DIR", str(decoy / ".git"))  # as inside a git hook
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")  # the caller's own settings are kept
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")
    with workspace(url=remote.url, branch=BRANCH) as repo:
        assert publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH).status == PUSHED
    assert remote.sha(BRANCH)
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=decoy,
                          capture_output=True, check=False).returncode != 0


def test_secrets_never_go_into_commit_metadata(remote: Remote) -> None:
    with pytest.raises(GitError, match="refusing to commit") as info, workspace(url=remote.url) as repo:
        publish(repo, set_tag("1.1"), message="see https://bot:hunter2@example.test/x\n", direct=True)
    assert "hunter2" not in str(info.value)
    assert len(remote.log("main")) == 1


def test_token_for_a_non_http_remote_is_reported_unused(remote: Remote, caplog: pytest.LogCaptureFixture) -> None:
    with workspace(url=remote.url, credentials=Credentials("bot", "s3cret-token")):
        pass
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"the git token is not used for {remote.url}: only HTTPS remotes take one (SSH uses its key)"]


def test_publish_argument_errors(remote: Remote) -> None:
    with pytest.raises(GitError, match="invalid base branch name 'a..b'"), workspace(url=remote.url, base="a..b"):
        pass
    with workspace(url=remote.url) as repo:
        with pytest.raises(GitError, match=r"invalid bot branch name 'x:y'"):
            publish(repo, set_tag("1.1"), message="m\n", branch="x:y")
        with pytest.raises(GitError, match="branch name is needed"):
            publish(repo, set_tag("1.1"), message="m\n")
        with pytest.raises(GitError, match="at least 1"):
            publish(repo, set_tag("1.1"), message="m\n", direct=True, attempts=0)


# -- templates ------------------------------------------------------------------------------

def test_branch_name_template() -> None:
    assert branch_name(target="prod", image="ghcr.io/org/app") == "kubepush/prod/ghcr.io/org/app"
    assert branch_name("bump/{target}-{image}", target="prod eu", image="app:1.2") == "bump/prod-eu-app-1.2"
    with pytest.raises(GitError, match=r"unknown field\(s\) imgae: available are image, target"):
        branch_name("kubepush/{imgae}", target="t", image="i")
    with pytest.raises(GitError, match="nothing usable left"):
        branch_name("{target}", target="..")
    assert commit_message("bump {image} to {tag}\n\n{body}", image="a", tag="1", body="") == "bump a to 1\n"
    with pytest.raises(GitError, match="empty message"):
        commit_message("{x}", x=" ")
    with pytest.raises(GitError, match="invalid"):
        commit_message("{x!z}", x=1)


@pytest.mark.parametrize(("raw", "clean"), [
    ("kubepush/prod/nginx", "kubepush/prod/nginx"),
    ("a..b/.hidden/x.lock/", "a.b/hidden/x"),
    ("-lead/@{u}/~^:?*[\\ x", "lead/{u}/x"),
    ("a//b/./c.", "a/b/c"),
    ("refs.lock.lock", "refs"),
])
def test_sanitize_branch_examples(raw: str, clean: str) -> None:
    assert sanitize_branch(raw) == clean


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=300).filter(lambda s: "\0" not in s))
def test_sanitized_names_pass_git_check_ref_format(raw: str) -> None:
    try:
        name = sanitize_branch(raw)
    except GitError:
        return
    assert name == sanitize_branch(name)  # stable: re-runs find the same branch
    check = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, (raw, name, check.stderr)


@pytest.mark.parametrize(("message", "expected"), [
    ("bump\n", "bump\n\nSigned-off-by: CI <ci@x.test>\n"),
    ("bump\n\nbody text\n", "bump\n\nbody text\n\nSigned-off-by: CI <ci@x.test>\n"),
    ("bump\n\nCo-authored-by: A <a@x.test>\n", "bump\n\nCo-authored-by: A <a@x.test>\nSigned-off-by: CI <ci@x.test>\n"),
    ("bump\n\nSigned-off-by: CI <ci@x.test>\n", "bump\n\nSigned-off-by: CI <ci@x.test>\n"),
    ("Fix: subject only\n", "Fix: subject only\n\nSigned-off-by: CI <ci@x.test>\n"),
    ("\n \n", "Signed-off-by: CI <ci@x.test>\n"),
])
def test_signoff_placement_matches_git(remote: Remote, message: str, expected: str) -> None:
    ident = Identity(committer_name="CI", committer_email="ci@x.test")
    with workspace(url=remote.url) as repo:
        publish(repo, set_tag("1.1"), message=message, direct=True, identity=ident, signoff=True)
    assert git("log", "-1", "--format=%B", "main", cwd=remote.path) == expected + "\n"
    if message.strip():  # git itself reads the trailer we wrote (a subject alone never is one)
        parsed = git("interpret-trailers", "--parse", input=expected.encode())
        assert parsed.splitlines()[-1] == "Signed-off-by: CI <ci@x.test>"


def test_temporary_clone_location(remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with workspace(url=remote.url) as repo:
        assert repo.path.parent == tmp_path
    assert list(tmp_path.iterdir()) == [tmp_path / "srv"]  # removed again
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr("kubepush.gitops.repo.TMPFS_MIN_FREE", 1 << 62)  # no tmpfs is that roomy
    with workspace(url=remote.url) as repo:
        assert repo.path.parent == Path(tempfile.gettempdir())


def rebuilt_after(remote: Remote, earlier: Callable[[Path], list[str]]) -> PushResult:
    """The bot branch holds ``earlier``'s change (another run's); a later run in a fresh clone sets the web
    tag, rebuilding the branch on the base and carrying that change over: what the later run pushed."""
    with workspace(url=remote.url, branch=BRANCH) as repo:
        publish(repo, earlier, message="earlier\n", branch=BRANCH)
    with workspace(url=remote.url, branch=BRANCH) as repo:
        return publish(repo, set_tag("1.1"), message="web\n", branch=BRANCH)


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_a_carried_over_update_keeps_its_bytes(remote: Remote, line_end: bytes) -> None:
    """The bot branch's earlier change is carried over byte for byte: a Latin-1 comment and CRLF line ends
    reach the rebuilt branch as they were written (not decoded and re-encoded on the way)."""
    legacy = b"# caf\xe9" + line_end + b"image: legacy:1.1" + line_end

    def add_legacy(root: Path) -> list[str]:
        (root / "apps/legacy.yaml").write_bytes(legacy)
        return ["apps/legacy.yaml"]

    second = rebuilt_after(remote, add_legacy)
    assert second.status == PUSHED and second.paths == ("apps/legacy.yaml", "apps/web.yaml")
    shown = subprocess.run(["git", "show", f"{BRANCH}:apps/legacy.yaml"], cwd=remote.path, capture_output=True,
                           check=True).stdout
    assert shown == legacy
    assert remote.read(BRANCH, "apps/web.yaml") == "image: nginx:1.1\n"


def test_a_carried_over_update_in_a_path_git_would_quote_is_kept(remote: Remote) -> None:
    """The carried-over paths are read as git names them with -z, not C-quoted ("\\303\\251quipe/...")."""
    def add_team(root: Path) -> list[str]:
        (root / "équipe").mkdir()
        (root / "équipe/web.yaml").write_text("image: team:1.1\n")
        return ["équipe/web.yaml"]

    second = rebuilt_after(remote, add_team)
    assert second.status == PUSHED and second.paths == ("apps/web.yaml", "équipe/web.yaml")
    assert remote.read(BRANCH, "équipe/web.yaml") == "image: team:1.1\n"


def test_a_stale_carry_over_leaves_the_checkouts_other_edits_alone(remote: Remote, tmp_path: Path) -> None:
    """The bot branch's earlier change conflicts with a moved base: it is dropped, and only its files are
    reset - an edit of another file in the user's checkout is still there afterwards."""
    with workspace(url=remote.url, branch=BRANCH) as repo:
        publish(repo, set_tag("2.1", "apps/api.yaml"), message="api\n", branch=BRANCH)
    remote.commit("main", {"apps/api.yaml": "image: api:3.0\n"})  # the base moved under the same line
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    (checkout / "README.md").write_text("cfg, edited by hand\n")
    with workspace(checkout) as repo:
        result = publish(repo, set_tag("1.1"), message="web\n", branch=BRANCH)
    assert result.status == PUSHED and result.paths == ("apps/web.yaml",)
    assert remote.read(BRANCH, "apps/api.yaml") == "image: api:3.0\n"  # the stale update was dropped
    assert (checkout / "README.md").read_text() == "cfg, edited by hand\n"
