"""Import notebooks as modules: after ``import nbcollab.importer``, ``import my_nb`` finds
``my_nb.ipynb`` on ``sys.path``.

Only the cells ``nbcollab export`` would export run (same directives, tags and
``[tool.nbcollab.export]`` options); no other cell is executed. Each cell is compiled on its own
with a file name naming the notebook and the cell (``/x/my_nb.ipynb, cell 3 (id ab12)``) and its
own line numbers, so tracebacks, ``inspect.getsource`` and debuggers point into the notebook.
Folders of notebooks are packages (namespace packages, or with an ``__init__.py``) and relative
imports work. The compiled code is cached in ``__pycache__`` beside the notebook, keyed by the
notebook's bytes, its project's pyproject.toml, its path and the Python version, so a second
import reads one small file and runs no parser.

The finder sits at the end of ``sys.meta_path``: it is asked only about names that no other
finder found, so it costs ordinary imports nothing.
"""

from __future__ import annotations
import __future__

import importlib.util
import linecache
import marshal
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType

from nbcollab.config.find import nearest_pyproject

# Kept to cheap imports (no hashlib, pathlib, tempfile, dataclasses, nbcollab.options): a cached
# import costs what reading the cache costs.
_CACHE_FORMAT = b"nbcollab-import-1\n"
# What a notebook compiles to: its ``__all__`` and, per exported cell, (file name, source, code).
_Compiled = tuple[list[str], list[tuple[str, str, CodeType]]]


class NotebookFinder:
    """Finds ``name.ipynb`` in the folders of ``sys.path`` or of the parent package."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        name = fullname.rpartition(".")[2]
        for entry in sys.path if path is None else path:
            if not isinstance(entry, str):
                continue
            candidate = os.path.join(entry or ".", f"{name}.ipynb")
            if os.path.isfile(candidate):
                candidate = os.path.abspath(candidate)
                # typeshed wants an importlib.abc.Loader, which the import system never checks
                # for (it calls exec_module); importing importlib.abc costs ~30 ms.
                loader = NotebookLoader(fullname, candidate)
                return importlib.util.spec_from_file_location(fullname, candidate, loader=loader)  # type: ignore[arg-type]
        return None


class NotebookLoader:
    """Runs a notebook's exported cells in a fresh module."""

    def __init__(self, fullname: str, path: str) -> None:
        self.name = fullname
        self.path = path

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        names, cells = _load(self.path, self.name)
        for filename, source, _ in cells:
            # mtime None: linecache.checkcache keeps the entry (there is no such file to stat).
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        for _, _, code in cells:
            exec(code, module.__dict__)  # noqa: S102 - running the exported cells is the point
        module.__dict__.setdefault("__all__", names)


def _load(path: str, fullname: str) -> _Compiled:
    with open(path, "rb") as handle:
        data = handle.read()
    key = _cache_key(path, data)
    cache = _cache_path(path)
    cached = _read_cache(cache, key)
    if cached is not None:
        return cached
    compiled = _compile(path, data, fullname)
    if not sys.dont_write_bytecode:
        _write_cache(cache, key, compiled)
    return compiled


def _cache_key(path: str, data: bytes) -> bytes:
    from nbcollab import __version__

    # Python's own content hash for hash-based .pyc files (no hashlib: loading OpenSSL costs
    # more than the rest of a cached import). 8 bytes per part, 48 in all.
    pyproject = nearest_pyproject(os.path.dirname(path))
    parts = (
        _CACHE_FORMAT,
        __version__.encode(),
        sys.version.encode(),
        path.encode("utf-8", "surrogateescape"),
        _read(pyproject) if pyproject else b"",
        data,
    )
    return b"".join(importlib.util.source_hash(part) for part in parts)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _cache_path(path: str) -> str:
    folder, name = os.path.split(path)
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(folder, "__pycache__", f"{name[:-6]}.{tag}.nbcollab")


def _read_cache(cache: str, key: bytes) -> _Compiled | None:
    blob = _read(cache)
    if not blob.startswith(_CACHE_FORMAT + key):
        return None
    try:
        names, cells = marshal.loads(blob[len(_CACHE_FORMAT) + len(key) :])
        return list(names), [(str(f), str(s), c) for f, s, c in cells]
    except (EOFError, ValueError, TypeError):
        return None


def _write_cache(cache: str, key: bytes, compiled: _Compiled) -> None:
    names, cells = compiled
    payload = marshal.dumps((names, cells))
    tmp = f"{cache}.{os.getpid()}.{id(payload)}.tmp"  # unique per writer, threads included
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_CACHE_FORMAT + key + payload)
        os.replace(tmp, cache)  # readers see the old file or the new one, never half of one
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass  # a read-only folder: import without a cache, as Python does for .pyc files


def _compile(path: str, data: bytes, fullname: str) -> _Compiled:
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.errors import NbcollabError
    from nbcollab.export.assemble import public_names
    from nbcollab.export.cells import plan_cells
    from nbcollab.notebook.codec import parse_notebook

    try:
        options = ConfigByFolder().config_for(path).export
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))  # shown below
            plan = plan_cells(parse_notebook(data, path=path), options=options, path=path)
    except NbcollabError as exc:
        raise ImportError(str(exc), name=fullname, path=path) from None
    flags = 0
    for feature in plan.future:
        flags |= getattr(__future__, feature).compiler_flag
    cells = []
    for cell in plan.cells:
        filename = f"{path}, {cell.label}"
        source = cell.text()
        code = compile(source, filename, "exec", flags, dont_inherit=True)
        cells.append((filename, source, code))
    return public_names(plan), cells


def install_importer() -> None:
    """Let ``import`` find notebooks (idempotent)."""
    if not any(isinstance(finder, NotebookFinder) for finder in sys.meta_path):
        sys.meta_path.append(NotebookFinder())


install_importer()
