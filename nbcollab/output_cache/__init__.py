"""The output cache: outputs stripped by the clean filter come back when git writes the notebook.

On clean the filter records the working file it was given (with its outputs) next to the blob it
produced, in ``<git common dir>/nbcollab/output-cache``; on smudge it fills in the outputs of the
cells it recognises. ``keys`` says what "recognised" means (pure), ``store`` is the on-disk store
(atomic writes, no locks, least-recently-used eviction), ``restore`` builds the working file and
checks that cleaning it gives the blob back, and ``session`` is what the filter process calls: it
never raises, so a cache problem never fails a checkout or an add. See docs/output-cache.md.
"""
