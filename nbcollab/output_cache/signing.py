"""Whether a notebook restored cell by cell may be signed: the user's own trust, carried over.

Jupyter trusts a notebook when its signature store knows the notebook's exact content, so a file
restored cell by cell is new content and would open untrusted, its plots and widgets blanked,
after every pull. It is signed exactly when the argument of docs/trust.md holds with the
recorded working files the user's Jupyter trusted as the trusted inputs: ``trust.policy``'s
``find_signing_problem``, the very check the merge driver makes, decides. The trusted inputs are
the records the restore searched (the notebook's most recent ones) that were trusted when
recorded (``Record.trusted``) and still are (their signatures are looked up again): a record made
while untrusted, another clone's outputs (never recorded here), a cell whose code changed (never
filled) lend no trust.

Nothing here imports nbformat: signatures are computed and looked up by ``trust.signatures``,
and the session adds them to the store in one transaction when git's command ends.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import Notebook, parse_notebook
from nbcollab.output_cache.restore import FilledCells
from nbcollab.output_cache.store import OutputStore, Record
from nbcollab.trust.policy import (
    find_lone_surrogate,
    find_read_problem,
    find_signing_problem,
    has_rich_outputs,
)
from nbcollab.trust.signatures import UserStore
from nbcollab.trust.store import as_jupyter_reads


@dataclass(frozen=True)
class Verdict:
    """What to do with a restored file's trust: add ``digest``, or say ``problem``, or neither."""

    digest: str | None = None
    problem: str | None = None


NOTHING_TO_SIGN = Verdict()


def needs_judging(filled: FilledCells) -> bool:
    """Whether signing could apply: rich output, and a trusted record among those searched."""
    return any(record.trusted for record in filled.searched) and has_rich_outputs(filled.notebook)


def trust_at_stake(filled: FilledCells) -> bool:
    """Whether outputs came from a record the user trusted: then a refusal is worth saying.
    (Outputs from an untrusted record may still be signed, when a trusted one holds them.)"""
    return any(record.trusted and record.working in filled.sources for record in filled.searched)


def judge_restore(
    filled: FilledCells, path: str, *, store: OutputStore, user: UserStore
) -> Verdict:
    """Sign ``filled`` (its notebook as it will be read) or say why not; call it before the
    check, which cleans ``filled.notebook``."""
    if not needs_judging(filled):
        return NOTHING_TO_SIGN  # nothing the user trusted went into it: it stays as it was
    nb = filled.notebook
    problem = find_read_problem(nb)
    where = find_lone_surrogate(nb) if problem is None else None
    view = as_jupyter_reads(nb) if problem is None and where is None else None
    if view is None:
        return refused(filled, problem or f"{where or 'it'} holds text Jupyter cannot sign")
    inputs = list(_still_trusted(filled.searched, path, store=store, user=user))
    if not inputs:
        return refused(filled, "the version you trusted is no longer in your signature store")
    refusal = find_signing_problem(view, inputs)
    if refusal is not None:
        return refused(filled, refusal.advice(shlex.quote(path)))
    digest = user.signature(nb)
    return Verdict(digest=digest) if digest else refused(filled, "Jupyter cannot hash it")


def refused(filled: FilledCells, problem: str) -> Verdict:
    """Not signed: said when outputs the user trusted went into it, else quietly."""
    return Verdict(problem=problem) if trust_at_stake(filled) else NOTHING_TO_SIGN


def _still_trusted(
    records: Sequence[Record], path: str, *, store: OutputStore, user: UserStore
) -> Iterator[Notebook]:
    """The trusted records' working files as Jupyter reads them, those the store still trusts."""
    candidates: dict[str, Notebook] = {}
    for record in records:
        working = store.read(record) if record.trusted else None
        try:
            nb = parse_notebook(working, path=path) if working is not None else None
        except InvalidNotebook:
            continue
        view = as_jupyter_reads(nb) if nb is not None else None
        digest = user.signature(nb) if nb is not None and view is not None else None
        if view is not None and digest is not None:
            candidates[digest] = view
    found = user.trusted(candidates)
    yield from (view for digest, view in candidates.items() if digest in found)
