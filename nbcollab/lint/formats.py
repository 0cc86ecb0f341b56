"""The output formats of ``nbcollab lint`` (apart from the renderers, so the CLI loads fast)."""

from __future__ import annotations

from enum import Enum


class Format(str, Enum):
    """Output formats of ``nbcollab lint``."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"
