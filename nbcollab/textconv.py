"""The readable text form of a notebook that git shows in ``git diff`` / ``git log -p``."""

from __future__ import annotations

# Part of the installed textconv command: bump it whenever the text form changes, so that git's
# textconv cache (keyed on the command string) is invalidated.
TEXTCONV_FORMAT_VERSION = 1
