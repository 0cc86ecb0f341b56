"""What the clean filter says of a notebook that still records merge conflicts: warn, not refuse.

A merge records its conflicts in ``metadata.nbcollab.conflicts``; resolving the markers in an
editor and ``git add`` would commit that record. The filter cannot refuse such a file: git runs
it for ``git status``, ``git diff`` and ``git stash`` too, and a refused file makes each of them
exit 128 in the middle of a merge, exactly when the user needs to look at the conflicts. So the
filter stores the file and warns loudly, naming what is left and the command that resolves it;
what refuses the commit is the pre-commit hook (``nbcollab install --hooks``).

Checking costs a byte search per file: JSON escapes the quotes inside strings, so ``"conflicts":``
with real quotes is a key, and only a file holding one is parsed.
"""

from __future__ import annotations

_KEY = b'"conflicts":'


def conflict_note(blob: bytes, path: str) -> str | None:
    """The warning for a notebook whose record lists conflicts, or None (nothing recorded, or
    not a notebook: the filter says that itself)."""
    if _KEY not in blob or b'"nbcollab":' not in blob:
        return None
    from nbcollab.errors import InvalidNotebook
    from nbcollab.merge.conflicts import STALE, find_conflicts
    from nbcollab.notebook.codec import parse_notebook

    try:
        findings = find_conflicts(parse_notebook(blob, path=path))
    except InvalidNotebook as exc:
        return f"{exc}; fix or remove metadata.nbcollab.conflicts before you commit"
    if not findings:
        return None
    left = [f for f in findings if f.kind != STALE]
    if not left:
        return (
            f"{path}: {len(findings)} conflict(s) resolved by hand are still recorded in "
            f"metadata.nbcollab.conflicts: run `nbcollab resolve {path}` to clear the record, "
            "then add it again, before you commit"
        )
    first = left[0].message + (f", and {len(left) - 1} more" if len(left) > 1 else "")
    return (
        f"{path}: still holds {len(left)} unresolved merge conflict(s) ({first}); a commit "
        f"would store them: resolve them with `nbcollab mergetool {path}` or `nbcollab resolve "
        f"{path} --ours|--theirs`, then add it again"
    )
