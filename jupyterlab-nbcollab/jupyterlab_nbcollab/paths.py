"""Paths from the browser, confined to the server's root directory.

A path is what JupyterLab's file browser names: relative to the root, with "/" between parts;
a leading "/" means the root, as in Jupyter's own contents API (``/a.ipynb`` is the root's
``a.ipynb``, never a file of the machine's ``/``). ``..``, NUL, backslashes and (unless the
contents manager allows them) hidden parts are refused before anything touches the disk; what
is left must still be inside the root once every symlink is followed, so a link inside the root
cannot lead out of it.
"""

from __future__ import annotations

import os
from pathlib import Path


class PathRefused(ValueError):
    """A path the browser may not use: the message says why, without echoing the whole path."""


def confine(
    root: Path, relative: str, *, allow_hidden: bool = False, suffix: str = ".ipynb"
) -> Path:
    """The real path of ``relative`` below ``root``; PathRefused when it is not one."""
    if not isinstance(relative, str) or not relative.strip("/"):
        raise PathRefused("no path given")
    if "\0" in relative or "\\" in relative:
        raise PathRefused("a path may not hold NUL or backslash characters")
    parts = relative.strip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise PathRefused("a path must name a file below the server's root, without '.' or '..'")
    if not allow_hidden and any(part.startswith(".") for part in parts):
        raise PathRefused("hidden files are not served (ContentsManager.allow_hidden)")
    if suffix and not parts[-1].endswith(suffix):
        raise PathRefused(f"not a {suffix} file")
    top = os.path.realpath(root)
    real = os.path.realpath(os.path.join(top, *parts))
    if os.path.commonpath([top, real]) != top or real == top:
        raise PathRefused("the path leads out of the server's root directory")
    return Path(real)
