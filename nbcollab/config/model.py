"""Everything under ``[tool.nbcollab]``: one section per capability."""

from __future__ import annotations

from dataclasses import dataclass, field

from nbcollab.execute.options import ExecuteOptions
from nbcollab.export.options import ExportOptions
from nbcollab.lint.options import LintOptions
from nbcollab.options import (
    PYDANTIC_CONFIG,
    CleanOptions,
    DiffOptions,
    MergeOptions,
    NormalizeOptions,
)
from nbcollab.output_cache.options import CacheOptions


@dataclass(frozen=True, kw_only=True)
class Config:
    """Everything under ``[tool.nbcollab]``."""

    __pydantic_config__ = PYDANTIC_CONFIG
    clean: CleanOptions = field(default_factory=CleanOptions)
    diff: DiffOptions = field(default_factory=DiffOptions)
    merge: MergeOptions = field(default_factory=MergeOptions)
    export: ExportOptions = field(default_factory=ExportOptions)
    lint: LintOptions = field(default_factory=LintOptions)
    normalize: NormalizeOptions = field(default_factory=NormalizeOptions)
    cache: CacheOptions = field(default_factory=CacheOptions)
    execute: ExecuteOptions = field(default_factory=ExecuteOptions)
