"""A config repository to bump: the CI checkout, or a temporary shallow clone.

:func:`workspace` yields a :class:`Repo` either for an existing checkout (the
usual CI case: the pipeline already cloned the repository) or for a fresh clone
of ``url`` in a temporary directory that is removed on exit, whatever happens.

The clone is built from ``git init`` + one ``ls-remote`` + one ``fetch`` rather
than ``git clone``: the same two network calls then serve the first clone, each
retry after a rejected push and the CI checkout, and fetch exactly the base
branch and the bot's branch (depth 1, no tags) - nothing else of a repository
with years of history. Depth 1 without ``--filter=blob:none``: the checkout
needs every blob of the tip anyway, and a blob filter would only fetch them in a
second round trip (a partial clone pays off with sparse checkouts, which a bump
cannot use: discovery reads every manifest). No remote URL is stored in a clone's ``.git/config``
(and none with credentials anywhere); network commands name the URL and get
credentials from :mod:`kubepush.gitops.auth`.

Network commands always name the clean URL, not ``origin``: a CI checkout's
``origin`` may embed a job token, which is moved into the header mechanism
instead (:func:`~kubepush.gitops.auth.split_url_credentials`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from kubepush.gitops import errors as E
from kubepush.gitops.auth import Credentials, split_url_credentials
from kubepush.gitops.errors import GitError
from kubepush.gitops.runner import DEFAULT_TIMEOUT, Git
from kubepush.gitops.templates import check_branch

_TRAILER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*: ")


@dataclass(frozen=True)
class Identity:
    """Author and committer of bot commits (git uses the committer for ``--signoff``)."""

    name: str = "kubepush"
    email: str = "kubepush@users.noreply.local"
    committer_name: str | None = None
    committer_email: str | None = None

    @classmethod
    def parse(cls, author: str | None, configured: dict[str, str] | None = None) -> Identity:
        """From ``--author 'Name <email>'``, else kubepush.yaml's ``author: {name, email}``, else the default."""
        if author:
            name, _, email = author.partition("<")
            if not email.endswith(">") or not name.strip():
                raise GitError(f"--author {author!r}: expected 'Name <email>'")
            return cls(name.strip(), email[:-1].strip())
        if configured:
            return cls(configured.get("name", cls.name), configured.get("email", cls.email))
        return cls()

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.committer_name or self.name,
            "GIT_COMMITTER_EMAIL": self.committer_email or self.email,
        }


@dataclass(frozen=True)
class RemoteState:
    """What :meth:`Repo.sync` found and fetched: the base tip and the bot branch tip (if any)."""

    base: str
    base_sha: str
    base_tree: str
    branch: str | None = None
    branch_sha: str | None = None


@dataclass(frozen=True)
class CommitInfo:
    """The parts of a raw commit object the idempotency check needs."""

    tree: str
    parents: tuple[str, ...]


