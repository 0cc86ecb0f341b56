"""Rewrite kept outputs to what a reader sees and what stays the same across runs (pure).

For teams that commit outputs: a re-run that changes nothing a reader cares about must not change
the file. Streams are joined and their ``\\r``/``\\b`` overwrites applied as Jupyter shows them,
volatile tokens (memory addresses, timings, the kernel's temp paths) become stable placeholders,
and metadata that only records how a run went is dropped. Images and HTML structure are never
touched; the only text that changes is the volatile tokens the enabled rules name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from nbcollab.notebook.lines import Notebook, iter_cells
from nbcollab.options import (
    DEFAULT_NORMALIZE_RULES,
    NORMALIZE_RULES,
    NormalizeOptions,
    Replacement,
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Text that readers read; images, JSON and scripts are never rewritten.
TEXT_MIMES = frozenset({"text/plain", "text/html", "text/markdown", "text/latex"})

_NUMBER = r"\d+(?:\.\d+)?"
# IPython's _format_time: "1.2 ms", "3 µs", "1min 2s", "1h 2min 3s".
_DURATION = rf"{_NUMBER}\s?(?:ns|µs|μs|us|ms|s|min|h)(?:\s{_NUMBER}\s?(?:min|s))*"
_CLOCK = r"(?:\d+:)?\d{2}:\d{2}"


@dataclass(frozen=True)
class Rule:
    """One named replacement of volatile text by a stable placeholder."""

    name: str
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]
    default: bool = True
    description: str = ""

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.replacement, text)


RULES: tuple[Rule, ...] = (
    Rule(
        "address",
        # Only where a repr says "at 0x...": a hex number printed as data is content.
        re.compile(r"(?<= at )0x[0-9a-fA-F]{8,16}\b"),
        "0x<address>",
        description="memory addresses in reprs: <Foo at 0x7f3b2c1d0e80>",
    ),
    Rule(
        "duration",
        re.compile(
            rf"(?P<time>(?:CPU times: user |, sys: |, total: |Wall time: ))(?P<d>{_DURATION})"
            rf"|(?P<timeit>{_DURATION}) ± {_DURATION} per loop \(mean ± std\. dev\. of "
            rf"(?P<runs>[\d,]+) runs?, [\d,]+ loops? each\)"
            rf"|\[{_CLOCK}(?:<(?:{_CLOCK}|\?))?,\s*(?:\?|{_NUMBER})\s?[A-Za-z]*/[A-Za-z]+\]"
        ),
        lambda m: (
            f"{m['time']}<duration>"
            if m["time"]
            else f"<duration> ± <duration> per loop (mean ± std. dev. of {m['runs']} runs, "
            "<n> loops each)"
            if m["timeit"]
            else "[<elapsed>, <rate>]"
        ),
        description="timings printed by %time, %timeit and tqdm progress bars",
    ),
    Rule(
        "temp-path",
        re.compile(
            r"(?P<kernel>ipykernel_)\d+(?P<sep>[/\\])\d+(?P<ext>\.py)"
            r"|(?<=[/\\])tmp[a-z0-9_]{8}(?![A-Za-z0-9_])"
        ),
        lambda m: f"{m['kernel']}<pid>{m['sep']}<cell>{m['ext']}" if m["kernel"] else "tmp<random>",
        description="the kernel's temp files (ipykernel_1234/5678.py) and tempfile names",
    ),
    Rule(
        "timestamp",
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?\b"),
        "<timestamp>",
        default=False,
        description="ISO 8601 date-times (off by default: dates in data are content)",
    ),
)
RULE_NAMES = tuple(rule.name for rule in RULES)
DEFAULT_RULES = tuple(rule.name for rule in RULES if rule.default)
# The names are the option values too; nbcollab.options lists them without importing this module.
assert RULE_NAMES == NORMALIZE_RULES and DEFAULT_RULES == DEFAULT_NORMALIZE_RULES

# Metadata that records how a run went, never what it produced.
RUN_CELL_KEYS = ("ExecuteTime", "execution")
RUN_PAPERMILL_KEYS = ("start_time", "end_time", "duration")


def normalize_in_place(nb: Notebook, *, options: NormalizeOptions = NormalizeOptions()) -> bool:
    """Normalize every output of ``nb`` itself; True when anything changed."""
    rewrite = text_rewriter(options)
    saved_views = _saved_widget_models(nb)
    changed = False
    for cell in iter_cells(nb):
        if options.drop_run_metadata:
            changed |= _drop_run_metadata(cell.get("metadata"))
        outputs = cell.get("outputs")
        if cell.get("cell_type") != "code" or not isinstance(outputs, list):
            continue
        new = normalize_outputs(outputs, options=options, rewrite=rewrite, views=saved_views)
        if new != outputs:
            cell["outputs"] = new
            changed = True
    if options.drop_run_metadata:
        changed |= _drop_run_metadata(nb.get("metadata"), cell_keys=())
    if options.renumber:
        changed |= renumber_execution_counts(nb)
    return changed


def normalize_outputs(
    outputs: list[Any],
    *,
    options: NormalizeOptions = NormalizeOptions(),
    rewrite: Callable[[str], str] | None = None,
    views: set[str] | None = None,
) -> list[Any]:
    """A normalized copy of one cell's outputs (the input list is not changed)."""
    rewrite = rewrite or text_rewriter(options)
    result: list[Any] = []
    for output in outputs:
        if not isinstance(output, dict):
            result.append(output)
            continue
        output = _normalize_output(output, rewrite, options, views)
        if output is None:
            continue
        if options.merge_streams and _joins(result[-1] if result else None, output):
            result[-1] = {**result[-1], "text": result[-1]["text"] + output["text"]}
        else:
            result.append(output)
    # Streams are rewritten whole, after joining: a progress bar's \r often ends one chunk and
    # starts the next, and a timing can be split between two chunks.
    return [_finish_stream(output, rewrite, options.overwrites) for output in result]


