"""Running the ``git`` binary: a clean environment, a timeout, and errors that say what to do.

Why the git CLI and not GitPython or pygit2: the CLI *is* the reference
implementation - smart HTTP, protocol v2, shallow and partial clones,
``--force-with-lease`` and ``--atomic`` behave exactly as users know them from
their own pipelines, and git 2.3x is on every CI image. pygit2 (libgit2) lacks
``--force-with-lease`` and shallow pushes, and would bring a compiled wheel;
GitPython shells out to the same binary anyway, adding a layer that is hard to
keep from logging its command lines. A bump needs only a dozen git commands,
each run here once.

The environment each git gets is built, not inherited blindly: ``GIT_DIR`` and
friends are dropped (a hook's ``GIT_DIR`` would otherwise redirect every
command to another repository), prompts and askpass programs are off (CI has no
terminal; a hanging prompt is worse than an error), messages are in the C
locale so they can be classified, hooks are disabled (a bot commit does not run
a developer's pre-commit setup), automatic gc/maintenance is off (it would cost
seconds after a fetch), and trace output redacts ``Authorization``. Settings are
passed as ``GIT_CONFIG_*`` entries appended to any the caller already had.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kubepush.gitops import errors as E
from kubepush.gitops.auth import Credentials, config_entries, redact_with
from kubepush.gitops.errors import GitError

log = logging.getLogger("kubepush.gitops")

DEFAULT_TIMEOUT = 300.0

#: variables that point git at another repository, index or object store
_REPO_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
              "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_COMMON_DIR", "GIT_PREFIX",
              "GIT_CEILING_DIRECTORIES", "GIT_QUARANTINE_PATH")

_SETTINGS = (
    ("core.hooksPath", os.devnull),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("fetch.writeCommitGraph", "false"),
    ("advice.detachedHead", "false"),
    # parallel checkout (git >= 2.32) when a checkout writes many files: a fresh clone
    ("checkout.workers", "0"),
    ("commit.gpgSign", "false"),
    # abort a transfer that stalls below 1 byte/s for 60 s instead of hanging the pipeline
    ("http.lowSpeedLimit", "1"),
    ("http.lowSpeedTime", "60"),
)

# (substring of git's stderr, kind), first match wins; stderr is matched lower-cased
_CLASSIFY: tuple[tuple[str, str], ...] = (
    ("terminal prompts disabled", E.AUTH),
    ("authentication failed", E.AUTH),
    ("access denied", E.AUTH),
    ("returned error: 401", E.AUTH),
    ("returned error: 403", E.PERMISSION),
    ("permission to", E.PERMISSION),
    ("not allowed to push", E.PERMISSION),
    ("write access to repository not granted", E.PERMISSION),
    ("returned error: 404", E.NOT_FOUND),
    ("not found", E.NOT_FOUND),
    ("does not appear to be a git repository", E.NOT_FOUND),
    ("could not resolve host", E.NETWORK),
    ("failed to connect", E.NETWORK),
    ("connection refused", E.NETWORK),
    ("connection reset", E.NETWORK),
    ("connection timed out", E.NETWORK),
    ("operation too slow", E.NETWORK),
    ("empty reply from server", E.NETWORK),
    ("rpc failed", E.NETWORK),
    ("remote end hung up", E.NETWORK),
    ("early eof", E.NETWORK),
    ("unable to access", E.NETWORK),
    ("returned error: 5", E.NETWORK),
    ("would be overwritten", E.CONFLICT),
    ("did not match any file", E.CONFLICT),
    ("not a git repository", E.NOT_FOUND),
    ("couldn't find remote ref", E.NOT_FOUND),
    ("unknown revision", E.NOT_FOUND),
    ("bad revision", E.NOT_FOUND),
)

ADVICE = {
    E.AUTH: ("authentication failed: check the token is set, valid and not expired, and that the git "
             "username fits the forge (GitHub x-access-token, GitLab oauth2 or gitlab-ci-token for "
             "CI_JOB_TOKEN, Gitea the token owner's name)"),
    E.PERMISSION: ("the token may not write to this repository: it needs contents:write (GitHub), "
                   "write_repository (GitLab) or write:repository (Gitea) scope"),
    E.NOT_FOUND: ("repository or ref not found: check the URL and branch names (a private repository "
                  "also looks missing to a token without read access)"),
    E.NETWORK: ("could not talk to the git server: check the URL, network, proxy and TLS settings; "
                "nothing was pushed"),
    E.TIMEOUT: "git did not finish in time: check the network, or raise the git timeout",
    E.REFUSED: ("the server refused the update (protected branch or server hook): let kubepush open a "
                "pull request instead of --direct, or allow the bot to push to this branch"),
    E.CONFLICT: "local changes or paths are in the way: run on a clean checkout",
    E.OTHER: "git's own message says why",
}


def classify(stderr: str) -> str:
    """The error kind git's ``stderr`` describes."""
    low = stderr.lower()
    return next((kind for needle, kind in _CLASSIFY if needle in low), E.OTHER)