@dataclass
class Repo:
    """A work tree at ``path`` whose remote is ``url``; all git calls go through ``git``."""

    path: Path
    url: str
    git: Git = field(repr=False)
    shallow: bool = False
    #: the state of the last sync, reused by the first publish attempt after a fresh clone
    state: RemoteState | None = None
    #: the commit HEAD is at, as far as this object moved it (or found it when opened)
    _at: str | None = field(default=None, repr=False)
    #: the commit this object checked out or committed last (its work tree and index match it)
    _checked_out: str | None = field(default=None, repr=False)
    #: what the last publish attempt's carry-over changed in the work tree (``None``: it reset the
    #: work tree to the base instead), so a re-plan knows which files to read again
    carried: tuple[str, ...] | None = ()
    #: commits read from the object store (immutable, so never stale); ``None``: not present here
    _commits: dict[str, CommitInfo | None] = field(default_factory=dict, repr=False)

    # -- queries ---------------------------------------------------------------------------

    def authenticated(self, credentials: Credentials | None) -> Repo:
        """This work tree with ``credentials`` for its network commands (kept as they are when None)."""
        if credentials is None:
            return self
        return replace(self, git=Git(self.path, self.url, credentials, self.git.timeout))

    def rev_parse(self, rev: str) -> str:
        """The full object name ``rev`` resolves to."""
        out = self.git.run("rev-parse", "--verify", "--quiet", f"{rev}^{{object}}", what=f"resolving {rev!r}",
                           ok=(0, 1))
        if out.status:
            raise GitError(f"{rev!r} is not a commit, branch or tag in {self.path}", kind=E.NOT_FOUND)
        return out.stdout.strip()

    def head(self) -> str:
        """The sha HEAD points at."""
        return self.rev_parse("HEAD")

    def at(self) -> str:
        """The sha HEAD is at as this object found or left it (during a run only it moves HEAD):
        no git call once known, e.g. right after opening a checkout or a checkout or commit."""
        if self._at is None:
            self._at = self.head()
        return self._at

    def ls_remote(self, *refs: str, symref: bool = False) -> tuple[dict[str, str], dict[str, str]]:
        """``({ref: sha}, {symref: target})`` on the remote for exactly the ``refs`` named."""
        args = ["ls-remote", *(["--symref"] if symref else []), self.url, *refs]
        out = self.git.run(*args, what="git ls-remote", network=True).stdout
        shas: dict[str, str] = {}
        links: dict[str, str] = {}
        for line in out.splitlines():
            left, _, name = line.partition("\t")
            if left.startswith("ref: "):
                links[name] = left[len("ref: "):]
            elif name in refs:
                shas[name] = left
        return shas, links

    def remote_branch(self, branch: str) -> str | None:
        """The sha of ``branch`` on the remote, ``None`` when it does not exist."""
        ref = f"refs/heads/{branch}"
        return self.ls_remote(ref)[0].get(ref)

    def default_branch(self) -> str:
        """The branch the remote's ``HEAD`` points at."""
        return self._default_branch(self.ls_remote("HEAD", symref=True)[1])

    def _default_branch(self, links: dict[str, str]) -> str:
        target = links.get("HEAD", "")
        if not target.startswith("refs/heads/"):
            raise GitError(f"{self.git.redact(self.url)} has no default branch (empty repository?): "
                           "pass the base branch explicitly", kind=E.NOT_FOUND)
        return target.removeprefix("refs/heads/")

    def changed_since(self, ref: str) -> list[str]:
        """Files changed on HEAD's side since it forked from ``ref`` (``git diff REF...HEAD``).

        A ``ref`` this checkout does not have is named as such: git's "bad revision" would read
        like a missing repository or a token without access, which it is not."""
        if not self._has_commit(ref) and not (self.shallow or self._is_shallow()):
            raise GitError(f"{ref}: no commit, branch or tag of that name in this checkout (check the name; a "
                           f"branch of the remote is origin/<branch>; fetch it first if CI checked out one branch)",
                           kind=E.NOT_FOUND)
        try:
            out = self.git.run("diff", "--name-only", "-z", "--no-renames", f"{ref}...HEAD", "--",
                               what=f"listing files changed since {ref}")
        except GitError as exc:
            if self.shallow or self._is_shallow():
                raise GitError(f"cannot compare with {ref}: the checkout is shallow and lacks the history "
                               "back to where HEAD forked from it - fetch full history (actions/checkout "
                               "fetch-depth: 0, GitLab GIT_DEPTH: 0)", kind=E.NOT_FOUND,
                               command=exc.command, status=exc.status, stderr=exc.stderr) from None
            raise
        return out.names()

    def files_differing(self, old: str, new: str) -> list[str]:
        """The paths whose content differs between commits ``old`` and ``new`` (a tree diff: no work tree read)."""
        if old == new:
            return []
        out = self.git.run("diff-tree", "-r", "--name-only", "-z", "--no-renames", "--no-commit-id", old, new,
                           what=f"listing files changed between {old} and {new}")
        return out.names()

    def diff(self, paths: Sequence[str] = ()) -> str:
        """Unified diff of the work tree against HEAD (for ``--dry-run``), limited to ``paths``."""
        rel = self.relative(paths)
        return self.git.run("diff", "--no-color", "--no-ext-diff", "HEAD", "--", *rel,
                            what="git diff").stdout

    def files_containing(self, root: Path, paths: Sequence[str], texts: Sequence[str]) -> list[str]:
        """Tracked files under ``paths`` that contain any of ``texts`` (fixed strings), as paths
        under ``root`` (the tree ``paths`` are in): ``git grep`` answers from the index in
        milliseconds where reading thousands of files takes seconds."""
        patterns = [arg for text in texts for arg in ("-e", text)]
        root = root.resolve()
        out = self.git.run("grep", "-l", "-z", "-F", "--no-color", *patterns, "--",
                           *(os.path.relpath(p, root) for p in paths),
                           what="searching the repository for the images", ok=(0, 1))
        return [str(root / name) for name in out.names()]

    def read_commit(self, rev: str) -> CommitInfo:
        """Tree and parents from the raw object (a shallow clone's grafts hide parents elsewhere)."""
        found = self._commits.get(rev)
        if found is not None:
            return found
        raw = self.git.run("cat-file", "commit", rev, what=f"reading commit {rev}").stdout
        return _commit_info(raw.encode())

    def read_commits(self, revs: Sequence[str]) -> dict[str, CommitInfo | None]:
        """``{rev: CommitInfo}`` for each of ``revs`` (``sha^`` works too), ``None`` for one this
        repository does not have - one ``cat-file --batch`` for them all; full shas are remembered."""
        out = self.git.run_bytes("cat-file", "--batch", what="reading commits",
                                 input="".join(f"{rev}\n" for rev in revs).encode())
        found: dict[str, CommitInfo | None] = {}
        at = 0
        for rev in revs:
            end = out.index(b"\n", at)
            header = out[at:end].split(b" ")
            at = end + 1
            if len(header) != 3:  # "<rev> missing" (or ambiguous)
                found[rev] = None
                continue
            size = int(header[2])
            found[rev] = _commit_info(out[at:at + size]) if header[1] == b"commit" else None
            at += size + 1
            if found[rev] is not None:
                self._commits[header[0].decode()] = found[rev]
        return found

    def _is_shallow(self) -> bool:
        out = self.git.run("rev-parse", "--is-shallow-repository", what="git rev-parse").stdout
        return out.strip() == "true"

    # -- remote sync -------------------------------------------------------------------------

    def sync(self, base: str | None, branch: str | None = None) -> RemoteState:
        """Fetch the tips of ``base`` (default: the remote's default branch) and ``branch``.

        Two network calls: ``ls-remote`` learns which of them exist (fetching a
        missing ref would fail the whole fetch), ``fetch`` gets both at once into
        ``refs/remotes/origin/*``, at depth 1 when this repository is shallow. The
        fetch is skipped when both commits are here already (a CI checkout at the
        base's tip, a branch pushed from this checkout): the tracking refs are then
        set to them locally. Commits are immutable, so what is here is what the
        remote has.
        """
        for name, what in ((base, "base"), (branch, "bot")):
            if name is not None:
                check_branch(name, what)
        refs = [r for r in (f"refs/heads/{base}" if base else "HEAD",
                            f"refs/heads/{branch}" if branch else None) if r]
        shas, links = self.ls_remote(*refs, symref=base is None)
        if base is None:
            base = self._default_branch(links)
        elif f"refs/heads/{base}" not in shas:
            raise GitError(f"branch {base!r} does not exist in {self.git.redact(self.url)}: check the base "
                           "branch name", kind=E.NOT_FOUND)
        base_sha = shas["HEAD" if "HEAD" in refs else f"refs/heads/{base}"]
        branch_sha = shas.get(f"refs/heads/{branch}") if branch else None
        tips = {base: base_sha, **({branch: branch_sha} if branch and branch_sha else {})}
        # the branch's parent too: a carry-over needs it (cat-file says "missing" past a shallow cut)
        wanted = [*tips.values(), *([f"{branch_sha}^"] if branch_sha else [])]
        found = self.read_commits(wanted)
        if any(found[sha] is None for sha in tips.values()):
            depth = ["--depth=1"] if self.shallow else []
            self.git.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
                         *depth, self.url, *(f"+refs/heads/{name}:refs/remotes/origin/{name}" for name in tips),
                         what=f"fetching {base}" + (f" and {branch}" if branch_sha else ""), network=True)
            found = self.read_commits(wanted)
        else:
            self.git.run("update-ref", "--stdin", what="recording the remote's tips",
                         input="".join(f"update refs/remotes/origin/{name} {sha}\n" for name, sha in tips.items()))
        base_commit = found[base_sha]
        if base_commit is None or (branch_sha and found[branch_sha] is None):
            raise GitError(f"fetching {base} from {self.git.redact(self.url)} did not bring its commit",
                           kind=E.NOT_FOUND)
        self.state = RemoteState(base, base_sha, base_commit.tree, branch, branch_sha)
        return self.state

    # -- local changes -----------------------------------------------------------------------

    def checkout(self, sha: str) -> None:
        """Detach HEAD at ``sha``; refuses (like git) to overwrite uncommitted changes.

        Skipped when this object already checked out ``sha`` and nothing was committed
        since: git would only confirm what is there (and keep any edits either way). Not
        skipped for a checkout found at ``sha``: git's checkout is also what finds the
        index locked by another git before any file is edited.
        """
        if self._checked_out == sha:
            return
        self.git.run("checkout", "--quiet", "--detach", sha, what=f"checking out {sha}")
        self._at = self._checked_out = sha

    def relative(self, paths: Sequence[str | Path]) -> list[str]:
        """``paths`` relative to the work tree; a path outside it is an error."""
        root = self.path.resolve()
        rel = []
        for p in paths:
            full = (root / p) if not Path(p).is_absolute() else Path(p)
            full = full.parent.resolve() / full.name
            try:
                rel.append(full.relative_to(root).as_posix())
            except ValueError:
                raise GitError(f"{p}: not inside the repository {self.path}", kind=E.CONFLICT) from None
        return rel

    def stage(self, paths: Sequence[str | Path], base: str) -> str:
        """Make the index ``base`` plus exactly ``paths`` from the work tree; return its tree.

        The index is first reset to ``base`` (``read-tree``: anything else staged in a
        checkout stays out of the commit). That index has no stat data, which is what
        keeps this fast right after a clone: every file there was written in the same
        second as the index, so git would re-hash all of them ("racily clean") on each
        index write. ``update-index`` then hashes only ``paths`` - unlike ``add``, which
        also walks their directories for untracked files.
        """
        rel = self.relative(paths)
        self.git.run("read-tree", base, what=f"resetting the index to {base}")
        if rel:
            self.git.run("update-index", "--add", "--remove", "--", *rel,
                         what="staging " + ", ".join(rel[:3]) + (" ..." if len(rel) > 3 else ""))
        return self.git.run("write-tree", what="git write-tree").stdout.strip()

    def commit(self, tree: str, parent: str, message: str, identity: Identity, signoff: bool = False) -> str:
        """Commit ``tree`` on ``parent`` as ``identity`` and move (detached) HEAD to it.

        ``commit-tree`` rather than ``commit``: ``commit`` re-stats every tracked file
        to refresh the index first, which costs more the bigger the repository is;
        the tree is already known from :meth:`stage`. Hooks do not run either way.
        """
        env = identity.env()
        text = stripspace(message)
        if signoff:
            text = add_signoff(text, f"Signed-off-by: {env['GIT_COMMITTER_NAME']} <{env['GIT_COMMITTER_EMAIL']}>")
        sha = self.git.run("commit-tree", tree, "-p", parent, what="git commit-tree", input=text,
                           env=env).stdout.strip()
        self.move_head(sha)
        return sha

    def carry_over(self, branch: str, branch_sha: str, base_sha: str) -> list[str] | None:
        """Re-apply the bot branch's own change (its tip against its parent) to the work tree.

        A bot branch is rebuilt on the current base at every run, but it may already hold
        updates of other runs (another image on the same ``--branch``, or the run that won
        a race): those must not be lost. Their diff is applied on the base with a 3-way
        merge; where it no longer applies (the base changed those lines since) the stale
        part is dropped - the base wins - and this run's own edit follows either way.
        Returns the paths it changed; ``None`` when it dropped a stale carry-over by resetting
        the change's files to the base (the index too; the caller plans those files again).
        """
        parents = self.read_commit(branch_sha).parents
        if len(parents) != 1:
            return []
        present = self._has_commit(parents[0])
        if not present and self.shallow:  # a depth-1 fetch cut it off
            self.git.run("fetch", "--quiet", "--no-tags", "--deepen=1", self.url,
                         f"+refs/heads/{branch}:refs/remotes/origin/{branch}", what=f"fetching {branch}'s base",
                         network=True)
            present = self._has_commit(parents[0])
        if not present:
            return []
        diff = self.git.run_bytes("diff", "--binary", "--no-color", parents[0], branch_sha,
                                  what=f"reading the change on {branch}")  # bytes: files need not be UTF-8
        if not diff.strip():
            return []
        names = self.git.run("diff", "--name-only", "-z", parents[0], branch_sha,
                             what=f"listing {branch}'s files").names()
        applied = self.git.run("apply", "--3way", "--whitespace=nowarn", "-", input=diff,
                               what=f"carrying {branch}'s earlier updates over", ok=(0, 1))
        if applied.status != 0:  # conflicts with the base: keep the base, drop the stale carry-over
            self._reset_to(base_sha, names)
            return None
        return names

    def _reset_to(self, sha: str, paths: list[str]) -> None:
        """``paths`` in the work tree and the index as they are at ``sha`` (removed where ``sha`` has
        none) - only those: in a CI checkout the other files may hold edits that are not ours."""
        there = self.git.run("ls-tree", "-z", "--name-only", sha, "--", *paths, what=f"listing {sha}'s files").names()
        if there:
            self.git.run("checkout", "--quiet", sha, "--", *there, what="dropping a stale carry-over")
        for gone in set(paths) - set(there):
            (self.path / gone).unlink(missing_ok=True)
        self.git.run("read-tree", sha, what=f"resetting the index to {sha}")

    def _has_commit(self, sha: str) -> bool:
        if self._commits.get(sha) is not None:
            return True
        found = self.git.run("cat-file", "-e", f"{sha}^{{commit}}", what=f"looking for {sha}", ok=(0, 1, 128))
        return found.status == 0

    def move_head(self, sha: str) -> None:
        """Point (detached) HEAD at ``sha`` whose tree the index already holds: no checkout needed."""
        self.git.run("update-ref", "--no-deref", "HEAD", sha, what=f"moving HEAD to {sha}")
        self._at = self._checked_out = sha

    def push(self, sha: str, branch: str, *, lease: str | None) -> bool:
        """Push ``sha`` to ``branch``; ``False`` when rejected because the branch moved.

        ``lease`` (branch mode): the sha we expect the branch at, ``""`` for "must not
        exist" - the push then replaces the branch only if nobody else moved it.
        ``None`` (direct mode): a plain fast-forward push. A server-side refusal
        (protected branch, hook) raises, since a retry cannot help.
        """
        ref = f"refs/heads/{branch}"
        args = ["push", "--porcelain", "--no-verify", "--no-recurse-submodules",
                *([f"--force-with-lease={ref}:{lease}"] if lease is not None else []), self.url, f"{sha}:{ref}"]
        what = f"pushing to {branch}"
        out = self.git.run(*args, what=what, network=True, ok=(0, 1))
        for line in out.stdout.splitlines():
            fields = line.split("\t")
            if len(fields) == 3 and fields[1].endswith(f":{ref}"):
                flag, summary = fields[0], fields[2]
                if flag != "!":
                    return True
                if summary.startswith("[rejected]") or _moved_meanwhile(summary, out.stderr):
                    return False
                kind = E.REFUSED if summary.startswith("[remote rejected]") else None
                raise self.git.error(what, ["git", *args], out.status, f"{out.stderr}\n{summary}", kind)
        raise self.git.error(what, ["git", *args], out.status, out.stderr or "no result reported for " + ref)


