"""nbcollab lint over the real-world corpus: no crash, bad files named, every finding placed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CORPUS_NOTEBOOKS, corpus_notebooks, requires_corpus, run_nbcollab

from nbcollab.lint.files import lint_files
from nbcollab.lint.options import LintOptions
from nbcollab.notebook.codec import parse_notebook
from nbcollab.notebook.lines import cell_source, iter_cells

pytestmark = [pytest.mark.corpus, requires_corpus]


def test_every_corpus_file_is_linted_or_named_as_an_error() -> None:
    paths = corpus_notebooks()
    results = list(lint_files(paths, lambda _: LintOptions(select=("ALL",))))
    assert len(results) == len(paths)
    errors = [r for r in results if r.error]
    assert all(r.error.startswith(r.path) for r in errors)
    assert len(errors) < len(paths) // 10
    placed = 0
    for result in results:
        text = Path(result.path).read_text(encoding="utf-8-sig").split("\n")
        cells = (
            iter_cells(parse_notebook(Path(result.path).read_bytes())) if not result.error else []
        )
        for finding in result.findings:
            assert finding.file_line > 0 and finding.file_column > 0, (result.path, finding)
            source = cell_source(cells[finding.cell - 1]).split("\n")[finding.line - 1]
            wanted = source[finding.column - 1 : finding.column + 4]
            at = text[finding.file_line - 1][finding.file_column - 1 :]
            escaped = {json.dumps(wanted)[1:-1], json.dumps(wanted, ensure_ascii=False)[1:-1]}
            assert any(at.startswith(e) for e in escaped), (result.path, finding, at[:20])
            placed += 1
    assert placed > 100


@pytest.mark.slow
def test_the_command_exits_2_naming_each_bad_file_and_reports_the_rest() -> None:
    done = run_nbcollab("lint", "--format", "json", str(CORPUS_NOTEBOOKS))
    assert done.returncode == 2
    document = json.loads(done.stdout)
    named = {error["path"] for error in document["errors"]}
    stderr = done.stderr.decode()
    assert named and all(f"nbcollab: error: {path}" in stderr for path in named)
    assert len({f["path"] for f in document["findings"]}) > 20
    assert "Traceback" not in stderr
