"""What ``--help`` shows: words for metavars, examples, git's entry points kept out of the list.

typer labels a value by its Python type (``<list[Path]>``, ``<bool>`` after a flag); people read
words. git's entry points (``filter-process``, ``git-merge``...) are run by git, not by people:
they still work and are documented, but ``nbcollab --help`` lists what users run.
"""

from __future__ import annotations

import re
from typing import Any

from nbcollab.git.entry import GIT_ENTRY_POINTS

# One line per example; shown under each command's help.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "clean": (
        "nbcollab clean analysis.ipynb notebooks/",
        "nbcollab clean --check --staged",
        "nbcollab clean --keep-output-type stream:stderr -- - < in.ipynb > out.ipynb",
    ),
    "install": (
        "nbcollab install --hooks",
        "nbcollab install --share-outputs",
        "nbcollab install --global --attributes info",
    ),
    "uninstall": ("nbcollab uninstall", "nbcollab uninstall --global"),
    "status": ("nbcollab status",),
    "diff": (
        "nbcollab diff old.ipynb new.ipynb",
        "nbcollab diff HEAD~1 -- analysis.ipynb",
        "nbcollab diff --format html -o review.html main feature",
    ),
    "merge": (
        "nbcollab merge base.ipynb ours.ipynb theirs.ipynb -o merged.ipynb",
        "nbcollab merge --outputs conflict base.ipynb ours.ipynb theirs.ipynb",
    ),
    "conflicts": ("nbcollab conflicts", "nbcollab conflicts analysis.ipynb"),
    "resolve": ("nbcollab resolve --theirs", "nbcollab resolve --ours --cell 3 analysis.ipynb"),
    "mergetool": ("nbcollab mergetool", "nbcollab mergetool --no-browser analysis.ipynb"),
    "show": (
        "nbcollab show analysis.ipynb",
        "nbcollab show --no-outputs --cell 2 analysis.ipynb",
        "nbcollab show HEAD~1:analysis.ipynb",
    ),
    "lint": ("nbcollab lint notebooks/", "nbcollab lint --execute --format github analysis.ipynb"),
    "execute": (
        "nbcollab execute",
        "nbcollab execute -j 4 --shard 1/2 --format github --summary summary.md notebooks/",
    ),
    "export": ("nbcollab export", "nbcollab export --check analysis.ipynb -o analysis.py"),
    "trust check": ("nbcollab trust check analysis.ipynb",),
    "trust sign": ("nbcollab trust sign analysis.ipynb",),
    "cache status": ("nbcollab cache status",),
    "cache gc": ("nbcollab cache gc",),
    "cache clear": ("nbcollab cache clear",),
    "outputs push": ("nbcollab outputs push", "nbcollab outputs push upstream"),
    "outputs fetch": ("nbcollab outputs fetch", "nbcollab outputs fetch upstream"),
    "outputs restore": ("nbcollab outputs restore", "nbcollab outputs restore analysis.ipynb"),
    "outputs prune": (
        "nbcollab outputs prune --keep 5",
        "nbcollab outputs prune origin --keep 20 --max-size 500M",
    ),
    "outputs status": ("nbcollab outputs status",),
}


def polish_help(group: Any, prefix: str = "") -> None:
    """Give every command of ``group`` (a click group, recursively) readable help."""
    if not prefix:  # the root; a sub-group's own options are polished with its name below
        _polish_params(group)
    for name, command in getattr(group, "commands", {}).items():
        if name in GIT_ENTRY_POINTS:
            command.hidden = True
        examples = EXAMPLES.get(prefix + name)
        if examples and not command.epilog:
            command.epilog = "Examples:\n\n" + "\n\n".join(f"  $ {line}" for line in examples)
        _polish_params(command)
        polish_help(command, f"{prefix}{name} ")


def _polish_params(command: Any) -> None:
    for param in command.params:
        _word_metavar(param)
    make_help_option = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)  # built anew for each help page
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option


def _word_metavar(param: Any) -> None:
    """A word for the value a parameter takes (``PATH``, ``N``, ``KEY``), or none for a flag."""
    if getattr(param, "help", None) and "[" in param.help:
        # rich markup would eat "[tool.nbcollab]"; an escaped bracket stays as it is
        param.help = re.sub(r"(?<!\\)\[", r"\\[", param.help)
    if param.param_type_name == "argument":
        # typer shows an argument's type beside its name, ignoring the metavar: the name says it.
        param.display_type_rich = lambda ctx: None
    if param.metavar is not None:
        return
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        param.metavar = ""
        return
    kind, choices = _value_kind(param)
    if choices:
        word = "|".join(choices)
    elif kind in ("int", "float"):
        word = "N" if kind == "int" else "SECONDS"
    elif param.param_type_name == "argument":  # typer adds "..." to one taken many times
        word = param.name.upper().rstrip("S") if param.nargs != 1 else param.name.upper()
    elif kind == "path":
        word = "PATH"
    else:
        longest = max(param.opts, key=len).lstrip("-")
        word = longest.rsplit("-", 1)[-1].upper()
    param.metavar = word


def _value_kind(param: Any) -> tuple[str, list[str]]:
    """("int" | "float" | "path" | "text", choices) across typer's own and click's parameters."""
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:  # typer >= 0.20 keeps the annotation, not a click type
        if desc.is_choice:
            return "text", [str(getattr(c, "value", c)) for c in desc.choices or ()]
        if desc.is_path:
            return "path", []
        annotation = desc.annotation
        if getattr(desc, "is_ranged", False):
            annotation = int if "int" in str(desc.ranged_type_name).lower() else float
        return {int: "int", float: "float"}.get(annotation, "text"), []
    kind = param.type.name
    choices = [str(getattr(c, "value", c)) for c in getattr(param.type, "choices", None) or ()]
    if kind.startswith("integer"):
        return "int", choices
    return ("float" if kind.startswith("float") else "path" if kind == "path" else "text"), choices
