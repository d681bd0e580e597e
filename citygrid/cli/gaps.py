"""citygrid gaps commands (being built)."""

COMMANDS: list = []
