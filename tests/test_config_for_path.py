"""The configuration of a path: the nearest pyproject.toml configuring nbcollab, read once per
command."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, stream_output, write_notebook
from test_filter_process import HANDSHAKE, dirty_notebook_bytes, request
from typer.testing import CliRunner

import nbcollab.config.load
from nbcollab.cli.app import app
from nbcollab.config.folders import ConfigByFolder, OptionsByFolder
from nbcollab.errors import ConfigError
from nbcollab.git.filter import serve


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every pyproject.toml the loader reads, in order."""
    seen: list[Path] = []
    real = nbcollab.config.load.read_config

    def counting(pyproject: Path) -> object:
        seen.append(pyproject)
        return real(pyproject)

    monkeypatch.setattr(nbcollab.config.load, "read_config", counting)
    return seen


def project(root: Path) -> Path:
    """root/pyproject.toml (keep outputs) with 20 folders; sub/ is a project of its own."""
    (root / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    for n in range(20):
        (root / f"f{n}" / "deep").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "sub" / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = false\n")
    return root


def test_each_pyproject_is_read_once_for_any_number_of_paths(
    tmp_path: Path, reads: list[Path]
) -> None:
    root = project(tmp_path)
    configs = ConfigByFolder(root)
    for n in range(1000):
        folder = f"f{n % 20}/deep" if n % 2 else f"f{n % 20}"
        assert configs.config_for(f"{folder}/nb{n}.ipynb").clean.keep_outputs is True
        assert configs.config_for(f"sub/nb{n}.ipynb").clean.keep_outputs is False
    assert sorted(reads) == [root / "pyproject.toml", root / "sub" / "pyproject.toml"]


@pytest.mark.parametrize(
    ("text", "applies"),
    [
        ('[project]\nname = "pkg"\n', "root"),  # a package of a monorepo: says nothing
        ("[tool.ruff]\nline-length = 99\n# nbcollab is set up at the top\n", "root"),
        ("[tool.nbcollab.clean]\nkeep-outputs = false\n", "sub"),
        ("[tool.nbcollab]\n", "sub"),  # an empty table: the defaults, on purpose
        ("[tool]\nnbcollab = { clean = { keep-outputs = false } }\n", "sub"),
        ("[tool.nbcollab.clean\n", "sub"),  # broken: said, never passed over
    ],
)
@pytest.mark.filterwarnings("ignore::nbcollab.config.find.HiddenTablesWarning")
def test_a_pyproject_that_does_not_configure_nbcollab_hides_nothing_above_it(
    tmp_path: Path, text: str, applies: str
) -> None:
    from nbcollab.config.find import nearest_pyproject

    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    sub = tmp_path / "packages" / "sub"
    (sub / "notebooks").mkdir(parents=True)
    (sub / "pyproject.toml").write_text(text)
    found = nearest_pyproject(str(sub / "notebooks"))
    assert found == str((tmp_path if applies == "root" else sub) / "pyproject.toml")
    if "clean\n" in text:
        with pytest.raises(ConfigError, match=r"sub/pyproject\.toml"):
            ConfigByFolder(tmp_path).config_for("packages/sub/notebooks/nb.ipynb")
    else:
        config = ConfigByFolder(tmp_path).config_for("packages/sub/notebooks/nb.ipynb")
        assert config.clean.keep_outputs is (applies == "root")


def test_a_nearer_table_that_hides_tables_above_it_is_said_once(tmp_path: Path) -> None:
    from nbcollab.config.find import HiddenTablesWarning

    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbcollab.clean]\nkeep-outputs = true\n"
        '[tool.nbcollab.execute]\ninputs = ["data/*.csv"]\n'
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = false\n")
    configs = ConfigByFolder(tmp_path)
    with pytest.warns(HiddenTablesWarning) as said:
        configs.config_for("sub/a.ipynb")
        configs.config_for("sub/b.ipynb")  # the file is read once: said once
    assert [str(w.message) for w in said] == [
        f"{sub / 'pyproject.toml'}: its [tool.nbcollab] applies below it in place of "
        f"{tmp_path / 'pyproject.toml'}'s, so [tool.nbcollab.execute] from there does not "
        "apply here; copy what this folder needs"
    ]
    # With every table of its own, nothing is hidden, nothing said.
    (sub / "pyproject.toml").write_text("[tool.nbcollab.clean]\n[tool.nbcollab.execute]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ConfigByFolder(tmp_path).config_for("sub/a.ipynb")


def test_without_any_nbcollab_table_the_nearest_pyproject_applies(tmp_path: Path) -> None:
    from nbcollab.config.find import nearest_pyproject

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "top"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "sub"\n')
    assert nearest_pyproject(str(tmp_path / "sub")) == str(tmp_path / "sub" / "pyproject.toml")


def test_a_broken_pyproject_is_read_once_and_said_the_same_each_time(
    tmp_path: Path, reads: list[Path]
) -> None:
    root = project(tmp_path)
    (root / "sub" / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = 3\n")
    configs = ConfigByFolder(root)
    messages = set()
    for n in range(50):
        with pytest.raises(ConfigError) as caught:
            configs.config_for(f"sub/nb{n}.ipynb")
        messages.add(str(caught.value))
    assert len(messages) == 1 and len(reads) == 1
    assert configs.config_for("f1/nb.ipynb").clean.keep_outputs is True


def test_a_git_add_of_many_notebooks_reads_each_pyproject_once(
    tmp_path: Path, reads: list[Path]
) -> None:
    root = project(tmp_path)
    paths = [f"f{n % 20}/deep/nb{n}.ipynb" for n in range(200)] + ["sub/a.ipynb", "sub/b.ipynb"]
    payload = b"".join(request("clean", path, dirty_notebook_bytes()) for path in paths)
    out, err = io.BytesIO(), io.StringIO()
    serve(io.BytesIO(HANDSHAKE + payload), out, err, OptionsByFolder(configs=ConfigByFolder(root)))
    assert err.getvalue() == "" and out.getvalue().count(b"status=success") == len(paths)
    assert sorted(reads) == [root / "pyproject.toml", root / "sub" / "pyproject.toml"]


def test_export_reads_the_project_once(
    tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nbcollab.export]\noutdir = "pkg"\n')
    for n in range(12):
        nb = make_notebook(code_cell(f"#| export\nx{n} = {n}\n", cell_id="a"))
        write_notebook(tmp_path / f"nb{n}.ipynb", nb)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["export", "."])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "pkg").glob("nb*.py"))) == 12
    assert reads == [tmp_path / "pyproject.toml"]