def _config_env(inherited: Mapping[str, str], entries: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``GIT_CONFIG_*`` variables for ``entries``, after the caller's own (which stay)."""
    try:
        start = int(inherited.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        start = 0
    env = {"GIT_CONFIG_COUNT": str(start + len(entries))}
    for i, (key, value) in enumerate(entries, start):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def base_env(extra_config: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    """The environment for a git process (see the module docstring for each choice)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_VARS}
    env.update(
        LC_ALL="C", LANGUAGE="", GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="",
        GCM_INTERACTIVE="never", GIT_TRACE_REDACT="1", GIT_OPTIONAL_LOCKS="0", GIT_LITERAL_PATHSPECS="1",
        GIT_EDITOR=":",
    )
    env.update(_config_env(os.environ, [*_SETTINGS, *extra_config]))
    return env


@dataclass(frozen=True)
class Result:
    stdout: str
    stderr: str
    status: int

    def names(self) -> list[str]:
        """The paths a ``-z`` command printed, NUL-separated: as they are, where git would C-quote
        one line each (non-ASCII, tabs, quotes)."""
        return [name for name in self.stdout.split("\0") if name]


@dataclass
class Git:
    """Runs git in ``cwd``; network commands get ``credentials`` for ``url``.

    ``credentials`` is ``repr``-free and only ever enters a child's environment.
    """

    cwd: Path
    url: str = ""
    credentials: Credentials | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if self.credentials and self.url and not config_entries(self.url, self.credentials):
            log.warning("the git token is not used for %s: only HTTPS remotes take one (SSH uses its key)",
                        self.redact(self.url))

    def redact(self, text: str) -> str:
        return redact_with(text, self.credentials)

    def run(
        self,
        *args: str,
        what: str,
        network: bool = False,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,),
    ) -> Result:
        """Run ``git args``; a status outside ``ok`` raises :class:`GitError` about ``what``."""
        data = input.encode() if isinstance(input, str) else input
        out, err, status = self._exec(args, what, network, data, env, ok)
        return Result(out.decode("utf-8", errors="replace"), err, status)

    def run_bytes(self, *args: str, what: str, input: bytes = b"", ok: Sequence[int] = (0,)) -> bytes:
        """Run ``git args`` and return its output undecoded (``cat-file --batch``: object sizes count
        bytes, and a commit message need not be UTF-8; a patch carries files' bytes as they are)."""
        return self._exec(args, what, False, input, None, ok)[0]

    def _exec(self, args: Sequence[str], what: str, network: bool, input: bytes | None,
              env: Mapping[str, str] | None, ok: Sequence[int]) -> tuple[bytes, str, int]:
        auth = config_entries(self.url, self.credentials) if network else []
        full_env = base_env(auth)
        if env:
            full_env.update(env)
        argv = ["git", *args]
        shown = self.redact(" ".join(argv))
        started = time.monotonic()
        try:
            proc = subprocess.Popen(argv, cwd=self.cwd, env=full_env, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise GitError(f"{what} failed: cannot run git ({exc.strerror}); install git 2.31 or later",
                           command=[shown]) from None
        try:
            out, raw_err = proc.communicate(input, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            # git forks git-remote-https, which keeps the pipes open: end the whole group
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise GitError(f"{what} timed out after {self.timeout:g}s [{shown}]. {ADVICE[E.TIMEOUT]}",
                           kind=E.TIMEOUT, command=[shown]) from None
        log.debug("%s -> %d (%.0f ms)", shown, proc.returncode, (time.monotonic() - started) * 1000)
        err = raw_err.decode("utf-8", errors="replace")
        if proc.returncode not in ok:
            raise self.error(what, argv, proc.returncode, err)
        return out, err, proc.returncode

    def error(self, what: str, argv: Sequence[str], status: int, stderr: str, kind: str | None = None) -> GitError:
        """A :class:`GitError` for a failed command, with git's last words and advice."""
        shown = self.redact(" ".join(argv))
        said = self.redact(stderr.strip())
        kind = kind or classify(said)
        lines = [ln.strip() for ln in said.splitlines() if ln.strip()]
        # git's first fatal line names the problem ("Unable to create '.../index.lock'"), the last ones advise
        first = [ln for ln in lines if ln.startswith(("fatal:", "error:"))][:1]
        summary = " / ".join(first + [ln for ln in lines[-4:] if ln not in first]) or "(no message)"
        message = f"{what} failed: {summary} [{shown}, exit {status}]. {ADVICE[kind]}"
        return GitError(message, kind=kind, command=[shown], status=status, stderr=said)
