"""Scope facts the dataflow collector needs: which names a body binds, and guarded code."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Literal

_NAME_ERROR_CATCHERS = frozenset({"NameError", "Exception", "BaseException"})
_NAMESPACE_CALLS = frozenset({"globals", "locals", "vars", "dir"})


@dataclass
class Scope:
    """One scope while walking a cell: its kind and the names local to it."""

    kind: Literal["module", "function", "class", "comp"]
    local: set[str] = field(default_factory=set)
    declared_global: set[str] = field(default_factory=set)


def bound_names(body: list[ast.stmt], args: ast.arguments | None = None) -> set[str]:
    """Every name ``body`` binds in its own scope (Python decides this for the whole body)."""
    names: set[str] = set()
    if args is not None:
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                names.add(arg.arg)
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.alias) and node.name != "*":
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            # Only a walrus inside binds in this scope; the comprehension's targets do not.
            names.update(n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return names


def catches_name_error(handlers: list[ast.ExceptHandler]) -> bool:
    """Whether a ``try`` swallows a NameError raised in its body."""
    for handler in handlers:
        if handler.type is None:
            return True
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            name = kind.id if isinstance(kind, ast.Name) else getattr(kind, "attr", None)
            if name in _NAME_ERROR_CATCHERS:
                return True
    return False


def never_runs(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` and ``if False:`` bodies never run."""
    if isinstance(test, ast.Constant):
        return not test.value
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
    return name == "TYPE_CHECKING"


def globals_tested(test: ast.expr) -> frozenset[str]:
    """Names an ``if`` tests for with ``'x' in globals()`` (or locals, vars, dir)."""
    names = set()
    for node in ast.walk(test):
        if not isinstance(node, ast.Compare) or not isinstance(node.left, ast.Constant):
            continue
        if not isinstance(node.left.value, str):
            continue
        for comparator in node.comparators:
            if (
                isinstance(comparator, ast.Call)
                and isinstance(comparator.func, ast.Name)
                and comparator.func.id in _NAMESPACE_CALLS
            ):
                names.add(node.left.value)
    return frozenset(names)
