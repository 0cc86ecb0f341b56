"""nbcollab: Jupyter notebooks as first-class citizens of git.

The library API works on notebooks as plain dicts (parsed JSON with multi-line strings joined)::

    from nbcollab import clean_notebook, diff_notebooks, merge_notebooks, parse_notebook
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Public names resolved on first use, so that ``import nbcollab`` stays cheap for the git filter.
_LAZY = {
    "parse_notebook": "nbcollab.notebook.codec",
    "serialize_notebook": "nbcollab.notebook.codec",
    "clean_notebook": "nbcollab.clean.strip",
    "align_cells": "nbcollab.align.cells",
    "diff_notebooks": "nbcollab.diff.compute",
    "merge_notebooks": "nbcollab.merge.notebook",
    "find_conflicts": "nbcollab.merge.conflicts",
    "resolve_conflicts": "nbcollab.merge.resolve",
    "sign_merge_result": "nbcollab.trust.notary",
    "CleanOptions": "nbcollab.options",
    "DiffOptions": "nbcollab.options",
    "MergeOptions": "nbcollab.options",
    "load_config": "nbcollab.config.load",
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
