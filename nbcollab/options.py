"""The options of every capability: frozen dataclasses, pure (no files, no pydantic at import).

Each capability has one frozen dataclass of its options; the library functions take it as a
keyword argument. ``nbcollab.config.model.Config`` gathers every section of ``[tool.nbcollab]``
(the options of lint, export and the output cache live in their own packages) and
``nbcollab.config.load`` reads and validates it. The file's keys are kebab-case (``keep-outputs``); snake_case is accepted
too, and unknown keys are errors (``extra="forbid"``), so a typo never passes silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


def _kebab(name: str) -> str:
    return name.replace("_", "-")


# pydantic's config for the option classes (a plain dict, so defining them needs no pydantic).
PYDANTIC_CONFIG = {"extra": "forbid", "alias_generator": _kebab, "populate_by_name": True}


# The rules of nbcollab.clean.normalize, by name (the first three are on by default).
NORMALIZE_RULES = ("address", "duration", "temp-path", "timestamp")
DEFAULT_NORMALIZE_RULES = NORMALIZE_RULES[:3]


@dataclass(frozen=True, kw_only=True)
class Replacement:
    """A user rule: every match of ``regex`` in output text becomes ``replace``."""

    __pydantic_config__ = PYDANTIC_CONFIG

    regex: str
    replace: str

    def __post_init__(self) -> None:
        try:
            re.compile(self.regex)
        except re.error as exc:
            raise ValueError(f"bad regular expression {self.regex!r}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class NormalizeOptions:
    """Which normalizations to apply to kept outputs (``[tool.nbcollab.normalize]``)."""

    __pydantic_config__ = PYDANTIC_CONFIG

    merge_streams: bool = True
    overwrites: bool = True
    rules: tuple[str, ...] = DEFAULT_NORMALIZE_RULES
    replace: tuple[Replacement, ...] = ()
    sanitize_file: str | None = None  # nbval's format; read when the config is loaded
    drop_run_metadata: bool = True
    renumber: bool = False

    def __post_init__(self) -> None:
        unknown = [name for name in self.rules if name not in NORMALIZE_RULES]
        if unknown:
            raise ValueError(
                f"unknown normalize rule {unknown[0]!r} (known: {', '.join(NORMALIZE_RULES)})"
            )


@dataclass(frozen=True, kw_only=True)
class CleanOptions:
    """What ``clean`` and the git filter strip from a notebook."""

    __pydantic_config__ = PYDANTIC_CONFIG

    keep_outputs: bool = False
    keep_execution_count: bool = False
    keep_output_tag: str = "keep_output"
    keep_output_types: tuple[str, ...] = ()
    drop_output_types: tuple[str, ...] = ()
    max_output_bytes: int | None = None
    extra_keys: tuple[str, ...] = ()
    keep_keys: tuple[str, ...] = ()
    drop_empty_cells: bool = False
    # nbstripout keeps the outputs of cells marked ``init_cell: true`` unless told otherwise.
    strip_init_cells: bool = False
    drop_tagged_cells: tuple[str, ...] = ()
    # nb-clean's default: all cell metadata goes but the keys listed (``-m`` keeps it all).
    strip_cell_metadata: bool = False
    keep_cell_metadata: tuple[str, ...] = ()
    drop_notebook_metadata: bool = False  # nb-clean's -M
    repair_ids: bool = True
    # Keep outputs and counts, rewritten to what is stable across runs (nbcollab.clean.normalize).
    normalize: bool = False
    # Filled in from [tool.nbcollab.normalize] when the config is loaded.
    normalize_options: NormalizeOptions = field(default_factory=NormalizeOptions)

    def __post_init__(self) -> None:
        if self.max_output_bytes is not None and self.max_output_bytes < 0:
            raise ValueError("max-output-bytes must be 0 or more")
        for selector in (*self.keep_output_types, *self.drop_output_types):
            problem = output_selector_problem(selector)
            if problem:
                raise ValueError(problem)
        for key in (*self.extra_keys, *self.keep_keys):
            if not key.startswith(("cell.metadata.", "metadata.")) or key.endswith("."):
                raise ValueError(f"key {key!r}: use cell.metadata.NAME or metadata.NAME")


OUTPUT_TYPES = ("display_data", "error", "execute_result", "stream", "pyerr", "pyout")
STREAM_NAMES = ("stderr", "stdout")
# Mime types a typo is measured against ("image/jpg" is not one: Jupyter writes image/jpeg).
KNOWN_MIME_TYPES = (
    "application/javascript",
    "application/json",
    "application/pdf",
    "application/vnd.jupyter.widget-view+json",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/svg+xml",
    "text/html",
    "text/latex",
    "text/markdown",
    "text/plain",
)


def output_selector_problem(selector: str) -> str | None:
    """Why ``selector`` (an output type, ``stream:stderr`` or a mime type) is wrong, or None."""
    import difflib

    if "/" in selector:
        head, _, tail = selector.partition("/")
        if not head or not tail or selector in KNOWN_MIME_TYPES:
            return None if head and tail else f"bad mime type {selector!r}"
        close = difflib.get_close_matches(selector, KNOWN_MIME_TYPES, n=1, cutoff=0.85)
        return f"unknown mime type {selector!r} (did you mean {close[0]}?)" if close else None
    kind, colon, name = selector.partition(":")
    if kind not in OUTPUT_TYPES:
        return (
            f"unknown output type {selector!r} (known: {', '.join(OUTPUT_TYPES)}, "
            "stream:stdout, stream:stderr, or a mime type such as image/png)"
        )
    if colon and (kind != "stream" or name not in STREAM_NAMES):
        return f"unknown output selector {selector!r} (known: stream:stdout, stream:stderr)"
    return None


@dataclass(frozen=True, kw_only=True)
class DiffOptions:
    """What ``diff`` compares; the ignore flags drop parts of the notebook from the comparison."""

    __pydantic_config__ = PYDANTIC_CONFIG

    ignore_sources: bool = False
    ignore_outputs: bool = False
    ignore_metadata: bool = False
    ignore_execution_counts: bool = False
    ignore_ids: bool = False
    ignore_attachments: bool = False
    normalize_outputs: bool = False
    # Filled in from [tool.nbcollab.normalize] when the config is loaded.
    normalize_options: NormalizeOptions = field(default_factory=NormalizeOptions)


class DiffFormat(str, Enum):
    """Output formats of ``nbcollab diff``."""

    TEXT = "text"
    JSON = "json"
    HTML = "html"


class OutputStrategy(str, Enum):
    """How a merge resolves outputs and execution counts, which are derived data."""

    AUTO = "auto"
    OURS = "ours"
    THEIRS = "theirs"
    CLEAR = "clear"
    UNION = "union"
    CONFLICT = "conflict"


@dataclass(frozen=True, kw_only=True)
class MergeOptions:
    """How ``merge`` and the git merge driver combine three versions."""

    __pydantic_config__ = PYDANTIC_CONFIG

    outputs: OutputStrategy = OutputStrategy.AUTO
    sign: bool = True
    # How outputs are compared (a re-run that changed only volatile text changed nothing); filled
    # in from [tool.nbcollab.normalize] when the config is loaded.
    normalize_options: NormalizeOptions = field(default_factory=NormalizeOptions)
