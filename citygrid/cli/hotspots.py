"""citygrid hotspots commands (being built)."""

COMMANDS: list = []
