"""Real notebooks: every Python notebook whose code is valid once IPython syntax is removed
exports, with ``--all`` and with ``--defs-only``, to a module that compiles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import corpus_notebooks, requires_corpus

from nbcollab.errors import NbcollabError
from nbcollab.export.assemble import export_module
from nbcollab.export.options import ExportOptions, Selection
from nbcollab.files import read_notebook_file
from nbcollab.notebook.lines import cell_source, iter_cells

pytestmark = [
    pytest.mark.corpus,
    requires_corpus,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::SyntaxWarning"),
]
transformer = pytest.importorskip("IPython.core.inputtransformer2").TransformerManager()


def python_notebook(path: Path) -> dict | None:
    """The notebook when it is a readable Python notebook whose cells IPython can run."""
    try:
        _, nb = read_notebook_file(path)
    except NbcollabError:
        return None
    metadata = nb.get("metadata", {})
    language = (
        (metadata.get("kernelspec") or {}).get("language")
        or (metadata.get("language_info") or {}).get("name")
        or "python"
    )
    if str(language).lower() not in ("python", "python3", "ipython"):
        return None
    for cell in iter_cells(nb):
        if cell.get("cell_type") == "code":
            try:
                ast.parse(transformer.transform_cell(cell_source(cell)))
            except (SyntaxError, ValueError):
                return None
    return nb


@pytest.mark.parametrize("defs_only", [False, True], ids=["all", "defs-only"])
def test_valid_python_notebooks_export_to_compiling_modules(defs_only: bool) -> None:
    options = ExportOptions(select=Selection.ALL, defs_only=defs_only, lenient=True)
    failures, exported = [], 0
    for path in corpus_notebooks():
        nb = python_notebook(path)
        if nb is None:
            continue
        try:
            text = export_module(nb, options=options, source_name=path.name).text
            compile(text, path.name, "exec")
            exported += 1
        except (NbcollabError, SyntaxError) as exc:
            failures.append(f"{path.name}: {exc}")
    assert exported >= 100, f"only {exported} Python notebooks found"
    assert failures == []


def test_without_lenient_only_assigned_shell_output_stops_an_export() -> None:
    options = ExportOptions(select=Selection.ALL)
    for path in corpus_notebooks():
        nb = python_notebook(path)
        if nb is None:
            continue
        try:
            export_module(nb, options=options, source_name=path.name)
        except NbcollabError as exc:
            assert "no Python equivalent" in str(exc), str(exc)


def test_patched_methods_stay_out_of_all_as_in_the_published_package() -> None:
    # ghapi's notebook adds four methods to GhDeviceAuth with fastcore's @patch; the module
    # nbdev built from it (ghapi/auth.py, as published) lists exactly these names.
    path = next(p for p in corpus_notebooks() if p.name == "fastai+ghapi__02_auth.ipynb")
    _, nb = read_notebook_file(path)
    text = export_module(nb, options=ExportOptions(), source_name=path.name).text
    assert '__all__ = ["Scope", "scope_str", "GhDeviceAuth", "github_auth_device"]' in text
