"""The structure every nbcollab command relies on, checked once when a notebook is read.

``parse_notebook`` calls ``check_notebook_shape`` on the decoded JSON, so that the core (clean,
diff, merge, conflicts, trust) can take a field's type for granted: text is a string or a list of
strings, ``output_type`` a string, containers are what nbformat's schema says. Anything else is an
``InvalidNotebook`` naming the file and the place, never a ``TypeError`` deep in a command. JSON
nested deeper than ``MAX_NESTING`` is refused too, because the core's recursive steps (copying,
comparing, merging JSON values) would otherwise hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.cells import cell_name, output_name
from nbcollab.notebook.lines import text_key

# Real notebooks nest about 10 levels (widget state, plotly figures); 100 is far above that and
# far below the ~1000 frames of Python's recursion limit the core's recursive steps share.
MAX_NESTING = 100
SUPPORTED_MAJOR = (3, 4)
# metadata.nbcollab.conflicts[i].values[j].base: how much deeper a value sits in the record.
_RECORD_LEVELS = 5

_CONTAINER_TYPES = frozenset({dict, list})
_LINES = frozenset({str})
# Output fields the core reads as text (v3 kept each mime type as a field of the output).
_V3_OUTPUT_LINES = frozenset(
    {"text", "html", "svg", "latex", "javascript", "json", "png", "jpeg", "pdf", "traceback"}
)
_V4_OUTPUT_LINES = frozenset({"text", "traceback"})
_V3_OUTPUT_STRINGS = frozenset({"stream", "ename", "evalue"})
_V4_OUTPUT_STRINGS = frozenset({"name", "ename", "evalue"})


class _Bad(Exception):
    """A problem, described from the object being checked; the caller adds where that is."""


def check_notebook_shape(nb: Any, *, path: str) -> None:
    """Check the structural facts every nbcollab command relies on; InvalidNotebook if not."""
    major = _check_top(nb, path)
    cell_depth = 3 if major == 4 else 5  # notebook > cells > cell (v3: > worksheets > sheet)
    for index, cell in enumerate(_cells(nb, major, path)):
        try:
            _check_cell(cell, major, cell_depth)
        except _Bad as exc:
            raise InvalidNotebook(f"{path}: {cell_name(index, cell)}: {exc}") from None
    try:
        _check_rest(nb, ("cells", "worksheets", "metadata"), 1)
        for key, value in nb.get("metadata", {}).items():
            # A merge's record keeps the values it could not merge a few levels below their place.
            depth = 3 - (_RECORD_LEVELS if key == "nbcollab" else 0)
            if _too_deep(value, depth):
                raise _Bad(_nested(f"metadata {key!r}"))
        for sheet in nb.get("worksheets", []) if major == 3 else []:
            _check_rest(sheet, ("cells",), 3)
    except _Bad as exc:
        raise InvalidNotebook(f"{path}: {exc}") from None


def _check_top(nb: Any, path: str) -> int:
    if not isinstance(nb, dict):
        raise InvalidNotebook(f"{path}: not a notebook (the JSON is not an object)")
    major = nb.get("nbformat")
    if major is None:
        raise InvalidNotebook(f"{path}: not a notebook (no 'nbformat' key)")
    if not _is_int(major):
        raise InvalidNotebook(f"{path}: not a notebook ('nbformat' is not an integer)")
    if major not in SUPPORTED_MAJOR:
        raise InvalidNotebook(f"{path}: nbformat {major} is not supported (only 3 and 4)")
    if not _is_int(nb.get("nbformat_minor", 0)):
        raise InvalidNotebook(f"{path}: not a notebook ('nbformat_minor' is not an integer)")
    metadata = nb.get("metadata", {})
    if not isinstance(metadata, dict):
        raise InvalidNotebook(f"{path}: not a notebook ('metadata' is not an object)")
    # nbcollab's own record (merge conflicts) is read and rewritten as an object.
    if not isinstance(metadata.get("nbcollab", {}), dict):
        raise InvalidNotebook(f"{path}: metadata: 'nbcollab' is not an object")
    return major


def _cells(nb: dict[str, Any], major: int, path: str) -> Iterator[Any]:
    if major == 4:
        if not isinstance(nb.get("cells"), list):
            raise InvalidNotebook(f"{path}: not a notebook (no 'cells' list)")
        return iter(nb["cells"])
    worksheets = nb.get("worksheets", [])  # nbformat reads a v3 file without any as empty
    if not isinstance(worksheets, list) or not all(
        isinstance(ws, dict) and isinstance(ws.get("cells"), list) for ws in worksheets
    ):
        raise InvalidNotebook(f"{path}: not a notebook (no 'worksheets' list of cells)")
    return (cell for ws in worksheets for cell in ws["cells"])


def _check_cell(cell: Any, major: int, depth: int) -> None:
    # One pass over the cell's keys, the usual ones first: this runs for every cell read.
    if type(cell) is not dict:
        raise _Bad("not an object")
    _require_string(cell, "cell_type")
    text = text_key(cell["cell_type"], major)
    for key, value in cell.items():
        kind = type(value)
        if key == text or key == "rendered":
            _require_lines(value, key)
        elif key == "outputs":
            _check_outputs(value, major, depth + 1)
        elif kind is dict:
            if key == "attachments":
                for name, bundle in value.items():
                    _check_bundle(bundle, f"attachment {name!r}", depth + 2)
            elif value and _too_deep(value, depth + 1):
                raise _Bad(_nested(repr(key)))
        elif key == "attachments" or key == "metadata":
            raise _Bad(f"'{key}' is not an object")
        elif kind is list and value and _too_deep(value, depth + 1):
            raise _Bad(_nested(repr(key)))


def _check_outputs(outputs: Any, major: int, depth: int) -> None:
    if type(outputs) is not list:
        raise _Bad("'outputs' is not a list")
    for index, output in enumerate(outputs):
        try:
            _check_output(output, major, depth + 1)
        except _Bad as exc:
            raise _Bad(f"{output_name(index)}: {exc}") from None


def _check_output(output: Any, major: int, depth: int) -> None:
    if type(output) is not dict:
        raise _Bad("not an object")
    _require_string(output, "output_type")
    strings = _V4_OUTPUT_STRINGS if major == 4 else _V3_OUTPUT_STRINGS
    lines = _V4_OUTPUT_LINES if major == 4 else _V3_OUTPUT_LINES
    for key, value in output.items():
        kind = type(value)
        if key in lines:
            _require_lines(value, key)
        elif key in strings:
            if kind is not str:
                raise _Bad(f"'{key}' is not a string")
        elif key == "data":
            _check_bundle(value, "'data'", depth + 1)
        elif kind is dict or kind is list:
            if key == "metadata" and kind is list:
                raise _Bad("'metadata' is not an object")
            if value and _too_deep(value, depth + 1):
                raise _Bad(_nested(repr(key)))
        elif key == "metadata":
            raise _Bad("'metadata' is not an object")


def _check_bundle(bundle: Any, label: str, depth: int) -> None:
    """A mime bundle: an object of any JSON values (nbformat reads a null ``text/html`` too)."""
    if type(bundle) is not dict:
        raise _Bad(f"{label}: not an object")
    for mime, value in bundle.items():
        if _too_deep(value, depth + 1):
            raise _Bad(_nested(f"{label}: {mime!r}"))


def _require_string(holder: dict[str, Any], key: str) -> None:
    if type(holder.get(key)) is not str:
        raise _Bad(f"no '{key}'" if key not in holder else f"'{key}' is not a string")


def _require_lines(value: Any, key: str) -> None:
    # set(map(type, ...)) runs in C: notebooks hold hundreds of thousands of lines.
    if type(value) is not str and (type(value) is not list or not set(map(type, value)) <= _LINES):
        raise _Bad(f"'{key}' is not a string or a list of strings")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rest(holder: dict[str, Any], checked: tuple[str, ...], depth: int) -> None:
    """The nesting of every value of ``holder`` (at ``depth``) not checked field by field."""
    for key, value in holder.items():
        if key not in checked and _too_deep(value, depth + 1):
            raise _Bad(_nested(repr(key)))


def _too_deep(value: Any, depth: int) -> bool:
    """Whether ``value``, at ``depth``, holds containers deeper than ``MAX_NESTING``."""
    return type(value) in _CONTAINER_TYPES and _nesting_exceeds(value, MAX_NESTING - depth + 1)


def _nested(label: str) -> str:
    """The message for a value nested too deep (built only when one is)."""
    return f"{label}: JSON nested more than {MAX_NESTING} levels deep"


def _nesting_exceeds(root: Any, limit: int) -> bool:
    """Whether ``root`` holds containers more than ``limit`` deep (iterative: no recursion)."""
    if limit < 1:
        return True
    children = root.values() if type(root) is dict else root
    # Most containers are lists of lines or flat objects: one C-level pass tells there is
    # nothing below, without building the stack.
    if not set(map(type, children)) & _CONTAINER_TYPES:
        return False
    stack = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if type(value) is dict else value
        if set(map(type, children)) & _CONTAINER_TYPES:
            stack.extend(
                (child, depth + 1) for child in children if type(child) in _CONTAINER_TYPES
            )
    return False
