"""``python -m nbcollab``."""

from nbcollab.cli.main import main

main()
