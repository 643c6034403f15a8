"""``python -m cxkit``: the ``cxkit`` command, for environments whose scripts folder is not on PATH."""

from cxkit.cli import main

main()
