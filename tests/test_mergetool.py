"""The mergetool's state model: conflicts from the record, choices, edits, undo, save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output, write_notebook

from nbcollab.errors import NbcollabError
from nbcollab.files import read_notebook_file
from nbcollab.merge.conflicts import find_conflicts, read_record
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.record import ConflictKind
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.merge.values import MergeLabels
from nbcollab.mergetool.session import ChoiceRefused, FileDeletion, Session, describe_left
from nbcollab.mergetool.store import save_session
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.notebook.lines import iter_cells
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="main", theirs="feature")


def _version(first: str, second: str, out: str, tags: list[str] | None = None) -> dict[str, Any]:
    meta = {"color": tags} if tags is not None else {}
    return make_notebook(
        markdown_cell("# Title\n=======\n", cell_id="title"),
        code_cell(first, cell_id="one", outputs=[stream_output(out)], **meta),
        code_cell("keep = True", cell_id="mid"),
        code_cell(second, cell_id="two"),
    )


def _merged(**options: Any) -> dict[str, Any]:
    """Source conflicts in cells one and two; outputs and tags of cell one conflict too."""
    base = _version("a = 0\nb = 0", "c = 0", "0\n", ["x"])
    ours = _version("a = 1\nb = 0", "c = 1", "1\n", ["y"])
    theirs = _version("a = 2\nb = 0", "c = 2", "2\n", ["z"])
    return merge_notebooks(
        base, ours, theirs, labels=LABELS, options=MergeOptions(**options)
    ).notebook


def _session(tmp_path: Path, nb: dict[str, Any]) -> Session:
    path = write_notebook(tmp_path / "nb.ipynb", nb)
    data, parsed = read_notebook_file(path)
    return Session(str(path), parsed, data)


def _texts(nb: dict[str, Any]) -> list[str]:
    return [c["source"] for c in iter_cells(nb)]


def test_views_list_each_recorded_conflict_with_its_sides(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged(outputs=OutputStrategy.CONFLICT))
    views = session.conflicts()
    kinds = [v.entry.kind for v in views]
    assert sorted(kinds) == sorted(
        [ConflictKind.SOURCE, ConflictKind.SOURCE, ConflictKind.METADATA, ConflictKind.OUTPUTS]
    )
    source = next(v for v in views if v.entry.kind is ConflictKind.SOURCE and v.cell == 1)
    # Each side is the whole cell as that choice leaves it (the metadata note line included).
    assert {side: text.splitlines()[1:] for side, text in source.sides.items()} == {
        Resolution.BASE: ["a = 0", "b = 0"],
        Resolution.OURS: ["a = 1", "b = 0"],
        Resolution.THEIRS: ["a = 2", "b = 0"],
    }
    outputs = next(v for v in views if v.entry.kind is ConflictKind.OUTPUTS)
    assert [o["text"] for o in outputs.sides[Resolution.THEIRS]] == ["2\n"]
    assert source.choices == outputs.choices == tuple(Resolution)
    assert describe_left([session]) == "4 of 4 conflicts left"


@pytest.mark.parametrize(
    "choice", [Resolution.OURS, Resolution.THEIRS, Resolution.BASE, Resolution.UNION]
)
def test_each_choice_equals_what_resolve_does_for_that_entry(
    tmp_path: Path, choice: Resolution
) -> None:
    nb = _merged(outputs=OutputStrategy.CONFLICT)
    session = _session(tmp_path, nb)
    by_page = Resolution.UNION if choice is Resolution.UNION else Resolution(choice.value)
    for view in session.conflicts():
        if view.cell == 1:  # resolve's --cell does all of one cell: the page does it entry by entry
            # Metadata has no union: resolve's --union keeps ours there.
            session.choose(
                _number(session, view), by_page if by_page in view.choices else Resolution.OURS
            )
    expected = resolve_conflicts(nb, choice, cell=1).notebook
    assert serialize_notebook(session.notebook) == serialize_notebook(expected)


def _number(session: Session, view: Any) -> int:
    """The record number of ``view``'s conflict now (earlier choices shrink the record)."""
    return next(
        v.number
        for v in session.conflicts()
        if v.cell == view.cell and v.entry.kind is view.entry.kind
    )


def test_one_entry_is_resolved_and_the_other_conflicts_of_its_cell_stay(tmp_path: Path) -> None:
    nb = _merged(outputs=OutputStrategy.CONFLICT)
    number = next(n for n, e in enumerate(read_record(nb)) if e.kind is ConflictKind.OUTPUTS)
    outcome = resolve_conflicts(nb, Resolution.THEIRS, entry=number)
    assert outcome.resolved == 1
    kinds = sorted(e.kind.value for e in read_record(outcome.notebook))
    assert kinds == ["metadata", "source", "source"]
    assert iter_cells(outcome.notebook)[1]["outputs"] == [stream_output("2\n")]


