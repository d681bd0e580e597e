"""Tables for people: one model (labelled columns, a value per row) for terminal and files."""
