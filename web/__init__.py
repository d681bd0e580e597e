"""citygrid.web: the Flask app factory, API, map pages, templates and static files."""
