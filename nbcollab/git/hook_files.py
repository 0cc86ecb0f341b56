"""The git hooks nbcollab ships (``nbcollab/git/hooks/``) and ``nbcollab install --hooks``.

The scripts live inside the package, so an installed nbcollab has them wherever pip put it.
``install --hooks`` writes the pre-commit hook (clean and conflict checks on the staged blobs)
into the repository's hooks folder (``git rev-parse --git-path hooks``, which honours
``core.hooksPath``), with a line that marks it as nbcollab's and records the SHA-256 of what was
written. So ``uninstall`` removes exactly a hook nbcollab wrote and nobody changed since, and
``status`` tells an older nbcollab's hook from a hook someone edited.

A hook of the user's own is never overwritten or removed: nbcollab's checks are then written
beside it (``nbcollab-pre-commit``) for the user's hook to call, and ``status`` says whether it
does.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nbcollab.errors import GitError

SCRIPTS = Path(__file__).with_name("hooks")
# The git hook `install --hooks` writes, and the packaged script it holds.
HOOKS = {"pre-commit": "pre-commit"}
# The git hook `install --share-outputs` writes (docs/outputs.md).
SHARE_HOOKS = {"pre-push": "pre-push"}
_SCRIPT_OF = {**HOOKS, **SHARE_HOOKS}
# What a hook does, for what install says about a user's own hook of that name.
_PURPOSE = {"pre-commit": "run nbcollab's checks", "pre-push": "publish outputs on push"}
# What git gives a hook that nbcollab's script needs too (pre-push: the remote, and its input).
_ARGS = {"pre-push": ' "$@"'}
_MARK = "# nbcollab hook, written by `nbcollab install --hooks` (`nbcollab uninstall` removes it)"
_SHA = "; sha256 "
CHAINED = "nbcollab-{}"  # nbcollab's checks beside a user's own hook, for it to call

HookState = Literal["nbcollab", "stale", "edited", "own", "missing"]


@dataclass(frozen=True)
class Hook:
    """One git hook as found in a repository."""

    name: str
    path: Path
    state: HookState
    # With a user's own hook: nbcollab's checks beside it, and whether that hook calls them.
    chained: Path | None = None
    calls_chained: bool = False


def hooks_dir(repo_root: Path) -> Path:
    """The folder git runs this repository's hooks from."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks"],
            cwd=repo_root,
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git failed: is it installed and on PATH? ({exc})") from None
    if done.returncode != 0:
        raise GitError(f"git rev-parse --git-path hooks failed in {repo_root}")
    return repo_root / os.fsdecode(done.stdout.rstrip(b"\n"))


def check_hooks_dir(repo_root: Path, common_dir: Path) -> Path:
    """The hooks folder, or ConfigError when it is outside the repository: a ``core.hooksPath``
    shared by other repositories, where a hook would judge their commits too."""
    folder = hooks_dir(repo_root)
    resolved = folder.resolve()
    if not any(resolved.is_relative_to(p.resolve()) for p in (repo_root, common_dir)):
        from nbcollab.errors import ConfigError

        raise ConfigError(
            f"the hooks folder {folder} (core.hooksPath) is outside this repository and may serve "
            f"others: nbcollab writes no hook there; call {SCRIPTS / 'pre-commit'} from your "
            "pre-commit hook, or use the pre-commit framework's nbcollab-clean-check and "
            "nbcollab-conflicts"
        )
    return folder


def script_text(name: str) -> bytes:
    """The packaged script ``name``, marked as nbcollab's with the SHA-256 of its text."""
    body = (SCRIPTS / name).read_bytes()
    shebang, _, rest = body.partition(b"\n")
    digest = hashlib.sha256(body).hexdigest()
    return shebang + b"\n" + f"{_MARK}{_SHA}{digest}\n".encode() + rest


def _state(data: bytes, name: str) -> HookState:
    lines = data.split(b"\n", 2)
    mark = lines[1].decode("utf-8", "replace") if len(lines) > 1 else ""
    if not mark.startswith(_MARK + _SHA):
        return "own"
    body = lines[0] + b"\n" + (lines[2] if len(lines) > 2 else b"")
    if hashlib.sha256(body).hexdigest() != mark[len(_MARK + _SHA) :].strip():
        return "edited"
    return "nbcollab" if data == script_text(_SCRIPT_OF[name]) else "stale"


