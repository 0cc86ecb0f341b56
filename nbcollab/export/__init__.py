"""Notebooks to importable modules: cell selection, IPython syntax removal, module assembly.

The core (``directives``, ``ipython``, ``defs_only``, ``cells``, ``assemble``) is pure: notebook
dicts in, module text out. ``files`` is the edge that reads notebooks, maps them to module paths
and writes or checks the modules. This package's ``__init__`` imports nothing, because
``nbcollab.config`` imports ``export.options`` on every command.
"""
