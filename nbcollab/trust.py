"""Re-sign merged notebooks with the user's Jupyter notary, only when that is safe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TrustOutcome:
    """Whether a merge result was signed, and one line saying why."""

    signed: bool
    reason: str


def sign_merge_result(
    result_text: str, *, inputs: Sequence[str | bytes | None], path: str
) -> TrustOutcome:
    """Sign ``result_text`` only when every rich output in it came from an already trusted input."""
    return TrustOutcome(False, "not signed: trust checking is not available yet")
