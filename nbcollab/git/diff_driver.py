"""git's external diff driver (``GIT_EXTERNAL_DIFF`` / ``diff.<name>.command``).

git passes 7 arguments (path, old-file, old-hex, old-mode, new-file, new-hex, new-mode), 9 for a
rename (plus the new path and a rename header), ``/dev/null`` for a missing side, and 1 for an
unmerged path. Any non-zero exit aborts git with "external diff died", so every failure here ends
as text: a notebook that does not parse is shown as a plain line diff.

Paths are quoted as git quotes them (``"a/x\\ny.ipynb"``) and every string from the files is
made terminal-safe, the line diff of a file that is not a notebook included.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.options import CleanOptions, DiffOptions
from nbcollab.safe_text import quote_path, terminal_safe

_DEV_NULL = "/dev/null"

_DEFAULTS = DiffOptions()


def run_external_diff(
    args: Sequence[str],
    *,
    clean: CleanOptions | None = None,
    color: bool = False,
    options: DiffOptions = _DEFAULTS,
) -> str:
    """The text to print for one invocation of the driver (never raises for bad input)."""
    if len(args) == 1:
        return f"* Unmerged path {quote_path(args[0])}\n"
    if len(args) not in (7, 9):
        return f"nbcollab git-diff: expected 1, 7 or 9 arguments from git, got {len(args)}\n"
    old_path = new_path = args[0]
    if len(args) == 9:
        new_path = args[7]
    old_file, new_file = args[1], args[4]
    old_name = _DEV_NULL if old_file == _DEV_NULL else quote_path(f"a/{old_path}")
    new_name = _DEV_NULL if new_file == _DEV_NULL else quote_path(f"b/{new_path}")
    header = f"diff --nbcollab {quote_path(f'a/{old_path}')} {quote_path(f'b/{new_path}')}\n"
    if len(args) == 9:  # git's own rename lines, which quote the paths already
        header += terminal_safe(args[8].rstrip("\n")) + "\n"
    try:
        old_data, new_data = _read(old_file), _read(new_file)
    except _Unreadable as exc:
        reason = terminal_safe(exc.reason, one_line=True)
        return header + f"nbcollab git-diff: cannot read {quote_path(exc.path)}: {reason}\n"
    try:
        return header + _notebook_diff(
            old_data, new_data, old_name, new_name, clean, color, options
        )
    except NbcollabError as exc:
        reason = f"not a notebook ({exc})"
    except Exception as exc:  # noqa: BLE001 - git must get a diff, whatever went wrong
        reason = f"nbcollab could not diff it ({type(exc).__name__}: {exc})"
    reason = terminal_safe(reason, one_line=True)
    return header + f"# {reason}: line diff\n" + _line_diff(old_data, new_data, old_name, new_name)


class _Unreadable(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path, self.reason = path, reason


def _read(path: str) -> bytes | None:
    """A side's bytes; bounded and regular files only, so a FIFO or a device cannot hang git."""
    from nbcollab.files import read_file_bytes

    if path == _DEV_NULL:
        return None
    try:
        return read_file_bytes(path)
    except InvalidNotebook as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        if reason.startswith("cannot read (") and reason.endswith(")"):
            reason = reason[len("cannot read (") : -1]  # the OS's own words, as git prints them
        raise _Unreadable(path, reason) from None


def _notebook_diff(
    old: bytes | None,
    new: bytes | None,
    old_name: str,
    new_name: str,
    clean: CleanOptions | None,
    color: bool,
    options: DiffOptions,
) -> str:
    from nbcollab.render.diffs import DiffFormat, NotebookSides, load_side, render_diffs
    from nbcollab.render.text import TextStyle

    sides = NotebookSides(
        old_name,
        new_name,
        load_side(old, path=old_name, clean=clean),
        load_side(new, path=new_name, clean=clean),
        new_name,
    )
    text, _ = render_diffs(
        [sides], fmt=DiffFormat.TEXT, options=options, style=TextStyle(color=color)
    )
    return text


def _line_diff(old: bytes | None, new: bytes | None, old_name: str, new_name: str) -> str:
    a = terminal_safe((old or b"").decode("utf-8", "backslashreplace")).splitlines(True)
    b = terminal_safe((new or b"").decode("utf-8", "backslashreplace")).splitlines(True)
    lines = difflib.unified_diff(a, b, old_name, new_name)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
