"""Choose a notebook's exported cells and turn each into checked plain-Python lines."""

from __future__ import annotations

import ast
from typing import Any

from nbcollab.export.defs_only import keep_definitions
from nbcollab.export.directives import Directives, export_kind, parse_directives
from nbcollab.export.ipython import IPythonCell, strip_ipython
from nbcollab.export.model import CellCode, CellPlan, ExportError, Line
from nbcollab.export.options import ExportOptions, Selection
from nbcollab.notebook.cells import cell_name
from nbcollab.notebook.lines import Notebook, cell_source, is_valid_cell_id, iter_cells


def plan_cells(nb: Notebook, *, options: ExportOptions, path: str) -> CellPlan:
    """The exported cells of ``nb`` as checked Python, or ExportError naming the cell and line."""
    _check_language(nb, path)
    cells = iter_cells(nb)
    parsed = [_directives(cell) for cell in cells]
    module_name = next(
        (d.argument("default_exp") for d in parsed if d and d.has("default_exp")), None
    )
    out: list[CellCode] = []
    warnings: list[str] = []
    future: list[str] = []
    extra_all: list[str] = []
    for index, (cell, directives) in enumerate(zip(cells, parsed)):
        if directives is None:
            continue
        kind = _selected(cell, directives, options, module_name)
        if kind is None:
            continue
        cell_id = cell.get("id") if is_valid_cell_id(cell.get("id")) else None
        where = f"{path}: {cell_name(index, cell_id=cell_id)}"
        lines = _python_lines(directives, options, where, warnings)
        if lines is None:
            continue
        checked = _checked(lines, options, where, future)
        if checked is None:
            warnings.append(f"{where}: skipped: top-level await runs only in IPython")
            continue
        lines, names = checked
        extra_all.extend(names)
        if lines:
            out.append(CellCode(index=index, cell_id=cell_id, lines=lines, public=kind == "public"))
    return CellPlan(
        module_name=module_name or None,
        cells=tuple(out),
        warnings=tuple(warnings),
        future=tuple(dict.fromkeys(future)),
        extra_all=tuple(dict.fromkeys(extra_all)),
    )


def _check_language(nb: Notebook, path: str) -> None:
    metadata = nb.get("metadata", {})
    kernelspec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    language = kernelspec.get("language") or info.get("name") or "python"
    if not isinstance(language, str) or language.lower() not in ("python", "python3", "ipython"):
        shown = "".join(c for c in str(language) if c.isprintable())[:40]
        raise ExportError(f"{path}: a {shown} notebook, not Python: nothing to export")


def _directives(cell: Any) -> Directives | None:
    if cell.get("cell_type") != "code":
        return None
    source = cell_source(cell).replace("\r\n", "\n").replace("\r", "\n")
    return parse_directives(source)


def _selected(
    cell: Any, directives: Directives, options: ExportOptions, module_name: str | None
) -> str | None:
    tags = cell.get("metadata", {}).get("tags", [])
    kind = export_kind(directives, tags if isinstance(tags, list) else [])
    target = directives.argument("export") or directives.argument("exporti")
    if kind is not None and target and module_name and target != module_name:
        return None  # nbdev's ``#| export other_module``: that cell belongs to another module
    if kind is None and options.select is Selection.ALL and not directives.has("hide"):
        kind = "public"
    return kind


def _python_lines(
    directives: Directives, options: ExportOptions, where: str, warnings: list[str]
) -> tuple[Line, ...] | None:
    try:
        return strip_ipython(directives.code_lines)
    except IPythonCell as exc:
        if exc.skip or options.lenient:
            warnings.append(f"{where}: skipped: {exc}")
            return None
        raise ExportError(f"{where}, line {exc.line}: {exc} (--lenient skips such cells)") from None


def _checked(
    lines: tuple[Line, ...], options: ExportOptions, where: str, future: list[str]
) -> tuple[tuple[Line, ...], list[str]] | None:
    """Compile the cell; apply --defs-only; hoist ``__future__`` imports; read ``_all_``.

    None: the cell awaits at the top level, which only IPython can run (skipped by the caller).
    """
    tree = _compiled_tree(lines, where)
    if tree is None:
        if not options.defs_only:
            return None
        # Its definitions may still be importable once the awaiting statements are dropped.
        awaiting = _compiled_tree(lines, where, top_level_await=True)
        lines = keep_definitions(lines, awaiting) if awaiting is not None else ()
        tree = _compiled_tree(lines, where)
        if tree is None:
            return None
    extra = _all_override(tree)
    if options.defs_only:
        lines = keep_definitions(lines, tree)
    futures = [
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
    ]
    dropped: set[int] = set()
    for node in futures:
        future.extend(alias.name for alias in node.names)
        dropped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    lines = tuple(line for line in lines if line[0] not in dropped)
    if not any(text.strip() and not text.lstrip().startswith("#") for _, text in lines):
        lines = ()
    return lines, extra


def _compiled_tree(
    lines: tuple[Line, ...], where: str, *, top_level_await: bool = False
) -> ast.Module | None:
    """The cell's syntax tree once it compiles; None when it needs top-level ``await``."""
    text = CellCode(0, None, lines, True).text() if lines else ""
    try:
        tree = ast.parse(text, filename=where)
        compile(
            tree,
            where,
            "exec",
            dont_inherit=True,
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if top_level_await else 0,
        )
    except SyntaxError as exc:
        if not top_level_await and _compiles_with_top_level_await(_tree_or_none(text)):
            return None
        raise ExportError(f"{where}, line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExportError(f"{where}: cannot compile ({type(exc).__name__})") from None
    return tree


def _tree_or_none(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _compiles_with_top_level_await(tree: ast.Module | None) -> bool:
    if tree is None:
        return False
    try:
        compile(tree, "<cell>", "exec", dont_inherit=True, flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _all_override(tree: ast.Module) -> list[str]:
    """Names from nbdev's ``_all_ = ["name", ...]``, which join ``__all__`` even when private."""
    names: list[str] = []
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_all_" for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            for item in node.value.elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    names.append(item.value)
                elif isinstance(item, ast.Name):
                    names.append(item.id)
    return names
