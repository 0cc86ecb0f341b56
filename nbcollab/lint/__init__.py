"""``nbcollab lint``: execution order, hidden state, and whether a notebook runs top to bottom.

The core (``lint_notebook``) is pure: a notebook dict in, findings out. ``locate`` maps a finding
to its line in the .ipynb file, ``report`` renders, ``files`` reads and walks paths, ``execute``
runs a notebook in a real kernel (only imported for ``--execute``).
"""
