"""Could the user's Jupyter trust any of these notebooks at all? Answered without nbformat.

Importing ``nbformat.sign`` costs about a second (nbformat loads jsonschema), which the merge driver
would pay on every merge with rich output, even when the user's Jupyter trusts none of the inputs
and nothing can be signed anyway. This edge answers that question first: the notary is resolved
from the same Jupyter config (``jupyter_config_app``, jupyter_core and traitlets only), the
signature is ``NotebookNotary.compute_signature`` recomputed on ``parse_notebook``'s dicts, and the
secret and the signature database are only read, never created or changed.

The answer is sound in one direction only: ``False`` means no notebook can be trusted. Whenever
anything is unusual (Jupyter config touching the notary, a notebook nbformat would alter on
reading, a database that does not open read-only) it answers ``True`` and nbformat decides.
"""

from __future__ import annotations

import errno
import hmac
import logging
import os
import stat
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbcollab.notebook.codec import Notebook
from nbcollab.trust.stream import signature_bytes

if TYPE_CHECKING:
    import sqlite3

SECRET_FILE = "notebook_secret"  # NotebookNotary's defaults inside the Jupyter data dir
DB_FILE = "nbsignatures.db"
ALGORITHM = "sha256"
# Every NotebookNotary setting that picks the key, the store or the digest; any of them set in
# Jupyter config makes the answer "maybe".
NOTARY_SETTINGS = ("algorithm", "data_dir", "db_file", "secret", "secret_file", "store_factory")
# nbformat's reader drops these before the notary hashes (strip_transient, signature_removed).
_TRANSIENT_METADATA = frozenset({"orig_nbformat", "orig_nbformat_minor", "signature"})
_UNSET = object()
# Unknown-setting warnings are the real notary's to give, once, if nbformat is asked.
_PROBE_LOG = logging.getLogger("nbcollab.trust.store.probe")
_PROBE_LOG.addHandler(logging.NullHandler())
_PROBE_LOG.propagate = False


def jupyter_config_app() -> Any:
    """A JupyterApp holding the user's Jupyter config, as ``jupyter trust`` and the server load it."""
    from jupyter_core.application import JupyterApp
    from traitlets.config import Application

    app = JupyterApp(log_level="WARN")  # Jupyter's warnings (a broken store) still show
    app.initialize(argv=[])
    # `jupyter trust` reads jupyter_notebook_config; Jupyter Server reads jupyter_server_config.
    for name in ("jupyter_notebook_config", "jupyter_server_config"):
        try:
            Application.load_config_file(app, name, path=app.config_file_paths)
        except Exception:  # noqa: BLE001,S112 - like Jupyter, a missing or broken file is skipped
            continue
    return app


def notary_configured(app: Any) -> bool:
    """Whether the config of ``app`` sets any NotebookNotary setting, wherever traitlets finds it."""
    from traitlets import Any as AnyTrait
    from traitlets.config import LoggingConfigurable

    # Same class name and bases as nbformat's notary, so traitlets applies exactly the sections
    # it would apply to the real one (NotebookNotary, its bases, nested under the app's classes).
    traits = {name: AnyTrait(_UNSET).tag(config=True) for name in NOTARY_SETTINGS}
    probe = type("NotebookNotary", (LoggingConfigurable,), traits)(parent=app, log=_PROBE_LOG)
    return any(getattr(probe, name) is not _UNSET for name in NOTARY_SETTINGS)


def any_maybe_trusted(notebooks: Sequence[Notebook], app: Any = None) -> bool:
    """False only when the user's Jupyter can trust none of these ``parse_notebook`` dicts.

    ``app`` is ``jupyter_config_app()``, when the caller already has it.
    """
    if not notebooks:
        return False
    try:
        return _maybe_trusted(notebooks, jupyter_config_app() if app is None else app)
    except Exception:  # noqa: BLE001 - unsure (unreadable secret, odd config): nbformat decides
        return True


