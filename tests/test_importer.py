"""The import hook: selection, tracebacks into cells, packages, relative imports, the cache."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, markdown_cell, write_notebook

import nbcollab
from nbcollab.importer import NotebookFinder, install_importer


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path; modules imported from it are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    before = set(sys.modules)
    install_importer()
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]
    importlib.invalidate_caches()


def nb(path: Path, *cells: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_notebook(path, make_notebook(*cells))


def test_import_runs_only_the_exported_cells(importable: Path) -> None:
    nb(
        importable / "first_nb.ipynb",
        code_cell(
            "#| export\nimport os\n%matplotlib inline\ndef double(x):\n    return 2 * x",
            cell_id="a",
        ),
        code_cell(
            "open('side-effect', 'w').write('ran')\nraise SystemExit('ran a cell')", cell_id="b"
        ),
        code_cell("VALUE = double(21)", cell_id="c", tags=["export"]),
    )
    module = importlib.import_module("first_nb")
    assert module.VALUE == 42
    assert module.__file__ == str(importable / "first_nb.ipynb")
    assert module.__all__ == ["double", "VALUE"]
    assert not (importable / "side-effect").exists()


def test_traceback_names_the_notebook_the_cell_and_the_line_in_it(importable: Path) -> None:
    nb(
        importable / "tb_nb.ipynb",
        markdown_cell("# Title"),
        code_cell("#| export\ndef helper():\n    return 1", cell_id="ok"),
        code_cell(
            "#| export\n\ndef explode(x):\n    y = x + 1\n    raise ValueError(y)", cell_id="boom"
        ),
    )
    module = importlib.import_module("tb_nb")
    with pytest.raises(ValueError) as info:
        module.explode(1)
    text = "".join(traceback.format_exception(info.value))
    path = importable / "tb_nb.ipynb"
    assert f'File "{path}, cell 2 (id boom)", line 5, in explode' in text
    assert "    raise ValueError(y)" in text  # the source line, shown from the notebook
    assert "def explode(x):" in inspect.getsource(module.explode)


def test_line_numbers_count_removed_magic_lines(importable: Path) -> None:
    nb(
        importable / "lines_nb.ipynb",
        code_cell(
            "#| export\n%load_ext autoreload\n!echo hi\ndef f():\n    raise KeyError", cell_id="m"
        ),
    )
    module = importlib.import_module("lines_nb")
    with pytest.raises(KeyError) as info:
        module.f()
    assert info.traceback[-1].lineno + 1 == 5  # pytest's lineno is 0-based


def test_error_while_importing_points_into_the_cell(importable: Path) -> None:
    nb(importable / "raise_nb.ipynb", code_cell("#| export\nX = 1\nY = 1 / 0", cell_id="z"))
    with pytest.raises(ZeroDivisionError) as info:
        importlib.import_module("raise_nb")
    assert any(
        ", cell 0 (id z)" in str(entry.path) and entry.lineno + 1 == 3 for entry in info.traceback
    )


def test_syntax_error_is_an_import_error_naming_the_cell(importable: Path) -> None:
    nb(importable / "bad_nb.ipynb", code_cell("#| export\ndef f(:\n    pass", cell_id="q"))
    with pytest.raises(ImportError, match=r"bad_nb.ipynb: cell 0 \(id q\), line 2: "):
        importlib.import_module("bad_nb")


def test_folder_of_notebooks_is_a_package_with_relative_imports(importable: Path) -> None:
    nb(importable / "nbpkg" / "base.ipynb", code_cell("#| export\nBASE = 10", cell_id="a"))
    nb(
        importable / "nbpkg" / "sub" / "leaf.ipynb",
        code_cell(
            "#| export\nfrom ..base import BASE\nfrom . import sibling\nLEAF = BASE + sibling.S",
            cell_id="b",
        ),
    )
    (importable / "nbpkg" / "sub" / "__init__.py").write_text("")
    (importable / "nbpkg" / "sub" / "sibling.py").write_text("S = 1\n")
    leaf = importlib.import_module("nbpkg.sub.leaf")
    assert leaf.LEAF == 11 and leaf.__package__ == "nbpkg.sub"


def test_config_selection_applies_to_imports(importable: Path) -> None:
    (importable / "pyproject.toml").write_text(
        "[tool.nbcollab.export]\nselect = 'all'\ndefs-only = true\n"
    )
    nb(
        importable / "cfg_nb.ipynb",
        code_cell("def f():\n    return 3\nraise RuntimeError", cell_id="a"),
    )
    assert importlib.import_module("cfg_nb").f() == 3


def test_second_import_reads_the_cache_and_an_edit_invalidates_it(importable: Path) -> None:
    path = nb(importable / "cached_nb.ipynb", code_cell("#| export\nVALUE_ONE = 1", cell_id="a"))
    assert importlib.import_module("cached_nb").VALUE_ONE == 1
    cache = importable / "__pycache__" / f"cached_nb.{sys.implementation.cache_tag}.nbcollab"
    assert cache.is_file()
    del sys.modules["cached_nb"]
    blob = cache.read_bytes()
    head = len(b"nbcollab-import-1\n") + 48  # format line and key
    cache.write_bytes(blob[:head] + blob[head:].replace(b"VALUE_ONE", b"VALUE_TWO"))
    assert importlib.import_module("cached_nb").VALUE_TWO == 1  # the cache is what ran
    del sys.modules["cached_nb"]
    nb(path, code_cell("#| export\nVALUE_ONE = 2", cell_id="a"))
    assert importlib.import_module("cached_nb").VALUE_ONE == 2


def test_a_corrupt_cache_is_ignored(importable: Path) -> None:
    nb(importable / "corrupt_nb.ipynb", code_cell("#| export\nN = 7", cell_id="a"))
    importlib.import_module("corrupt_nb")
    del sys.modules["corrupt_nb"]
    cache = importable / "__pycache__" / f"corrupt_nb.{sys.implementation.cache_tag}.nbcollab"
    cache.write_bytes(cache.read_bytes()[:-10])
    assert importlib.import_module("corrupt_nb").N == 7


def test_no_cache_is_written_when_bytecode_writing_is_off(
    importable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    nb(importable / "nocache_nb.ipynb", code_cell("#| export\nN = 1", cell_id="a"))
    importlib.import_module("nocache_nb")
    assert not (importable / "__pycache__").exists()


def test_python_modules_win_over_notebooks(importable: Path) -> None:
    nb(importable / "twin.ipynb", code_cell("#| export\nWHO = 'notebook'", cell_id="a"))
    (importable / "twin.py").write_text("WHO = 'module'\n")
    assert importlib.import_module("twin").WHO == "module"


def test_install_is_idempotent_and_public() -> None:
    nbcollab.install_importer()
    nbcollab.install_importer()
    assert sum(isinstance(f, NotebookFinder) for f in sys.meta_path) == 1


@pytest.mark.slow
def test_cached_import_in_a_new_interpreter_parses_nothing(importable: Path) -> None:
    nb(importable / "fresh_nb.ipynb", code_cell("#| export\nN = 5", cell_id="a"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(importable), env.get("PYTHONPATH", "")])
    script = (
        "import sys, nbcollab.importer, fresh_nb; print(fresh_nb.N, "
        "sorted(m for m in sys.modules if m in ('nbcollab.export.cells', 'json')))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs[0] == "5 ['json', 'nbcollab.export.cells']"
    assert runs[1] == "5 []"  # the second import compiled nothing


def test_reload_runs_the_edited_notebook(importable: Path) -> None:
    path = nb(importable / "reload_nb.ipynb", code_cell("#| export\nN = 1", cell_id="a"))
    module = importlib.import_module("reload_nb")
    nb(path, code_cell("#| export\nN = 2", cell_id="a"))
    assert importlib.reload(module).N == 2
