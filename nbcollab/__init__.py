"""nbcollab: Jupyter notebooks as first-class citizens of git.

The library API works on notebooks as plain dicts (parsed JSON with multi-line strings joined)::

    from nbcollab import clean_notebook, diff_notebooks, merge_notebooks, parse_notebook
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Public names resolved on first use, so that ``import nbcollab`` stays cheap for the git filter.
_LAZY = {
    "parse_notebook": "nbcollab.notebook_io",
    "serialize_notebook": "nbcollab.notebook_io",
    "clean_notebook": "nbcollab.clean",
    "align_cells": "nbcollab.align",
    "diff_notebooks": "nbcollab.diff",
    "merge_notebooks": "nbcollab.merge",
    "find_conflicts": "nbcollab.conflicts",
    "resolve_conflicts": "nbcollab.resolve",
    "sign_merge_result": "nbcollab.trust",
    "CleanOptions": "nbcollab.config",
    "DiffOptions": "nbcollab.config",
    "MergeOptions": "nbcollab.config",
    "load_config": "nbcollab.config",
    "install_importer": "nbcollab.importer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbcollab' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "CleanOptions",
    "DiffOptions",
    "MergeOptions",
    "__version__",
    "align_cells",
    "clean_notebook",
    "diff_notebooks",
    "find_conflicts",
    "install_importer",
    "load_config",
    "merge_notebooks",
    "parse_notebook",
    "resolve_conflicts",
    "serialize_notebook",
    "sign_merge_result",
]
