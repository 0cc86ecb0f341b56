"""Import notebooks as modules: after ``import nbcollab.importer``, ``import my_nb`` finds
``my_nb.ipynb`` on ``sys.path``.

Only the cells ``nbcollab export`` would export run (same directives, tags and
``[tool.nbcollab.export]`` options); no other cell is executed. The module is the one ``nbcollab
export`` writes: it starts the same way (its ``from __future__`` imports, which bind their names
and set every cell's compiler flags, then ``__all__``), and ``inspect.getsource`` returns that
module's text for the module and finds its classes in it. Each cell is compiled on its own with a
file name naming the notebook and the cell (``/x/my_nb.ipynb, cell 3 (id ab12)``) and its own line
numbers, so tracebacks, ``inspect.getsource`` of functions and debuggers point into the notebook.
Folders of notebooks are packages (namespace packages, or with an ``__init__.py``) and relative
imports work.

The compiled code is cached in ``__pycache__`` beside the notebook, keyed by the notebook's bytes,
its project's pyproject.toml, its path and the Python version, so a second import reads one small
file and runs no parser. Anyone can compute that key, so the cache is also signed with a secret
key that only the user can read (keyed BLAKE2b, a MAC): a cache file someone else wrote (committed
to a repository, left in a shared folder) fails the check and is never unmarshalled or run.

The finder sits at the end of ``sys.meta_path``: it is asked only about names that no other
finder found, so it costs ordinary imports nothing.
"""

from __future__ import annotations
import __future__

import importlib.util
import linecache
import marshal
import os
import stat
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType

try:  # keyed BLAKE2b without importing hashlib, whose OpenSSL load costs more than an import
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - Pythons built without the module
    from hashlib import blake2b
from _operator import _compare_digest  # hmac.compare_digest, without importing hmac

from nbcollab.config.find import nearest_pyproject

# Kept to cheap imports (no hashlib, pathlib, tempfile, dataclasses, nbcollab.options): a cached
# import costs what reading the cache costs.
_CACHE_FORMAT = b"nbcollab-import-2\n"
_KEY_BYTES = 32
_MAC_BYTES = 32
_MAX_READ = 512 * 1024 * 1024  # as nbcollab.files: far above any notebook
# What a notebook compiles to: the module's text, its lines before the first cell as code, and
# per exported cell (file name, source, code, {line in the cell: line in the module text}).
_Cell = tuple[str, str, CodeType, dict[int, int]]
_Compiled = tuple[str, CodeType, list[_Cell]]
# From Python 3.13 a class records the line it starts on, and inspect reads that line from the
# module's text: a class compiled in a cell must be told its line in the module.
_CLASS_LINES = sys.version_info >= (3, 13)


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
        text, prologue, cells = _load(self.path, self.name)
        _remember(self.path, text)  # the module's source: its exported text, not the JSON
        for filename, source, _, _ in cells:
            _remember(filename, source)
        namespace = module.__dict__
        exec(prologue, namespace)  # noqa: S102 - the module's own first lines
        placed: set[int] = set()
        for _, _, code, lines in cells:
            exec(code, namespace)  # noqa: S102 - running the exported cells is the point
            if _CLASS_LINES:
                for value in list(namespace.values()):
                    _place_class(value, module.__name__, lines, placed)

    def get_source(self, fullname: str) -> str:
        """The module's text, as ``nbcollab export`` writes it."""
        return _load(self.path, fullname)[0]


def _remember(filename: str, text: str) -> None:
    # mtime None: linecache.checkcache keeps the entry (it is not the file's own text).
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


def _place_class(value: object, module: str, lines: dict[int, int], placed: set[int]) -> None:
    """Give a class the cell just ran (and the classes nested in it) its module-text line."""
    if not isinstance(value, type) or id(value) in placed or value.__module__ != module:
        return
    placed.add(id(value))
    first = vars(value).get("__firstlineno__")
    if isinstance(first, int) and first in lines:
        try:
            value.__firstlineno__ = lines[first]  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            pass  # a metaclass that refuses new attributes: inspect cannot find it, as before
    for inner in list(vars(value).values()):
        if isinstance(inner, type) and inner.__qualname__.startswith(f"{value.__qualname__}."):
            _place_class(inner, module, lines, placed)


def _load(path: str, fullname: str) -> _Compiled:
    data = _read(path)
    if data is None:
        raise ImportError(f"{path}: cannot read the notebook", name=fullname, path=path)
    key = _cache_key(path, data)
    cache = _cache_path(path)
    secret = _secret()  # None: no key only this user can read, so no cache is trusted
    cached = _read_cache(cache, key, secret) if secret is not None else None
    if cached is not None:
        return cached
    compiled = _compile(path, data, fullname)
    if not sys.dont_write_bytecode:
        secret = secret or _secret(create=True)
        if secret is not None:
            _write_cache(cache, key, compiled, secret)
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
        (_read(pyproject) or b"") if pyproject else b"",
        data,
    )
    return b"".join(importlib.util.source_hash(part) for part in parts)