def call_line(name: str) -> str:
    """The line that runs nbcollab's checks from a user's own hook ``name`` (and does nothing
    once ``nbcollab uninstall`` has removed them)."""
    script = f'"${{0%/*}}/{CHAINED.format(name)}"'
    return f"[ ! -f {script} ] || sh {script}{_ARGS.get(name, '')} || exit 1"


def find_hook(folder: Path, name: str) -> Hook:
    """What is at hook ``name`` in ``folder``."""
    path = folder / name
    try:
        # A link's target may be anyone's file: it is the user's, never read, never written.
        data = path.read_bytes() if _is_plain_file(path) else None
    except OSError:
        data = None
    if data is None:
        return Hook(name, path, "own" if path.is_symlink() or path.exists() else "missing")
    state = _state(data, name)
    if state != "own":
        return Hook(name, path, state)
    chained = folder / CHAINED.format(name)
    calls = chained.is_file() and _names(path, chained.name)
    return Hook(name, path, state, chained if chained.is_file() else None, calls)


def install_hooks(repo_root: Path, hooks: Mapping[str, str] = HOOKS) -> list[str]:
    """Write nbcollab's ``hooks`` (never over a user's own); what was done, as lines."""
    folder = hooks_dir(repo_root)
    done = []
    for name, script in hooks.items():
        hook = find_hook(folder, name)
        if hook.state == "own":
            target = folder / CHAINED.format(name)
            if _write(target, script_text(script)):
                done.append(f"wrote {target}")
            done.append(
                f"kept your own {name} hook {hook.path}"
                + (
                    f", which runs {target.name}"
                    if hook.calls_chained
                    else f": to {_PURPOSE[name]}, add this line to it: {call_line(name)}"
                )
            )
        elif hook.state == "edited":
            done.append(
                f"kept {hook.path}: changed since nbcollab wrote it (remove it to renew it)"
            )
        elif _write(hook.path, script_text(script)):
            done.append(
                f"{'updated' if hook.state == 'stale' else 'wrote'} the {name} hook {hook.path}"
            )
    return done


def refresh_hooks(repo_root: Path, hooks: Mapping[str, str] = HOOKS) -> list[str]:
    """Bring hooks an older nbcollab wrote up to date (``install`` without ``--hooks``)."""
    folder = hooks_dir(repo_root)
    done = []
    for name, script in hooks.items():
        for path in (folder / name, folder / CHAINED.format(name)):
            if _is_plain_file(path) and _state(path.read_bytes(), name) == "stale":
                _write(path, script_text(script))
                done.append(f"updated the {name} hook {path}")
    return done


def remove_hooks(repo_root: Path, hooks: Mapping[str, str] = HOOKS) -> list[str]:
    """Remove the ``hooks`` nbcollab wrote and nobody changed; what was done, as lines."""
    folder = hooks_dir(repo_root)
    done = []
    for name in hooks:
        for path in (folder / name, folder / CHAINED.format(name)):
            if not _is_plain_file(path):
                continue
            state = _state(path.read_bytes(), name)
            if state in ("nbcollab", "stale"):
                path.unlink()
                done.append(f"removed the {name} hook {path}")
                if path.name != name and _names(folder / name, path.name):
                    done.append(
                        f"your own {name} hook still names it (it now does nothing): remove "
                        f"the line {call_line(name)} when you like"
                    )
            elif state == "edited":
                done.append(f"kept {path}: changed since nbcollab wrote it")
    return done


def _is_plain_file(path: Path) -> bool:
    """A regular file, not a link (whose target may be anyone's) nor a FIFO (which would block)."""
    return path.is_file() and not path.is_symlink()


def _names(hook: Path, script: str) -> bool:
    """Whether the hook file ``hook`` mentions ``script`` (never reading a FIFO)."""
    try:
        return hook.is_file() and script.encode() in hook.read_bytes()
    except OSError:
        return False


def _write(path: Path, text: bytes) -> bool:
    """Write an executable hook at ``path``; True when its bytes changed."""
    from nbcollab.files import write_atomic

    if path.is_file() and not path.is_symlink() and path.read_bytes() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    path.chmod(0o755)
    return True
