"""The options of ``nbcollab export``, read from ``[tool.nbcollab.export]``.

Kept apart from ``nbcollab.config`` (which imports this class into its ``Config``) so that the
export subpackage owns its own vocabulary; the pydantic settings are the same as every other
option class: kebab-case keys, unknown keys are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


def _kebab(name: str) -> str:
    return name.replace("_", "-")


_PYDANTIC_CONFIG = {"extra": "forbid", "alias_generator": _kebab, "populate_by_name": True}


class Selection(str, Enum):
    """Which code cells a notebook's module is made of."""

    MARKED = "marked"  # cells with an ``#| export``-style directive or an ``export`` tag
    ALL = "all"  # every code cell except ``#| hide`` cells


@dataclass(frozen=True, kw_only=True)
class ExportOptions:
    """How notebooks become modules, and where the modules go."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    select: Selection = Selection.MARKED
    defs_only: bool = False
    lenient: bool = False
    # Where modules go when no mapping names the notebook (relative to the pyproject folder).
    outdir: str | None = None
    # Notebook glob (relative to the pyproject folder) -> module path; ``{name}`` stands for the
    # notebook's module name (its ``#| default_exp`` or its file stem), dots made folders.
    modules: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for pattern, target in self.modules.items():
            if not pattern or not target:
                raise ValueError("modules: a notebook glob and a module path are both needed")
            if not target.endswith(".py"):
                raise ValueError(f"modules: {target!r} must end in .py")
