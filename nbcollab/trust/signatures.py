"""The user's Jupyter signature store, read and written without nbformat.

The output cache asks it two things inside git's filter process, where importing nbformat
(a second or more) would cost more than the whole checkout: whether a working file it records
is trusted, and, after restoring outputs the user trusted, to add the signature of the restored
file. It answers only for a notary set up as Jupyter's default one, which is what almost every
user runs: the key ``notebook_secret`` and the database ``nbsignatures.db`` in the Jupyter data
directory, HMAC-SHA256 over the bytes ``trust.stream`` computes (tested equal to nbformat's).
When Jupyter's config sets any ``NotebookNotary`` option, when no key exists yet (nothing was
ever signed) or the database does not, ``open_user_store`` gives None: nothing is looked up,
nothing signed, and nothing created.

A signature is added as ``nbformat.sign.SQLiteSignatureStore.store_signature`` adds it (the
same row, the same timestamp text), for many notebooks in one transaction: each commit of the
database waits for the disk, about 20 ms, which the notary pays for every notebook.
"""

from __future__ import annotations

import hmac
import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.notebook.codec import Notebook, parse_notebook
from nbcollab.trust.policy import has_rich_outputs
from nbcollab.trust.store import (
    ALGORITHM,
    DB_FILE,
    NOTARY_SETTINGS,
    SECRET_FILE,
    as_jupyter_reads,
    jupyter_config_app,
    jupyter_signature,
    notary_configured,
    open_read_only,
    read_regular,
    signature_of,
    stored_digests,
)

# The config files the user's Jupyter (and so ``jupyter_config_app``) reads, without extension.
_CONFIG_FILES = ("jupyter_config", "jupyter_notebook_config", "jupyter_server_config")
# An output Jupyter shows only in a trusted notebook (any type but stream and error), as JSON
# text: a file without one needs no trust and is not parsed.
_RICH_OUTPUT = re.compile(rb'"output_type"\s*:\s*"(?!(?:stream|error)")')
_WAIT_SECONDS = 5  # for the database while Jupyter writes to it
# What the key of ``UserStore.seal`` is derived for: never the signed bytes of a notebook, which
# always spell the key "nbformat" (so no signature in the store is ever that key).
_SEAL_PURPOSE = b"nbcollab: the output cache's signed streams, version 1"


class SignatureStoreBusy(NbcollabError):
    """The signature database could not be written."""


def may_hold_rich_output(text: bytes) -> bool:
    """Whether a notebook's JSON text may hold output Jupyter shows only when trusted."""
    return _RICH_OUTPUT.search(text) is not None


