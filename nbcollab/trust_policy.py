"""When a merged notebook may be signed: pure checks on notebook dicts, no notary, no files.

Jupyter trusts a notebook when the HMAC of its content is in the user's signature store. These
functions decide whether signing a merge result would only re-trust what the user already trusted:
every rich output must be one the user's Jupyter already trusted in the same cell of an input, the
result must read back identically every time Jupyter opens it, and its text must not be shaped so
that another notebook with different outputs could share its signature.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nbcollab.nbformat_lines import Notebook, is_valid_cell_id, iter_cells

# Jupyter always renders these as escaped text, trusted or not; every other output type (rich
# display_data/execute_result, and any odd type) is treated as needing trust.
_PLAIN_OUTPUT_TYPES = frozenset({"stream", "error"})

# nbformat's signature hashes keys and values concatenated with no separators, so text that spells
# an output's closing key and type could be re-read as a real output in another notebook with the
# same signature. Each of these byte strings may only occur where the real structure puts it.
_CLOSERS = (
    b"output_typedisplay_data", b"output_typeexecute_result", b"output_typeupdate_display_data"
)
_OPENER = b"outputsdata"


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
    cell = cells[index] if 0 <= index < len(cells) else None
    cell_id = cell.get("id") if isinstance(cell, Mapping) else None
    return f"cell {index}" + (f" (id {cell_id})" if isinstance(cell_id, str) and cell_id else "")


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
                f"cell {index} has no valid id, and Jupyter invents a random one on every read, "
                "so no signature could last"
            )
        if cell_id in seen:
            return (
                f"cells {seen[cell_id]} and {index} share the id {cell_id!r}, and Jupyter "
                "replaces a duplicate with a random id on every read, so no signature could last"
            )
        seen[cell_id] = index
    return None


class _Stream:
    """The bytes nbformat's signature hashes, with where the real output keys sit in them."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.outputs_keys: set[int] = set()
        self.output_type_keys: set[int] = set()
        self.cell_starts: list[int] = []
        self.cells_end = 0

    def add(self, value: Any) -> None:
        # Mirrors nbformat.sign.yield_everything: sorted keys, no separators, str() for scalars.
        if isinstance(value, Mapping):
            for key in sorted(value):
                self.data += key.encode("utf8", "surrogatepass")
                self.add(value[key])
        elif isinstance(value, (list, tuple)):
            for element in value:
                self.add(element)
        elif isinstance(value, str):
            self.data += value.encode("utf8", "surrogatepass")
        else:
            self.data += str(value).encode("utf8")

    def add_cell(self, cell: Mapping[str, Any]) -> None:
        self.cell_starts.append(len(self.data))
        is_code = cell.get("cell_type") == "code"  # only code cells' outputs are ever shown
        for key in sorted(cell):
            if key == "outputs" and is_code and isinstance(cell[key], list):
                self.outputs_keys.add(len(self.data))
                self.data += b"outputs"
                for output in cell[key]:
                    self._add_output(output)
            else:
                self.data += key.encode()
                self.add(cell[key])

    def _add_output(self, output: Any) -> None:
        if not isinstance(output, Mapping):
            self.add(output)
            return
        for key in sorted(output):
            if key == "output_type":
                self.output_type_keys.add(len(self.data))
            self.data += key.encode()
            self.add(output[key])


def _signature_stream(nb: Notebook) -> _Stream:
    stream = _Stream()
    for key in sorted(nb):
        stream.data += key.encode()
        if key == "cells" and isinstance(nb[key], list):
            for cell in nb[key]:
                if isinstance(cell, Mapping):
                    stream.add_cell(cell)
                else:
                    stream.add(cell)
            stream.cells_end = len(stream.data)
        else:
            stream.add(nb[key])
    return stream


def _stray_offsets(data: bytearray, pattern: bytes, allowed: set[int]) -> Iterator[int]:
    start = data.find(pattern)
    while start >= 0:
        if start not in allowed:
            yield start
        start = data.find(pattern, start + 1)


def find_collision_risk(nb: Notebook) -> str | None:
    """Where text in ``nb`` spells output structure that another notebook could hash into."""
    try:
        stream = _signature_stream(nb)
    except RecursionError:
        return "the notebook is nested too deeply to check its signature text"
    checks = [(pattern, stream.output_type_keys) for pattern in _CLOSERS]
    checks.append((_OPENER, stream.outputs_keys))
    for pattern, allowed in checks:
        for offset in _stray_offsets(stream.data, pattern, allowed):
            cell = bisect_right(stream.cell_starts, offset) - 1
            inside = cell >= 0 and offset < stream.cells_end
            where = cell_label(nb, cell) if inside else "the notebook"
            return (
                f"{where} holds text spelling {pattern.decode()!r} outside a real output, "
                "which could let a notebook with other outputs share this signature"
            )
    return None


def match_cells(old: Notebook, new: Notebook) -> dict[int, int]:
    """New cell index -> old cell index: by id when both have complete ids, else by alignment."""
    old_ids, new_ids = _complete_ids(old["cells"]), _complete_ids(new["cells"])
    if old_ids is not None and new_ids is not None:
        return {j: old_ids[key] for key, j in new_ids.items() if key in old_ids}
    from nbcollab.align import align_cells

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


def find_untrusted_output(
    result: Notebook, trusted_inputs: Sequence[Notebook]
) -> str | None:
    """The first rich output of ``result`` not found in the same cell of a trusted input, or None."""
    widgets = result.get("metadata", {}).get("widgets")
    # Saved widget state is drawn by the widget views among the outputs: it must be trusted too.
    if widgets is not None and not any(
        nb.get("metadata", {}).get("widgets") == widgets for nb in trusted_inputs
    ):
        return "the widget state (metadata.widgets) is not the one of any trusted input"
    matches = [(nb, match_cells(nb, result)) for nb in trusted_inputs]
    for index, output in iter_rich_outputs(result):
        if not any(
            index in pairs and output in _outputs_of(nb["cells"][pairs[index]])
            for nb, pairs in matches
        ):
            return f"{cell_label(result, index)} has output not found in any trusted input"
    return None


def _outputs_of(cell: Mapping[str, Any]) -> list[Any]:
    outputs = cell.get("outputs") if cell.get("cell_type") == "code" else None
    return outputs if isinstance(outputs, list) else []
