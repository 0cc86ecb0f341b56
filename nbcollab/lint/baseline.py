"""A baseline: today's findings recorded in a file, so that only new ones are reported.

An entry identifies a finding without line numbers or execution counts, which change with every
edit and every re-run: the notebook path (relative to the baseline file), the code, the name
involved, and the cell's id (or, without ids, the text of the source line). Entries are matched
as a multiset, so a second identical finding is new.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from nbcollab.errors import ConfigError
from nbcollab.lint.files import FileResult
from nbcollab.lint.finding import Finding

Key = tuple[str, str, str, str]
_VERSION = 1


def _key(result: FileResult, finding: Finding, base: Path) -> Key:
    path = Path(os.path.relpath(os.path.abspath(result.path), base)).as_posix()
    where = finding.cell_id or finding.source
    return path, finding.code, finding.symbol, where


def read_baseline(path: Path) -> Counter[Key]:
    """The recorded entries; ConfigError naming the file when it is not a baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["findings"] if data.get("version") == _VERSION else None
        if not isinstance(entries, list):
            raise ValueError(f"not a version {_VERSION} nbcollab lint baseline")
        return Counter((e["path"], e["code"], e["symbol"], e["where"]) for e in entries)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the baseline ({exc})") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a valid baseline ({exc})") from None


def baseline_bytes(results: list[FileResult], path: Path) -> bytes:
    """The baseline file recording every finding of ``results``."""
    base = Path(os.path.abspath(path)).parent
    keys = sorted(_key(r, f, base) for r in results for f in r.findings)
    entries = [dict(zip(("path", "code", "symbol", "where"), key)) for key in keys]
    text = json.dumps({"version": _VERSION, "findings": entries}, indent=1, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def filter_new(results: list[FileResult], recorded: Counter[Key], path: Path) -> None:
    """Drop (in place) the findings the baseline records; what stays is new."""
    base = Path(os.path.abspath(path)).parent
    left = Counter(recorded)
    for result in results:
        kept = []
        for finding in result.findings:
            key = _key(result, finding, base)
            if left[key] > 0:
                left[key] -= 1
            else:
                kept.append(finding)
        result.findings = kept
