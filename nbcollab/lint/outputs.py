"""Compare a cell's stored outputs with a re-run's, ignoring what always changes.

Text outputs are compared after ``nbcollab.clean.normalize`` (memory addresses, timestamps,
timings, temp paths, progress bars); images are compared by presence only (a re-rendered PNG
never has the same bytes).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from nbcollab.clean.normalize import RULE_NAMES, NormalizeOptions, apply_overwrites, text_rewriter

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_DEFAULT_NORMALIZE = NormalizeOptions()


def comparison_rewriter(options: NormalizeOptions = _DEFAULT_NORMALIZE) -> Callable[[str], str]:
    """The normalizer of `clean --normalize` with the project's own rules (its ``replace`` and
    sanitize file), and every built-in rule on: a comparison may be stricter about what counts
    as volatile than a file that is written."""
    return text_rewriter(dataclasses.replace(options, rules=RULE_NAMES))


_REWRITE = comparison_rewriter()


_PROGRESS_BAR = "[<elapsed>, <rate>]"


def normalise_text(text: str, rewrite: Callable[[str], str] = _REWRITE) -> str:
    """Text as a reader sees it (overwrites applied), volatile parts replaced, progress bars
    left out (whether a bar is drawn at all depends on where the kernel runs)."""
    text = rewrite(apply_overwrites(_ANSI.sub("", text)))
    return "\n".join(line for line in text.split("\n") if _PROGRESS_BAR not in line).strip()


def output_summary(outputs: list[Any], rewrite: Callable[[str], str] = _REWRITE) -> list[str]:
    """What a cell's outputs show, normalised: one entry per stream, result, image or error."""
    summary: list[str] = []
    streams: dict[str, str] = {}
    for output in outputs:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            name = str(output.get("name", output.get("stream", "stdout")))
            streams[name] = streams.get(name, "") + _text(output.get("text"))
        elif kind in ("execute_result", "display_data", "pyout"):
            summary.extend(_data_summary(output, rewrite))
        elif kind in ("error", "pyerr"):
            evalue = normalise_text(str(output.get("evalue")), rewrite)
            summary.append(f"error: {output.get('ename')}: {evalue}")
    # stderr (warnings, logging) is left out: it changes with library versions, not results.
    normalised = normalise_text(streams.get("stdout", ""), rewrite)
    if normalised:
        summary.insert(0, f"stdout: {normalised}")
    return summary


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _data_summary(output: dict[str, Any], rewrite: Callable[[str], str]) -> list[str]:
    data: dict[str, Any] = output["data"] if isinstance(output.get("data"), dict) else output
    if any(str(key).startswith("image/") or key in ("png", "jpeg", "svg") for key in data):
        return ["image"]
    for key in ("text/plain", "text"):
        if key in data:
            return [f"result: {normalise_text(_text(data[key]), rewrite)}"]
    # Rich outputs without a plain-text form (HTML, widgets) are compared by their kinds.
    kinds = sorted(str(key) for key in data if key not in ("metadata", "output_type"))
    return [f"result: <{', '.join(kinds)}>"] if kinds else []


def first_difference(
    stored: list[Any], fresh: list[Any], rewrite: Callable[[str], str] = _REWRITE
) -> str | None:
    """How the re-run's outputs differ from the stored ones (text normalized by ``rewrite``,
    see ``comparison_rewriter``), or None when they match."""
    before, after = output_summary(stored, rewrite), output_summary(fresh, rewrite)
    if before == after:
        return None
    for old, new in zip(before, after):
        if old != new:
            return f"stored {_short(old)}, re-run {_short(new)}"
    if len(before) > len(after):
        return f"stored {_short(before[len(after)])}, re-run has nothing"
    return f"stored nothing, re-run {_short(after[len(before)])}"


def _short(text: str, limit: int = 80) -> str:
    flat = text.replace("\n", "⏎")
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")
