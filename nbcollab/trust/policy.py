"""When a merged notebook may be signed: pure checks on notebook dicts, no notary, no files.

Jupyter trusts a notebook when the HMAC of its content is in the user's signature store. These
functions decide whether signing a merge result would only re-trust what the user already trusted:
every rich output must be one the user's Jupyter already trusted in the same cell of an input, the
result must read back identically every time Jupyter opens it, and no other notebook sharing its
signature (cut differently from the same signed bytes) may show active output that a notebook
sharing a trusted input's signature could not already show.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from nbcollab.notebook.cells import cell_name, cell_number
from nbcollab.notebook.lines import Notebook, is_valid_cell_id, iter_cells
from nbcollab.trust.stream import (
    ACTIVE_MIME_PREFIXES,
    CLOSERS,
    WIDGET_STATE,
    SignatureStream,
    find_all,
    signature_stream,
)

Pairs = Mapping[int, int]  # a result's cell index -> the index of the same cell in an input

# Jupyter always renders these as escaped text, trusted or not; every other output type (rich
# display_data/execute_result, and any odd type) is treated as needing trust.
_PLAIN_OUTPUT_TYPES = frozenset({"stream", "error"})


def is_rich_output(output: Any) -> bool:
    """Whether Jupyter shows ``output`` only in a trusted notebook (anything but stream/error)."""
    return not isinstance(output, Mapping) or output.get("output_type") not in _PLAIN_OUTPUT_TYPES


def iter_rich_outputs(nb: Notebook) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(cell index, output) for every rich output of a v4 notebook's code cells."""
    for index, cell in enumerate(nb.get("cells", [])):
        if isinstance(cell, Mapping) and cell.get("cell_type") == "code":
            for output in cell.get("outputs") or []:
                if is_rich_output(output):
                    yield index, output


def has_rich_outputs(nb: Notebook) -> bool:
    """Whether any code cell of a v4 notebook holds output that only trust lets Jupyter show."""
    return next(iter_rich_outputs(nb), None) is not None


def cell_label(nb: Notebook, index: int) -> str:
    """``cell 3 (id ab12)``, as messages name a cell of a v3 or v4 notebook (id only if it has one)."""
    cells = iter_cells(nb)
    return cell_name(index, cells[index] if 0 <= index < len(cells) else None)


def untrusted_cell_labels(nb: Notebook, original: Notebook | None = None) -> list[str]:
    """Labels of the cells whose output Jupyter would hide or sanitize in an untrusted notebook.

    ``nb`` is the notebook as Jupyter reads it; ``original`` (the file as parsed) names the cells
    when given, since Jupyter's reading invents ids (for v3 files, missing or duplicate ids) anew
    on every read. Reading keeps the cells in order, so the indexes agree.
    """
    seen = sorted({index for index, _ in iter_rich_outputs(nb)})
    return [cell_label(nb if original is None else original, index) for index in seen]


def find_lone_surrogate(nb: Notebook) -> str | None:
    """Where ``nb`` holds a string with a lone surrogate (valid JSON, not Unicode), or None."""
    for index, cell in enumerate(iter_cells(nb)):
        if _holds_lone_surrogate(cell):
            return cell_label(nb, index)
    return "the notebook" if _holds_lone_surrogate(nb) else None


def _holds_lone_surrogate(value: Any) -> bool:
    # Iterative: a notebook may nest as deeply as json.loads allows, beyond Python's recursion.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def find_read_problem(nb: Notebook) -> str | None:
    """Why Jupyter would not read ``nb`` back identically every time, or None when it would."""
    major, minor = nb.get("nbformat"), nb.get("nbformat_minor", 0)
    if major != 4:
        return f"nbformat {major} notebooks are never signed (Jupyter converts them on every read)"
    if not isinstance(minor, int) or minor < 5:
        return None  # before 4.5 cells have no ids and nbformat invents none
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb["cells"]):
        cell_id = cell.get("id")
        if not is_valid_cell_id(cell_id):
            return (
                f"{cell_name(index)} has no valid id, and Jupyter invents a random one on every read, "
                "so no signature could last"
            )
        if cell_id in seen:
            return (
                f"cells {cell_number(seen[cell_id])} and {cell_number(index)} share the id {cell_id!r}, and Jupyter "
                "replaces a duplicate with a random id on every read, so no signature could last"
            )
        seen[cell_id] = index
    return None


