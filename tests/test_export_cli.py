"""``nbcollab export`` on files: where modules go, --check, config, refusing to clobber."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, run_nbcollab, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["export", *args])
    return result.exit_code, result.stdout, result.stderr


def notebook(path: Path, *sources: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [code_cell(source, cell_id=f"c{i}") for i, source in enumerate(sources)]
    return write_notebook(path, make_notebook(*cells))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    notebook(tmp_path / "nbs" / "core.ipynb", "#| export\ndef f():\n    return 1", "f()")
    return tmp_path


def test_writes_beside_the_notebook_and_lists_what_it_wrote(project: Path) -> None:
    code, out, _ = invoke("nbs/core.ipynb")
    assert code == 0 and out == "nbs/core.py\n"
    assert "def f():" in (project / "nbs" / "core.py").read_text()


def test_second_run_writes_nothing(project: Path) -> None:
    invoke("nbs/core.ipynb")
    module = project / "nbs" / "core.py"
    os.utime(module, (1, 1))
    code, out, _ = invoke("nbs/core.ipynb")
    assert code == 0 and out == "" and module.stat().st_mtime == 1


def test_check_passes_when_fresh_and_fails_with_a_diff_when_stale(project: Path) -> None:
    invoke("nbs/core.ipynb")
    assert invoke("--check", "nbs/core.ipynb")[0] == 0
    notebook(project / "nbs" / "core.ipynb", "#| export\ndef f():\n    return 2", "f()")
    code, out, _ = invoke("--check", "nbs/core.ipynb")
    assert code == 1
    assert "nbs/core.py: stale" in out and "-    return 1" in out and "+    return 2" in out
    assert "return 1" in (project / "nbs" / "core.py").read_text()  # --check wrote nothing


def test_check_reports_a_missing_module(project: Path) -> None:
    code, out, _ = invoke("--check", "nbs/core.ipynb")
    assert code == 1 and "missing" in out
    assert not (project / "nbs" / "core.py").exists()


def test_check_diff_is_short(project: Path) -> None:
    notebook(project / "big.ipynb", "#| export\n" + "\n".join(f"V{i} = {i}" for i in range(200)))
    invoke("big.ipynb")
    notebook(project / "big.ipynb", "#| export\n" + "\n".join(f"W{i} = {i}" for i in range(200)))
    code, out, _ = invoke("--check", "big.ipynb")
    assert code == 1 and len(out.splitlines()) <= 23 and "more diff lines" in out


def test_output_and_outdir(project: Path) -> None:
    assert invoke("nbs/core.ipynb", "-o", "lib/x.py")[0] == 0
    assert (project / "lib" / "x.py").is_file()
    assert invoke("nbs/core.ipynb", "--outdir", "pkg")[0] == 0
    assert (project / "pkg" / "core.py").is_file()


def test_default_exp_places_the_module_as_a_dotted_name(project: Path) -> None:
    notebook(
        project / "nbs" / "01_loaders.ipynb", "#| default_exp data.loaders", "#| export\nA = 1"
    )
    code, out, _ = invoke("nbs/01_loaders.ipynb", "--outdir", "src/pkg")
    assert code == 0 and out == "src/pkg/data/loaders.py\n"


def test_default_exp_cannot_climb_out_of_the_folder(project: Path) -> None:
    notebook(project / "nbs" / "evil.ipynb", "#| default_exp ../../etc", "#| export\nA = 1")
    code, _, err = invoke("nbs/evil.ipynb")
    assert code == 2 and "not a dotted module name" in err


def test_a_file_not_written_by_export_is_never_overwritten(project: Path) -> None:
    (project / "nbs" / "core.py").write_text("precious = True\n")
    code, _, err = invoke("nbs/core.ipynb")
    assert code == 2 and "not written by nbcollab export" in err
    assert (project / "nbs" / "core.py").read_text() == "precious = True\n"


def test_writing_over_the_notebook_itself_is_refused(project: Path) -> None:
    code, _, err = invoke("nbs/core.ipynb", "-o", "nbs/core.ipynb")
    assert code == 2 and "the notebook itself" in err


def test_a_fifo_is_not_read_or_replaced(project: Path) -> None:
    os.mkfifo(project / "nbs" / "core.py")
    code, _, err = invoke("nbs/core.ipynb")
    assert code == 2 and "not a regular file" in err


def test_broken_code_writes_no_module_and_names_the_cell(project: Path) -> None:
    notebook(project / "bad.ipynb", "#| export\nA = 1", "#| export\ndef f(:\n    pass")
    code, _, err = invoke("bad.ipynb")
    assert code == 2 and "bad.ipynb: cell 2 (id c1), line 2: " in err
    assert not (project / "bad.py").exists()


def test_other_notebooks_are_still_exported_after_an_error(project: Path) -> None:
    notebook(project / "bad.ipynb", "#| export\nx = !ls")
    code, out, err = invoke("bad.ipynb", "nbs/core.ipynb")
    assert code == 2 and out == "nbs/core.py\n" and "bad.ipynb: cell 1 (id c0), line 2" in err


def test_warnings_go_to_stderr(project: Path) -> None:
    notebook(project / "m.ipynb", "%%bash\necho hi", "X = 1")
    code, out, err = invoke("--all", "m.ipynb")
    assert code == 0 and out == "m.py\n" and "warning: m.ipynb: cell 1 (id c0): skipped" in err


def test_folder_argument_exports_every_notebook_in_it(project: Path) -> None:
    notebook(project / "nbs" / "sub" / "b.ipynb", "#| export\nB = 1")
    notebook(project / "nbs" / ".ipynb_checkpoints" / "core-checkpoint.ipynb", "#| export\nC = 1")
    code, out, _ = invoke("nbs")
    assert code == 0 and sorted(out.split()) == ["nbs/core.py", "nbs/sub/b.py"]


CONFIG = """
[tool.nbcollab.export]
select = "all"
defs-only = true
outdir = "build"
modules = { "nbs/core.ipynb" = "src/pkg/core.py", "nbs/extra/*.ipynb" = "src/pkg/extra/{name}.py" }
"""


def test_config_maps_notebooks_and_sets_the_selection(project: Path) -> None:
    (project / "pyproject.toml").write_text(CONFIG)
    notebook(project / "nbs" / "extra" / "more.ipynb", "def g(): pass\ng()")
    notebook(project / "nbs" / "other.ipynb", "Z = 1")
    code, out, _ = invoke()  # no arguments: the mapped notebooks
    assert code == 0 and out.split() == [str(Path("src/pkg/core.py")), "src/pkg/extra/more.py"]
    core = (project / "src" / "pkg" / "core.py").read_text()
    assert "def f():" in core and "\nf()" not in core  # defs-only dropped the call
    assert "definitions only" in core.splitlines()[0]
    assert invoke("nbs/other.ipynb")[1] == "build/other.py\n"  # unmapped: the outdir
    assert invoke("--check")[0] == 0


def test_header_names_the_notebook_relative_to_the_project(project: Path) -> None:
    (project / "pyproject.toml").write_text(CONFIG)
    invoke()
    first = (project / "src" / "pkg" / "core.py").read_text().splitlines()[0]
    assert first.startswith("# Generated by nbcollab export from nbs/core.ipynb ")


def test_unknown_config_key_is_an_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.nbcollab.export]\nselekt = 'all'\n")
    code, _, err = invoke("nbs/core.ipynb")
    assert code == 2 and "[tool.nbcollab.export] selekt: unknown key (did you mean select?)" in err


def test_bad_selection_value_is_an_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.nbcollab.export]\nselect = 'some'\n")
    assert invoke("nbs/core.ipynb")[0] == 2


def test_no_notebooks_and_no_mapping_is_a_usage_error(project: Path) -> None:
    assert invoke()[0] == 2


def test_output_with_several_notebooks_is_a_usage_error(project: Path) -> None:
    notebook(project / "b.ipynb", "#| export\nB = 1")
    assert invoke("nbs/core.ipynb", "b.ipynb", "-o", "x.py")[0] == 2


def test_invalid_notebook_is_exit_2(project: Path) -> None:
    (project / "broken.ipynb").write_text("{not json")
    code, _, err = invoke("broken.ipynb")
    assert code == 2 and "broken.ipynb:1:2: not valid JSON" in err


@pytest.mark.slow
def test_as_a_subprocess(project: Path) -> None:
    done = run_nbcollab("export", "nbs/core.ipynb", cwd=project)
    assert done.returncode == 0 and done.stdout == b"nbs/core.py\n"
    assert run_nbcollab("export", "--check", "nbs/core.ipynb", cwd=project).returncode == 0


def test_two_notebooks_never_write_the_same_module(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.nbcollab.export]\nmodules = { "nbs/*.ipynb" = "src/one.py" }\n'
    )
    notebook(project / "nbs" / "other.ipynb", "#| export\nB = 1")
    code, out, err = invoke()
    assert code == 2 and out == "src/one.py\n"
    assert "nbs/other.ipynb: its module src/one.py is also the module of" in err
    assert "def f" in (project / "src" / "one.py").read_text()


def test_selection_flags_override_the_defaults(project: Path) -> None:
    notebook(project / "m.ipynb", "files = !ls", "def g():\n    return 1\ng()")
    assert invoke("--all", "m.ipynb")[0] == 2  # the assigned shell output
    code, out, err = invoke("--all", "--lenient", "--defs-only", "m.ipynb")
    assert code == 0 and out == "m.py\n" and "skipped" in err
    text = (project / "m.py").read_text()
    assert "def g():" in text and "\ng()" not in text


def test_a_file_in_the_way_of_the_module_folder_is_a_one_line_error(project: Path) -> None:
    (project / "lib").write_text("not a folder")
    code, _, err = invoke("nbs/core.ipynb", "-o", "lib/core.py")
    assert code == 2 and "lib/core.py: cannot create its folder" in err


def test_terminal_escapes_from_a_notebook_reach_no_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An OSC 52 clipboard write in a string, and a colour code in the notebook's own name.
    monkeypatch.chdir(tmp_path)
    name = "evil\x1b[31m.ipynb"
    notebook(tmp_path / name, '#| export\nx = "\x1b]52;c;ZXZpbA==\x07"', "%%bash\x1b[2J\necho")
    code, out, err = invoke("--all", name)
    assert code == 0 and out == '"evil\\033[31m.py"\n'
    notebook(tmp_path / name, '#| export\nx = "\x1b]52;c;ZXZpbB==\x07"', "%%bash\x1b[2J\necho")
    code, out, err = invoke("--check", "--all", name)
    assert code == 1 and "ZXZpbB" in out
    assert not any(char in out + err for char in "\x1b\x07")
