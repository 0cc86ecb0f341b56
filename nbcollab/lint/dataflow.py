"""What one cell does to the notebook's namespace, in the order it does it.

``cell_events`` turns a cell's Python into a list of module-level events: a name used, bound,
deleted, or a star import (names nobody can list). Scopes follow Python's rules: a function
body's free names are not used when the ``def`` runs but each time the function is called, so
they are kept on the ``def`` event (``Event.function``) and replayed at every use of its name;
class bodies and comprehensions run at once; ``global`` makes a function bind module names when
called; walrus in a comprehension binds in the enclosing scope. Uses under ``try/except
NameError`` (or anything catching it) and under ``'x' in globals()`` tests are marked guarded;
``if TYPE_CHECKING:`` bodies never run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Literal

from nbcollab.lint.scopes import Scope, bound_names, catches_name_error, globals_tested, never_runs

EventKind = Literal["use", "def", "del", "star"]


@dataclass
class Function:
    """What calling a function (or instantiating a class) does: its free uses and global binds."""

    events: list[Event] = field(default_factory=list)


@dataclass
class Event:
    """One module-level effect of a cell; ``line``/``col`` as ``ast`` gives them."""

    kind: EventKind
    name: str
    line: int
    col: int
    guarded: bool = False
    function: Function | None = None


def cell_events(tree: ast.Module) -> list[Event]:
    """The module-level events of one parsed cell, in execution order."""
    collector = _Collector()
    collector.visit_body(tree.body)
    return collector.events


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.scopes: list[Scope] = [Scope("module")]
        self.owner: Function | None = None  # where deferred effects go (inside a def)
        self.guard = 0
        self.guarded_names: list[frozenset[str]] = []
        self.class_functions: list[Function | None] = []

    # -- emitting -----------------------------------------------------------------------------
    def _emit(
        self, kind: EventKind, name: str, node: ast.AST, function: Function | None = None
    ) -> None:
        guarded = self.guard > 0 or any(name in names for names in self.guarded_names)
        event = Event(
            kind,
            name,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0),
            guarded,
            function,
        )
        (self.owner.events if self.owner is not None else self.events).append(event)

    def use(self, name: str, node: ast.AST) -> None:
        if self._resolve(name) == "global":
            self._emit("use", name, node)

    def store(self, name: str, node: ast.AST, function: Function | None = None) -> None:
        scope = next(s for s in reversed(self.scopes) if s.kind != "comp")
        if scope.kind == "module" or (scope.kind == "function" and name in scope.declared_global):
            self._emit("def", name, node, function)

    def delete(self, name: str, node: ast.AST) -> None:
        scope = self.scopes[-1]
        if scope.kind == "module" or (scope.kind == "function" and name in scope.declared_global):
            self._emit("del", name, node)

    def _resolve(self, name: str) -> Literal["local", "global"]:
        innermost = True
        for scope in reversed(self.scopes):
            if scope.kind == "module":
                return "global"
            if scope.kind == "function" and name in scope.declared_global:
                return "global"
            if name in scope.local and (scope.kind != "class" or innermost):
                return "local"
            if scope.kind != "comp":
                innermost = False
        return "global"

    # -- statements ---------------------------------------------------------------------------
    def visit_body(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.visit(statement)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Lambda) and self._at_module_level():
            self._named_lambda(node)
            return
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.use(node.target.id, node.target)
        self.visit(node.value)
        self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self.visit(node.target)
        self.visit(node.annotation)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        self._loop_carried(node.body)
        self.visit_body(node.body)
        self.visit_body(node.orelse)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self._loop_carried(node.body)
        self.visit(node.test)
        self.visit_body(node.body)
        self.visit_body(node.orelse)

    def _loop_carried(self, body: list[ast.stmt]) -> None:
        """A loop may read in one pass what it binds later in the previous pass
        (``if i: print(prev)`` ... ``prev = i``): its names count as bound from its start."""
        if self._at_module_level() and self.owner is None:
            for name in sorted(bound_names(body)):
                self._emit("def", name, body[0])

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        tested = globals_tested(node.test)
        self.guarded_names.append(tested)
        if not never_runs(node.test):
            self.visit_body(node.body)
        self.visit_body(node.orelse)
        self.guarded_names.pop()

    def visit_Try(self, node: ast.Try) -> None:
        guarded = catches_name_error(node.handlers)
        self.guard += guarded
        self.visit_body(node.body)
        self.guard -= guarded
        for handler in node.handlers:
            if handler.type is not None:
                self.visit(handler.type)
            if handler.name:
                self.store(handler.name, handler)
            self.visit_body(handler.body)
            if handler.name:
                self.delete(handler.name, handler)
        self.visit_body(node.orelse)
        self.visit_body(node.finalbody)

    visit_TryStar = visit_Try

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                if self._at_module_level():
                    self._emit("star", "*", node)
                continue
            self.store(alias.asname or alias.name.split(".")[0], node)

    visit_ImportFrom = visit_Import

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.delete(target.id, target)
            else:
                self.visit(target)

    def visit_Global(self, node: ast.Global) -> None:
        return None  # handled when the function's scope is built

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        return None  # the name stays in the enclosing function

    def visit_match_case(self, node: ast.match_case) -> None:
        for sub in ast.walk(node.pattern):
            if isinstance(sub, ast.MatchValue | ast.MatchClass):
                self.visit(sub.value if isinstance(sub, ast.MatchValue) else sub.cls)
            for name in (getattr(sub, "name", None), getattr(sub, "rest", None)):
                if isinstance(name, str):
                    self.store(name, node.pattern)
        if node.guard is not None:
            self.visit(node.guard)
        self.visit_body(node.body)

    # -- scopes -------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        previous = self._enter_function(node.args, node.body)
        self.visit_body(node.body)
        self.store(node.name, node, self._leave_function(previous))

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_arguments(node.args)
        # An anonymous lambda at module level is almost always called at once (df.apply).
        self.scopes.append(Scope("comp", local=bound_names([], node.args)))
        self.visit(node.body)
        self.scopes.pop()

    def _named_lambda(self, node: ast.Assign) -> None:
        lambda_ = node.value
        if not isinstance(lambda_, ast.Lambda):
            return
        self._visit_arguments(lambda_.args)
        previous = self._enter_function(lambda_.args, [ast.Expr(lambda_.body)])
        self.visit(lambda_.body)
        function = self._leave_function(previous)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.store(target.id, target, function)
            else:
                self.visit(target)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        # At module level the body runs now; its methods' free names are needed when the class
        # is used, so they go on the class's own Function.
        methods = Function() if self.owner is None else None
        self.class_functions.append(methods)
        self.scopes.append(Scope("class", local=bound_names(node.body)))
        self.visit_body(node.body)
        self.scopes.pop()
        self.class_functions.pop()
        self.store(node.name, node, methods)

    def _enter_function(self, args: ast.arguments, body: list[ast.stmt]) -> Function | None:
        previous = self.owner
        if previous is None:
            in_class = self.scopes[-1].kind == "class" and self.class_functions
            self.owner = (self.class_functions[-1] if in_class else None) or Function()
        scope = Scope("function", local=bound_names(body, args))
        scope.declared_global = {
            name for s in _own_statements(body) if isinstance(s, ast.Global) for name in s.names
        }
        scope.local -= scope.declared_global
        self.scopes.append(scope)
        return previous

    def _leave_function(self, previous: Function | None) -> Function | None:
        """Back to the enclosing scope; the new Function when this def was at the top."""
        self.scopes.pop()
        created, self.owner = self.owner, previous
        return created if previous is None else None

    def _visit_arguments(self, args: ast.arguments) -> None:
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default)
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def _at_module_level(self) -> bool:
        return all(scope.kind == "module" for scope in self.scopes)

    # -- expressions --------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.use(node.id, node)
        elif isinstance(node.ctx, ast.Store):
            self.store(node.id, node)
        else:
            self.delete(node.id, node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.store(node.target.id, node.target)

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        generators = node.generators
        self.visit(generators[0].iter)
        targets = {n.id for g in generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        self.scopes.append(Scope("comp", local=targets))
        for index, generator in enumerate(generators):
            if index:
                self.visit(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def _own_statements(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of ``body`` outside nested functions and classes."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return found
