"""The state of one notebook being resolved: choices, edits and undo, all in memory.

Nothing is written until ``nbcollab.mergetool.store.save_session``: closing the page changes
nothing. Each button is a ``nbcollab.merge.resolve.Resolution`` applied by ``resolve_conflicts``
(one record entry at a time), so the page resolves exactly as ``nbcollab resolve`` does; an
edit replaces a cell's text (``set_cell_text``, which keeps the record in step), and conflicts
whose marks it removed count as resolved (their record is cleared on save).
Pure: no files, no git.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from nbcollab.errors import NbcollabError
from nbcollab.merge.conflicts import Notebook, read_record
from nbcollab.merge.resolve import Resolution, resolve_conflicts, set_cell_text
from nbcollab.mergetool.views import ConflictView, conflict_views
from nbcollab.notebook.lines import iter_cells


class ChoiceRefused(NbcollabError):
    """A choice or edit that cannot be applied (the conflict is gone, or cannot be resolved so)."""


@dataclass
class FileDeletion:
    """The whole notebook deleted on one side and modified on the other (git's modify/delete)."""

    deleted_by: Literal["ours", "theirs"]
    keep: bool | None = None  # None: not decided yet
    labels: tuple[str, str] = ("", "")  # the branch names of ours and theirs, when known


@dataclass
class Session:
    """One notebook: its current state, what it was, and how to undo."""

    path: str
    notebook: Notebook
    original: bytes = b""  # the file's bytes when the session started (b"": no file)
    inputs: list[bytes | None] = field(default_factory=list)  # base, ours, theirs (for signing)
    deletion: FileDeletion | None = None
    total: int = 0
    history: list[tuple[Notebook, bool | None]] = field(default_factory=list)
    # Cells that had conflicts when the session began (by id, else index): the page keeps them
    # in view once resolved, so that what was chosen can be seen and edited again.
    watched: set[str | int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.total = max(self.total, self.left())
        cells = iter_cells(self.notebook)
        self.watched |= {cell_key(cells[v.cell], v.cell) for v in self.conflicts()}

    def conflicts(self) -> list[ConflictView]:
        """The conflicts still unresolved (marked and recorded)."""
        return conflict_views(self.notebook)

    def left(self) -> int:
        """How many conflicts are left, the file deletion included."""
        undecided = self.deletion is not None and self.deletion.keep is None
        return len(self.conflicts()) + undecided

    def choose(self, number: int, choice: Resolution) -> None:
        """Resolve the record entry ``number`` to ``choice``; ChoiceRefused if it cannot be."""
        view = next((v for v in self.conflicts() if v.number == number), None)
        if view is None:
            raise ChoiceRefused(f"{self.path}: conflict {number} is already resolved")
        if choice not in view.choices:
            raise ChoiceRefused(f"{self.path}: {view.description}: cannot use {choice.value}")
        outcome = resolve_conflicts(self.notebook, choice, entry=number)
        if outcome.failed:
            raise ChoiceRefused(f"{self.path}: " + "; ".join(outcome.failed))
        self._set(outcome.notebook)

    def edit(self, cell: int, text: str) -> None:
        """Replace the text of the cell at index ``cell`` (the editable result)."""
        if not 0 <= cell < len(iter_cells(self.notebook)):
            raise ChoiceRefused(f"{self.path}: no cell {cell}")
        self._set(set_cell_text(self.notebook, cell, text))

    def decide_file(self, keep: bool) -> None:
        """Keep the modified notebook, or delete it (git's modify/delete)."""
        if self.deletion is None:
            raise ChoiceRefused(f"{self.path}: the notebook was not deleted on either side")
        self.history.append((self.notebook, self.deletion.keep))
        self.deletion.keep = keep

    def undo(self) -> bool:
        """Go back one step; False when there is nothing to undo."""
        if not self.history:
            return False
        self.notebook, keep = self.history.pop()
        if self.deletion is not None:
            self.deletion.keep = keep
        return True

    def _set(self, nb: Notebook) -> None:
        self.history.append((self.notebook, self.deletion.keep if self.deletion else None))
        self.notebook = nb


def cell_key(cell: dict[str, object], index: int) -> str | int:
    """What identifies a cell across choices: its id, else its index."""
    cell_id = cell.get("id")
    return cell_id if isinstance(cell_id, str) and cell_id else index


def clear_resolved(nb: Notebook) -> Notebook:
    """``nb`` with the records of conflicts no longer marked cleared (unresolved ones stay)."""
    if not read_record(nb):
        return nb
    return resolve_conflicts(nb, None).notebook


def describe_left(sessions: Sequence[Session]) -> str:
    """``N of M conflicts left``, over every notebook of a run."""
    left = sum(s.left() for s in sessions)
    total = sum(s.total for s in sessions)
    return f"{left} of {total} conflict{'s' * (total != 1)} left"