class SigningProblem(NamedTuple):
    """Why signing a notebook could trust output the user never trusted, for a person to act on."""

    reason: str
    cells: tuple[int, ...] = ()  # the cells to look at (indexes into the result)

    def advice(self, command_path: str) -> str:
        """The reason, then what to do (``command_path``: the path as a shell argument)."""
        what = "them" if len(self.cells) > 1 else "it" if self.cells else "the notebook"
        return f"{self.reason}; check {what}, then run: nbcollab trust sign {command_path}"


def find_signing_problem(
    result: Notebook,
    trusted_inputs: Sequence[Notebook],
    *,
    streams: Sequence[SignatureStream] | None = None,
    pairs: Sequence[Pairs] | None = None,
    names: Callable[[], Sequence[Notebook]] | None = None,
) -> SigningProblem | None:
    """Why signing ``result`` could trust output that none of ``trusted_inputs`` (notebooks as
    Jupyter reads them, each trusted by the user's Jupyter) is trusted for; None when signing
    trusts nothing new. Rules 1 and 4 of docs/trust.md: the merge driver and the output cache's
    restore both decide by this one function.

    What the caller may already have: ``streams``, the signature streams of the result and then
    of each input; ``pairs``, for each input, which of its cells each result cell is (a restore
    knows: the cell it copied the outputs from), else ``match_cells`` decides; ``names``, the
    inputs to match cells against when naming the cells of a refusal, when ``trusted_inputs``
    hold no more than the outputs ``pairs`` point at (made only if a refusal needs them).
    """
    return _untrusted_output(result, trusted_inputs, pairs) or _collision(
        result, trusted_inputs, streams, names
    )


def find_collision_risk(result: Notebook, trusted_inputs: Sequence[Notebook]) -> str | None:
    """Why a notebook sharing ``result``'s signature could show active output no trusted input can.

    The argument is in docs/trust.md ("Why no notebook with the same signature shows new active
    output"): any active value such a notebook holds lies in ``result``'s signed bytes between
    the first active mime type spelled anywhere and the end of the last ``output_type`` of a
    shown output (the end of the bytes, when widget state is spelled). When that stretch also
    appears in a trusted input's bytes, with every such spelling inside it a real key there, a
    notebook with the trusted input's signature can already show the same value.
    """
    problem = _collision(result, trusted_inputs)
    return problem.reason if problem else None


def _collision(
    result: Notebook,
    trusted_inputs: Sequence[Notebook],
    streams: Sequence[SignatureStream] | None = None,
    names: Callable[[], Sequence[Notebook]] | None = None,
) -> SigningProblem | None:
    try:
        stream, *trusted = streams or [signature_stream(nb) for nb in (result, *trusted_inputs)]
    except (UnicodeEncodeError, RecursionError):
        return SigningProblem(
            "Jupyter cannot hash the notebook (invalid Unicode or nested too deeply)"
        )
    window = find_active_window(stream.data)
    if window is None or any(
        other.data == stream.data or _holds_window(other, stream.data, window) for other in trusted
    ):
        return None  # (equal bytes: the user's store already trusts every notebook cut from them)
    inputs = names() if names is not None else trusted_inputs
    return _name_the_change(result, stream, window, list(zip(inputs, trusted, strict=True)))


