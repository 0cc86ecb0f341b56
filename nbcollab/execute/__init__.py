"""Running notebooks: one engine for ``lint --execute``, ``nbcollab execute`` and the pytest
plugin (``engine``), its cache (``key``, ``inputs``, ``kernels``, ``store``), the runs
(``runner``, ``interrupt``), and what they say (``judge``, ``compare``, ``failure``,
``markdown``)."""
