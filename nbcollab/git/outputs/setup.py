"""``nbcollab install --share-outputs``: plain ``git fetch`` and ``git push`` share outputs too.

Two pieces, both in this clone only (git copies neither with a clone):

- a fetch refspec on each remote, ``+refs/nbcollab/outputs*:refs/nbcollab/remotes/<remote>/outputs*``,
  so every ``git fetch`` and ``git pull`` brings the remote's published outputs along (and the
  checkout of a pull fills them in). A pattern, not the ref's own name: git fetches what a
  pattern matches and nothing when it matches nothing, whereas a name the remote does not have
  (nobody published yet, or a broken ref was deleted) would fail every fetch and pull;
- the ``pre-push`` hook shipped in ``nbcollab/git/hooks``, written as every nbcollab hook is
  (``git.hook_files``: marked as nbcollab's, never over a hook of the user's own, which gets it
  beside it to call), which runs ``nbcollab outputs push --hook`` and never stops the push.

``uninstall`` removes exactly these: the refspec values it added, and the hook while it is the
one nbcollab wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.errors import GitError, NbcollabError
from nbcollab.git.hook_files import (
    SHARE_HOOKS,
    Hook,
    find_hook,
    hooks_dir,
    install_hooks,
    remove_hooks,
)
from nbcollab.gitcmd import run_git
from nbcollab.published.layout import REF, tracking_ref

HOOK = "pre-push"
_ERE_SPECIAL = re.compile(r"([\\^$.|?*+()\[\]{}])")


def refspec(remote: str) -> str:
    """The fetch refspec that brings ``remote``'s published outputs along (a pattern whose
    ``*`` matches the empty rest of the name)."""
    return f"+{REF}*:{tracking_ref(remote)}*"


def _older_refspec(remote: str) -> str:
    """The refspec earlier versions set: the ref's name, which fails a fetch where it is not."""
    return f"+{REF}:{tracking_ref(remote)}"


@dataclass
class Sharing:
    """How this clone shares outputs: the pre-push hook, and remotes with and without the
    refspec."""

    hook: Hook
    fetching: list[str] = field(default_factory=list)
    not_fetching: list[str] = field(default_factory=list)

    @property
    def publishing(self) -> bool:
        """Whether ``git push`` publishes: nbcollab's hook, or the user's calling it."""
        return self.hook.state in ("nbcollab", "stale", "edited") or self.hook.calls_chained

    @property
    def active(self) -> bool:
        """Whether any piece of it is set up."""
        return self.publishing or self.hook.chained is not None or bool(self.fetching)


def read_sharing(root: Path) -> Sharing:
    """What is set up in the repository at ``root``."""
    state = Sharing(find_hook(hooks_dir(root), HOOK))
    fetch = _fetch_refspecs(root)
    for remote in _remotes(root):
        wanted = refspec(remote) if _valid_name(remote) else None
        (state.fetching if wanted in fetch.get(remote, []) else state.not_fetching).append(remote)
    return state


def set_sharing(root: Path, *, enabled: bool) -> list[str]:
    """Set sharing up (``enabled``) or remove what nbcollab set up; what was done, as lines."""
    state = read_sharing(root)
    done = []
    fetch = _fetch_refspecs(root)
    for remote in _remotes(root):
        if not _valid_name(remote):
            continue
        # The older refspec goes either way: installing again replaces it.
        for value in (_older_refspec(remote), *([] if enabled else [refspec(remote)])):
            if value in fetch.get(remote, []):
                _unset_refspec(root, remote, value)
                done.append(f"removed fetch refspec {value} from remote {remote}")
        if enabled and remote in state.not_fetching:
            run_git(["config", "--local", "--add", f"remote.{remote}.fetch", refspec(remote)], root)
            done.append(f"added fetch refspec {refspec(remote)} to remote {remote}")
    return done + (install_hooks if enabled else remove_hooks)(root, SHARE_HOOKS)


def _unset_refspec(root: Path, remote: str, value: str) -> None:
    pattern = "^" + _ERE_SPECIAL.sub(r"\\\1", value) + "$"
    run_git(["config", "--local", "--unset-all", f"remote.{remote}.fetch", pattern], root)


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
