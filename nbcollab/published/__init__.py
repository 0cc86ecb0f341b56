"""Published outputs: notebook outputs shared through git, beside the branches, never in them.

The clean filter keeps outputs out of every commit and the output cache keeps them on the clone
that made them. ``nbcollab outputs push`` turns that clone's records of committed notebooks into
git objects under one ref of their own (``layout``), which other clones fetch on request and
restore from by the output cache's own rule (``source`` is, for the cache, another source of
records). Everything fetched is untrusted input: ``validate`` checks it against the shape of
nbformat's output schema, within size caps, before anything uses it.

This package reads git objects through a reader it is given and never runs git itself: the
git side (refs, objects, push, fetch, prune) is ``nbcollab.git.outputs``. See docs/outputs.md.
"""
