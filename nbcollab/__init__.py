"""nbcollab: Jupyter notebooks as first-class citizens of git.

The library works on notebooks as plain dicts (parsed JSON, multi-line strings joined)::

    from nbcollab import clean_notebook, diff_notebooks, merge_notebooks, read_notebook_file

Every public name is listed in ``__all__`` and documented in docs/api.md. Each one is imported
on first use, so that ``import nbcollab`` stays cheap for git's filter and drivers.
"""

__version__ = "0.1.0"

# ``typing`` only for type checkers (they take any name ``TYPE_CHECKING`` as true): importing it
# here would cost every start of git's filter and drivers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Each public name -> the module that is its home.
_LAZY = {
    # Reading and writing a notebook
    "read_notebook_file": "nbcollab.files",
    "parse_notebook": "nbcollab.notebook.codec",
    "serialize_notebook": "nbcollab.notebook.codec",
    "write_atomic": "nbcollab.files",
    # Clean
    "clean_notebook": "nbcollab.clean.strip",
    "CleanOptions": "nbcollab.options",
    # Diff
    "align_cells": "nbcollab.align.cells",
    "diff_notebooks": "nbcollab.diff.compute",
    "DiffOptions": "nbcollab.options",
    "NotebookDiff": "nbcollab.diff.compute",
    "render_text": "nbcollab.render.text",
    "to_nbdime_diff": "nbcollab.render.nbdime",
    # Merge and resolve
    "merge_notebooks": "nbcollab.merge.notebook",
    "MergeOptions": "nbcollab.options",
    "MergeResult": "nbcollab.merge.notebook",
    "find_conflicts": "nbcollab.merge.conflicts",
    "resolve_conflicts": "nbcollab.merge.resolve",
    "Resolution": "nbcollab.merge.resolve.choice",
    "ResolveOutcome": "nbcollab.merge.resolve",
    # Lint
    "lint_notebook": "nbcollab.lint.notebook",
    "LintOptions": "nbcollab.lint.options",
    "LintResult": "nbcollab.lint.notebook",
    # Export
    "export_module": "nbcollab.export.assemble",
    "ExportOptions": "nbcollab.export.options",
    "ExportedModule": "nbcollab.export.assemble",
    # Trust
    "open_notary": "nbcollab.trust.notary",
    "check_notebook_text": "nbcollab.trust.notary",
    "sign_notebook_text": "nbcollab.trust.notary",
    "FileTrust": "nbcollab.trust.notary",
    "sign_merge_result": "nbcollab.trust.notary",
    "TrustOutcome": "nbcollab.trust.notary",
    # Configuration for a path
    "load_config": "nbcollab.config.load",
    "ConfigByFolder": "nbcollab.config.folders",
    "Config": "nbcollab.config.model",
    # Errors
    "NbcollabError": "nbcollab.errors",
    "InvalidNotebook": "nbcollab.errors",
    "ConfigError": "nbcollab.errors",
}

__all__ = [
    "CleanOptions",
    "Config",
    "ConfigByFolder",
    "ConfigError",
    "DiffOptions",
    "ExportOptions",
    "ExportedModule",
    "FileTrust",
    "InvalidNotebook",
    "LintOptions",
    "LintResult",
    "MergeOptions",
    "MergeResult",
    "NbcollabError",
    "NotebookDiff",
    "Resolution",
    "ResolveOutcome",
    "TrustOutcome",
    "__version__",
    "align_cells",
    "check_notebook_text",
    "clean_notebook",
    "diff_notebooks",
    "export_module",
    "find_conflicts",
    "install_importer",
    "lint_notebook",
    "load_config",
    "merge_notebooks",
    "open_notary",
    "parse_notebook",
    "read_notebook_file",
    "render_text",
    "resolve_conflicts",
    "serialize_notebook",
    "sign_merge_result",
    "sign_notebook_text",
    "to_nbdime_diff",
    "write_atomic",
]


def install_importer() -> None:
    """Let ``import`` find notebooks on ``sys.path`` and run their exported cells (idempotent)."""
    # Importing nbcollab.importer installs its finder: done here, when asked, so that resolving
    # the names of ``__all__`` (``from nbcollab import *``) changes no import machinery. By name,
    # as every lazy name is: the package's root stays out of the layers' import graph.
    import importlib

    importlib.import_module("nbcollab.importer").install_importer()


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbcollab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once: later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
