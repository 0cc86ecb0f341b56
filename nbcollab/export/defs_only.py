"""``--defs-only``: keep the statements that define things, drop top-level side effects.

Kept: imports, ``def``, ``class``, ``if __name__ == "__main__":`` guards, assignments to
UPPER_CASE names (constants), ``__all__``, and ``if``/``try`` blocks made only of those (the
``try: import x`` / ``except ImportError`` idiom). Everything else at the top level (calls, plots,
prints, loops) is dropped, so importing the module runs no notebook work.
"""

from __future__ import annotations

import ast
import re

from nbcollab.export.model import Line

_CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def is_definition(node: ast.stmt, *, nested: bool = False) -> bool:
    """Whether running ``node`` at import time only defines names.

    Inside an ``if``/``try`` block (``nested``) any name may be bound to a value that calls
    nothing, for the ``except ImportError: np = None`` idiom.
    """
    if isinstance(node, (*_DEFINITIONS, ast.Pass)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if nested and node.value is not None and _calls_nothing(node.value):
            return all(_target_names_only(target) for target in targets)
        return all(_is_constant_target(target) for target in targets)
    if isinstance(node, ast.If):
        return _is_main_guard(node.test) or _all_definitions(node.body + node.orelse)
    if isinstance(node, ast.Try):
        handlers = [stmt for handler in node.handlers for stmt in handler.body]
        return _all_definitions(node.body + handlers + node.orelse + node.finalbody)
    return False


def _all_definitions(body: list[ast.stmt]) -> bool:
    return bool(body) and all(is_definition(stmt, nested=True) for stmt in body)


def _calls_nothing(value: ast.expr) -> bool:
    return not any(
        isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr))
        for n in ast.walk(value)
    )


def _target_names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_target_names_only(item) for item in target.elts)
    return False


def _is_constant_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return bool(_CONSTANT.match(target.id)) or target.id == "__all__"
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_is_constant_target(item) for item in target.elts)
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


def keep_definitions(lines: tuple[Line, ...], tree: ast.Module) -> tuple[Line, ...]:
    """The lines of the top-level statements of ``tree`` that only define names."""
    by_number = dict(lines)
    kept_spans: list[tuple[ast.stmt, tuple[int, int]]] = []
    dropped_lines: set[int] = set()
    for node in tree.body:
        span = (_first_line(node), node.end_lineno or node.lineno)
        if is_definition(node):
            kept_spans.append((node, span))
        else:
            dropped_lines.update(range(span[0], span[1] + 1))
    out: dict[int, str] = {}
    for node, (first, last) in kept_spans:
        if dropped_lines.intersection(range(first, last + 1)):
            # Shares a line with a dropped statement (``import os; run()``): write it alone.
            for i, text in enumerate(ast.unparse(node).split("\n")):
                number = node.lineno + i
                out[number] = f"{out[number]}; {text}" if number in out else text
        else:
            out.update((n, by_number[n]) for n in range(first, last + 1) if n in by_number)
    return tuple(sorted(out.items()))


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])