def test_lint_follows_each_notebooks_own_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    (root / "sub" / "pyproject.toml").write_text('[tool.nbcollab.lint]\nignore = ["C"]\n')
    out_of_order = make_notebook(
        code_cell("a = 1\n", count=2, cell_id="a"), code_cell("b = a\n", count=1, cell_id="b")
    )
    write_notebook(root / "f1" / "nb.ipynb", out_of_order)
    write_notebook(root / "sub" / "nb.ipynb", out_of_order)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["lint", "f1", "sub"])
    flagged = {line.split(":")[0] for line in result.stdout.splitlines() if ".ipynb:" in line}
    assert flagged == {"f1/nb.ipynb"}, result.output


def test_merge_takes_the_options_of_ours(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nbcollab.merge]\noutputs = "theirs"\n')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[tool.nbcollab.merge]\noutputs = "ours"\n')
    base, ours, theirs = (
        make_notebook(code_cell("x\n", outputs=[stream_output(text)], count=1, cell_id="a"))
        for text in ("base\n", "ours\n", "theirs\n")
    )
    paths = [
        write_notebook(tmp_path / n, nb) for n, nb in zip(("b", "o", "t"), (base, ours, theirs))
    ]
    mine = write_notebook(tmp_path / "other" / "o", ours)
    for local, expected in ((paths[1], "theirs\n"), (mine, "ours\n")):
        out = tmp_path / "out.ipynb"
        result = CliRunner().invoke(
            app, ["merge", str(paths[0]), str(local), str(paths[2]), "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(out.read_text())["cells"][0]["outputs"][0]["text"] == [expected]


@pytest.mark.slow
def test_cache_status_reads_the_cap_at_the_top_of_the_working_tree(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text("[tool.nbcollab.cache]\nmax-size = 2048\n")
    (git_repo / "sub").mkdir()
    (git_repo / "sub" / "pyproject.toml").write_text("[tool.nbcollab.cache]\nmax-size = 4096\n")
    done = run_nbcollab("cache", "status", cwd=git_repo / "sub")
    assert done.returncode == 0, done.stderr
    assert b"of 2.0 KiB" in done.stdout, done.stdout
    git(git_repo, "status")  # still a working repository
