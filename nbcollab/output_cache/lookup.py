"""The output cache's look-ups by hash: a whole recorded working file, or the blob one cleaned to.

Most checkouts need nothing else: a branch switched away from and back to gives back the very
blobs the user's working files were recorded as cleaning to, and ``git status`` then cleans those
files again (racy git). Both are answered here with a hash and a read, importing nothing that
parses notebooks (``restore`` does that, for the cells of blobs never recorded whole).

Cleaning is deterministic: under the same options and nbcollab version, the same bytes clean to
the same blob. The fingerprint names both.
"""

from __future__ import annotations

from nbcollab import __version__
from nbcollab.options import CleanOptions
from nbcollab.output_cache.store import OutputStore, sha256

# A working file that holds a ``signature`` or ``trusted`` key is recorded under this fingerprint,
# which no clean options give: whole-file look-ups never match it (see ``restore``).
CELLS_ONLY = "0"

_FINGERPRINTS: dict[CleanOptions, str] = {}


def options_fingerprint(options: CleanOptions) -> str:
    """Identifies what cleaning does (the options and the nbcollab version) and how records
    are written (``records-2``: files with trust keys are recorded for their cells only)."""
    fingerprint = _FINGERPRINTS.get(options)
    if fingerprint is None:  # once per options: a checkout asks for every notebook
        fingerprint = sha256(f"{__version__}\0records-2\0{options!r}".encode())[:16]
        _FINGERPRINTS[options] = fingerprint
    return fingerprint


def recorded_working(
    blob: bytes, path: str, *, store: OutputStore, options: CleanOptions
) -> bytes | None:
    """The working file recorded as cleaning to ``blob`` under ``options``, checked; or None."""
    found = store.find(path, sha256(blob), options_fingerprint(options))
    return store.read(found) if found is not None else None


def recorded_clean(
    working: bytes, path: str, *, store: OutputStore, options: CleanOptions
) -> bytes | None:
    """What cleaning ``working`` gives, when it was recorded; or None.

    git cleans again, once, each notebook a checkout wrote (racy git): the working file it just
    restored is then answered by a hash and a small read instead of a parse, clean and write.
    The answer is the blob the very same bytes cleaned to under the same options and nbcollab
    version, checked against its SHA-256.
    """
    record = store.find_cleaned(path, working, options_fingerprint(options))
    return store.read_blob(record) if record is not None else None
