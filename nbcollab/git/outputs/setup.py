"""``nbcollab install --share-outputs``: plain ``git fetch`` and ``git push`` share outputs too.

Two pieces, both in this clone only (git copies neither with a clone):

- a fetch refspec on each remote, ``+refs/nbcollab/outputs:refs/nbcollab/remotes/<remote>/outputs``,
  so every ``git fetch`` and ``git pull`` brings the remote's published outputs along (and the
  checkout of a pull fills them in);
- a ``pre-push`` hook that runs ``nbcollab outputs push --hook``, which publishes the outputs of
  what is being pushed, and never stops the push.

``uninstall`` removes exactly these: the refspec values it added, and the hook file when it is
still the one nbcollab wrote. A hook someone else wrote is never replaced: install refuses and
says which line to add to it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.errors import ConfigError, GitError, InvalidNotebook, NbcollabError
from nbcollab.files import read_file_bytes, write_atomic
from nbcollab.git.plumbing import run_git
from nbcollab.published.layout import REF, tracking_ref

HOOK = "pre-push"
_HOOK_CALL = "outputs push --hook"
_MARK = "# nbcollab: publishes notebook outputs with every push (nbcollab install --share-outputs)."
_HOOK = """#!/bin/sh
{mark}
# `nbcollab uninstall` removes this file. A problem here never stops the push.
{command} outputs push --hook "$1" || echo "nbcollab: outputs not published; the push goes on" >&2
exit 0
"""
_OURS = re.compile(
    "^"
    + re.escape(_HOOK)
    .replace(re.escape("{mark}"), re.escape(_MARK))
    # the command is any line: a Python's path, quoted or not
    .replace(re.escape("{command}"), "(?P<command>[^\n]+)")
    + "$"
)
_ERE_SPECIAL = re.compile(r"([\\^$.|?*+()\[\]{}])")


def refspec(remote: str) -> str:
    """The fetch refspec that brings ``remote``'s published outputs along."""
    return f"+{REF}:{tracking_ref(remote)}"


def hook_text(command: str) -> str:
    """The hook script, running ``command`` (e.g. ``'/usr/bin/python3' -m nbcollab``)."""
    return _HOOK.format(mark=_MARK, command=command)


def hook_command(text: str) -> str | None:
    """The command in a hook nbcollab wrote; None for any other text."""
    match = _OURS.match(text)
    return match["command"] if match else None


@dataclass
class Sharing:
    """How this clone shares outputs: remotes with and without the refspec, and the hook."""

    hook: Path
    hook_command: str | None = None  # the command of nbcollab's hook, when it is there
    foreign_hook: bool = False  # a pre-push hook nbcollab did not write
    foreign_publishes: bool = False  # ... which runs `outputs push --hook` itself
    fetching: list[str] = field(default_factory=list)
    not_fetching: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether any piece of it is set up."""
        return bool(self.hook_command or self.foreign_publishes or self.fetching)


def read_sharing(root: Path) -> Sharing:
    """What is set up in the repository at ``root``."""
    hook = _hook_path(root)
    state = Sharing(hook)
    if hook.exists() or hook.is_symlink():
        try:
            text = read_file_bytes(hook, limit=1 << 20).decode("utf-8", "replace")
        except InvalidNotebook:  # unreadable, or not a regular file: not ours, whatever it is
            text = ""
        state.hook_command = hook_command(text)
        state.foreign_hook = state.hook_command is None
        state.foreign_publishes = state.foreign_hook and _HOOK_CALL in text
    fetch = _fetch_refspecs(root)
    for remote in _remotes(root):
        wanted = refspec(remote) if _valid_name(remote) else None
        (state.fetching if wanted in fetch.get(remote, []) else state.not_fetching).append(remote)
    return state


def check_can_share(root: Path) -> None:
    """ConfigError when sharing cannot be set up (a hook of someone else's is in the way)."""
    state = read_sharing(root)
    if state.foreign_hook and not state.foreign_publishes:
        raise ConfigError(
            f"{state.hook}: a pre-push hook nbcollab did not write is there; nothing changed. "
            f'Add this line to it, then run this command again: nbcollab {_HOOK_CALL} "$1"'
        )


def set_sharing(root: Path, command: str, *, enabled: bool) -> list[str]:
    """Set sharing up (``enabled``) or remove what nbcollab set up; what was done, as lines."""
    if enabled:
        check_can_share(root)
    state = read_sharing(root)
    done = []
    for remote in state.not_fetching if enabled else state.fetching:
        if not _valid_name(remote):
            continue
        key = f"remote.{remote}.fetch"
        if enabled:
            run_git(["config", "--local", "--add", key, refspec(remote)], root)
            done.append(f"added fetch refspec {refspec(remote)} to remote {remote}")
        else:
            pattern = "^" + _ERE_SPECIAL.sub(r"\\\1", refspec(remote)) + "$"
            run_git(["config", "--local", "--unset-all", key, pattern], root)
            done.append(f"removed fetch refspec {refspec(remote)} from remote {remote}")
    text = hook_text(command)
    if enabled and state.foreign_publishes:
        pass  # the user's own hook publishes: it stays as it is
    elif enabled and state.hook_command != command:
        state.hook.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(state.hook, text.encode("utf-8"))
        os.chmod(state.hook, 0o755)
        done.append(f"wrote the pre-push hook {state.hook}")
    elif not enabled and state.hook_command is not None:
        state.hook.unlink()
        done.append(f"removed the pre-push hook {state.hook}")
    return done


def _hook_path(root: Path) -> Path:
    out = run_git(["rev-parse", "--git-path", f"hooks/{HOOK}"], root)
    path = Path(out.decode("utf-8", "surrogateescape").strip())
    return path if path.is_absolute() else root / path


def _remotes(root: Path) -> list[str]:
    return run_git(["remote"], root).decode("utf-8", "surrogateescape").split()


def _fetch_refspecs(root: Path) -> dict[str, list[str]]:
    try:
        out = run_git(["config", "--local", "-z", "--get-regexp", r"^remote\..*\.fetch$"], root)
    except GitError:
        return {}  # none at all (git config exits 1)
    found: dict[str, list[str]] = {}
    for entry in filter(None, out.decode("utf-8", "surrogateescape").split("\0")):
        key, _, value = entry.partition("\n")
        found.setdefault(key[len("remote.") : -len(".fetch")], []).append(value)
    return found


def _valid_name(remote: str) -> bool:
    try:
        tracking_ref(remote)
    except NbcollabError:  # a remote name git takes but this ref name cannot hold
        return False
    return True
