"""Whether two JSON values are the same JSON, the one notion of "equal" of every diff.

Python's ``==`` calls ``1``, ``1.0`` and ``true`` equal and ``NaN`` unequal to itself; in a
notebook file they are different text, and the nbdime diff must patch one into the other. The
text diff and the JSON diff both ask ``same_value``, so ``nbcollab diff`` exits 0 exactly when its
JSON diff is empty.
"""

from __future__ import annotations

from typing import Any


def same_value(old: Any, new: Any) -> bool:
    """Whether two JSON values are the same JSON: unlike ``==``, ``1``, ``1.0`` and ``true``
    differ, and ``NaN`` equals itself (as ``json.dumps`` would write them)."""
    # A loop, not recursion: a notebook may nest deeper than Python's recursion limit.
    stack = [(old, new)]
    while stack:
        a, b = stack.pop()
        kind = type(a)
        if a is b:
            continue
        if kind is not type(b):  # bool is not int, int is not float
            return False
        if kind is dict:
            if a.keys() != b.keys():
                return False
            stack.extend((value, b[key]) for key, value in a.items())
        elif kind is list:
            if len(a) != len(b):
                return False
            stack.extend(zip(a, b))
        elif kind is float:  # as JSON writes them: -0.0 is not 0.0, NaN is NaN
            if repr(a) != repr(b):
                return False
        elif a != b:
            return False
    return True