def text_rewriter(options: NormalizeOptions) -> Callable[[str], str]:
    """One function applying every enabled rule, then the user's, to a piece of text."""
    rules = [rule.apply for rule in RULES if rule.name in options.rules]
    for user in options.replace:
        rules.append(partial(re.compile(user.regex).sub, user.replace))

    def rewrite(text: str) -> str:
        for rule in rules:
            text = rule(text)
        return text

    return rewrite


def apply_overwrites(text: str) -> str:
    """``text`` as Jupyter shows it: each ``\b`` erases the character before it, then ``\r``
    returns to the line start (JupyterLab's order). Linear in the length of the text."""
    if "\r" not in text and "\b" not in text:
        return text
    text = re.sub(r"\r+\n", "\n", _erase_backspaces(text))
    return "\n".join(_render_line(line) for line in text.split("\n"))


def _erase_backspaces(text: str) -> str:
    if "\b" not in text:
        return text
    kept: list[str] = []
    for char in text:
        if char != "\b":
            kept.append(char)
        elif kept and kept[-1] != "\n":
            kept.pop()
        # A backspace at the start of a line erases nothing and shows nothing.
    return "".join(kept)


def read_sanitize_file(text: str, *, path: str) -> tuple[Replacement, ...]:
    """nbval's ``--sanitize-with`` file, read as nbval reads it.

    A line ``regex: PATTERN`` followed by a line ``replace: TEXT`` is one rule (the values are
    the rest of each line, spaces included); a section may hold several, and sections, comments
    and blank lines only organise them. A pattern given again keeps its first place and takes
    its last replacement, as nbval's table of patterns does. Any other line would be ignored by
    nbval without a word, so it is an error here, naming the line.
    """
    lines = _LINE_BREAK.split(text)
    found: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        after = lines[index + 1] if index + 1 < len(lines) else ""
        if line.startswith(_REGEX) and after.startswith(_REPLACE):
            regex = line[len(_REGEX) :]
            if not regex:
                raise ValueError(f"{path}: line {index + 1}: empty regex (it would match anywhere)")
            found[regex] = after[len(_REPLACE) :]
            index += 2
            continue
        problem = _sanitize_line_problem(line)
        if problem:
            raise ValueError(f"{path}: line {index + 1}: {problem}")
        index += 1
    rules = []
    for regex, replace in found.items():
        try:
            rules.append(Replacement(regex=regex, replace=replace))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return tuple(rules)


# nbval reads the file with universal newlines and matches "^regex: (.*)$\n^replace: (.*)$".
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_REGEX = "regex: "
_REPLACE = "replace: "
_PAIR = "each rule is a line 'regex: PATTERN' followed by a line 'replace: TEXT'"


