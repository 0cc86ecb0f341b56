"""nbdime's own merge fixtures (shipped in its package), read in place, as extra merge cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_merge_corpus import source_lines

from nbcollab.merge.notebook import merge_notebooks
from nbcollab.notebook.codec import parse_notebook, serialize_notebook


def _fixture_dir() -> Path | None:
    try:
        import nbdime
    except ImportError:
        return None
    folder = Path(nbdime.__file__).parent / "tests" / "files"
    return folder if folder.is_dir() else None


FILES = _fixture_dir()
requires_fixtures = pytest.mark.skipif(
    FILES is None, reason="nbdime's test files are not installed"
)

# (base, local, remote, merges cleanly)
TRIPLETS = [
    # apap: both sides rewrote the first cell (no ids): a conflict, as nbdime says too.
    *(
        (f"{name}--1", f"{name}--2", f"{name}--3", False)
        for name in (
            "apap",
            "inline-conflict",
            "mixed-conflicts",
            "output-conflict",
            "source-conflict",
        )
    ),
    ("cellids--base", "cellids--local", "cellids--remote", False),
    ("multi_cell_nb", "multi_cell_nb--local", "multi_cell_nb--remote", True),
    ("multilevel-test-base", "multilevel-test-local", "multilevel-test-remote", True),
]


def _read(name: str) -> dict[str, Any]:
    assert FILES is not None
    path = FILES / f"{name}.ipynb"
    return parse_notebook(path.read_bytes(), path=str(path))


@requires_fixtures
@pytest.mark.parametrize(
    ("base", "local", "remote", "clean"), TRIPLETS, ids=[t[0].split("--")[0] for t in TRIPLETS]
)
def test_nbdime_fixture_merges(base: str, local: str, remote: str, clean: bool) -> None:
    missing = [n for n in (base, local, remote) if not (FILES / f"{n}.ipynb").is_file()]  # type: ignore[operator]
    if missing:
        pytest.skip(f"{missing[0]}.ipynb is not shipped by this nbdime version")
    versions = [_read(name) for name in (base, local, remote)]
    result = merge_notebooks(*versions)
    text = serialize_notebook(result.notebook)
    nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    assert result.clean == clean, result.summary()
    introduced = (source_lines(versions[1]) | source_lines(versions[2])) - source_lines(versions[0])
    assert not introduced - source_lines(result.notebook)


@requires_fixtures
def test_multilevel_merge_matches_nbdime_expected_result() -> None:
    versions = [_read(f"multilevel-test-{name}") for name in ("base", "local", "remote")]
    expected = _read("multilevel-test-merged")
    result = merge_notebooks(*versions)
    assert [c["source"] for c in result.notebook["cells"]] == [
        c["source"] for c in expected["cells"]
    ]
