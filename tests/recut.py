"""Find the active outputs of every notebook cut from a signature's bytes (a test helper).

A signature covers bytes, not a notebook. Reading those bytes back as a notebook means choosing
where each string ends; the keys around them must then appear literally, in sorted order. Here
nbformat 4.0-4.4's notebook schema is written as a sequence of literal keys and free runs (a
string, or a metadata dict, which can hold any bytes as one key), and every way to cut the bytes
that way is explored at once as sets of positions. That over-approximates the notebooks that
really exist (sort order between free keys and UTF-8 boundaries are ignored), which is the safe
side for a test that looks for attacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

# A position in the bytes, and whether a free run is still open there (the next literal may
# then start anywhere at or after it).
State = tuple[int, bool]
Step = bytes | Callable[[frozenset[State]], frozenset[State]]

ACTIVE_MIMES = (
    b"application/javascript",
    b"application/vnd.jupyter.widget-view+json",
    b"image/svg+xml",
    b"text/html",
    b"text/markdown",
)


class Cuts:
    """The schema as literal keys and free runs, evaluated over one byte string."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._rest_done = lru_cache(maxsize=None)(self._rest_done_uncached)

    def lit(self, states: frozenset[State], literal: bytes) -> frozenset[State]:
        out = {
            (at + len(literal), False)
            for at, free in states
            if not free and self.data.startswith(literal, at)
        }
        opened = [at for at, free in states if free]
        if opened:  # any occurrence after the earliest open run will do
            out.update(
                (at + len(literal), False) for at in _find_all(self.data, literal, min(opened))
            )
        return frozenset(out)

    def free(self, states: frozenset[State]) -> frozenset[State]:
        return frozenset({(min(at for at, _ in states), True)}) if states else states

    def number(self, states: frozenset[State]) -> frozenset[State]:
        """An execution count after its key: None, or an integer as str() writes it."""
        closed = frozenset(state for state in states if not state[1])
        out = set(self.lit(closed, b"None"))
        for at, _ in closed:
            out.update(self._digit_runs(at, leading_zero=False))
        return frozenset(out)

    def digits(self, states: frozenset[State]) -> frozenset[State]:
        return frozenset(
            end
            for at, free in states
            if not free
            for end in self._digit_runs(at, leading_zero=True)
        )

    def _digit_runs(self, at: int, *, leading_zero: bool) -> Iterator[State]:
        end = at
        while end < len(self.data) and self.data[end : end + 1].isdigit():
            end += 1
            yield end, False
            if not leading_zero and self.data[at : at + 1] == b"0":
                break

    def seq(self, states: frozenset[State], *steps: Step) -> frozenset[State]:
        for step in steps:
            if not states:
                break
            states = self.lit(states, step) if isinstance(step, bytes) else step(states)
        return states

    def star(self, states: frozenset[State], step: Callable[..., frozenset[State]]) -> frozenset:
        seen, frontier = set(states), states
        while frontier:
            frontier = frozenset(step(frontier) - seen)
            seen |= frontier
        return frozenset(seen)

    def output(self, states: frozenset[State]) -> frozenset[State]:
        seq, free, number = self.seq, self.free, self.number
        return (
            seq(
                states,
                b"name",
                lambda s: self.lit(s, b"stdout") | self.lit(s, b"stderr"),
                b"output_typestreamtext",
                free,
            )
            | seq(states, b"data", free, b"metadata", free, b"output_typedisplay_data")
            | seq(
                states,
                b"data",
                free,
                b"execution_count",
                number,
                b"metadata",
                free,
                b"output_typeexecute_result",
            )
            | seq(states, b"ename", free, b"evalue", free, b"output_typeerrortraceback", free)
        )

    def outputs(self, states: frozenset[State]) -> frozenset[State]:
        return self.star(states, self.output)

    def cell(self, states: frozenset[State]) -> frozenset[State]:
        seq, free = self.seq, self.free
        code = seq(
            states,
            b"cell_typecodeexecution_count",
            self.number,
            b"metadata",
            free,
            b"outputs",
            self.outputs,
            b"source",
            free,
        )
        other = seq(
            states,
            b"cell_type",
            lambda s: self.lit(s, b"markdown") | self.lit(s, b"raw"),
            b"metadata",
            free,
            b"source",
            free,
        )
        return code | other

    def code_cell_up_to_data(self) -> frozenset[State]:
        """Where the data bundle of some output of some code cell may start."""
        return self.seq(
            frozenset({(0, False)}),
            b"cells",
            lambda s: self.star(s, self.cell),
            b"cell_typecodeexecution_count",
            self.number,
            b"metadata",
            self.free,
            b"outputs",
            self.outputs,
            b"data",
        )

    def _rest_done_uncached(self, state: State) -> bool:
        """Whether the bytes from ``state`` can close an output, its cell and the notebook."""
        end = self.seq(
            frozenset({state}),
            self.outputs,
            b"source",
            self.free,
            lambda s: self.star(s, self.cell),
            b"metadata",
            self.free,
            b"nbformat4nbformat_minor",
            self.digits,
        )
        return (len(self.data), False) in end

    def active_values(self) -> Iterator[tuple[bytes, bytes]]:
        """(mime type, value) of every active output some cut of the bytes holds."""
        bundles = self.code_cell_up_to_data()
        if not bundles:
            return
        first = min(at for at, _ in bundles)  # other keys of the bundle may come before it
        for mime in ACTIVE_MIMES:
            for key in _find_all(self.data, mime, first):
                start = key + len(mime)
                for end in _ends(self.data, start):
                    if self._closes(end):
                        yield mime, self.data[start:end]

    def _closes(self, end: int) -> bool:
        tail = frozenset({(end, False)})
        closed = self.seq(tail, b"metadata", self.free, b"output_typedisplay_data") | self.seq(
            tail,
            b"execution_count",
            self.number,
            b"metadata",
            self.free,
            b"output_typeexecute_result",
        )
        return any(self._rest_done(state) for state in closed)


def _find_all(data: bytes, pattern: bytes, start: int = 0) -> Iterator[int]:
    at = data.find(pattern, start)
    while at >= 0:
        yield at
        at = data.find(pattern, at + 1)


def _ends(data: bytes, start: int) -> Iterable[int]:
    """Where an active value starting at ``start`` may end: before the output's next key."""
    return sorted(
        set(_find_all(data, b"metadata", start)) | set(_find_all(data, b"execution_count", start))
    )