def _sanitize_line_problem(line: str) -> str | None:
    """Why nbval would pass over this line without reading a rule from it, or None."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", ";")):
        return None
    if stripped.startswith("[") and stripped.endswith("]"):
        return None  # a section: a name for the rules below it
    key = re.match(r"\s*(regex|replace)\s*[:=]", line)
    if key is None:
        return f"not a rule ({_PAIR})"
    if not line.startswith(f"{key[1]}: "):
        return f"write {key[1]!r} at the start of the line, then ': ' ({_PAIR})"
    if key[1] == "regex":
        return f"its 'replace: ' line must come right after it ({_PAIR})"
    return f"no 'regex: ' line right before it ({_PAIR})"


def renumber_execution_counts(nb: Notebook) -> bool:
    """Number the executed code cells 1..n in document order; True when anything changed."""
    changed = False
    count = 0
    for cell in iter_cells(nb):
        key = "prompt_number" if nb.get("nbformat") == 3 else "execution_count"
        if cell.get("cell_type") != "code" or cell.get(key) is None:
            continue
        count += 1
        changed |= cell[key] != count
        cell[key] = count
        for output in cell.get("outputs") or ():
            if isinstance(output, dict) and output.get(key) is not None:
                changed |= output[key] != count
                output[key] = count
    return changed


def _render_line(line: str) -> str:
    if "\r" not in line:
        return line
    chars: list[str] = []
    column = 0
    for char in line:
        if char == "\r":
            column = 0
        elif column < len(chars):
            chars[column] = char
            column += 1
        else:
            chars.append(char)
            column += 1
    return "".join(chars)


def _normalize_output(
    output: dict[str, Any],
    rewrite: Callable[[str], str],
    options: NormalizeOptions,
    views: set[str] | None,
) -> dict[str, Any] | None:
    kind = output.get("output_type")
    if kind == "stream":
        return output
    if kind == "error":
        return _normalize_error(output, rewrite)
    data = output.get("data")
    if not isinstance(data, dict):
        return output
    new_data = {
        mime: rewrite(value) if mime in TEXT_MIMES and isinstance(value, str) else value
        for mime, value in data.items()
        if not (views is not None and mime == WIDGET_VIEW and not _view_is_saved(value, views))
    }
    if not new_data:
        return None
    return output if new_data == data else {**output, "data": new_data}


def _normalize_error(output: dict[str, Any], rewrite: Callable[[str], str]) -> dict[str, Any]:
    new = dict(output)
    if isinstance(output.get("evalue"), str):
        new["evalue"] = rewrite(output["evalue"])
    traceback = output.get("traceback")
    if isinstance(traceback, list):
        new["traceback"] = [rewrite(line) if isinstance(line, str) else line for line in traceback]
    return output if new == output else new


def _replaced(output: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return output if output.get(key) == value else {**output, key: value}


def _joins(previous: Any, output: dict[str, Any]) -> bool:
    return (
        isinstance(previous, dict)
        and previous.get("output_type") == "stream" == output.get("output_type")
        and _stream_name(previous) == _stream_name(output)
        and isinstance(previous.get("text"), str)
        and isinstance(output.get("text"), str)
        and set(previous) == set(output)
    )


def _stream_name(output: dict[str, Any]) -> Any:
    return output.get("name", output.get("stream"))  # nbformat 3 calls it "stream"


def _finish_stream(output: Any, rewrite: Callable[[str], str], overwrites: bool) -> Any:
    if isinstance(output, dict) and output.get("output_type") == "stream":
        text = output.get("text")
        if isinstance(text, str):
            return _replaced(
                output, "text", rewrite(apply_overwrites(text) if overwrites else text)
            )
    return output


def _saved_widget_models(nb: Notebook) -> set[str]:
    """The widget models whose state the notebook saved (views of any other show nothing)."""
    widgets = nb.get("metadata", {}).get("widgets")
    state = widgets.get(WIDGET_STATE, {}).get("state") if isinstance(widgets, dict) else None
    return set(state) if isinstance(state, dict) else set()


def _view_is_saved(value: Any, saved: set[str]) -> bool:
    return isinstance(value, dict) and value.get("model_id") in saved


def _drop_run_metadata(metadata: Any, cell_keys: Iterable[str] = RUN_CELL_KEYS) -> bool:
    if not isinstance(metadata, dict):
        return False
    changed = False
    for key in cell_keys:
        if key in metadata:
            del metadata[key]
            changed = True
    papermill = metadata.get("papermill")
    if isinstance(papermill, dict):
        for key in RUN_PAPERMILL_KEYS:
            if key in papermill:
                del papermill[key]
                changed = True
    return changed
