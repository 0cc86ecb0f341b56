"""The import hook: selection, tracebacks into cells, packages, relative imports, the cache."""

from __future__ import annotations

import importlib
import inspect
import marshal
import os
import stat
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from helpers import code_cell, make_notebook, markdown_cell, write_notebook

import nbcollab
from nbcollab import importer
from nbcollab.config.folders import ConfigByFolder
from nbcollab.export.files import export_notebook, write_module
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
    assert f'File "{path}, cell 3 (id boom)", line 5, in explode' in text
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
        ", cell 1 (id z)" in str(entry.path) and entry.lineno + 1 == 3 for entry in info.traceback
    )


def test_syntax_error_is_an_import_error_naming_the_cell(importable: Path) -> None:
    nb(importable / "bad_nb.ipynb", code_cell("#| export\ndef f(:\n    pass", cell_id="q"))
    with pytest.raises(ImportError, match=r"bad_nb.ipynb: cell 1 \(id q\), line 2: "):
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


def cache_of(folder: Path, name: str) -> Path:
    return folder / "__pycache__" / f"{name}.{sys.implementation.cache_tag}.nbcollab"


def test_second_import_reads_the_cache_and_an_edit_invalidates_it(
    importable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = nb(importable / "cached_nb.ipynb", code_cell("#| export\nVALUE_ONE = 1", cell_id="a"))
    assert importlib.import_module("cached_nb").VALUE_ONE == 1
    assert cache_of(importable, "cached_nb").is_file()
    del sys.modules["cached_nb"]
    compiled = importer._compile
    monkeypatch.setattr(importer, "_compile", None)  # a second import must not compile
    assert importlib.import_module("cached_nb").VALUE_ONE == 1
    del sys.modules["cached_nb"]
    monkeypatch.setattr(importer, "_compile", compiled)
    nb(path, code_cell("#| export\nVALUE_ONE = 2", cell_id="a"))
    assert importlib.import_module("cached_nb").VALUE_ONE == 2


def forged_cache(notebook: Path, code: str, secret: bytes) -> bytes:
    """A cache for ``notebook`` whose key anyone can compute, holding ``code``, signed with
    ``secret`` (someone else's key)."""
    source = importer._read(str(notebook))
    assert source is not None
    head = importer._CACHE_FORMAT + importer._cache_key(str(notebook), source)
    payload = marshal.dumps(
        (
            "",
            compile("", str(notebook), "exec"),
            [("forged", code, compile(code, "forged", "exec"), {})],
        )
    )
    return head + importer._mac(secret, head, payload) + payload


@pytest.mark.parametrize(
    "signer", ["another user's key", "no key", "the old unsigned format"], ids=str
)
def test_a_forged_cache_is_never_run(importable: Path, signer: str) -> None:
    notebook = nb(importable / "target_nb.ipynb", code_cell("#| export\nN = 1", cell_id="a"))
    marker = importable / "pwned"
    code = f"open({str(marker)!r}, 'w').close()\nN = 666"
    blob = forged_cache(notebook, code, os.urandom(32))
    if signer == "no key":
        blob = blob.replace(blob[len(importer._CACHE_FORMAT) + 48 :][:32], b"\0" * 32, 1)
    elif signer == "the old unsigned format":
        head = len(importer._CACHE_FORMAT) + 48
        blob = b"nbcollab-import-1\n" + blob[len(importer._CACHE_FORMAT) : head] + blob[head + 32 :]
    cache = cache_of(importable, "target_nb")
    cache.parent.mkdir()
    cache.write_bytes(blob)  # as if committed to the repository
    assert importlib.import_module("target_nb").N == 1
    assert not marker.exists()
    assert cache.read_bytes() != blob  # replaced by the user's own signed cache


def test_a_cache_written_under_another_users_key_is_recompiled(
    importable: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    nb(importable / "shared_nb.ipynb", code_cell("#| export\nN = 3", cell_id="a"))
    importlib.import_module("shared_nb")
    theirs = cache_of(importable, "shared_nb").read_bytes()
    del sys.modules["shared_nb"]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("other-user")))
    calls: list[str] = []
    compiled = importer._compile
    monkeypatch.setattr(importer, "_compile", lambda *a: calls.append("compiled") or compiled(*a))
    assert importlib.import_module("shared_nb").N == 3
    assert calls == ["compiled"]
    assert cache_of(importable, "shared_nb").read_bytes() != theirs


def test_the_key_is_the_users_alone(importable: Path, isolated_home: Path) -> None:
    nb(importable / "keyed_nb.ipynb", code_cell("#| export\nN = 4", cell_id="a"))
    importlib.import_module("keyed_nb")
    key = isolated_home / ".local" / "share" / "nbcollab" / "import-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == 32