def _name_the_change(
    result: Notebook,
    stream: SignatureStream,
    window: ActiveWindow,
    trusted: list[tuple[Notebook, SignatureStream]],
) -> SigningProblem:
    """The cells inside ``window`` that are new or changed since the trusted input that has the
    fewest such cells (the version the result is closest to there)."""
    inside = _cells_in(stream, window)
    best: tuple[list[int], list[int]] | None = None  # (new, changed)
    for nb, other in trusted:
        pairs = match_cells(nb, result)
        new = [i for i in inside if i not in pairs]
        changed = [
            i
            for i in inside
            if i in pairs and _cell_bytes(stream, i) != _cell_bytes(other, pairs[i])
        ]
        if best is None or len(new) + len(changed) < len(best[0]) + len(best[1]):
            best = (new, changed)
    new, changed = best or ([], [])
    cells = sorted(new + changed)
    if not cells:
        first, last = (_place(result, stream, at) for at in (window.start, window.end - 1))
        return SigningProblem(
            "cells were moved or removed, or the notebook metadata changed, "
            + (f"in {first}" if first == last else f"between {first} and {last}")
        )
    rich = [index for index, _ in iter_rich_outputs(result)]
    where = (
        "between the first and last rich output"
        if rich and rich[0] <= cells[0] and cells[-1] <= rich[-1]
        else "next to the rich outputs, and some text there reads like an output type"
    )
    phrase = cells_phrase(result, cells)
    verb = "changed" if changed else "was added" if len(cells) == 1 else "were added"
    return SigningProblem(f"{phrase} {verb} {where}", tuple(cells))


def cells_phrase(nb: Notebook, indexes: Sequence[int], most: int = 6) -> str:
    """``cell 3 (id ab12)``, ``cells 3 and 7``, ``cells 1, 2, 5 and 4 more``."""
    labels = [cell_label(nb, index).removeprefix("cell ") for index in indexes]
    if len(labels) == 1:
        return f"cell {labels[0]}"
    if len(labels) > most:
        return f"cells {', '.join(labels[: most - 1])} and {len(labels) - most + 1} more"
    return f"cells {', '.join(labels[:-1])} and {labels[-1]}"


def _cells_in(stream: SignatureStream, window: ActiveWindow) -> range:
    """The cells whose signed bytes overlap ``window``."""
    if window.start >= stream.cells_end:
        return range(0)  # the window is all notebook metadata
    first = max(bisect_right(stream.cell_starts, window.start) - 1, 0)
    last = bisect_right(stream.cell_starts, min(window.end, stream.cells_end) - 1) - 1
    return range(first, last + 1)


def _cell_bytes(stream: SignatureStream, index: int) -> bytes:
    starts = stream.cell_starts
    end = starts[index + 1] if index + 1 < len(starts) else stream.cells_end
    return bytes(stream.data[starts[index] : end])


class ActiveWindow(NamedTuple):
    """Where in signed bytes a re-cut notebook could hold an active value."""

    start: int
    end: int
    to_the_end: bool  # widget state is spelled: a value may run to the end of the bytes


def find_active_window(data: bytes | bytearray) -> ActiveWindow | None:
    """The part of signed bytes where a re-cut notebook could hold an active value, or None."""
    start = _first_active(data)
    if start < 0:
        return None
    if data.find(WIDGET_STATE.encode(), start) >= 0:
        return ActiveWindow(start, len(data), to_the_end=True)  # notebook metadata
    # A shown output's data comes before its output_type (keys are sorted), so its value ends
    # before the last spelled closer.
    end = _last_closer_end(data, start)
    return ActiveWindow(start, end, to_the_end=False) if end is not None else None


_TEXT = b"text/"
_ACTIVE_TEXT = tuple(p.removeprefix(_TEXT) for p in ACTIVE_MIME_PREFIXES if p.startswith(_TEXT))
_ACTIVE_OTHER = tuple(p for p in ACTIVE_MIME_PREFIXES if not p.startswith(_TEXT))
_OUTPUT_TYPE = b"output_type"
_SHOWN = tuple(closer.removeprefix(_OUTPUT_TYPE) for closer in CLOSERS)


def _first_active(data: bytes | bytearray) -> int:
    """Where the first active prefix is spelled, or -1: each ``text/`` one is looked at only
    up to the first other one (every ``text/plain`` key spells ``text/``), so that the bytes
    are read about twice, not once for each prefix."""
    others = [at for prefix in _ACTIVE_OTHER if (at := data.find(prefix)) >= 0]
    limit = min(others, default=len(data))
    end = limit + len(_TEXT) - 1  # a text/ spelled before the limit, perhaps ending after it
    at = data.find(_TEXT, 0, end)
    while at >= 0:
        if data.startswith(_ACTIVE_TEXT, at + len(_TEXT)):
            return at
        at = data.find(_TEXT, at + 1, end)
    return limit if others else -1


