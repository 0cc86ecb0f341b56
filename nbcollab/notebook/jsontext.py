"""JSON text as nbformat writes it, about twice as fast as ``json.dumps`` writes it.

nbformat writes ``json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "))``. With an
indent, Python's json module has no C encoder and walks every value in Python; a notebook is
mostly lists of strings (its lines), which are written here in one ``join`` over the C string
encoder. The text is exactly what ``json.dumps`` writes for JSON values (dicts with string keys,
lists, strings, ints, floats, booleans, None); for anything else ``json.dumps`` itself is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

# Each key's text (``"key": ``) by encoder: a notebook repeats a few dozen keys in every cell and
# output. Bounded, as keys are the file's to choose (a widget's state may hold thousands).
_NAMES: dict[Callable[[str], str], dict[Any, str]] = {
    encode_basestring: {},
    encode_basestring_ascii: {},
}
_MAX_NAMES = 4096


class _NotJson(Exception):
    """A value ``json.dumps`` would write in its own way (a tuple, a non-string key, ...)."""


def dumps_indent1(value: Any, *, ensure_ascii: bool) -> str:
    """``json.dumps(value, indent=1, sort_keys=True, separators=(",", ": "),
    ensure_ascii=ensure_ascii)``."""
    out: list[str] = []
    try:
        _write(value, "\n", out, encode_basestring_ascii if ensure_ascii else encode_basestring)
    except (_NotJson, RecursionError, TypeError):  # TypeError: keys that sort or encode otherwise
        return json.dumps(
            value, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=ensure_ascii
        )
    return "".join(out)


def _scalar(value: Any, encode: Callable[[str], str]) -> str:
    kind = type(value)
    if kind is str:
        return encode(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise _NotJson


def _write(value: Any, newline: str, out: list[str], encode: Callable[[str], str]) -> None:
    kind = type(value)
    if kind is dict:
        _write_dict(value, newline, out, encode)
    elif kind is list:
        _write_list(value, newline, out, encode)
    else:
        out.append(_scalar(value, encode))


def _write_list(
    value: list[Any], newline: str, out: list[str], encode: Callable[[str], str]
) -> None:
    if not value:
        out.append("[]")
        return
    inner = newline + " "
    try:  # lines of text, most of a notebook: encode refuses anything but a string
        out.append("[" + inner + ("," + inner).join(map(encode, value)) + newline + "]")
        return
    except TypeError:
        pass
    separator = "[" + inner
    for item in value:
        kind = type(item)
        if kind is dict:  # a cell, an output
            out.append(separator)
            _write_dict(item, inner, out, encode)
        elif kind is list:
            out.append(separator)
            _write_list(item, inner, out, encode)
        else:
            out.append(separator + _scalar(item, encode))
        separator = "," + inner
    out.append(newline + "]")


def _write_dict(
    value: dict[Any, Any], newline: str, out: list[str], encode: Callable[[str], str]
) -> None:
    # One branch per kind of value, most frequent first: this runs for every cell and output.
    if not value:
        out.append("{}")
        return
    inner = newline + " "
    separator = "{" + inner
    append = out.append
    names = _NAMES[encode]
    for key in sorted(value):
        name = names.get(key)
        if name is None:
            if type(key) is not str:
                raise _NotJson  # json.dumps converts such keys
            name = encode(key) + ": "
            if len(names) < _MAX_NAMES:
                names[key] = name
        item = value[key]
        kind = type(item)
        if kind is str:
            append(separator + name + encode(item))
        elif item is None:
            append(separator + name + "null")
        elif kind is list:
            if item:
                append(separator + name)
                _write_list(item, inner, out, encode)
            else:  # a cleaned cell's outputs
                append(separator + name + "[]")
        elif kind is dict:
            if item:
                append(separator + name)
                _write_dict(item, inner, out, encode)
            else:  # most cells' metadata
                append(separator + name + "{}")
        else:
            append(separator + name + _scalar(item, encode))
        separator = "," + inner
    append(newline + "}")
