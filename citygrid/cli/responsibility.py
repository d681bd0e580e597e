"""citygrid responsibility commands (being built)."""

COMMANDS: list = []
