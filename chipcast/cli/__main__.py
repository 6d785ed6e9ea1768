"""`python -m chipcast.cli ...`: the same as the `chipcast` command.

Ctrl-C while the package imports is handled in chipcast/cli/__init__.py, which runs first.
"""

from chipcast.cli import entry

entry()