class UserStore:
    """The user's key and signature database, as Jupyter's default notary has them."""

    def __init__(self, secret: bytes, db_file: Path) -> None:
        self.secret = secret
        self.db_file = db_file
        self._reader: sqlite3.Connection | None = None  # opened read-only on first look-up
        self._seal_key: bytes | None = None

    def close(self) -> None:
        """Close the database, when it was opened for looking up."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def signature(self, nb: Notebook) -> str | None:
        """The signature Jupyter computes for the file ``nb`` (``parse_notebook``'s dict) was
        parsed from; None when Jupyter would read it differently (then it is never trusted)."""
        view = as_jupyter_reads(nb)
        return jupyter_signature(view, self.secret) if view is not None else None

    def digest(self, signed: bytes | bytearray | memoryview) -> str:
        """The signature of a notebook's signed bytes (``trust.stream``)."""
        return signature_of(signed, self.secret)

    def seal(self, data: bytes) -> str:
        """An HMAC of ``data`` under a key derived from the user's (never Jupyter's own
        signature of anything): what nbcollab stores next to a record only this user's
        processes can have written (``output_cache.signed``)."""
        if self._seal_key is None:
            self._seal_key = hmac.new(self.secret, _SEAL_PURPOSE, "sha256").digest()
        return hmac.new(self._seal_key, data, "sha256").hexdigest()

    def sealed(self, data: bytes, seal: str) -> bool:
        """Whether ``seal`` is ``self.seal(data)``."""
        return hmac.compare_digest(self.seal(data), seal)

    def trusted(self, digests: Iterable[str]) -> set[str]:
        """Those of ``digests`` the database holds (read-only: it is left byte for byte)."""
        if self._reader is None:
            self._reader = open_read_only(self.db_file)
        return stored_digests(self._reader, digests)

    def trusts_text(self, text: bytes, *, path: str) -> bool:
        """Whether Jupyter trusts the notebook ``text`` (False for one it cannot read)."""
        try:
            digest = self.signature(parse_notebook(text, path=path))
        except InvalidNotebook:
            return False
        return digest is not None and bool(self.trusted([digest]))

    def add(self, digests: Iterable[str]) -> None:
        """Add ``digests`` to the database in one transaction; SignatureStoreBusy when it
        cannot be written. The database is never created here (it exists: see above)."""
        now = datetime.now(timezone.utc).isoformat()  # the text nbformat stores for it
        rows = [(now, ALGORITHM, digest) for digest in dict.fromkeys(digests)]
        uri = self.db_file.absolute().as_uri() + "?mode=rw"
        try:
            with closing(sqlite3.connect(uri, uri=True, timeout=_WAIT_SECONDS)) as db, db:
                db.executemany(
                    "UPDATE nbsignatures SET last_seen = ? WHERE algorithm = ? AND signature = ?",
                    rows,
                )
                db.executemany(
                    "INSERT INTO nbsignatures (last_seen, algorithm, signature) SELECT ?, ?, ? "
                    "WHERE NOT EXISTS (SELECT 1 FROM nbsignatures "
                    "WHERE algorithm = ?2 AND signature = ?3)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise SignatureStoreBusy(f"{self.db_file}: cannot be written ({exc})") from None


def find_untrusted(user: UserStore | None, notebooks: Iterable[tuple[str, bytes]]) -> list[str]:
    """The paths of those ``(path, text)`` notebooks with rich output that the user's Jupyter
    does not trust (``user`` None: it trusts nothing yet); files that are not notebooks are
    left out."""
    untrusted, digests = [], {}
    for path, text in notebooks:
        if not may_hold_rich_output(text):
            continue
        try:
            nb = parse_notebook(text, path=path)
        except InvalidNotebook:
            continue
        if nb["nbformat"] != 4 or not has_rich_outputs(nb):
            continue
        digest = user.signature(nb) if user is not None else None
        if digest is None:
            untrusted.append(path)
        else:
            digests[path] = digest
    found = user.trusted(digests.values()) if user is not None and digests else set()
    return sorted([*untrusted, *(path for path, d in digests.items() if d not in found)])


def uses_default_notary(app: Any = None) -> bool:
    """Whether no Jupyter config sets a NotebookNotary option (``app``: the user's
    ``jupyter_config_app()``, if at hand; it is loaded only when a config file might)."""
    from jupyter_core.paths import jupyter_config_dir, jupyter_config_path

    folders = [jupyter_config_dir(), *jupyter_config_path()]
    if not _may_configure_notary(map(Path, dict.fromkeys(folders))):
        return True
    return not notary_configured(jupyter_config_app() if app is None else app)


def open_user_store(app: Any = None) -> UserStore | None:
    """The user's signature store when Jupyter's default notary is the one in use and has
    signed something; else None (see above). ``app``: ``jupyter_config_app()``, if at hand."""
    from jupyter_core.paths import jupyter_data_dir

    if not uses_default_notary(app):
        return None
    data_dir = Path(jupyter_data_dir())  # without creating it, unlike JupyterApp.data_dir
    db_file = data_dir / DB_FILE
    try:
        secret = read_regular(data_dir / SECRET_FILE)
    except OSError:
        return None  # no key: Jupyter would make a new one, which has signed nothing
    return UserStore(secret, db_file) if db_file.is_file() else None


def _may_configure_notary(folders: Iterable[Path]) -> bool:
    """Whether some config file Jupyter reads could set a NotebookNotary option: any Python
    one, or a JSON one naming an option; else the answer is plain without loading traitlets."""
    for folder in folders:
        for name in _CONFIG_FILES:
            if (folder / f"{name}.py").exists():
                return True
            try:
                text = read_regular(folder / f"{name}.json").decode("utf-8", "replace")
            except OSError:
                continue
            if any(option in text for option in NOTARY_SETTINGS):
                return True
    return False