def _commit_info(raw: bytes) -> CommitInfo:
    """Tree and parents from a raw commit object's header."""
    tree, parents = "", []
    for line in raw.split(b"\n\n", 1)[0].splitlines():
        key, _, value = line.partition(b" ")
        if key == b"tree":
            tree = value.decode()
        elif key == b"parent":
            parents.append(value.decode())
    return CommitInfo(tree, tuple(parents))


def _moved_meanwhile(summary: str, stderr: str) -> bool:
    """The server found the ref moved while it locked it: another push landed between our lease check and ours.

    receive-pack then answers ``[remote rejected] (failed to update ref)`` with "cannot lock
    ref ...: reference already exists" (both created it) or "is at X but expected Y" - a
    race lost, to retry like a stale lease, not a refusal.
    """
    return summary.startswith("[remote rejected]") and (
        "reference already exists" in stderr or "but expected" in stderr)


def stripspace(message: str) -> str:
    """``git stripspace`` without comment removal: a message like ``#42 bump`` is kept."""
    lines: list[str] = []
    for line in message.splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def add_signoff(message: str, signoff: str) -> str:
    """``message`` with the ``signoff`` trailer appended the way ``git commit --signoff`` does.

    Into the trailer block when the last paragraph (not the subject) is one, unless
    it already ends with this very line; otherwise after a blank line. (Not
    ``git interpret-trailers``: it treats ``#`` lines as comments and would put
    the trailer above them.)
    """
    body = message.rstrip("\n")
    if not body:
        return signoff + "\n"
    _, sep, last = body.rpartition("\n\n")
    lines = last.splitlines() if sep else []
    if lines and all(_TRAILER.match(line) for line in lines):
        return body + "\n" if lines[-1] == signoff else f"{body}\n{signoff}\n"
    return f"{body}\n\n{signoff}\n"


