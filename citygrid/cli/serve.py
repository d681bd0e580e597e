"""citygrid serve commands (being built)."""

COMMANDS: list = []
