"""The executable as a whole: version, help, exit-code mapping, git entry point dispatch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, run_nbcollab, write_notebook
from typer.testing import CliRunner

import nbcollab
from nbcollab.cli.app import app

runner = CliRunner()


@pytest.mark.slow
def test_version_through_the_runner_and_as_a_subprocess() -> None:
    assert runner.invoke(app, ["--version"]).output.strip() == f"nbcollab {nbcollab.__version__}"
    done = run_nbcollab("--version")
    assert (
        done.returncode == 0 and done.stdout.decode().strip() == f"nbcollab {nbcollab.__version__}"
    )


def test_short_version_flag() -> None:
    assert runner.invoke(app, ["-V"]).output.strip() == f"nbcollab {nbcollab.__version__}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        "clean",
        "diff",
        "merge",
        "conflicts",
        "resolve",
        "trust",
        "install",
        "uninstall",
        "status",
        "filter-process",
        "textconv",
        "git-diff",
        "git-merge",
    ],
)
def test_every_command_has_help(command: str) -> None:
    done = run_nbcollab(command, "--help")
    assert done.returncode == 0, done.stderr
    assert b"Usage" in done.stdout


def test_an_unexpected_error_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("nbcollab.clean.strip.needs_cleaning", broken)
    path = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("x")))
    result = runner.invoke(app, ["clean", "--check", str(path)])
    assert result.exit_code == 2  # never 1, which means "would change" to CI
    assert "internal error: RuntimeError: boom" in result.output


@pytest.mark.slow
def test_git_entry_points_do_not_build_the_typer_app(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("print(1)")))
    code = (
        "import sys; sys.argv = ['nbcollab', 'textconv', '--format-version', '1', "
        f"{str(path)!r}]\n"
        "from nbcollab.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('typer' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "print(1)" in done.stdout
    assert done.stderr.strip() == "False False"


def test_interrupt_is_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("nbcollab.clean.strip.clean_bytes", interrupted)
    path = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("x")))
    assert runner.invoke(app, ["clean", str(path)]).exit_code == 130


@pytest.mark.slow
def test_git_entry_point_with_a_bad_config_is_one_warning_and_cleans_with_the_defaults(
    tmp_path: Path,
) -> None:
    """git must keep working: the one-file filter, like the process, never fails for its config."""
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputz = true\n")
    nb = make_notebook(
        code_cell(
            "x", count=1, outputs=[{"output_type": "stream", "name": "stdout", "text": "1\n"}]
        )
    )
    data = write_notebook(tmp_path / "a.ipynb", nb).read_bytes()
    done = run_nbcollab("filter-clean", "a.ipynb", cwd=tmp_path, input=data)
    assert done.returncode == 0
    assert done.stderr.decode().count("\n") == 1 and b"keep-outputz: unknown key" in done.stderr
    assert b'"outputs": []' in done.stdout