def _read(path: str, *, limit: int = _MAX_READ, private: bool = False) -> bytes | None:
    """A regular file's bytes, or None: a FIFO is never waited on, a device never read (as
    ``nbcollab.files``, whose imports a cached import cannot afford). ``private``: also None for
    a link, or a file that another user owns or may read or write."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | (getattr(os, "O_NOFOLLOW", 0) if private else 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        if (
            private
            and hasattr(os, "getuid")
            and (info.st_uid != os.getuid() or info.st_mode & 0o077)
        ):
            return None  # another user could read or replace it
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def _cache_path(path: str) -> str:
    folder, name = os.path.split(path)
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(folder, "__pycache__", f"{name[:-6]}.{tag}.nbcollab")


def _key_path() -> str:
    """The user's secret key for signing caches: in the user's data folder."""
    base = os.environ.get("XDG_DATA_HOME") or (
        os.environ.get("LOCALAPPDATA")
        if os.name == "nt"
        else os.path.join(os.path.expanduser("~"), ".local", "share")
    )
    return os.path.join(base or os.path.expanduser("~"), "nbcollab", "import-key")


def _secret(*, create: bool = False) -> bytes | None:
    """The user's key (with ``create``, made when there is none), or None when no key only the
    user can read exists."""
    path = _key_path()
    if create and not os.path.lexists(path):
        _create_key(path)
    key = _read(path, limit=_KEY_BYTES, private=True)  # one others can touch proves nothing
    return key if key is not None and len(key) == _KEY_BYTES else None


def _create_key(path: str) -> None:
    """Write a new random key, readable by the user alone; whoever links it first wins."""
    folder = os.path.dirname(path)
    tmp = os.path.join(folder, f".import-key.{os.getpid()}.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(_KEY_BYTES))
        os.link(tmp, path)  # never replaces a key another process made meanwhile
    except OSError:
        pass  # exists already, or a read-only home: imports then compile without a cache
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _mac(secret: bytes, head: bytes, payload: bytes) -> bytes:
    return blake2b(head + payload, key=secret, digest_size=_MAC_BYTES).digest()


def _read_cache(cache: str, key: bytes, secret: bytes) -> _Compiled | None:
    blob = _read(cache)
    head = _CACHE_FORMAT + key
    if blob is None or not blob.startswith(head):
        return None
    mac, payload = blob[len(head) : len(head) + _MAC_BYTES], blob[len(head) + _MAC_BYTES :]
    if not _compare_digest(mac, _mac(secret, head, payload)):
        return None  # not written by this user: never unmarshalled, never run
    try:
        text, prologue, cells = marshal.loads(payload)
        return str(text), prologue, [(str(f), str(s), c, dict(n)) for f, s, c, n in cells]
    except (EOFError, ValueError, TypeError):
        return None


def _write_cache(cache: str, key: bytes, compiled: _Compiled, secret: bytes) -> None:
    folder = os.path.dirname(cache)
    if os.path.islink(folder):
        return  # a __pycache__ that leads elsewhere: write nothing there
    head = _CACHE_FORMAT + key
    payload = marshal.dumps(compiled)
    tmp = f"{cache}.{os.getpid()}.{id(payload)}.tmp"  # unique per writer, threads included
    try:
        os.makedirs(folder, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(head + _mac(secret, head, payload) + payload)
        os.replace(tmp, cache)  # readers see the old file or the new one, never half of one
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass  # a read-only folder: import without a cache, as Python does for .pyc files


def _compile(path: str, data: bytes, fullname: str) -> _Compiled:
    from pathlib import Path

    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.errors import NbcollabError
    from nbcollab.export.assemble import build_module
    from nbcollab.export.files import source_name
    from nbcollab.notebook.codec import parse_notebook

    notebook = Path(path)
    try:
        configs = ConfigByFolder()
        options = configs.config_for(path).export
        nb = parse_notebook(data, path=path)
        root = configs.project_folder(path)
        built = build_module(nb, options=options, source_name=source_name(notebook, root))
    except NbcollabError as exc:
        raise ImportError(str(exc), name=fullname, path=path) from None
    flags = 0
    for feature in built.plan.future:
        flags |= getattr(__future__, feature).compiler_flag
    module_lines: dict[int, dict[int, int]] = {}
    for line, (cell, number) in built.origins.items():
        module_lines.setdefault(cell.index, {})[number] = line
    # The module's lines before its first cell: header, ``from __future__`` imports, __all__.
    first = min(built.origins, default=len(built.text.splitlines()) + 1)
    prologue = "".join(built.text.splitlines(True)[: first - 1])
    cells = []
    for cell in built.plan.cells:
        filename = f"{path}, {cell.label}"
        source = cell.text()
        code = compile(source, filename, "exec", flags, dont_inherit=True)
        cells.append((filename, source, code, module_lines.get(cell.index, {})))
    return built.text, compile(prologue, path, "exec", dont_inherit=True), cells


def install_importer() -> None:
    """Let ``import`` find notebooks (idempotent)."""
    if not any(isinstance(finder, NotebookFinder) for finder in sys.meta_path):
        sys.meta_path.append(NotebookFinder())


install_importer()
