"""Parse, check and serialize notebooks exactly as Jupyter does, without importing nbformat.

In memory a notebook is the parsed JSON with multi-line fields joined into single strings (what
``nbformat.reads`` gives, minus the ``NotebookNode`` wrapper). ``serialize_notebook`` splits them
again, drops the transient keys nbformat drops, and dumps with nbformat's JSON settings, so its
output equals ``nbformat.writes(nb) + "\\n"`` for every schema-valid v4 notebook.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.check import MAX_NESTING, check_notebook_shape
from nbcollab.notebook.jsontext import dumps_indent1
from nbcollab.notebook.lines import (
    Notebook,
    copy_for_writing,
    rejoin_lines,
    split_lines_v3,
    split_lines_v4,
    strip_transient,
)

__all__ = [
    "Notebook",
    "check_notebook_shape",
    "parse_notebook",
    "serialize_notebook",
    "strip_transient",
]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_notebook(data: bytes | str, *, path: str = "<stdin>") -> Notebook:
    """Parse notebook JSON into its in-memory form, or raise InvalidNotebook naming the place."""
    text = _decode(data, path)
    if not text.strip():
        raise InvalidNotebook(f"{path}: empty file, not a notebook")
    nb = _load_json(text, path)
    check_notebook_shape(nb, path=path)
    return rejoin_lines(nb)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Jupyter (Python's json) keeps the last of two equal keys and never shows the first; a file
    # kept byte for byte because it looks clean would then carry content nobody sees (outputs
    # hidden under a first "cells" or "outputs"). Such a file is refused, naming the key.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _load_json(text: str, path: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    except _DuplicateKey as exc:
        raise InvalidNotebook(
            f"{path}: duplicate key {exc.args[0]!r} in one JSON object "
            "(Jupyter would silently keep only the last one: remove the other)"
        ) from None
    except ValueError:
        # Python refuses to convert integers longer than its int-str limit (4300 digits).
        raise InvalidNotebook(f"{path}: a number too long to read (thousands of digits)") from None
    except RecursionError:
        raise InvalidNotebook(f"{path}: JSON nested more than {MAX_NESTING} levels deep") from None


def _decode(data: bytes | str, path: str) -> str:
    if isinstance(data, str):
        return data
    if b"\0" in data[:8192]:
        raise InvalidNotebook(f"{path}: binary file (NUL byte), not a notebook")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidNotebook(f"{path}:{line}:{col}: not UTF-8 text, not a notebook") from None
    return text.removeprefix("\ufeff")


def serialize_notebook(nb: Notebook) -> str:
    """The text Jupyter writes for ``nb`` (nbformat's split lines, transient keys dropped)."""
    nb = copy_for_writing(nb)
    major = nb["nbformat"]
    if major == 4:
        split_lines_v4(nb)
    else:
        split_lines_v3(nb)
    strip_transient(nb)
    # nbformat's v3 writer keeps json's ensure_ascii default; its v4 writer turns it off.
    text = dumps_indent1(nb, ensure_ascii=(major == 3))
    if _LONE_SURROGATE.search(text):
        # JSON may escape a lone surrogate ("\udc80") but UTF-8 cannot carry one raw: keep the
        # escape, so the file stays valid UTF-8 and reads back as the same string.
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text + "\n"
