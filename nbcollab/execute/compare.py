"""Compare a cell's stored outputs with a re-run's, ignoring what always changes.

Text outputs are compared after ``nbcollab.clean.normalize``, the normalizer of ``clean
--normalize`` and ``diff --normalize-outputs``, with the folder's ``[tool.nbcollab.normalize]``
replacements (and sanitize file) and every built-in rule on (memory addresses, timings, temp
paths, timestamps: a comparison may be stricter about what counts as volatile than a file that
is written); progress bars are left out. Images are compared by presence only (a re-rendered
PNG never has the same bytes); stderr is not compared (warnings change with library versions,
not results).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from nbcollab.clean.normalize import RULE_NAMES, apply_overwrites, text_rewriter
from nbcollab.options import NormalizeOptions

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PROGRESS_BAR = "[<elapsed>, <rate>]"


class OutputComparer:
    """Outputs as a reader sees them, normalized, and the first way two cells' outputs differ."""

    def __init__(self, options: NormalizeOptions = NormalizeOptions()) -> None:
        strict = dataclasses.replace(options, rules=RULE_NAMES)
        self._rewrite: Callable[[str], str] = text_rewriter(strict)

    def normalise_text(self, text: str) -> str:
        """Text as a reader sees it (overwrites applied), volatile parts replaced, progress
        bars left out (whether a bar is drawn at all depends on where the kernel runs)."""
        text = self._rewrite(apply_overwrites(_ANSI.sub("", text)))
        return "\n".join(line for line in text.split("\n") if _PROGRESS_BAR not in line).strip()

    def summary(self, outputs: list[Any]) -> list[str]:
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
                summary.extend(self._data_summary(output))
            elif kind in ("error", "pyerr"):
                evalue = self.normalise_text(str(output.get("evalue")))
                summary.append(f"error: {output.get('ename')}: {evalue}")
        normalised = self.normalise_text(streams.get("stdout", ""))
        if normalised:
            summary.insert(0, f"stdout: {normalised}")
        return summary

    def _data_summary(self, output: dict[str, Any]) -> list[str]:
        data: dict[str, Any] = output["data"] if isinstance(output.get("data"), dict) else output
        if any(str(key).startswith("image/") or key in ("png", "jpeg", "svg") for key in data):
            return ["image"]
        for key in ("text/plain", "text"):
            if key in data:
                return [f"result: {self.normalise_text(_text(data[key]))}"]
        # Rich outputs without a plain-text form (HTML, widgets) are compared by their kinds.
        kinds = sorted(str(key) for key in data if key not in ("metadata", "output_type"))
        return [f"result: <{', '.join(kinds)}>"] if kinds else []

    def first_difference(self, stored: list[Any], fresh: list[Any]) -> str | None:
        """How the re-run's outputs differ from the stored ones, or None when they match."""
        before, after = self.summary(stored), self.summary(fresh)
        if before == after:
            return None
        for old, new in zip(before, after):
            if old != new:
                return f"stored {_short(old)}, re-run {_short(new)}"
        # One is the other with more at its end.
        if len(before) > len(after):
            more = " more" if after else ""
            return f"stored {_short(before[len(after)])}, re-run has nothing{more}"
        return f"stored nothing{' more' if before else ''}, re-run {_short(after[len(before)])}"


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _short(text: str, limit: int = 80) -> str:
    flat = text.replace("\n", "⏎")
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")
