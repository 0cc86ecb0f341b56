"""The page resolves exactly as `nbcollab resolve` does (hypothesis).

Sources are drawn from marker-like lines (the labels the merge writes, ``=======``, notes) and
code, as in the resolve properties: choosing a side for every conflict one by one on the page
must give the same notebook as resolving the whole notebook to that side at once, and each
side shown on the page must be what that choice then leaves in the cell. "Use both, theirs
first" keeps the same text as "Use both".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_resolve_properties import merge_of_two_cells, triples

from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.mergetool.session import Session, clear_resolved
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.notebook.lines import iter_cells

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _merged(first: tuple[str, str, str], second: tuple[str, str, str]) -> dict[str, Any]:
    result = merge_of_two_cells(first, second)
    assume(not result.clean)
    return result.notebook


@SETTINGS
@given(triples(), triples(), st.sampled_from(list(Resolution)))
def test_choosing_each_conflict_equals_resolving_the_notebook(
    first: tuple[str, str, str], second: tuple[str, str, str], choice: Resolution
) -> None:
    nb = _merged(first, second)
    session = Session("nb.ipynb", nb)
    while session.conflicts():
        view = session.conflicts()[0]
        # A button the page does not show for a conflict resolves as its first side does.
        picked = choice if choice in view.choices else Resolution(choice.first_side)
        shown = view.sides.get(picked)
        session.choose(view.number, picked)
        if shown is not None and view.entry.kind.value == "source":
            cell = iter_cells(session.notebook)[view.cell]
            assert cell["source"] == shown  # the column the user chose is what the cell becomes
    expected = resolve_conflicts(nb, choice).notebook
    assert serialize_notebook(clear_resolved(session.notebook)) == serialize_notebook(expected)


@SETTINGS
@given(triples(), triples())
def test_theirs_first_keeps_the_same_lines_as_both_in_the_other_order(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    nb = _merged(first, second)
    results = []
    for choice in (Resolution.UNION_THEIRS_FIRST, Resolution.UNION):
        session = Session("nb.ipynb", nb)
        for view in [v for v in session.conflicts() if v.entry.kind.value == "source"][::-1]:
            session.choose(view.number, choice)
        assert not [v for v in session.conflicts() if v.entry.kind.value == "source"]
        results.append([c["source"] for c in iter_cells(clear_resolved(session.notebook))])
    theirs_first, both = results
    for one, other in zip(theirs_first, both):
        # The same text in another order, line breaks aside: which side comes last decides
        # whether the cell's missing final newline falls on a CR, an LF or nothing.
        assert Counter(one.replace("\r", "").replace("\n", "")) == Counter(
            other.replace("\r", "").replace("\n", "")
        )
