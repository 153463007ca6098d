"""The API's routes, one module per concern; `api/app.py` mounts them (and picks the prefixes)."""