def _last_closer_end(data: bytes | bytearray, start: int) -> int | None:
    """The end of the last closer spelled after ``start``, or None. Spellings of
    ``output_type`` never overlap, and a closer is at most 19 bytes longer than it while they
    lie 11 apart at least: the last one that is a closer ends after every other."""
    at = data.rfind(_OUTPUT_TYPE)
    while at > start:
        after = at + len(_OUTPUT_TYPE)
        for kind in _SHOWN:
            if data.startswith(kind, after):
                return after + len(kind)
        at = data.rfind(_OUTPUT_TYPE, 0, at + len(_OUTPUT_TYPE) - 1)
    return None


def _holds_window(trusted: SignatureStream, data: bytes | bytearray, window: ActiveWindow) -> bool:
    """Whether ``trusted`` has the window's bytes with every active spelling in it a real key.

    The window's bytes equal ``trusted``'s at ``base``, so what they spell is what ``trusted``
    spells there: every spelling inside is real exactly when none of ``trusted``'s spellings
    that are not real keys (found once a stream, or recorded with it) lies inside.
    """
    piece = bytes(memoryview(data)[window.start : window.end])
    for base in find_all(trusted.data, piece):
        if window.to_the_end and base + len(piece) != len(trusted.data):
            continue  # widget state: nothing may follow it in the trusted bytes either
        if not trusted.find_spelled().any_within(base, base + len(piece)):
            return True
    return False


def _place(nb: Notebook, stream: SignatureStream, offset: int) -> str:
    cell = bisect_right(stream.cell_starts, offset) - 1
    if offset >= stream.cells_end:
        return "the notebook metadata"
    return cell_label(nb, cell) if cell >= 0 else "the notebook"


def match_cells(old: Notebook, new: Notebook) -> dict[int, int]:
    """New cell index -> old cell index: by id when both have complete ids, else by alignment."""
    old_ids, new_ids = _complete_ids(old["cells"]), _complete_ids(new["cells"])
    if old_ids is not None and new_ids is not None:
        return {j: old_ids[key] for key, j in new_ids.items() if key in old_ids}
    from nbcollab.align.cells import align_cells

    return align_cells(old["cells"], new["cells"]).new_to_old()


def _complete_ids(cells: Sequence[Mapping[str, Any]]) -> dict[str, int] | None:
    """Id -> index when every cell has a valid, unique id; else None."""
    ids: dict[str, int] = {}
    for index, cell in enumerate(cells):
        cell_id = cell.get("id")
        if not is_valid_cell_id(cell_id) or cell_id in ids:
            return None
        ids[cell_id] = index
    return ids or None


def find_untrusted_output(result: Notebook, trusted_inputs: Sequence[Notebook]) -> str | None:
    """The first rich output of ``result`` not found in the same cell of a trusted input, or None."""
    problem = _untrusted_output(result, trusted_inputs)
    return problem.reason if problem else None


def _untrusted_output(
    result: Notebook, trusted_inputs: Sequence[Notebook], pairs: Sequence[Pairs] | None = None
) -> SigningProblem | None:
    widgets = result.get("metadata", {}).get("widgets")
    # Saved widget state is drawn by the widget views among the outputs: it must be trusted too.
    if widgets is not None and not any(
        nb.get("metadata", {}).get("widgets") == widgets for nb in trusted_inputs
    ):
        return SigningProblem(
            "the widget state (metadata.widgets) is not the one of any trusted input"
        )
    if pairs is None:
        pairs = [match_cells(nb, result) for nb in trusted_inputs]
    matches = list(zip(trusted_inputs, pairs, strict=True))
    for index, output in iter_rich_outputs(result):
        if not any(
            index in pairs and output in _outputs_of(nb["cells"][pairs[index]])
            for nb, pairs in matches
        ):
            return SigningProblem(
                f"{cell_label(result, index)} has output not found in any trusted input", (index,)
            )
    return None


def _outputs_of(cell: Mapping[str, Any]) -> list[Any]:
    outputs = cell.get("outputs") if cell.get("cell_type") == "code" else None
    return outputs if isinstance(outputs, list) else []
