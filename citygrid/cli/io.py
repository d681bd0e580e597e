"""citygrid io commands (being built)."""

COMMANDS: list = []
