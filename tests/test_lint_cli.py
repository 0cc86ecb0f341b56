"""nbcollab lint from the command line: exit codes, formats, file positions, config, baseline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, markdown_cell, run_nbcollab, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.lint.locate import SourceLocator

runner = CliRunner()


def lint(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["lint", *args])
    return result.exit_code, result.stdout, result.stderr


def out_of_order(path: Path) -> Path:
    """Cell 3 uses x (count 1) before cell 4 defines it (count 2)."""
    return write_notebook(
        path,
        make_notebook(
            markdown_cell("# title", cell_id="md"),
            code_cell("import os", count=None, cell_id="imp"),
            code_cell("y = 2\nprint(x)", count=1, cell_id="use"),
            code_cell("x = 1", count=2, cell_id="def"),
        ),
    )


def test_clean_notebook_exits_0(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "ok.ipynb", make_notebook(code_cell("x = 1", count=1)))
    assert lint(str(path)) == (0, "", "")


def test_text_finding_points_at_the_line_in_the_file(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    code, out, _ = lint(str(path))
    assert code == 1
    line = next(line for line in out.splitlines() if " D201 " in line)
    file_line, column = (int(part) for part in line.split(":")[1:3])
    text = path.read_text().splitlines()
    assert text[file_line - 1][column - 1 :].startswith("x)")  # "print(x)" in the JSON
    assert "[cell 3 (id use), line 2, count 1]" in line


def test_json_format_has_every_position(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    code, out, _ = lint(str(path), "--format", "json")
    document = json.loads(out)
    (finding,) = [f for f in document["findings"] if f["code"] == "D201"]
    assert code == 1
    assert (finding["cell"], finding["cell_id"], finding["execution_count"]) == (3, "use", 1)
    assert (finding["line"], finding["column"], finding["symbol"]) == (2, 7, "x")
    assert path.read_text().splitlines()[finding["file_line"] - 1].strip() == '"print(x)"'


def test_github_format_escapes_and_points_at_the_file(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "a,b:c.ipynb")
    _, out, _ = lint(str(path), "--format", "github", "--select", "D201")
    (line,) = out.splitlines()
    assert line.startswith(f"::error file={tmp_path}/a%2Cb%3Ac.ipynb,line=")
    assert ",title=D201 used-before-defined::" in line


def test_github_format_cannot_be_split_or_escaped_by_a_file_name(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "x\n::warning file=y::\x1b[31m.ipynb")
    _, out, _ = lint(str(path), "--format", "github", "--select", "D201")
    (line,) = out.splitlines()
    assert "x%0A%3A%3Awarning file=y%3A%3A\u241b[31m.ipynb" in line and "\x1b" not in line


def test_sarif_format(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    _, out, _ = lint(str(path), "--format", "sarif")
    sarif = json.loads(out)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    result = next(r for r in run["results"] if r["ruleId"] == "D201")
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "D201"
    region = result["locations"][0]["physicalLocation"]["region"]
    text = path.read_text().splitlines()
    assert text[region["startLine"] - 1][region["startColumn"] - 1 :].startswith("x)")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path.as_uri()
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_uri_of_a_relative_path_is_relative_and_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my notebooks").mkdir()
    out_of_order(tmp_path / "my notebooks" / "nb.ipynb")
    _, out, _ = lint("my notebooks", "--format", "sarif")
    location = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "my%20notebooks/nb.ipynb"


def test_bad_files_exit_2_named_and_the_others_are_still_linted(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "v2.ipynb").write_text('{"nbformat": 2, "nbformat_minor": 0, "worksheets": []}')
    out_of_order(tmp_path / "z.ipynb")
    code, out, err = lint(str(tmp_path), str(tmp_path / "missing.ipynb"))
    assert code == 2
    assert f"{tmp_path}/broken.ipynb:1:2: not valid JSON" in err
    assert f"{tmp_path}/v2.ipynb: nbformat 2 is not supported" in err
    assert f"{tmp_path}/missing.ipynb: cannot read" in err
    assert "z.ipynb" in out and "D201" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.ipynb")
    code, _, err = lint(str(tmp_path / "pipe.ipynb"))
    assert code == 2 and "not a regular file" in err


def test_folders_skip_checkpoints_and_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / ".ipynb_checkpoints").mkdir()
    out_of_order(tmp_path / ".ipynb_checkpoints" / "nb-checkpoint.ipynb")
    (tmp_path / "loop").symlink_to(tmp_path)
    assert lint(str(tmp_path)) == (0, "", f"nbcollab: no notebook (*.ipynb) in {tmp_path}\n")


def test_terminal_escapes_in_a_notebook_are_shown_not_sent(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(code_cell("print(x)", count=1, cell_id="a"), code_cell("x = 1", count=2)),
    )
    evil = tmp_path / "\x1b[2Jevil.ipynb"
    path.rename(evil)
    _, out, _ = lint(str(evil))
    assert "\x1b" not in out and "\u241b[2Jevil" in out


def test_select_ignore_and_unknown_codes(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    assert lint(str(path), "--select", "C")[0] == 0
    assert lint(str(path), "--ignore", "D201,C105")[0] == 0
    code, _, err = lint(str(path), "--select", "NOPE")
    assert code == 2 and "unknown finding code 'NOPE'" in err


def test_config_table(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    (tmp_path / "pyproject.toml").write_text('[tool.nbcollab.lint]\nignore = ["D201", "C105"]\n')
    assert lint(str(path))[0] == 0
    (tmp_path / "pyproject.toml").write_text('[tool.nbcollab.lint]\nignor = ["D201"]\n')
    code, _, err = lint(str(path))
    assert code == 2 and "[tool.nbcollab.lint] ignor: unknown key (did you mean ignore?)" in err


def skipped_counts(path: Path) -> Path:
    """Counts 1, 2, 5 (C103, a note) and count 2 out of order (C101, a warning) when asked."""
    return write_notebook(
        path,
        make_notebook(
            code_cell("a = 1", count=1, cell_id="a"),
            code_cell("b = 2", count=2, cell_id="b"),
            code_cell("c = 3", count=5, cell_id="c"),
        ),
    )


def test_notes_are_shown_but_do_not_fail(tmp_path: Path) -> None:
    path = skipped_counts(tmp_path / "nb.ipynb")
    code, out, _ = lint(str(path))
    assert code == 0
    assert " C103 note: execution count 5 follows 2" in out
    assert out.endswith("1 finding(s) in 1 notebook(s): 1 note\n")


@pytest.mark.parametrize(
    ("args", "config", "expected"),
    [
        ((), "", 0),
        (("--fail-on", "note"), "", 1),
        ((), 'fail-on = "note"', 1),
        (("--fail-on", "warning"), 'fail-on = "note"', 0),  # the command line wins
        (("--select", "C103"), "", 0),  # selected, still a note
        (("--select", "C103", "--fail-on", "note"), "", 1),
    ],
)
def test_fail_on_names_the_lowest_severity_that_fails(
    tmp_path: Path, args: tuple[str, ...], config: str, expected: int
) -> None:
    path = skipped_counts(tmp_path / "nb.ipynb")
    (tmp_path / "pyproject.toml").write_text(f"[tool.nbcollab.lint]\n{config}\n")
    assert lint(str(path), *args)[0] == expected


def ran_backwards(path: Path) -> Path:
    """Counts 2, 1: C101, a warning."""
    cells = (code_cell("a = 1", count=2, cell_id="a"), code_cell("b = 2", count=1, cell_id="b"))
    return write_notebook(path, make_notebook(*cells))


def test_warnings_and_errors_fail_unless_fail_on_is_higher(tmp_path: Path) -> None:
    warning = ran_backwards(tmp_path / "w.ipynb")
    assert lint(str(warning))[0] == 1
    assert lint(str(warning), "--fail-on", "error")[0] == 0
    error = out_of_order(tmp_path / "e.ipynb")  # D201
    assert lint(str(error), "--fail-on", "error")[0] == 1
    path = error
    code, _, err = lint(str(path), "--fail-on", "fatal")
    assert code == 2 and "fatal" in err


def test_formats_carry_the_severity(tmp_path: Path) -> None:
    out_of_order(tmp_path / "a.ipynb")  # D201, an error
    skipped_counts(tmp_path / "b.ipynb")  # C103, a note
    ran_backwards(tmp_path / "c.ipynb")  # C101, a warning
    _, github, _ = lint(str(tmp_path), "--format", "github")
    commands = sorted(line.split(" ", 1)[0] for line in github.splitlines())
    assert commands == ["::error", "::notice", "::warning"]
    assert "title=C103 skipped-count::" in next(
        line for line in github.splitlines() if line.startswith("::notice")
    )
    _, sarif, _ = lint(str(tmp_path), "--format", "sarif")
    run = json.loads(sarif)["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"D201": "error", "C101": "warning", "C103": "note"}
    rules = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert rules["C104"] == "note" and rules["X401"] == "error"
    _, document, _ = lint(str(tmp_path), "--format", "json")
    severities = {f["code"]: f["severity"] for f in json.loads(document)["findings"]}
    assert severities == {"D201": "error", "C101": "warning", "C103": "note"}


def test_list_codes() -> None:
    code, out, _ = lint("--list-codes")
    assert code == 0 and "D201  error    used-before-defined" in out and "(off by default)" in out


def test_baseline_records_then_reports_only_new_findings(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    baseline = tmp_path / "lint-baseline.json"
    code, out, err = lint(str(path), "--baseline", str(baseline))
    assert code == 0 and "recorded 1 finding(s)" in err and baseline.is_file()
    assert lint(str(path), "--baseline", str(baseline)) == (0, "", "")
    # Re-running cells changes counts and lines; the recorded findings stay recorded.
    nb = make_notebook(
        markdown_cell("# new"),
        markdown_cell("# title", cell_id="md"),
        code_cell("import os", cell_id="imp"),
        code_cell("y = 2\nprint(x)\nprint(z)", count=7, cell_id="use"),
        code_cell("x = 1\nz = 3", count=8, cell_id="def"),
    )
    write_notebook(path, nb)
    code, out, _ = lint(str(path), "--baseline", str(baseline))
    assert code == 1 and "'z'" in out and "'x'" not in out
    assert lint(str(path), "--baseline", str(baseline), "--update-baseline")[0] == 0
    assert lint(str(path), "--baseline", str(baseline)) == (0, "", "")


def test_bad_baseline_is_an_error(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    (tmp_path / "b.json").write_text("[]")
    code, _, err = lint(str(path), "--baseline", str(tmp_path / "b.json"))
    assert code == 2 and "not a valid baseline" in err


def test_notes_for_other_kernels_go_to_stderr(tmp_path: Path) -> None:
    nb = make_notebook(
        code_cell("x <- 1", count=1),
        metadata={"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}},
    )
    path = write_notebook(tmp_path / "r.ipynb", nb)
    code, out, err = lint(str(path))
    assert (code, out) == (0, "") and "only execution counts were checked" in err


@pytest.mark.slow
def test_subprocess_does_not_import_nbformat(tmp_path: Path) -> None:
    path = out_of_order(tmp_path / "nb.ipynb")
    done = run_nbcollab("lint", str(path), "--format", "json")
    assert done.returncode == 1 and json.loads(done.stdout)["findings"]
    script = (
        "import sys; from nbcollab.cli.app import app\n"
        f"try: app(['lint', {str(path)!r}])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('nbformat', 'nbclient', 'jsonschema', 'nbdime')))"
    )
    import subprocess
    import sys

    probe = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert probe.stdout.strip().endswith("[]"), probe.stdout + probe.stderr


LOCATE_CASES = [
    ("list of lines", ["a = 1\n", "b = 2\n", "c = 3"], 2, '"b = 2\\n"'),
    ("one string", "a = 1\nb = 2", 2, '"a = 1\\nb = 2"'),
    ("element holding two lines", ["a = 1\nb = 2\n", "c = 3"], 3, '"c = 3"'),
    ("after a trailing newline", ["a = 1\n", "b = 2\n"], 2, '"b = 2\\n"'),
]


@pytest.mark.parametrize(
    "source,line,expected", [c[1:] for c in LOCATE_CASES], ids=[c[0] for c in LOCATE_CASES]
)
def test_locate_source_lines(source: object, line: int, expected: str) -> None:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"x": [1, {"source": ["no"]}]},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# t"]},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"text": ["o"]}],
                "source": source,
                "execution_count": None,
            },
        ],
    }
    for indent in (None, 1, 4):
        text = json.dumps(nb, indent=indent)
        file_line = SourceLocator(text).file_line(2, line)
        assert expected in text.splitlines()[file_line - 1]


def test_locate_a_v3_notebook_and_escaped_text() -> None:
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": ["s = '\u00e9\\t\U0001f600\"'; v = x\n"],
                        "outputs": [],
                    }
                ]
            }
        ],
    }
    text = json.dumps(nb, indent=1)  # é as \u00e9, the emoji as a surrogate pair
    file_line, column = SourceLocator(text).position(1, 1, 14)
    assert text.splitlines()[file_line - 1][column - 1 :].startswith("v = x")
