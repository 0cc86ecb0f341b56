"""The one loader of ``[tool.nbcollab]``: a pyproject.toml in, a validated ``Config`` out.

Whatever is wrong with the file, the loader raises one ``ConfigError``: one line naming the file,
the place and what to fix. That covers a file that cannot be read, is not UTF-8, is not TOML (a
typo in another tool's table included), nests or numbers beyond what can be read, has a ``[tool]``
or ``[tool.nbcollab]`` that is not a table, an unknown key, a value of the wrong type or shape, or
names a sanitize file that cannot be used. Commands report it and exit 2; git's entry points
fall back to the defaults with one warning (``nbcollab.config.fallback``).

pydantic validates the table; it is imported only when there is something to validate, because
the git drivers run once per file and its import plus model building cost ~80 ms.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nbcollab.config.find import nearest_pyproject, toml_parser
from nbcollab.config.model import Config
from nbcollab.errors import ConfigError
from nbcollab.safe_text import terminal_safe

tomllib = toml_parser()

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

M = TypeVar("M", bound="DataclassInstance")

# No real pyproject.toml or sanitize file comes near this; a larger one is not read at all.
MAX_FILE_BYTES = 4 << 20
# The sections that carry [tool.nbcollab.normalize], filled in here: not keys of the file.
_NORMALIZED_SECTIONS = ("clean", "diff", "merge")
_DERIVED_KEYS = ("normalize-options", "normalize_options")


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` (a file or a folder)."""
    found = nearest_pyproject(str(start if start.is_dir() else start.parent))
    return Path(found) if found is not None else None


def load_config(start: Path | None = None) -> Config:
    """The config of the project holding ``start`` (default: the current folder)."""
    pyproject = find_pyproject(start or Path.cwd())
    return Config() if pyproject is None else read_config(pyproject)


def read_config(pyproject: Path) -> Config:
    """``[tool.nbcollab]`` of this pyproject.toml, validated; ConfigError for any problem."""
    document = _read_toml(pyproject)
    table = _nbcollab_table(document, pyproject)
    config = parse_config(table, source=str(pyproject))
    return _with_normalize(config, pyproject)


def config_error(path: Path | str, problem: str) -> ConfigError:
    """The one-line error for a problem with a configuration file (terminal-safe: the file is
    untrusted, and a key or value in it may hold escape sequences)."""
    return ConfigError(terminal_safe(f"{path}: {problem}", one_line=True))


def read_limited(path: Path) -> bytes:
    """A configuration file's bytes: a regular file of at most ``MAX_FILE_BYTES``."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes

    try:
        return read_file_bytes(path, limit=MAX_FILE_BYTES)
    except InvalidNotebook as exc:  # the reader's reasons: not a regular file, too large...
        raise config_error(path, str(exc).removeprefix(f"{path}: ")) from None


def _read_toml(path: Path) -> dict[str, Any]:
    data = read_limited(path)
    text = decode_utf8(data, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise config_error(path, f"not valid TOML: {exc}") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        raise config_error(path, f"{_long_number_place(text)}a number too long to read") from None
    except RecursionError:
        raise config_error(path, "arrays or tables nested too deeply to read") from None


def decode_utf8(data: bytes, path: Path) -> str:
    """The text of a configuration file, which TOML requires to be UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise config_error(
            path, f"line {line}: byte {byte:#04x} is not UTF-8 (save the file as UTF-8)"
        ) from None


def _long_number_place(text: str) -> str:
    found = re.search(r"\d{1000,}", text)
    return f"line {text.count(chr(10), 0, found.start()) + 1}: " if found else ""


def _nbcollab_table(document: dict[str, Any], path: Path) -> dict[str, Any]:
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise config_error(
            path, f"[tool] is {_kind(tool)}, not a table (each tool's settings go in [tool.NAME])"
        )
    table = tool.get("nbcollab", {})
    if not isinstance(table, dict):
        raise config_error(
            path,
            f"[tool.nbcollab] is {_kind(table)}, not a table "
            "(settings go in sections such as [tool.nbcollab.clean])",
        )
    return table


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def parse_config(table: dict[str, Any], *, source: str = "pyproject.toml") -> Config:
    """Validate a ``[tool.nbcollab]`` table; errors name the file, the key and the fix."""
    if not table:
        return Config()
    for section in _NORMALIZED_SECTIONS:
        value = table.get(section)
        derived = [key for key in _DERIVED_KEYS if isinstance(value, dict) and key in value]
        if derived:  # filled in from [tool.nbcollab.normalize], never written here
            raise config_error(
                source,
                f"[tool.nbcollab.{section}] {derived[0]}: unknown key "
                "(normalize options go in [tool.nbcollab.normalize])",
            )
    try:
        return _validate(Config, table)
    except _Invalid as exc:
        raise config_error(source, exc.describe(table_prefix="tool.nbcollab")) from None


