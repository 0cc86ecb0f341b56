"""Parse, check and serialize notebooks exactly as Jupyter does, without importing nbformat.

In memory a notebook is the parsed JSON with multi-line fields joined into single strings (what
``nbformat.reads`` gives, minus the ``NotebookNode`` wrapper). ``serialize_notebook`` splits them
again, drops the transient keys nbformat drops, and dumps with nbformat's JSON settings, so its
output equals ``nbformat.writes(nb) + "\\n"`` for every schema-valid v4 notebook.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from nbcollab.errors import InvalidNotebook, NbcollabWarning
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
from nbcollab.safe_text import terminal_safe

__all__ = [
    "DuplicateKeyWarning",
    "Notebook",
    "check_notebook_shape",
    "parse_notebook",
    "parse_notebook_repeats",
    "serialize_notebook",
    "strip_transient",
]


class DuplicateKeyWarning(NbcollabWarning):
    """A JSON object of a notebook repeats a key: read as Jupyter reads it, the last value."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_notebook(data: bytes | str, *, path: str = "<stdin>") -> Notebook:
    """Parse notebook JSON into its in-memory form, or raise InvalidNotebook naming the place.

    A key repeated in one JSON object is read as Jupyter reads it (the last value wins), with a
    ``DuplicateKeyWarning`` naming the key and the file.
    """
    return parse_notebook_repeats(data, path=path)[0]


def parse_notebook_repeats(
    data: bytes | str, *, path: str = "<stdin>"
) -> tuple[Notebook, list[str]]:
    """``parse_notebook``, and the keys the JSON repeated: a file holding values nobody sees,
    which Jupyter would drop when it saves the notebook."""
    text = _decode(data, path)
    if not text or text.isspace():
        raise InvalidNotebook(f"{path}: empty file, not a notebook")
    pairs = _LastValueWins()
    nb = _load_json(text, path, pairs)
    check_notebook_shape(nb, path=path)
    if pairs.repeated:
        warn_repeated_keys(path, pairs.repeated)
    return rejoin_lines(nb), pairs.repeated


def warn_repeated_keys(path: str, repeated: list[str]) -> None:
    """The ``DuplicateKeyWarning`` for the file ``path`` (or files) whose JSON repeated these."""
    unique = list(dict.fromkeys(repeated))
    keys = ", ".join(repr(key) for key in unique)
    warnings.warn(
        DuplicateKeyWarning(
            f"{path}: {'a key' if len(unique) == 1 else 'keys'} repeated in one JSON "
            f"object ({keys}): read as Jupyter reads it, the last value; saving the "
            "notebook (or 'nbcollab clean') drops the other"
        ),
        stacklevel=1,  # one place: each file and key is said once a process
    )


class _LastValueWins:
    """``json.loads``' object hook: the last of two equal keys wins, as in Jupyter (Python's
    json), and the repeated keys are noted."""

    def __init__(self) -> None:
        self.repeated: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.repeated.append(key)
                seen.add(key)
        return obj


def _load_json(text: str, path: str, hook: _LastValueWins) -> Any:
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(not_json_message(text, exc, path)) from None
    except ValueError:
        # Python refuses to convert integers longer than its int-str limit (4300 digits).
        raise InvalidNotebook(f"{path}: a number too long to read (thousands of digits)") from None
    except RecursionError:
        raise InvalidNotebook(f"{path}: JSON nested more than {MAX_NESTING} levels deep") from None


# git's conflict markers at the start of a line: where a notebook's JSON never has them (its
# lines are indented, or start with "{" or "}"), a line merge without nbcollab's driver wrote them.
_GIT_MARKER = re.compile(r"^(?:<{7,}(?: |$)|={7,}$|>{7,}(?: |$)|\|{7,}(?: |$))", re.MULTILINE)
_TEXT_KINDS = {".py": "a Python file", ".md": "a Markdown file", ".r": "an R file"}


def not_json_message(text: str, exc: json.JSONDecodeError, path: str) -> str:
    """Why ``text`` is not a notebook, said so that a person knows what to do: git's conflict
    markers, a file that is not JSON at all (a ``.py`` given as a notebook), or broken JSON."""
    marker = _GIT_MARKER.search(text)
    if marker is not None:
        line = text.count("\n", 0, marker.start()) + 1
        shown = _line_at(text, marker.start())
        return (
            f"{path}:{line}: holds git's conflict markers ({shown!r}): a line merge ran without "
            f"nbcollab's merge driver; while git lists it as unmerged, rebuild the notebook from "
            f"git's stages with `nbcollab mergetool {path}`, or `git checkout --merge {path}` "
            "once `nbcollab install` has set up the driver; once committed so, edit the markers "
            "out by hand or take the notebook from an earlier commit"
        )
    start = len(text) - len(text.lstrip())
    if not text[start:].startswith(("{", "[")):
        suffix = path[path.rfind(".") :].lower() if "." in path else ""
        line = text.count("\n", 0, start) + 1
        said = f"a notebook is JSON starting with '{{', line {line} is {_line_at(text, start)!r}"
        if suffix == ".ipynb":
            return (
                f"{path}:{line}: not a notebook but text ({said}); restore it from git "
                f"(`git restore {path}`) or save it again from Jupyter"
            )
        kind = _TEXT_KINDS.get(suffix, "a text file")
        return f"{path}:{line}: not a notebook but {kind} ({said}); give a notebook (.ipynb)"
    return f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"


def _line_at(text: str, start: int) -> str:
    """The line starting at ``start``, one terminal-safe line of at most 60 characters."""
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)].rstrip("\r")
    return terminal_safe(line if len(line) <= 60 else line[:57] + "...", one_line=True)


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
    return serialize_notebook_bytes(nb).decode("utf-8")


def serialize_notebook_bytes(nb: Notebook, *, consume: bool = False) -> bytes:
    """``serialize_notebook(nb)`` as UTF-8. With ``consume``, ``nb`` is the caller's no more:
    it is written as it is changed (lines split, transient keys dropped), sparing a copy."""
    if not consume:
        nb = copy_for_writing(nb)
    major = nb["nbformat"]
    if major == 4:
        split_lines_v4(nb)
    else:
        split_lines_v3(nb)
    strip_transient(nb)
    # nbformat's v3 writer keeps json's ensure_ascii default; its v4 writer turns it off.
    text = dumps_indent1(nb, ensure_ascii=(major == 3)) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON may escape a lone surrogate ("\udc80") but UTF-8 cannot carry one raw: keep the
        # escape, so the file stays valid UTF-8 and reads back as the same string.
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        return text.encode("utf-8")
