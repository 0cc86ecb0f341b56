"""Saving a session: validate, write atomically, clear resolved records, bring the output
cache's outputs back into a notebook left without conflicts, re-sign per the policy.

The only place the mergetool writes. A file changed on disk since the session opened it is not
overwritten (someone else resolved it meanwhile): the save is refused and says so. Nor is an
unmerged notebook that is a symbolic link out of the repository (a branch can make a notebook a
link to any file; git reports "distinct types"): nothing is written and the message says to
decide with git. A link the user named that git does not track is theirs to follow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.errors import NbcollabError
from nbcollab.files import is_inside, write_atomic
from nbcollab.merge.conflicts import find_conflicts
from nbcollab.mergetool.session import Session, clear_resolved
from nbcollab.notebook.codec import parse_notebook, serialize_notebook


@dataclass
class SaveReport:
    """What a save did, as lines for people, and how many conflicts are left."""

    left: int
    lines: list[str] = field(default_factory=list)


def save_session(session: Session, *, sign: bool) -> SaveReport:
    """Write what the session resolved; unresolved conflicts stay marked and recorded."""
    path = Path(session.path)
    # Sessions of unmerged notebooks carry git's stages as their inputs.
    root = _repository_of(path) if any(session.inputs) else None
    _check_unchanged(path, session.original)
    if session.deletion is not None and session.deletion.keep is False:
        if path.exists() or path.is_symlink():
            os.unlink(path)
        session.original = b""
        return SaveReport(0, [f"{session.path}: deleted (run 'git rm {session.path}')"])
    nb = clear_resolved(session.notebook)
    text = serialize_notebook(nb)
    parse_notebook(text, path=session.path)  # what is written must read back as a notebook
    data = text.encode("utf-8", "surrogatepass")
    lines = []
    filled = None
    undecided = session.deletion is not None and session.deletion.keep is None
    if data != session.original and not undecided and not find_conflicts(nb):
        from nbcollab.git.refill import refilled

        # Resolved whole: the outputs the output cache holds for its cells come back, as
        # `nbcollab resolve` and a checkout give them (those restored are signed by its rule).
        filled = refilled(path, data)
        if filled is not None:
            data, nb = filled, parse_notebook(filled, path=session.path)
    if data != session.original:
        write_atomic(path, data, root=root)
        lines.append(f"{session.path}: saved")
    session.notebook, session.original = nb, data
    if filled is not None:
        lines.append(f"{session.path}: outputs restored from the output cache")
    elif sign and any(session.inputs):
        from nbcollab.trust.notary import sign_merge_result

        inputs = [raw for raw in session.inputs if raw]
        outcome = sign_merge_result(text, inputs=inputs, path=session.path)
        lines.append(f"{session.path}: {outcome.reason}")
    left = session.left()
    lines.append(f"{session.path}: {left} conflict{'s' * (left != 1)} left")
    return SaveReport(left, lines)


def _repository_of(path: Path) -> Path | None:
    """The work tree holding an unmerged ``path``; an error when it is a link leading out."""
    from nbcollab.mergetool.sources import repository_root

    root = repository_root(path.absolute())
    if root is not None and not is_inside(path, root):
        raise NbcollabError(
            f"{path}: a symbolic link to a file outside the repository "
            f"({os.path.realpath(path)}): not saved, nothing written; decide with git (git "
            "status shows where it put the other side), then git add or git rm it"
        )
    return root


def _check_unchanged(path: Path, original: bytes) -> None:
    try:
        now = path.read_bytes()
    except FileNotFoundError:
        now = b""
    except OSError as exc:
        raise NbcollabError(f"{path}: cannot read ({exc.strerror})") from None
    if now != original:
        raise NbcollabError(
            f"{path}: changed on disk since the mergetool opened it; not "
            "overwritten (run the mergetool again)"
        )
