"""Make untrusted text safe to print on a terminal: the one rendering every command uses.

A notebook is untrusted input: its sources, outputs, metadata, cell ids and even its file name
can hold terminal control sequences (``ESC [2K`` erases a line, ``ESC ]52;c;...`` writes the
clipboard, a carriage return overwrites what was printed, a bidi override reorders what the
reader sees). Every string from a notebook, every path and every message that quotes them passes
through ``terminal_safe`` (a path: ``safe_path``) before it reaches a terminal, and nbcollab's own
colour codes are added only after that, so the only escape sequences in the output are
nbcollab's. Only the headers of diffs quote paths as git does (``quote_path``), since they are
read alongside git's own.

Controls are shown, not dropped, so that a diff still shows that something is there: C0
controls and DEL as their Unicode control pictures (ESC as ``␛``, CR as ``␍``), C1 controls
and bidi overrides as ``<U+XXXX>``, and a byte of a file name that is not UTF-8 (a lone
surrogate, PEP 383) as ``\\xNN``, since no terminal encoding can print it.

This module is at the bottom of the package: the core's messages use it too.
"""

from __future__ import annotations

import os
import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and
# isolates (Trojan Source, CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# git's C-style quoting: these get a letter, every other unsafe character its bytes in octal.
_C_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
# A file name that is not UTF-8 reaches Python with its odd bytes as lone surrogates (PEP 383).
_NEEDS_QUOTES = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]')


def _picture(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400..U+241F: the control pictures of C0
    if code == 0x7F:
        return "\u2421"  # SYMBOL FOR DELETE
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte that was not UTF-8 (surrogateescape)
    return f"<U+{code:04X}>"


def terminal_safe(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character shown visibly (newlines kept unless ``one_line``)."""
    pattern = _UNSAFE_LINE if one_line else _UNSAFE
    return pattern.sub(_picture, text) if pattern.search(text) else text


def safe_path(path: str | os.PathLike[str]) -> str:
    """A path as one terminal-safe line, for messages (``terminal_safe``)."""
    return terminal_safe(os.fspath(path), one_line=True)


def _c_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    return "".join(f"\\{byte:03o}" for byte in char.encode("utf-8", "surrogateescape"))


def quote_path(path: str) -> str:
    """``path`` as git prints it in diff headers: in C-style double quotes when it holds control
    characters, a double quote, a backslash or bytes that are not UTF-8 (``"a\\nb.ipynb"``),
    otherwise as it is."""
    if not _NEEDS_QUOTES.search(path):
        return path
    return '"' + _NEEDS_QUOTES.sub(_c_escape, path) + '"'
