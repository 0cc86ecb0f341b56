"""``python -m nbcollab``."""

from nbcollab.cli import main

main()
