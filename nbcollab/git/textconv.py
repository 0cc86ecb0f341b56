"""The readable text form of a notebook that git shows in ``git diff`` / ``git log -p``.

Git runs the textconv on a file path (a temporary copy of a blob, or the raw working-tree file,
which the clean filter has not seen), so the clean rules are applied here. A textconv that fails
makes ``git log -p`` stop at the first broken notebook in history: on any bad input the raw bytes
are returned instead, with control characters shown visibly as everywhere else.

Every string from the notebook is made terminal-safe (``safe_text``): ``git log -p`` prints the
text form straight to the terminal (through ``less -R``, which passes escape sequences on).

Cell headers carry the cell type and id but not the index, so inserting one cell does not change
the header of every cell after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbcollab.notebook.lines import Notebook, cell_source, iter_cells
from nbcollab.options import CleanOptions, DiffOptions
from nbcollab.safe_text import terminal_safe

if TYPE_CHECKING:
    from nbcollab.config.folders import ConfigByFolder

# Part of the installed textconv command: bump it whenever the text form changes, so that git's
# textconv cache (keyed on the command string) is invalidated.
TEXTCONV_FORMAT_VERSION = 3

# nbformat 4 output types and nbformat 3 ones (pyout, pyerr), which ``output_text`` reads alike.
_OUTPUT_TYPES = frozenset({"stream", "error", "execute_result", "display_data", "pyout", "pyerr"})


def textconv_bytes(data: bytes, *, path: str, options: CleanOptions | None = None) -> bytes:
    """The text form of a notebook file, cleaned with ``options``; the file's own text (made
    terminal-safe) if it is not one."""
    try:
        from nbcollab.clean.strip import clean_notebook
        from nbcollab.notebook.codec import parse_notebook

        nb = parse_notebook(data, path=path)
        if options is not None:
            nb = clean_notebook(nb, options=options)
        return notebook_text(nb).encode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - whatever is wrong with the file, git must get text back
        return raw_text(data)


def raw_text(data: bytes) -> bytes:
    """A file that is not a notebook as terminal-safe text (bytes not UTF-8 as ``\\xNN``)."""
    return terminal_safe(data.decode("utf-8", "backslashreplace")).encode("utf-8")


def clean_options_for(
    path: str, *, warn: Callable[[str], None], configs: ConfigByFolder | None = None
) -> CleanOptions:
    """The clean rules the filter applies to ``path``; the defaults and one ``warn`` if the
    config cannot be used (a diff driver that fails stops ``git log -p``)."""
    from nbcollab.config.fallback import load_or_default
    from nbcollab.config.folders import OptionsByFolder

    root = Path.cwd()  # git runs textconv and diff drivers at the top of the working tree
    # A working-tree file comes as its own path, a blob as a temporary copy outside the tree,
    # whose folder is unknown: the rules at the root apply to it.
    try:
        inside = (root / path).resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    where = path if inside else "notebook.ipynb"
    return load_or_default(
        lambda: OptionsByFolder(root, configs=configs)(where),
        CleanOptions(),
        start=root / where,
        warn=warn,
        using="the default clean options",
    )


def diff_options_for(
    path: str, *, warn: Callable[[str], None], configs: ConfigByFolder | None = None
) -> DiffOptions:
    """``[tool.nbcollab.diff]`` for ``path`` (as ``nbcollab diff`` reads it), so that ``git diff``
    through the external driver compares what ``nbcollab diff`` compares; the defaults and one
    ``warn`` if the config cannot be used."""
    from nbcollab.config.fallback import load_or_default
    from nbcollab.config.folders import ConfigByFolder

    root = Path.cwd()
    found = configs if configs is not None else ConfigByFolder(root)
    return load_or_default(
        lambda: found.config_for(path).diff,
        DiffOptions(),
        start=root / path,
        warn=warn,
        using="the default diff options",
    )


def notebook_text(nb: Notebook) -> str:
    """A notebook as terminal-safe text: metadata, then each cell's header, source and outputs."""
    lines = ["=== notebook metadata ==="]
    lines.extend(_json_lines(nb.get("metadata", {})))
    for cell in iter_cells(nb):
        lines.append("")
        lines.append(_cell_header(cell))
        lines.extend(cell_source(cell).splitlines())
        if cell.get("metadata"):
            lines.append("--- cell metadata ---")
            lines.extend(_json_lines(cell["metadata"]))
        for key in ("attachments",):
            if cell.get(key):
                lines.append(f"--- {key} ---")
                lines.extend(
                    _mime_summary(name, bundle) for name, bundle in sorted(cell[key].items())
                )
        for index, output in enumerate(cell.get("outputs", []) or []):
            lines.extend(_output_lines(index, output))
    return terminal_safe("\n".join(lines)) + "\n"


def _cell_header(cell: dict[str, Any]) -> str:
    parts = [f"=== {terminal_safe(str(cell.get('cell_type', '?')), one_line=True)} cell"]
    if isinstance(cell.get("id"), str):
        parts.append(f"id {terminal_safe(cell['id'], one_line=True)}")
    if cell.get("cell_type") == "code":
        count = cell.get("execution_count", cell.get("prompt_number"))
        parts.append(f"[{'' if count is None else terminal_safe(str(count), one_line=True)}]")
    return " ".join(parts) + " ==="


def _output_lines(index: int, output: Any) -> list[str]:
    from nbcollab.notebook.cells import output_name
    from nbcollab.render.output_text import describe_output, output_text

    if not isinstance(output, dict) or output.get("output_type") not in _OUTPUT_TYPES:
        return [f"--- {output_name(index)} ---", *_json_lines(output)]
    lines = [f"--- {output_name(index)}: {describe_output(output)} ---"]
    lines.extend(f"| {line}" for line in output_text(output))
    return lines


def _mime_summary(name: str, bundle: Any) -> str:
    mimes = ", ".join(sorted(bundle)) if isinstance(bundle, dict) else type(bundle).__name__
    size = len(json.dumps(bundle, sort_keys=True, default=str))
    return terminal_safe(f"{name} [{mimes}] {size} bytes", one_line=True)


def _json_lines(value: Any) -> list[str]:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=str).splitlines()
