"""nbformat, imported without the seconds an optional jsonschema checker adds to it.

nbformat imports jsonschema, and jsonschema imports every optional format checker it finds
installed. One of them, rfc3987-syntax (installed with Jupyter Server: jupyter-events requires
``jsonschema[format-nongpl]``), builds an Earley parser of RFC 3987 when it is imported: 2 to 3
seconds of CPU, against about 0.3 s for the rest of nbformat, paid by every command that signs,
checks trust or runs a kernel. nbformat never checks an IRI. So while jsonschema is first
imported, its IRI checker gets a stand-in that imports the real rfc3987-syntax the first time an
IRI is checked: jsonschema answers exactly as before, and pays for the parser only when used.

Every import of nbformat or nbclient in nbcollab goes through ``load_nbformat`` first.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

_IRI_CHECKER = "rfc3987_syntax"


def load_nbformat() -> ModuleType:
    """The nbformat module (imported without building rfc3987-syntax's parser)."""
    if "jsonschema" not in sys.modules and _IRI_CHECKER not in sys.modules:
        _import_jsonschema_lazily()
    import nbformat

    return nbformat


def _import_jsonschema_lazily() -> None:
    try:
        installed = importlib.util.find_spec(_IRI_CHECKER) is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        return
    stand_in = ModuleType(_IRI_CHECKER)
    stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[_IRI_CHECKER] = stand_in
    try:
        import jsonschema  # noqa: F401 - bound to the stand-in's function
    except ImportError:
        pass  # nbformat's own import says what is missing
    finally:
        if sys.modules.get(_IRI_CHECKER) is stand_in:
            del sys.modules[_IRI_CHECKER]


def _is_valid_syntax(term: str, value: str) -> bool:
    """rfc3987-syntax's check, the real module imported on first use."""
    from rfc3987_syntax import is_valid_syntax

    return bool(is_valid_syntax(term, value))
