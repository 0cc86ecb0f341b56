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
from collections.abc import Sequence
from dataclasses import dataclass

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import Notebook, parse_notebook
from nbcollab.output_cache.restore import FilledCells
from nbcollab.output_cache.store import OutputStore, Record
from nbcollab.trust.policy import find_read_problem, find_signing_problem, has_rich_outputs
from nbcollab.trust.signatures import UserStore
from nbcollab.trust.store import as_jupyter_reads
from nbcollab.trust.stream import SignatureStream, signature_stream


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
    result = _signed(as_jupyter_reads(nb)) if problem is None else None
    if result is None:
        return refused(filled, problem or "Jupyter cannot read it back the same or hash it")
    trusted = [r for r in filled.searched if r.trusted]
    # The records the outputs came from first: most restores need no other (each is parsed).
    first = [r for r in trusted if r.working in filled.sources] or trusted
    inputs = _still_trusted(first, path, store=store, user=user)
    refusal = _refusal(result, inputs, path)
    if refusal is not None and len(first) < len(trusted):
        rest = [r for r in trusted if r not in first]
        inputs += _still_trusted(rest, path, store=store, user=user)
        refusal = _refusal(result, inputs, path)
    if refusal is not None:
        return refused(filled, refusal)
    return Verdict(digest=user.digest(result[1].data))


Signed = tuple[Notebook, SignatureStream]  # a notebook as Jupyter reads it, with its bytes


def _signed(view: Notebook | None) -> Signed | None:
    try:
        return (view, signature_stream(view)) if view is not None else None
    except (UnicodeEncodeError, RecursionError):
        return None  # a lone surrogate, absurd nesting: Jupyter's notary fails on it too


def _refusal(result: Signed, inputs: list[Signed], path: str) -> str | None:
    """Why signing ``result`` would trust more than ``inputs`` do, with what to do; or None."""
    if not inputs:
        return "the version you trusted is no longer in your signature store"
    problem = find_signing_problem(
        result[0], [nb for nb, _ in inputs], streams=[result[1], *(s for _, s in inputs)]
    )
    return problem.advice(shlex.quote(path)) if problem is not None else None


def refused(filled: FilledCells, problem: str) -> Verdict:
    """Not signed: said when outputs the user trusted went into it, else quietly."""
    return Verdict(problem=problem) if trust_at_stake(filled) else NOTHING_TO_SIGN


def _still_trusted(
    records: Sequence[Record], path: str, *, store: OutputStore, user: UserStore
) -> list[Signed]:
    """The records' working files as Jupyter reads them, those the store still trusts."""
    candidates: dict[str, Signed] = {}
    for record in records:
        working = store.read(record)
        try:
            nb = parse_notebook(working, path=path) if working is not None else None
        except InvalidNotebook:
            continue
        signed = _signed(as_jupyter_reads(nb)) if nb is not None else None
        if signed is not None:
            candidates[user.digest(signed[1].data)] = signed
    found = user.trusted(candidates)
    return [signed for digest, signed in candidates.items() if digest in found]
