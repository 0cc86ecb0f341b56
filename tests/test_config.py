"""``[tool.nbcollab]``: found by walking up, validated strictly, overridden by flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, run_nbcollab, stream_output, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.config.load import load_config, merge_overrides, parse_config
from nbcollab.config.model import Config
from nbcollab.errors import ConfigError
from nbcollab.options import CleanOptions, MergeOptions, OutputStrategy


def _project(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    sub = tmp_path / "notebooks" / "deep"
    sub.mkdir(parents=True)
    return sub


def test_found_by_walking_up_from_a_file_or_folder(tmp_path: Path) -> None:
    sub = _project(tmp_path, "[tool.nbcollab.clean]\nkeep-outputs = true\n")
    assert load_config(sub).clean.keep_outputs is True
    assert load_config(sub / "x.ipynb").clean.keep_outputs is True


def test_no_pyproject_or_no_table_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()
    _project(tmp_path, "[project]\nname = 'x'\n")
    assert load_config(tmp_path) == Config()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"clean": {"keep-outputs": True}}, CleanOptions(keep_outputs=True)),
        ({"clean": {"keep_outputs": True}}, CleanOptions(keep_outputs=True)),
        ({"clean": {"extra-keys": ["metadata.x"]}}, CleanOptions(extra_keys=("metadata.x",))),
        ({"clean": {"max-output-bytes": 0}}, CleanOptions(max_output_bytes=0)),
    ],
)
def test_kebab_and_snake_keys(table: dict, expected: CleanOptions) -> None:
    assert parse_config(table).clean == expected


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"clean": {"keep-output": True}}, "[tool.nbcollab.clean] keep-output: unknown key"),
        ({"cleaning": {}}, "[tool.nbcollab] cleaning: unknown key (did you mean clean?)"),
        (
            {"clean": {"keep-outputs": "maybe"}},
            "[tool.nbcollab.clean] keep-outputs: 'maybe' is not true",
        ),
        ({"clean": {"max-output-bytes": -1}}, "[tool.nbcollab.clean]: max-output-bytes must be"),
        ({"merge": {"outputs": "mine"}}, "[tool.nbcollab.merge] outputs: must be one of 'auto'"),
        (
            {"clean": {"extra-keys": "metadata.x"}},
            "[tool.nbcollab.clean] extra-keys: 'metadata.x' is not a list",
        ),
        ({"lint": {"select": ["C9"]}}, "[tool.nbcollab.lint]: unknown finding code 'C9'"),
        (
            {"normalize": {"replace": [{"regex": "("}]}},
            "[tool.nbcollab.normalize] replace, item 1, replace: missing",
        ),
        ({"clean": {"normalize-options": {}}}, "[tool.nbcollab.clean] normalize-options: unknown"),
    ],
)
def test_mistakes_are_errors_naming_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(table, source="pyproject.toml")
    assert str(caught.value).startswith(f"pyproject.toml: {message}"), caught.value


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"drop_output_types": ("image/jpg",)},
            "option drop_output_types: unknown mime type 'image/jpg' (did you mean",
        ),
        ({"max_output_bytes": -1}, "option max_output_bytes: max-output-bytes must be 0 or more"),
        ({"keep_outputs": "maybe"}, "option keep_outputs: 'maybe' is not true or false"),
    ],
)
def test_command_line_overrides_are_named_in_the_projects_words(
    overrides: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        merge_overrides(CleanOptions(), **overrides)
    assert str(caught.value).startswith(message) and "Value error" not in str(caught.value)
    assert caught.value.option == next(iter(overrides))  # the command line names its flag


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    _project(tmp_path, "[tool.nbcollab\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: not valid TOML"):
        load_config(tmp_path)


def test_overrides_win_and_none_means_not_given() -> None:
    base = MergeOptions(outputs=OutputStrategy.OURS)
    assert merge_overrides(base, outputs=None, sign=None) is base
    assert merge_overrides(base, outputs="theirs").outputs is OutputStrategy.THEIRS
    with pytest.raises(ConfigError, match="option outputs"):
        merge_overrides(base, outputs="mine")


def test_options_are_frozen() -> None:
    with pytest.raises(AttributeError):
        CleanOptions().keep_outputs = True  # type: ignore[misc]


def test_loading_options_does_not_import_pydantic_without_a_table(tmp_path: Path) -> None:
    # The git drivers run once per file: validation must cost nothing when there is no config.
    code = (
        "import sys; from pathlib import Path; from nbcollab.config.load import load_config; "
        f"load_config(Path({str(tmp_path)!r})); print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_config_applies_through_the_cli_and_flags_override(tmp_path: Path) -> None:
    _project(tmp_path, "[tool.nbcollab.clean]\nkeep-outputs = true\n")
    nb = make_notebook(code_cell("print(1)", outputs=[stream_output("1\n")], count=1))
    path = write_notebook(tmp_path / "a.ipynb", nb)
    before = path.read_bytes()
    result = CliRunner().invoke(app, ["clean", "--check", str(path)])
    assert result.exit_code == 1  # the count still goes; the output stays
    assert CliRunner().invoke(app, ["clean", str(path)]).exit_code == 0
    assert b'"1\\n"' in path.read_bytes() and path.read_bytes() != before


@pytest.mark.slow
def test_a_bad_config_is_a_one_line_error_and_exit_2(tmp_path: Path) -> None:
    _project(tmp_path, "[tool.nbcollab.clean]\nkeep-outputz = true\n")
    path = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("x")))
    before = path.read_bytes()
    result = run_nbcollab("clean", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip().count("\n") == 0
    assert "[tool.nbcollab.clean] keep-outputz: unknown key" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_options_by_folder_answer_each_path_from_its_own_folder(tmp_path: Path) -> None:
    from nbcollab.config.folders import OptionsByFolder

    (tmp_path / "sub").mkdir()
    for folder, keep in ((tmp_path, "true"), (tmp_path / "sub", "false")):
        (folder / "pyproject.toml").write_text(f"[tool.nbcollab.clean]\nkeep-outputs = {keep}\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = false\n")
    options = OptionsByFolder(tmp_path)
    expected = {  # in this order: the root's answer must not be taken for "/"'s
        "nb.ipynb": True,
        "/nb.ipynb": False,  # the root of the file system, not the repository's
        "sub/nb.ipynb": False,
        "sub//nb.ipynb": False,
        Path("sub/nb.ipynb"): False,
        f"{outside}/nb.ipynb": False,  # absolute: not under the root
        "again.ipynb": True,
    }
    for _ in range(2):  # asked again: the same answers, now remembered
        for path, keep_outputs in expected.items():
            assert options(path).keep_outputs is keep_outputs, path


def test_load_config_is_the_library_name_for_the_one_loader(tmp_path: Path) -> None:
    import nbcollab

    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    assert nbcollab.load_config is load_config
    assert nbcollab.load_config(tmp_path).clean.keep_outputs is True