@contextmanager
def workspace(
    path: str | Path | None = None,
    *,
    url: str | None = None,
    base: str | None = None,
    branch: str | None = None,
    credentials: Credentials | None = None,
    shallow: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[Repo]:
    """A :class:`Repo` for the checkout at ``path``, or a temporary clone of ``url``.

    For a clone, ``base`` (default: the remote's default branch) is checked out and
    ``branch`` fetched too when it exists; the temporary directory is removed on
    exit, also on errors. For a checkout, ``url`` defaults to ``origin``'s URL.
    Credentials embedded in a URL are taken out of it and used like ``credentials``.
    """
    if (path is None) == (url is None):
        raise GitError("give either a checkout path or a repository URL (--repo)")
    if path is not None:
        yield _open_checkout(Path(path), url, credentials, timeout)
        return
    assert url is not None
    clean, embedded = split_url_credentials(url)
    tmp = Path(tempfile.mkdtemp(prefix="kubepush-git-", dir=clone_parent()))
    try:
        git = Git(tmp, clean, credentials or embedded, timeout)
        git.run("init", "--quiet", "--template=", what="git init")
        repo = Repo(tmp, clean, git, shallow=shallow)
        state = repo.sync(base, branch)
        repo.checkout(state.base_sha)
        yield repo
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: a tmpfs at least this free is used for temporary clones
TMPFS_MIN_FREE = 1 << 30


def clone_parent() -> str | None:
    """Where a temporary clone goes: ``$TMPDIR`` when set, else ``/dev/shm`` when roomy.

    Checking out a config repository means creating thousands of small files, which
    on a CI VM's disk can take seconds (measured: 5,000 files, 3 s on ext4 here,
    0.15 s on tmpfs - see benchmarks/git_push.py). A clone lives for seconds and is
    a few megabytes, so a tmpfs with at least 1 GiB free takes it easily; a small
    one (Docker's default 64 MiB /dev/shm) is left alone. ``None``: the system default.
    """
    if os.environ.get("TMPDIR"):
        return os.environ["TMPDIR"]
    try:
        stat = os.statvfs("/dev/shm")
    except OSError:
        return None
    roomy = stat.f_bavail * stat.f_frsize >= TMPFS_MIN_FREE
    return "/dev/shm" if roomy and os.access("/dev/shm", os.W_OK | os.X_OK) else None


def _open_checkout(path: Path, url: str | None, credentials: Credentials | None, timeout: float) -> Repo:
    if not path.is_dir():
        raise GitError(f"{path}: no such directory (the checkout of the config repository)",
                       kind=E.NOT_FOUND)
    probe = Git(path, timeout=timeout)
    what = f"opening the git checkout {path}"
    opened = probe.run("rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD", what=what, ok=(0, 128))
    if opened.status:  # no commit yet (HEAD unborn), or no checkout at all: asked again without HEAD
        opened = probe.run("rev-parse", "--show-toplevel", "--is-shallow-repository", what=what)
    top, shallow, head = [*opened.stdout.split("\n"), ""][:3]
    if url is None:
        url = probe.run("config", "--get", "remote.origin.url", what="reading origin's URL", ok=(0, 1)).stdout.strip()
        if not url:
            raise GitError(f"{path}: the checkout has no 'origin' remote: pass the repository URL (--repo)",
                           kind=E.NOT_FOUND)
    clean, embedded = split_url_credentials(url)
    root = Path(top)
    return Repo(root, clean, Git(root, clean, credentials or embedded, timeout), shallow=shallow == "true",
                _at=head or None)
