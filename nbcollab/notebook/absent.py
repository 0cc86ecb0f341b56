"""``ABSENT``: a key missing from one version of a JSON object, as opposed to a ``null`` value.

One sentinel for every module that compares or merges versions of a notebook (the diff, the
merge and its conflict record, the cleaner): ``old.get(key, ABSENT)``. It survives copying and
pickling as itself, so ``value is ABSENT`` holds wherever the value travels.
"""

from __future__ import annotations

from typing import Any, Final


class _Absent:
    """The type of ``ABSENT``; there is only ever one instance."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __copy__(self) -> _Absent:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Absent:
        return self

    def __reduce__(self) -> str:
        return "ABSENT"


ABSENT: Final[Any] = _Absent()
