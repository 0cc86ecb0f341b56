"""How commands start: the lean entry answers exactly as the typer app, importing nothing heavy.

``clean``, static ``lint`` and ``conflicts`` run without typer when their arguments are plain
(``nbcollab.cli.lean``); everything else goes to the typer app. For a table of argument lists
both paths must print the same, exit the same and leave the same bytes in every file; the hot
commands must not import typer, pydantic, nbformat, rich or jsonschema.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, git, make_notebook, markdown_cell, write_notebook
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.cli.lean import CLEAN, LINT, parse
from nbcollab.config.model import Config

HEAVY = ("typer", "pydantic", "nbformat", "rich", "jsonschema", "click")

# Runs main() (or the typer app) as the console script does, then writes down which heavy
# packages the process imported.
_RUN = """
import atexit, os, sys
def _modules():
    heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({heavy!r}))
    with open(os.environ["NBCOLLAB_TEST_MODULES"], "w") as out:
        out.write(" ".join(heavy))
atexit.register(_modules)
sys.argv[0] = "nbcollab"
{call}
"""
LEAN = _RUN.format(heavy=HEAVY, call="from nbcollab.cli.main import main; main()")
TYPER = _RUN.format(heavy=HEAVY, call="from nbcollab.cli.app import app; app()")


def _run(code: str, args: list[str], cwd: Path, stdin: bytes = b"") -> tuple[Any, ...]:
    modules = cwd.parent / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env={**_env(), "NBCOLLAB_TEST_MODULES": str(modules), "COLUMNS": "200"},
        check=False,
    )
    imported = modules.read_text().split()
    return done.returncode, done.stdout, done.stderr, _files(cwd), imported


def _env() -> dict[str, str]:
    return dict(os.environ)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.parts
    }


def _project(folder: Path) -> Path:
    """A repository with a dirty, a clean and a broken notebook, a folder of them, one staged."""
    folder.mkdir()
    git(folder, "init", "-q")
    dirty = make_notebook(code_cell("print(1)", cell_id="a", execution_count=3), minor=5)
    dirty["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    write_notebook(folder / "dirty.ipynb", dirty)
    write_notebook(folder / "clean.ipynb", make_notebook(markdown_cell("# t", cell_id="b")))
    (folder / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (folder / "sub").mkdir()
    write_notebook(folder / "sub" / "order.ipynb", _out_of_order())
    (folder / "not-a-notebook.txt").write_text("x\n", encoding="utf-8")
    (folder / "conflicted").mkdir()
    (folder / "conflicted" / "raw.ipynb").write_text(
        '{\n<<<<<<< ours\n "cells": []\n=======\n "cells": [1]\n>>>>>>> theirs\n}\n',
        encoding="utf-8",
    )
    write_notebook(folder / "excluded.ipynb", _out_of_order())
    git(folder, "add", "dirty.ipynb", "sub/order.ipynb")
    return folder


def _repeated_key(folder: Path) -> Path:
    """``_project`` and a notebook with a key given twice (Jupyter reads the last; clean rewrites
    it as Jupyter would save it), said by a warning."""
    _project(folder)
    text = (folder / "clean.ipynb").read_text(encoding="utf-8")
    (folder / "twice").mkdir()
    (folder / "twice" / "repeated.ipynb").write_text(
        text.replace('"metadata": {', '"metadata": {"x": 1}, "metadata": {', 1), encoding="utf-8"
    )
    return folder


def _modify_delete(folder: Path) -> Path:
    """A repository mid-merge: ``gone.ipynb`` deleted on our side and edited on theirs."""
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    write_notebook(folder / "gone.ipynb", make_notebook(code_cell("x = 1", cell_id="a")))
    write_notebook(folder / "kept.ipynb", make_notebook(code_cell("y = 1", cell_id="b")))
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "base")
    git(folder, "checkout", "-q", "-b", "theirs")
    write_notebook(folder / "gone.ipynb", make_notebook(code_cell("x = 2", cell_id="a")))
    git(folder, "commit", "-q", "-am", "edit")
    git(folder, "checkout", "-q", "main")
    git(folder, "rm", "-q", "gone.ipynb")
    git(folder, "commit", "-q", "-m", "delete")
    assert git(folder, "merge", "theirs", check=False).returncode != 0
    return folder


def _out_of_order() -> dict[str, Any]:
    return make_notebook(
        code_cell("x = 1", cell_id="a", execution_count=2),
        code_cell("print(x)", cell_id="b", execution_count=1),
        code_cell("y = x", cell_id="c", execution_count=1),
    )


# Plain argument lists (the lean entry runs them) and ones it hands to the typer app.
PARITY = [
    ["clean", "dirty.ipynb"],
    ["clean", "--check", "dirty.ipynb"],
    ["clean", "--check", "clean.ipynb"],
    ["clean", "--check", "."],
    ["clean", "--check", "--staged"],
    ["clean", "--check", "--staged", "--", "dirty.ipynb"],
    ["clean", "--check", "--staged", "sub"],
    ["clean", "--check", "broken.ipynb", "dirty.ipynb"],
    ["clean", "--check", "missing.ipynb"],
    ["clean", "--check", "not-a-notebook.txt"],
    ["clean", "dirty.ipynb", "--keep-outputs", "--keep-count"],
    ["clean", "--check", "--keep-output-type", "stream", "--max-output-bytes=1", "dirty.ipynb"],
    ["clean", "--check", "--keep-outputs", "--drop-output-type", "image/jpg", "dirty.ipynb"],
    ["clean", "--check", "--max-output-bytes", "abc", "dirty.ipynb"],
    ["clean", "--check", "--max-output-bytes", "-1", "dirty.ipynb"],
    ["clean", "--check", "--extra-key", "cells.x", "dirty.ipynb"],
    ["clean", "--check", "--extra-key=metadata.kernelspec", "--keep-key", "metadata.x", "."],
    ["clean", "--check", "--normalize", "--drop-empty-cells", "--drop-tagged-cells", "t", "."],
    ["clean", "--check", "--strip-cell-metadata", "--keep-cell-metadata", "tags", "."],
    ["clean", "--check", "--drop-notebook-metadata", "--strip-init-cells", "."],
    ["clean", "--stdin"],
    ["clean", "-"],
    ["clean", "--check", "--stdin"],
    ["clean", "--stdin", "dirty.ipynb"],
    ["clean", "--staged", "dirty.ipynb"],
    ["clean"],
    ["clean", "--check"],
    ["clean", "--chek", "dirty.ipynb"],
    ["clean", "--check=1", "dirty.ipynb"],
    ["clean", "--keep-key"],
    ["clean", "--max-output-bytes", "1", "--max-output-bytes", "2", "--check", "."],
    ["clean", "-x", "dirty.ipynb"],
    ["clean", "--help"],
    ["clean", "-h"],
    ["clean", "--", "--check"],
    ["clean", "--check", ""],
    ["clean", "-j", "2", "."],
    ["clean", "--check", "--jobs=2", "."],
    ["clean", "--check", "-j", "1", "broken.ipynb", "dirty.ipynb"],
    ["clean", "--check", "-j", "0", "dirty.ipynb"],
    ["clean", "--check", "-j", "x", "dirty.ipynb"],
    ["clean", "--check", "-j2", "dirty.ipynb"],
    ["clean", "--check", "-j", "1", "-j", "2", "dirty.ipynb"],
    ["lint", "sub/order.ipynb"],
    ["lint", "."],
    ["lint", "clean.ipynb"],
    ["lint", "broken.ipynb", "sub"],
    ["lint", "-f", "json", "sub/order.ipynb"],
    ["lint", "--format=github", "sub"],
    ["lint", "-fjson", "sub"],
    ["lint", "--format", "xml", "sub"],
    ["lint", "--format", "JSON", "sub"],
    ["lint", "--select", "C101,C102", "--ignore", "C102", "sub"],
    ["lint", "--extend-select", "R301", "--fail-on", "error", "sub"],
    ["lint", "--fail-on", "fatal", "sub"],
    ["lint", "--select", "C9", "sub"],
    ["lint", "--baseline", "base.json", "sub"],
    ["lint", "--baseline", "base.json", "--update-baseline", "sub"],
    ["lint", "--update-baseline", "sub"],
    ["lint", "--write", "sub"],
    ["lint", "--list-codes"],
    ["lint"],
    ["lint", "--help"],
    ["lint", "missing.ipynb"],
    ["lint", "-j", "2", "."],
    ["lint", "--jobs", "1", "-f", "json", "sub"],
    ["lint", "-j", "0", "sub"],
    ["lint", "--cell", "2", "sub/order.ipynb"],
    ["lint", "--cell=3", "-f", "json", "sub/order.ipynb"],
    ["lint", "--cell", "id:a", "sub/order.ipynb"],
    ["lint", "--cell", "-1", "sub/order.ipynb"],
    ["lint", "--cell", "9", "sub/order.ipynb"],
    ["lint", "--cell", "0", "sub/order.ipynb"],
    ["lint", "--cell", "1", "broken.ipynb"],
    ["lint", "--cell", "1", "missing.ipynb"],
    ["lint", "--cell", "2", "sub"],
    ["lint", "--cell", "2", "sub/order.ipynb", "dirty.ipynb"],
    ["lint", "--cell", "2", "excluded.ipynb"],
    ["lint", "--cell", "2", "--baseline", "base.json", "--update-baseline", "sub/order.ipynb"],
    ["lint", "--cell", "2", "--cell", "3", "sub/order.ipynb"],
    ["conflicts", "--", "dirty.ipynb", "conflicted/raw.ipynb"],
    ["conflicts", "conflicted"],
    ["conflicts", "clean.ipynb"],
    ["conflicts", "broken.ipynb", "missing.ipynb"],
    ["conflicts", "--help"],
    ["conflicts"],
]


@pytest.mark.slow
@pytest.mark.parametrize("args", PARITY, ids=lambda args: " ".join(args) or "none")
def test_the_lean_entry_answers_as_the_typer_app(tmp_path: Path, args: list[str]) -> None:
    _both_ways(tmp_path, _project, args, stdin="dirty.ipynb")


def _both_ways(
    tmp_path: Path, make: Callable[[Path], Path], args: list[str], *, stdin: str
) -> tuple[Any, ...]:
    """Run ``args`` through the typer app and through ``main`` in two projects ``make`` built
    alike (``stdin``: the file given on stdin); what the lean run gave, once it is the same."""
    data = (make(tmp_path / "typer-side") / stdin).read_bytes()
    make(tmp_path / "lean-side")
    (tmp_path / "typer-side" / "run").mkdir()
    (tmp_path / "lean-side" / "run").mkdir()
    expected = _run(TYPER, args, tmp_path / "typer-side", data)
    found = _run(LEAN, args, tmp_path / "lean-side", data)
    assert found[:4] == expected[:4]
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["clean", "--check", "twice/repeated.ipynb"],
        ["clean", "--check", "--stdin"],
        ["clean", "-j", "1", "twice", "clean.ipynb"],
        ["lint", "--cell", "1", "twice/repeated.ipynb"],
    ],
    ids=" ".join,
)
def test_the_lean_entry_says_a_repeated_key_as_the_typer_app(
    tmp_path: Path, args: list[str]
) -> None:
    found = _both_ways(tmp_path, _repeated_key, args, stdin="twice/repeated.ipynb")
    assert b"a key repeated in one JSON object ('metadata')" in found[2]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["conflicts", "gone.ipynb"],
        ["conflicts", "kept.ipynb", "gone.ipynb"],
        ["conflicts", "."],
        ["conflicts"],
    ],
    ids=" ".join,
)
def test_the_lean_entry_says_a_modify_delete_conflict_as_the_typer_app(
    tmp_path: Path, args: list[str]
) -> None:
    expected = _run(TYPER, args, _modify_delete(tmp_path / "typer-side" / "repo"))
    found = _run(LEAN, args, _modify_delete(tmp_path / "lean-side" / "repo"))
    assert found[:4] == expected[:4]
    assert b"gone.ipynb: deleted by ours, modified by theirs (modify/delete)" in found[1]
    assert found[0] == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["clean", "dirty.ipynb"],
        ["clean", "--check", "dirty.ipynb"],
        ["clean", "--check", "--staged"],
        ["clean", "--check", "--keep-outputs", "--drop-output-type", "stream", "dirty.ipynb"],
        ["clean", "--stdin"],
        ["lint", "sub/order.ipynb"],
        ["lint", "--select", "C101", "--format", "json", "sub"],
        ["conflicts", "--", "dirty.ipynb", "conflicted"],
        ["clean", "--check", "-j", "2", "sub", "dirty.ipynb"],
        ["lint", "-j", "2", "--cell", "2", "sub/order.ipynb"],
        ["filter-clean", "dirty.ipynb"],
        ["textconv", "dirty.ipynb"],
        ["filter-process"],
    ],
    ids=" ".join,
)
def test_hot_commands_import_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    folder = _project(tmp_path / "project")
    # A project's own configuration, written the plain way, is read without pydantic too.
    (folder / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.nbcollab.clean]\nkeep-execution-count = true\n"
        "extra-keys = ['metadata.x']\n\n[tool.nbcollab.lint]\nignore = ['R']\n"
        "fail-on = 'warning'\n\n[tool.nbcollab.cache]\nmax-size = 1000\n",
        encoding="utf-8",
    )
    stdin = (folder / "dirty.ipynb").read_bytes()
    code, _out, err, _files, imported = _run(LEAN, args, folder, stdin)
    assert code in (0, 1), err
    assert imported == [], f"{' '.join(args)} imported {imported}"


@pytest.mark.slow
def test_a_modify_delete_conflict_is_found_without_importing_anything_heavy(
    tmp_path: Path,
) -> None:
    folder = _modify_delete(tmp_path / "repo")
    code, out, err, _files, imported = _run(LEAN, ["conflicts", "gone.ipynb"], folder)
    assert (code, imported) == (1, []), err
    assert b"(modify/delete)" in out


# -- the parser itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["a.ipynb"], (["a.ipynb"], {})),
        (["--check", "a", "--staged"], (["a"], {"check": True, "staged": True})),
        (["--", "--check"], (["--check"], {})),
        (["-"], (["-"], {})),
        (["--keep-key", "k", "--keep-key=j"], ([], {"keep_keys": ["k", "j"]})),
        (["--max-output-bytes", "12"], ([], {"max_output_bytes": 12})),
        (["--keep-count"], ([], {"keep_execution_count": True})),
        (["-j", "3", "a"], (["a"], {"jobs": 3})),
        (["--jobs=1"], ([], {"jobs": 1})),
    ],
)
def test_plain_clean_arguments_are_read(argv: list[str], expected: Any) -> None:
    assert parse(argv, CLEAN) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["--chek"],
        ["--check=yes"],
        ["--keep-key"],
        ["--keep-key", "--check"],
        ["--max-output-bytes", "1_000"],
        ["--max-output-bytes", " 7"],
        ["--max-output-bytes", "-1"],
        ["--max-output-bytes", "1", "--max-output-bytes", "2"],
        ["-x"],
        ["-5"],
        ["-j", "0"],
        ["-j", "-1"],
        ["-j2"],
        ["-j=2"],
        ["--jobs", "1", "-j", "2"],
    ],
)
def test_anything_else_goes_to_the_typer_app(argv: list[str]) -> None:
    assert parse(argv, CLEAN) is None


def test_lint_reads_its_choices_exactly() -> None:
    from nbcollab.lint.codes import Severity
    from nbcollab.lint.formats import Format

    assert parse(["-f", "json", "--fail-on", "error", "x"], LINT) == (
        ["x"],
        {"fmt": Format.JSON, "fail_on": Severity.ERROR},
    )
    assert parse(["-f", "JSON", "x"], LINT) is None
    assert parse(["-fjson", "x"], LINT) is None
    assert parse(["--execute", "x"], LINT) is None
    assert parse(["--cell", "2..3", "-j", "2", "x"], LINT) == (["x"], {"cell": "2..3", "jobs": 2})
    assert parse(["--cell", "-1", "x"], LINT) is None  # a value like a flag: the typer app reads it


def test_a_refused_value_is_said_with_its_flag() -> None:
    assert CLEAN.flag_of("keep_execution_count") == "--keep-count"
    assert LINT.flag_of("fmt") == "--format"


# -- configuration read without pydantic gives what pydantic gives --------------------------------

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-3, max_value=1 << 60),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["text", "json", "warning", "error", "prefix", "all", "marked", "C101", ""]),
    st.sampled_from(["metadata.x", "cell.metadata.y", "stream:stderr", "image/png", "x."]),
)
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3), st.none())


def _keys(kind: type[Any]) -> list[str]:
    names = [f.name for f in dataclasses.fields(kind)]
    return [*names, *(name.replace("_", "-") for name in names), "unknown-key"]


@st.composite
def _tables(draw: st.DrawFn) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for section in draw(st.lists(st.sampled_from(_keys(Config)), max_size=3, unique=True)):
        kind = typing.get_type_hints(Config).get(section.replace("-", "_"))
        if kind is None or not dataclasses.is_dataclass(kind):
            table[section] = draw(_VALUES)
            continue
        keys = draw(st.lists(st.sampled_from(_keys(kind)), max_size=4, unique=True))
        table[section] = {key: draw(_VALUES) for key in keys}
    return table


@settings(max_examples=300, deadline=None)
@given(_tables())
def test_a_table_read_without_pydantic_is_what_pydantic_reads(table: dict[str, Any]) -> None:
    from pydantic import TypeAdapter, ValidationError

    from nbcollab.config.load import _plain

    plain = _plain(Config, table)
    try:
        expected = TypeAdapter(Config).validate_python(table)
    except ValidationError:
        assert plain is None  # pydantic words the problem
        return
    assert plain is None or plain == expected


def test_a_plain_table_is_read_without_pydantic() -> None:
    from nbcollab.config.load import _plain
    from nbcollab.lint.codes import Severity

    table = {
        "clean": {"keep-execution-count": True, "extra_keys": ["metadata.x"]},
        "lint": {"fail-on": "error", "cell-timeout": 3},
    }
    config = _plain(Config, table)
    assert config is not None
    assert config.clean.keep_execution_count is True
    assert config.clean.extra_keys == ("metadata.x",)
    assert config.lint.fail_on is Severity.ERROR
    assert config.lint.cell_timeout == 3.0
    assert isinstance(config.lint.cell_timeout, float)
    # Given twice (both spellings), unknown, or of another type: pydantic decides and words it.
    assert _plain(Config, {"clean": {"keep-outputs": True, "keep_outputs": False}}) is None
    assert _plain(Config, {"clean": {"keep-count": True}}) is None
    assert _plain(Config, {"clean": {"keep-outputs": "yes"}}) is None
