"""``nbcollab mergetool``: resolve a notebook's merge conflicts in the browser.

Layers, as in the rest of nbcollab: ``views`` and ``session`` are pure (what each conflict looks
like, choices, edits, undo); ``sources`` reads git (the record, or the index stages merged again);
``store`` writes; ``page`` renders HTML; ``server`` is the local web app; ``run`` ties them.
"""