def _maybe_trusted(notebooks: Sequence[Notebook], app: Any) -> bool:
    if notary_configured(app):
        return True
    from jupyter_core.paths import jupyter_data_dir

    # JupyterApp.data_dir is this same path, but reading that property creates the folder.
    data_dir = Path(jupyter_data_dir())
    secret_file = data_dir / SECRET_FILE
    if not secret_file.exists():
        return False  # the notary would make a new random key, which has signed nothing yet
    secret = read_regular(secret_file)
    digests = [jupyter_signature(nb, secret) for nb in notebooks]
    if any(digest is None for digest in digests):
        return True
    db_file = data_dir / DB_FILE
    # No database yet: the notary would create an empty one.
    return db_file.exists() and any_stored(db_file, [d for d in digests if d])


def read_regular(path: Path) -> bytes:
    """A regular file's bytes; OSError for anything else (a FIFO would block git's command)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"{path}: not a regular file")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)


def any_stored(db_file: Path, digests: Iterable[str], algorithm: str = ALGORITHM) -> bool:
    """Whether the signature database holds any of ``digests``; opened read-only, never created."""
    with closing(open_read_only(db_file)) as db:
        return bool(stored_digests(db, digests, algorithm, first=True))


def open_read_only(db_file: Path) -> sqlite3.Connection:
    """The signature database, opened read-only (a read leaves it byte for byte); never created."""
    import sqlite3

    return sqlite3.connect(db_file.absolute().as_uri() + "?mode=ro", uri=True, timeout=2)


def stored_digests(
    db: sqlite3.Connection,
    digests: Iterable[str],
    algorithm: str = ALGORITHM,
    *,
    first: bool = False,
) -> set[str]:
    """Those of ``digests`` the signature database ``db`` holds (``first``: stop at the first
    found)."""
    found = set()
    for digest in digests:
        row = db.execute(
            "SELECT 1 FROM nbsignatures WHERE algorithm = ? AND signature = ? LIMIT 1",
            (algorithm, digest),
        ).fetchone()
        if row is not None:
            found.add(digest)
            if first:
                break
    return found


def jupyter_signature(nb: Notebook, secret: bytes, algorithm: str = ALGORITHM) -> str | None:
    """``NotebookNotary.compute_signature`` of the file ``nb`` was parsed from; None when unsure."""
    view = as_jupyter_reads(nb)
    if view is None:
        return None
    try:
        signed = signature_bytes(view)
    except (UnicodeEncodeError, RecursionError):
        return None  # nbformat's notary fails on these too; let it say so
    return signature_of(signed, secret, algorithm)


def signature_of(
    signed: bytes | bytearray | memoryview, secret: bytes, algorithm: str = ALGORITHM
) -> str:
    """The signature of the bytes ``trust.stream`` computes for a notebook, as the notary's."""
    # (through a view: OpenSSL reads a bytearray half as fast)
    return hmac.new(secret, memoryview(signed), digestmod=algorithm).hexdigest()


def as_jupyter_reads(nb: Notebook) -> Notebook | None:
    """``nb`` as ``nbformat.reads(text, as_version=4)`` hands it to the notary; None when unsure.

    ``parse_notebook`` already joins lines as nbformat does; nbformat also drops transient metadata
    and, from 4.5 on, invents random ids for missing or duplicate ones (then: None). Only the
    changed containers are copied.
    """
    minor = nb.get("nbformat_minor", 0)
    metadata, cells = nb.get("metadata"), nb.get("cells")
    if nb.get("nbformat") != 4 or not isinstance(minor, int):
        return None  # v3 is converted (new random ids); nbformat fails on a non-integer minor
    if not isinstance(metadata, dict) or not isinstance(cells, list):
        return None
    if not all(isinstance(cell, dict) and isinstance(cell.get("metadata"), dict) for cell in cells):
        return None
    if minor >= 5 and not _ids_kept(cells):
        return None
    view = dict(nb, metadata=_without(metadata, _TRANSIENT_METADATA))
    view["cells"] = [dict(c, metadata=_without(c["metadata"], {"trusted"})) for c in cells]
    return view


def _ids_kept(cells: list[dict[str, Any]]) -> bool:
    # nbformat's validate() replaces a missing or repeated id (by Python equality) at random.
    ids = [cell["id"] for cell in cells if "id" in cell]
    try:
        return len(ids) == len(cells) and len(set(ids)) == len(ids)
    except TypeError:  # an unhashable id, on which nbformat fails
        return False


def _without(mapping: dict[str, Any], keys: frozenset[str] | set[str]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key not in keys}