def test_both_theirs_first_keeps_the_rest_of_the_cell(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    view = next(
        v for v in session.conflicts() if v.cell == 1 and v.entry.kind is ConflictKind.SOURCE
    )
    session.choose(view.number, Resolution.UNION_THEIRS_FIRST)
    assert _texts(session.notebook)[1].endswith("a = 2\na = 1\nb = 0")
    two = next(v for v in session.conflicts() if v.entry.kind is ConflictKind.SOURCE)
    session.choose(two.number, Resolution.UNION)
    assert _texts(session.notebook)[3] == "c = 1\nc = 2"


def test_edit_resolves_by_hand_and_save_clears_only_that_record(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    before = session.left()
    session.edit(3, "c = 12")
    assert session.left() == before - 1
    report = save_session(session, sign=False)
    assert report.left == before - 1
    _, saved = read_notebook_file(session.path)
    assert _texts(saved)[3] == "c = 12"
    assert len(read_record(saved)) == before - 1  # unresolved stay recorded: a session resumes
    assert all(f.kind != "stale-record" for f in find_conflicts(saved))


def test_undo_goes_back_step_by_step(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    start = serialize_notebook(session.notebook)
    first = session.conflicts()[0]
    session.choose(first.number, Resolution.OURS)
    session.edit(0, "changed")
    assert session.undo() and session.undo()
    assert serialize_notebook(session.notebook) == start
    assert not session.undo()


def test_a_resolved_conflict_cannot_be_chosen_again(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    number = session.conflicts()[-1].number
    session.choose(number, Resolution.OURS)
    with pytest.raises(ChoiceRefused):
        session.choose(len(read_record(session.notebook)) + 5, Resolution.OURS)
    with pytest.raises(ChoiceRefused):
        session.edit(99, "x")


def test_base_after_a_hand_edit_is_refused_not_guessed(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    view = next(v for v in session.conflicts() if v.cell == 3)
    text = iter_cells(session.notebook)[3]["source"]
    session.edit(3, "# note\n" + text.replace("c = 1\n", "c = 1  # edited\n", 1))
    still = [v for v in session.conflicts() if v.cell == 3]
    assert not still  # the hunk no longer matches its record: resolved by hand
    assert view.number >= 0


def test_save_all_resolved_exits_clean_and_writes_once(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged(outputs=OutputStrategy.CONFLICT))
    while session.conflicts():
        session.choose(session.conflicts()[0].number, Resolution.THEIRS)
    report = save_session(session, sign=False)
    assert report.left == 0
    _, saved = read_notebook_file(session.path)
    assert "nbcollab" not in saved["metadata"]
    assert _texts(saved)[1] == "a = 2\nb = 0" and saved["cells"][1]["metadata"]["color"] == ["z"]
    mtime = Path(session.path).stat().st_mtime_ns
    assert save_session(session, sign=False).lines[-1].endswith("0 conflicts left")
    assert Path(session.path).stat().st_mtime_ns == mtime  # same bytes: not rewritten


def test_save_refuses_a_file_changed_on_disk_meanwhile(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    Path(session.path).write_text("{}", encoding="utf-8")
    session.choose(session.conflicts()[0].number, Resolution.OURS)
    with pytest.raises(NbcollabError, match="changed on disk"):
        save_session(session, sign=False)
    assert Path(session.path).read_text() == "{}"


def test_nothing_is_written_without_save(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    before = Path(session.path).read_bytes()
    session.choose(session.conflicts()[0].number, Resolution.THEIRS)
    session.edit(0, "x")
    assert Path(session.path).read_bytes() == before


def test_file_deletion_is_one_more_conflict(tmp_path: Path) -> None:
    nb = make_notebook(code_cell("x = 1", cell_id="a"))
    path = write_notebook(tmp_path / "nb.ipynb", nb)
    data, parsed = read_notebook_file(path)
    session = Session(str(path), parsed, data, deletion=FileDeletion("theirs"))
    assert session.left() == 1
    session.decide_file(keep=False)
    assert session.left() == 0
    session.undo()
    assert session.deletion is not None and session.deletion.keep is None
    session.decide_file(keep=False)
    assert save_session(session, sign=False).left == 0
    assert not path.exists()


def test_markdown_underline_is_content_not_a_conflict(tmp_path: Path) -> None:
    session = _session(tmp_path, _merged())
    assert all(v.cell != 0 for v in session.conflicts())
    while session.conflicts():
        session.choose(session.conflicts()[0].number, Resolution.BASE)
    assert _texts(session.notebook)[0] == "# Title\n=======\n"


def test_page_keeps_resolved_cells_in_view_and_escapes_everything(tmp_path: Path) -> None:
    from nbcollab.mergetool.page import render_notebooks, render_page

    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    nb = _merged()
    cells = iter_cells(nb)
    cells[2]["source"] += hostile  # a cell without conflicts: shown folded, escaped
    session = _session(tmp_path, nb)
    session.path = hostile + ".ipynb"
    page = render_page([session], style_nonce="n0nce")
    assert page.count("<script") == 1  # the tool's own module, nothing from the notebook
    assert "onerror=" not in page.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "'nonce-n0nce'" in page and "frame-ancestors" not in page
    while session.conflicts():
        session.choose(session.conflicts()[0].number, Resolution.THEIRS)
    html = render_notebooks([session])
    assert html.count("resolved</h2>") == 2 and 'data-action="choose"' not in html
