"""Jupyter trust: check and sign notebooks with the user's own notary, and re-sign merges safely.

This is the edge over ``nbformat.sign.NotebookNotary``, configured as Jupyter configures it (the
data dir from ``JUPYTER_DATA_DIR`` / ``jupyter --data-dir``, ``NotebookNotary`` settings from the
user's Jupyter config files). Notebooks are checked as Jupyter reads them
(``nbformat.reads(text, as_version=4)``, which drops ``metadata.signature`` and cell
``metadata.trusted``): nothing inside a file ever grants trust. The decisions live in
``nbcollab.trust.policy``. nbformat (a quarter of a second to import through
``nbcollab.nbformat_loader``, seconds otherwise) is loaded only when a notebook has rich output
to judge and ``nbcollab.trust.store`` finds that some input may be trusted at all.
"""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.nbformat_loader import load_nbformat
from nbcollab.notebook.codec import Notebook, parse_notebook
from nbcollab.trust import policy as policy
from nbcollab.trust import store as trust_store

if TYPE_CHECKING:
    from nbformat.sign import NotebookNotary

SIGNED = "signed: every rich output came from a trusted input"
NO_TRUSTED_INPUT = "not signed: no input version is trusted by your Jupyter"
NO_RICH_OUTPUT = "no rich output in the result, so it needs no signature"
_INPUT_LABELS = ("base", "local", "remote")
# A JSON escape in the surrogate range: the parsed text may then hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class SignatureStoreError(NbcollabError):
    """The user's Jupyter signature store cannot keep a signature."""


@dataclass(frozen=True)
class TrustOutcome:
    """Whether a merge result was signed, and one line saying why."""

    signed: bool
    reason: str


@dataclass(frozen=True)
class FileTrust:
    """How Jupyter would treat one notebook: signed, or which cells' output it would not trust."""

    signed: bool
    untrusted_cells: tuple[str, ...]

    @property
    def untrusted(self) -> bool:
        """Jupyter would hide or sanitize some output: unsigned with rich output."""
        return not self.signed and bool(self.untrusted_cells)


def sign_merge_result(
    result_text: str,
    *,
    inputs: Sequence[str | bytes | None],
    path: str,
    parsed: Sequence[Notebook | None] | None = None,
    result: Notebook | None = None,
) -> TrustOutcome:
    """Sign ``result_text`` only when every rich output in it came from an already trusted input.

    A merge has parsed its inputs and built its result already: ``parsed`` (each input as
    ``parse_notebook`` read it, None for one it did not read) and ``result`` (what
    ``result_text`` serializes) spare parsing them again. The signature itself is always
    computed from the texts, as Jupyter reads them.
    """
    try:
        problem = _problem_without_notary(result_text, path, result)
        if problem:
            return TrustOutcome(False, f"not signed: {problem}")
        candidates = list(_candidate_inputs(inputs, parsed))
        # Most often the user's Jupyter trusts no input: then answer without importing nbformat.
        app = trust_store.jupyter_config_app() if candidates else None
        if not trust_store.any_maybe_trusted([c.plain for c in candidates], app):
            return TrustOutcome(False, NO_TRUSTED_INPUT)
        return _sign_with_notary(result_text, candidates, path, app)
    except NbcollabError as exc:
        return TrustOutcome(False, f"not signed: {exc}")
    except Exception as exc:  # noqa: BLE001 - signing is optional: the merge stands regardless
        return TrustOutcome(False, f"not signed: signing failed ({type(exc).__name__}: {exc})")


def _problem_without_notary(result_text: str, path: str, nb: Notebook | None) -> str | None:
    # Cheap checks on the plain JSON first, so a merge without rich output never loads nbformat.
    if nb is None:
        nb = parse_notebook(result_text, path=path)
    if nb["nbformat"] == 4 and not policy.has_rich_outputs(nb):
        return NO_RICH_OUTPUT
    problem = policy.find_read_problem(nb)
    if problem is None:
        require_unicode(result_text, path=path, nb=nb)  # Jupyter could not sign or open it
    return problem


def _sign_with_notary(
    result_text: str, candidates: Sequence[_Candidate], path: str, app: Any
) -> TrustOutcome:
    with open_notary(app) as notary:
        require_persistent_store(notary)
        # Two independent reads: what gets signed, and a fresh one that must then check as trusted.
        result, again = (read_as_jupyter(result_text, path=path) for _ in range(2))
        problem = _unstable_read(notary, result, again)
        if problem:
            return TrustOutcome(False, f"not signed: {problem}")
        trusted = list(_trusted_inputs(notary, candidates))
        if not trusted:
            return TrustOutcome(False, NO_TRUSTED_INPUT)
        # Then the signature itself: what else could be cut from the bytes it covers.
        refusal = policy.find_signing_problem(result, trusted)
        if refusal:
            return TrustOutcome(False, f"not signed: {refusal.advice(shlex.quote(path))}")
        notary.sign(result)
        if not notary.check_signature(again):
            return TrustOutcome(False, "not signed: the result does not read back as signed")
    return TrustOutcome(True, SIGNED)


@dataclass(frozen=True)
class _Candidate:
    """An input that could lend trust: its label, its text, and the text parsed."""

    label: str
    text: str
    plain: Notebook


