"""R301 (opt-in): random numbers drawn before the library's seed is set, in document order."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nbcollab.lint.finding import Finding
from nbcollab.lint.parse import ParsedCell

_DRAWS = {
    "random": {
        "random",
        "randint",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "randrange",
        "betavariate",
        "expovariate",
        "triangular",
        "getrandbits",
        "lognormvariate",
        "vonmisesvariate",
        "paretovariate",
    },
    "numpy.random": {
        "rand",
        "randn",
        "randint",
        "random",
        "random_sample",
        "choice",
        "shuffle",
        "permutation",
        "normal",
        "uniform",
        "binomial",
        "poisson",
        "beta",
        "gamma",
        "exponential",
        "multivariate_normal",
        "standard_normal",
        "sample",
        "ranf",
        "random_integers",
        "lognormal",
        "laplace",
        "geometric",
        "dirichlet",
    },
    "torch": {
        "rand",
        "randn",
        "randint",
        "randperm",
        "rand_like",
        "randn_like",
        "randint_like",
        "normal",
        "bernoulli",
        "multinomial",
        "poisson",
    },
}
_LIBRARY = {"random": "random", "numpy.random": "numpy", "torch": "torch"}
_SEEDS = {
    "random.seed": ("random",),
    "numpy.random.seed": ("numpy",),
    "torch.manual_seed": ("torch",),
    "torch.random.manual_seed": ("torch",),
    "torch.cuda.manual_seed_all": ("torch",),
    "lightning.seed_everything": ("random", "numpy", "torch"),
    "pytorch_lightning.seed_everything": ("random", "numpy", "torch"),
    "lightning.pytorch.seed_everything": ("random", "numpy", "torch"),
    "transformers.set_seed": ("random", "numpy", "torch"),
}
_MENTIONS = re.compile(
    r"rand|rng|seed|shuffle|choice|sample|gauss|normal|uniform|bernoulli|"
    r"multinomial|permutation|poisson|beta|gamma|exponential|dirichlet|"
    r"laplace|geometric|triangular|getrandbits|variate"
)
_GENERATORS = {"numpy.random.default_rng", "numpy.random.RandomState", "random.Random"}


def find_unseeded_random(cells: list[ParsedCell]) -> list[Finding]:
    """The first unseeded draw of each library (random, numpy.random, torch)."""
    aliases: dict[str, str] = {}
    seeded: set[str] = set()
    reported: set[str] = set()
    found = []
    for parsed in cells:
        if parsed.tree is None:
            continue
        for node in _candidates(parsed):
            if isinstance(node, ast.Import | ast.ImportFrom):
                _record_aliases(node, aliases)
            elif isinstance(node, ast.Call):
                name = _qualified(node.func, aliases)
                library = _unseeded_library(name, node, seeded)
                if name in _SEEDS:
                    seeded.update(_SEEDS[name])
                elif library and library not in reported:
                    reported.add(library)
                    cell = parsed.cell
                    found.append(
                        Finding(
                            "R301",
                            f"{name}() draws random numbers but {library} is not seeded "
                            "before it: results change on every run",
                            cell.index,
                            cell.cell_id,
                            cell.count,
                            node.lineno,
                            parsed.column(node.lineno, node.col_offset),
                            name,
                        )
                    )
    return found


def _candidates(parsed: ParsedCell) -> Iterator[ast.AST]:
    """Imports and calls in source order; only a cell that mentions randomness is walked whole
    (its top-level imports still give the aliases later cells use)."""
    tree = parsed.tree
    if tree is None:
        return iter(())
    if not _MENTIONS.search(parsed.cell.source):
        return iter([s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)])
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom | ast.Call)]
    return iter(sorted(nodes, key=lambda n: (n.lineno, n.col_offset)))


def _record_aliases(node: ast.Import | ast.ImportFrom, aliases: dict[str, str]) -> None:
    for alias in node.names:
        if isinstance(node, ast.Import):
            if alias.asname:
                aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                aliases[top] = top
        elif node.module and alias.name != "*":
            aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _qualified(func: ast.expr, aliases: dict[str, str]) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id not in aliases:
        return ""
    return ".".join([aliases[func.id], *reversed(parts)])


def _unseeded_library(name: str, call: ast.Call, seeded: set[str]) -> str | None:
    """The library an unseeded draw comes from, or None."""
    if name in _GENERATORS:
        library = name.split(".")[0]
        unseeded = not call.args and not call.keywords
        return library if unseeded else None  # a global seed does not seed a new generator
    module, _, function = name.rpartition(".")
    if function in _DRAWS.get(module, ()):
        library = _LIBRARY[module]
        return None if library in seeded else library
    return None
