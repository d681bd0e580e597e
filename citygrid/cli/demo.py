"""citygrid demo commands (being built)."""

COMMANDS: list = []