def _candidate_inputs(
    inputs: Sequence[str | bytes | None], parsed: Sequence[Notebook | None] | None
) -> Iterator[_Candidate]:
    """Each distinct v4 input with rich output: those whose trust the result could inherit."""
    seen: set[str] = set()
    for index, raw in enumerate(inputs):
        if not raw:
            continue
        label = _INPUT_LABELS[index] if len(inputs) == 3 else f"input {index}"
        known = parsed[index] if parsed is not None else None
        try:
            plain = known if known is not None else parse_notebook(raw, path=label)
            text = raw if isinstance(raw, str) else raw.decode("utf-8")
            require_unicode(text, path=label, nb=plain)  # Jupyter cannot have signed it
        except (InvalidNotebook, UnicodeDecodeError):
            continue
        if text in seen or plain["nbformat"] != 4 or not policy.has_rich_outputs(plain):
            continue  # same as another side; v3 (random ids, never trusted); nothing to give
        seen.add(text)
        yield _Candidate(label, text, plain)


def _trusted_inputs(notary: NotebookNotary, candidates: Sequence[_Candidate]) -> Iterator[Any]:
    for candidate in candidates:
        try:
            nb = read_as_jupyter(candidate.text, path=candidate.label)
        except InvalidNotebook:
            continue
        # A crafted input that shares a signature the user made is trusted by Jupyter as much
        # as the notebook they signed: what it can show, that notebook already could.
        if notary.check_signature(nb):
            yield nb


def _unstable_read(notary: NotebookNotary, first: Any, second: Any) -> str | None:
    if notary.compute_signature(first) != notary.compute_signature(second):
        return "Jupyter reads it differently each time, so no signature could last"
    return None


@contextmanager
def open_notary(app: Any = None) -> Iterator[NotebookNotary]:
    """The user's notary, set up as Jupyter sets it up (``app``: the user's Jupyter config app)."""
    load_nbformat()
    from nbformat.sign import NotebookNotary

    if app is None:
        app = trust_store.jupyter_config_app()
    # The notary's own default builds a second JupyterApp for the same jupyter_data_dir(); give
    # it ours unless the user's config names another.
    configured = "data_dir" in app.config.get("NotebookNotary", {})
    notary = NotebookNotary(parent=app, **({} if configured else {"data_dir": app.data_dir}))
    try:
        yield notary
    finally:
        notary.close()


def store_problem(notary: NotebookNotary) -> str | None:
    """Why signatures made with ``notary`` would not last, or None when its store is on disk."""
    from nbformat.sign import MemorySignatureStore

    store = notary.store
    if isinstance(store, MemorySignatureStore) or getattr(store, "db_file", None) == ":memory:":
        return (
            "the Jupyter signature store is in memory only (NotebookNotary.db_file is ':memory:' "
            "or the database cannot be opened), so a signature would not last"
        )
    return None


def require_persistent_store(notary: NotebookNotary) -> None:
    """Raise SignatureStoreError when signatures made with ``notary`` would be forgotten."""
    problem = store_problem(notary)
    if problem:
        raise SignatureStoreError(problem)


def read_as_jupyter(text: str, *, path: str) -> Any:
    """The notebook exactly as Jupyter reads it to check trust (``as_version=4``)."""
    nbformat = load_nbformat()
    require_unicode(text, path=path)
    with warnings.catch_warnings():
        # nbformat warns about the ids it invents; the callers detect that themselves.
        warnings.simplefilter("ignore")
        try:
            return nbformat.reads(text, as_version=4)
        except Exception as exc:  # noqa: BLE001 - any failure means Jupyter cannot open it
            raise InvalidNotebook(f"{path}: Jupyter cannot read it ({exc})") from None


def require_unicode(text: str, *, path: str, nb: Notebook | None = None) -> None:
    """Raise InvalidNotebook when ``text`` (or ``nb``, parsed from it) holds a lone surrogate.

    Written out, such text is not UTF-8; escaped (``"\\udc80"``, valid JSON) it reads, but
    nbformat's notary fails on it: either way Jupyter can neither check nor sign it.
    """
    encodes = _encodes(text)
    if encodes and (nb is None or not _SURROGATE_ESCAPE.search(text)):
        return  # the common case: nothing in the text can parse into a lone surrogate
    where = policy.find_lone_surrogate(nb) if nb is not None else None
    if encodes and where is None:
        return  # the escapes were whole surrogate pairs (an emoji): ordinary text
    raise InvalidNotebook(
        f"{path}: {where + ' ' if where else ''}holds text that is not valid Unicode "
        "(a lone surrogate), which Jupyter can neither check nor sign"
    )


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_notebook_text(notary: NotebookNotary, text: str, *, path: str) -> FileTrust:
    """Whether Jupyter would trust this notebook text, and which cells it would not trust."""
    # Parsed first: the same one-line errors as every command (nbformat 2, not JSON, ...).
    plain = parse_notebook(text, path=path)
    require_unicode(text, path=path, nb=plain)
    nb = read_as_jupyter(text, path=path)
    if notary.check_signature(nb):
        return FileTrust(True, ())
    # Named from the file: Jupyter's reading invents fresh ids (v3, duplicates) on every read.
    return FileTrust(False, tuple(policy.untrusted_cell_labels(nb, original=plain)))


def sign_notebook_text(notary: NotebookNotary, text: str, *, path: str) -> bool:
    """Sign a notebook as Jupyter will read it; False when it was already signed."""
    require_persistent_store(notary)
    plain = parse_notebook(text, path=path)
    require_unicode(text, path=path, nb=plain)
    problem = policy.find_read_problem(plain)
    nb = read_as_jupyter(text, path=path)
    problem = problem or _unstable_read(notary, nb, read_as_jupyter(text, path=path))
    if problem:
        raise NbcollabError(f"{path}: cannot sign: {problem}")
    if notary.check_signature(nb):
        return False
    notary.sign(nb)
    return True
