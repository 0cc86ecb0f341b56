"""``python -m nbcollab``."""

from nbcollab.git_entry import main

main()
