"""The library's surface: ``nbcollab.__all__`` resolves, stays cheap to import, and docs/api.md runs."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT

import nbcollab

PUBLIC = [name for name in nbcollab.__all__ if name != "__version__"]
# Defined in nbcollab/__init__.py itself; every other name is imported from its home on first use.
OWN = {"install_importer"}
API_DOC = PROJECT_ROOT / "docs" / "api.md"
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
# What ``import nbcollab`` must not add to what the interpreter already loaded (a site .pth may
# load typing, say): git's filter and drivers import it on every start.
HEAVY = ("typer", "pydantic", "nbformat", "jsonschema", "nbdime", "git", "typing")


@pytest.mark.parametrize("name", PUBLIC)
def test_every_exported_name_resolves_from_its_home(name: str) -> None:
    home = nbcollab._LAZY.get(name, "nbcollab")
    value = getattr(nbcollab, name)
    assert value.__module__ == home
    assert value is getattr(sys.modules[home], name)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_exported_name_has_its_own_docstring(name: str) -> None:
    value = getattr(nbcollab, name)
    assert inspect.isclass(value) or inspect.isfunction(value), name
    assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_all_is_the_lazy_table_and_names_nothing_private() -> None:
    assert nbcollab.__all__.count("__version__") == 1
    assert set(PUBLIC) == set(nbcollab._LAZY) | OWN
    assert not OWN & set(nbcollab._LAZY)
    assert len(set(nbcollab.__all__)) == len(nbcollab.__all__)
    assert not [name for name in PUBLIC if name.startswith("_")]
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", nbcollab.__version__)


def test_every_public_attribute_is_exported() -> None:
    for name in PUBLIC:
        getattr(nbcollab, name)
    public = {
        name
        for name in dir(nbcollab)
        if not name.startswith("_")
        and not isinstance(getattr(nbcollab, name), types.ModuleType)  # subpackages
        and name != "TYPE_CHECKING"
    }
    assert public == set(PUBLIC)


def test_star_import_gives_every_name() -> None:
    namespace: dict[str, object] = {}
    exec("from nbcollab import *", namespace)  # noqa: S102 - the statement under test
    assert set(nbcollab.__all__) <= set(namespace)
    assert namespace["load_config"] is nbcollab.load_config


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'conflict_record'"):
        nbcollab.conflict_record  # noqa: B018
    assert not hasattr(nbcollab, "_LAZY_NOT_THERE")


def test_import_is_cheap_and_dir_lists_the_names_before_any_is_used() -> None:
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import nbcollab\n"
        "loaded = sorted(set(sys.modules) - before)\n"
        "listed = dir(nbcollab)\n"
        "finders = lambda: [type(f).__name__ for f in sys.meta_path].count('NotebookFinder')\n"
        "from nbcollab import *\n"
        "found = [finders()]\n"
        "install_importer()\n"
        "install_importer()\n"
        "found.append(finders())\n"
        "import json\n"
        "print(json.dumps({'loaded': loaded, 'dir': listed, 'finders': found}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    found = json.loads(done.stdout)
    heavy = [m for m in found["loaded"] if m.split(".")[0] in HEAVY]
    assert heavy == []
    assert [m for m in found["loaded"] if m.startswith("nbcollab.")] == []
    assert set(nbcollab.__all__) <= set(found["dir"])
    # Resolving every name changes no import machinery; asking for the import hook installs it.
    assert found["finders"] == [0, 1]


def api_examples(markdown: str) -> str:
    """The ```python blocks of a page, in order, as one script."""
    return "\n".join(_PYTHON_BLOCK.findall(markdown))


def test_the_api_page_shows_every_part_of_the_surface() -> None:
    page = API_DOC.read_text(encoding="utf-8")
    assert set(PUBLIC) <= set(re.findall(r"\w+", page))
    for section in ("Reading", "Clean", "Diff", "Merge", "Resolve", "Lint", "Export", "Trust"):
        assert re.search(rf"^## {section}", page, re.MULTILINE), section


@pytest.mark.slow
def test_the_api_page_examples_run(tmp_path: Path) -> None:
    """Every example of docs/api.md, run in order as one script in an empty folder."""
    script = tmp_path / "examples.py"
    script.write_text(api_examples(API_DOC.read_text(encoding="utf-8")), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=work, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "unknown key (did you mean keep-outputs?)" in done.stdout
    assert (work / "analysis.ipynb").is_file()


def test_a_failing_example_fails_the_page(tmp_path: Path) -> None:
    page = "# API\n\n```python\nx = 1\n```\n\nText.\n\n```python\nassert x == 2\n```\n"
    script = api_examples(page)
    assert script == "x = 1\n\nassert x == 2\n"
    with pytest.raises(AssertionError):
        exec(compile(script, "api.md", "exec"), {})  # noqa: S102 - a fixed script
