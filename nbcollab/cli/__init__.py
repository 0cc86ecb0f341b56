"""The interfaces: ``main`` (the executable, with git's entry points run without typer), ``app``
(the typer application), one module of thin commands per capability, and ``errors`` (the one
place that turns exceptions into exit codes)."""
