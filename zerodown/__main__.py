"""``python -m zerodown``: the same as the ``zerodown`` command."""

from zerodown.cli import main

main()