def test_a_key_others_can_read_signs_nothing(importable: Path, isolated_home: Path) -> None:
    key = isolated_home / ".local" / "share" / "nbcollab" / "import-key"
    key.parent.mkdir(parents=True)
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    nb(importable / "open_nb.ipynb", code_cell("#| export\nN = 5", cell_id="a"))
    assert importlib.import_module("open_nb").N == 5
    assert not cache_of(importable, "open_nb").exists()


def test_a_symlinked_pycache_is_not_written_through(
    importable: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (importable / "__pycache__").symlink_to(elsewhere, target_is_directory=True)
    nb(importable / "linked_nb.ipynb", code_cell("#| export\nN = 6", cell_id="a"))
    assert importlib.import_module("linked_nb").N == 6
    assert list(elsewhere.iterdir()) == []


def test_a_fifo_named_like_the_cache_does_not_block_the_import(importable: Path) -> None:
    nb(importable / "fifo_nb.ipynb", code_cell("#| export\nN = 7", cell_id="a"))
    cache = cache_of(importable, "fifo_nb")
    cache.parent.mkdir()
    os.mkfifo(cache)
    assert importlib.import_module("fifo_nb").N == 7


def test_a_corrupt_cache_is_ignored(importable: Path) -> None:
    nb(importable / "corrupt_nb.ipynb", code_cell("#| export\nN = 7", cell_id="a"))
    importlib.import_module("corrupt_nb")
    del sys.modules["corrupt_nb"]
    cache = importable / "__pycache__" / f"corrupt_nb.{sys.implementation.cache_tag}.nbcollab"
    cache.write_bytes(cache.read_bytes()[:-10])
    assert importlib.import_module("corrupt_nb").N == 7


def test_no_cache_is_written_when_bytecode_writing_is_off(
    importable: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    nb(importable / "nocache_nb.ipynb", code_cell("#| export\nN = 1", cell_id="a"))
    importlib.import_module("nocache_nb")
    assert not (importable / "__pycache__").exists()
    assert not (isolated_home / ".local" / "share" / "nbcollab").exists()  # nor a key made


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


TWIN_CELLS = (
    code_cell("#| export\nfrom __future__ import annotations\nimport os", cell_id="f"),
    code_cell("scratch = 1", cell_id="s"),
    code_cell(
        "#| export\n@staticmethod\ndef helper(x: Undefined) -> os.PathLike:\n    return x",
        cell_id="h",
    ),
    code_cell(
        "#| export\nclass Outer:\n    '''Doc.'''\n    class Inner:\n        size: Later = 1\n"
        "    def method(self) -> Outer:\n        return self",
        cell_id="c",
    ),
    code_cell("#| export\n__all__ += ['os']", cell_id="a"),
)


def import_twins(folder: Path) -> tuple[ModuleType, ModuleType, str]:
    """The notebook imported by the hook, and its ``nbcollab export`` module imported as .py."""
    notebook = nb(folder / "twin_nb.ipynb", *TWIN_CELLS)
    configs = ConfigByFolder()
    result = export_notebook(
        notebook,
        options=configs.config_for(notebook).export,
        pyproject=configs.pyproject_for(notebook),
        output=folder / "twin_py.py",
    )
    write_module(result)
    return (
        importlib.import_module("twin_nb"),
        importlib.import_module("twin_py"),
        result.module.text,
    )


def test_the_modules_source_is_its_exported_python(importable: Path) -> None:
    from_nb, from_py, text = import_twins(importable)
    assert inspect.getsource(from_nb) == inspect.getsource(from_py) == text
    assert inspect.getsourcelines(from_nb)[0] == text.splitlines(True)


@pytest.mark.parametrize("name", ["Outer", "Outer.Inner", "Outer.method", "helper"])
def test_getsource_finds_classes_and_functions_as_in_a_py_module(
    importable: Path, name: str
) -> None:
    from_nb, from_py, _ = import_twins(importable)

    def lookup(module: ModuleType) -> object:
        value: object = module
        for part in name.split("."):
            value = getattr(value, part)
        return value

    assert inspect.getsource(lookup(from_nb)) == inspect.getsource(lookup(from_py))


def test_future_imports_behave_as_in_a_py_module(importable: Path) -> None:
    from_nb, from_py, _ = import_twins(importable)
    own = {"__file__", "__cached__", "__loader__", "__spec__", "__name__", "__builtins__"}
    assert set(vars(from_nb)) - own == set(vars(from_py)) - own
    assert from_nb.annotations is from_py.annotations  # the import binds its name, as in .py
    assert from_nb.helper.__annotations__ == {"x": "Undefined", "return": "os.PathLike"}
    assert from_nb.helper.__annotations__ == from_py.helper.__annotations__
    assert from_nb.Outer.Inner.__annotations__ == {"size": "Later"}
    assert from_nb.__all__ == from_py.__all__ == ["helper", "Outer", "os"]
