"""`python -m chipcast.cli ...`: the same as the `chipcast` command."""

from chipcast.cli import entry

entry()