def merge_overrides(options: M, **overrides: Any) -> M:
    """``options`` with the given fields replaced; ``None`` means "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if not given:
        return options
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    try:
        return _validate(type(options), {**fields, **given})
    except _Invalid as exc:
        # Said with the option whose value is wrong (a check across fields names none), so the
        # command line can name its flag.
        for key, value in given.items():
            try:
                _validate(type(options), {**fields, key: value})
            except _Invalid as one:
                problem = terminal_safe(one.problem(), one_line=True)
                raise ConfigError(f"option {key}: {problem}", option=key) from None
        raise ConfigError(terminal_safe(exc.describe(), one_line=True)) from None


class _Invalid(Exception):
    """pydantic's first complaint, kept to be described in the project's own words."""

    def __init__(self, kind: type[Any], error: Any) -> None:
        super().__init__()
        self.kind = kind
        self.error = error

    def problem(self) -> str:
        """What is wrong with the value, and what to write instead."""
        loc = [part for part in self.error["loc"] if part != "__root__"]
        return _problem(self.error, self.kind, loc)

    def describe(self, *, table_prefix: str | None = None) -> str:
        """``[tool.nbcollab.clean] keep-outputs: ...`` (or ``option keep-outputs: ...`` for a
        command-line override, when ``table_prefix`` is None)."""
        loc = [part for part in self.error["loc"] if part != "__root__"]
        problem = self.problem()
        if table_prefix is None:
            return f"option {_dotted(loc)}: {problem}" if loc else problem
        # In a section's own table ([tool.nbcollab.clean]) unless the section is not a table.
        section = (
            self.kind is Config
            and loc
            and isinstance(loc[0], str)
            and (len(loc) > 1 or self.error["type"] == "value_error")
        )
        header = f"{table_prefix}.{loc[0]}" if section else table_prefix
        rest = loc[1:] if section else loc
        return f"[{header}] {_dotted(rest)}: {problem}" if rest else f"[{header}]: {problem}"


def _validate(kind: type[M], data: Any) -> M:
    plain = _plain(kind, data)
    if plain is not None:
        return plain
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(kind).validate_python(data)
    except ValidationError as exc:
        raise _Invalid(kind, exc.errors()[0]) from None
    except RecursionError:
        raise _Invalid(kind, {"loc": (), "type": "nested", "msg": "nested too deeply"}) from None


def _plain(kind: type[M], data: Any) -> M | None:
    """``kind`` built from ``data`` without pydantic, when every key is known and every value
    is already of its field's simple type (true or false, a string, an integer, a number, an
    array of strings, a choice's value, a section's table); None for anything else, which
    pydantic then validates (and words the problem of). A table written the plain way, as
    nearly all are, then costs no pydantic import."""
    if not isinstance(data, dict):
        return None
    names = _field_names(kind)
    hints = _hints(kind)
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = names.get(key)
        if name is None or name in values:
            return None  # unknown, or given twice (kebab-case and snake_case)
        converted = _plain_value(hints[name], value)
        if converted is _NOT_PLAIN:
            return None
        values[name] = converted
    try:
        return kind(**values)
    except (ValueError, TypeError):
        return None  # pydantic says what is wrong, in the words of every other message


_NOT_PLAIN = object()


def _plain_value(hint: Any, value: Any) -> Any:
    """``value`` as a field typed ``hint`` holds it, or ``_NOT_PLAIN``."""
    import enum
    import types

    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None:
        return None if type(None) in options else _NOT_PLAIN
    kind = next((option for option in options if option is not type(None)), None)
    if len(options) > 2 or kind is None:
        return _NOT_PLAIN
    if kind is bool or kind is str:
        return value if type(value) is kind else _NOT_PLAIN
    if kind is int:
        return value if type(value) is int else _NOT_PLAIN
    if kind is float:
        plain = type(value) is float or (type(value) is int and abs(value) < 1 << 53)
        return float(value) if plain else _NOT_PLAIN
    if typing.get_origin(kind) is tuple and typing.get_args(kind) == (str, ...):
        if type(value) in (list, tuple) and all(type(item) is str for item in value):
            return tuple(value)
        return _NOT_PLAIN
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        if type(value) is kind:
            return value
        by_value = {member.value: member for member in kind}
        return by_value.get(value, _NOT_PLAIN) if type(value) is str else _NOT_PLAIN
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        if type(value) is kind:
            return value
        found = _plain(kind, value)
        return _NOT_PLAIN if found is None else found
    return _NOT_PLAIN


@functools.cache
def _hints(kind: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(kind)


@functools.cache
def _field_names(kind: type[Any]) -> dict[str, str]:
    """Each key the file may write (kebab-case or snake_case) and its field."""
    names = {}
    for f in dataclasses.fields(kind):
        if f.init:
            names[f.name] = names[f.name.replace("_", "-")] = f.name
    return names


def _dotted(loc: list[Any]) -> str:
    """``replace, item 1, regex``: a place inside a table, arrays counted from 1 as people do."""
    return ", ".join(f"item {part + 1}" if isinstance(part, int) else str(part) for part in loc)


def _problem(error: Any, kind: type[Any], loc: list[Any]) -> str:
    """What is wrong, and what to write instead: in the words every message uses
    (``errors.invalid_value``), an unknown key with the known ones or the likely one."""
    from nbcollab.errors import invalid_value

    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        known = _known_keys(kind, loc[:-1])
        close = _close_match(str(loc[-1]) if loc else "", known)
        if close:
            return f"unknown key (did you mean {close}?)"
        return f"unknown key (known: {', '.join(known)})" if known else "unknown key"
    return invalid_value(error)


def _known_keys(kind: type[Any], loc: list[Any]) -> list[str]:
    """The keys the table at ``loc`` accepts (kebab-case, as the file writes them)."""
    for part in loc:
        if not dataclasses.is_dataclass(kind) or not isinstance(part, str):
            return []
        hints = typing.get_type_hints(kind)
        kind = hints.get(part.replace("-", "_"), None)  # type: ignore[assignment]
    if not dataclasses.is_dataclass(kind):
        return []
    return [
        f.name.replace("_", "-") for f in dataclasses.fields(kind) if f.name != "normalize_options"
    ]


def _close_match(key: str, known: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key.replace("_", "-"), known, n=1, cutoff=0.7)
    return found[0] if found else None


def _with_normalize(config: Config, pyproject: Path) -> Config:
    """``[tool.nbcollab.normalize]`` (with its sanitize file read) handed to every section that
    normalizes outputs, so that ``clean --normalize``, ``diff --normalize-outputs`` and the
    merge's output comparison apply the same rules (runs are compared by ``config.normalize``
    itself, which the execution engine is handed)."""
    normalize = config.normalize
    if normalize.sanitize_file:
        rules = _read_sanitize_file(pyproject, normalize.sanitize_file)
        normalize = dataclasses.replace(normalize, replace=(*normalize.replace, *rules))
    if normalize == config.clean.normalize_options:  # the defaults everywhere: nothing to hand
        return config
    return dataclasses.replace(
        config,
        normalize=normalize,
        clean=dataclasses.replace(config.clean, normalize_options=normalize),
        diff=dataclasses.replace(config.diff, normalize_options=normalize),
        merge=dataclasses.replace(config.merge, normalize_options=normalize),
    )


def _read_sanitize_file(pyproject: Path, name: str) -> tuple[Any, ...]:
    from nbcollab.clean.normalize import read_sanitize_file

    path = pyproject.parent / name
    where = f"[tool.nbcollab.normalize] sanitize-file {name!r}"
    try:
        text = decode_utf8(read_limited(path), path).removeprefix("\ufeff")
        return read_sanitize_file(text, path=str(path))
    except ConfigError as exc:
        raise config_error(pyproject, f"{where}: {str(exc).removeprefix(f'{path}: ')}") from None
    except ValueError as exc:  # the sanitize file's own line and problem
        raise config_error(pyproject, f"{where}: {str(exc).removeprefix(f'{path}: ')}") from None
