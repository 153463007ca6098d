"""The API's side of the web page: it serves the built page (`frontend/web/dist`) and lets the
browser origins named in the settings call it (CORS).

The page itself, its design system and its generated API types live in the project's `frontend/`
folder; this subpackage plugs into the seam through `extension.py` and never imports the core's
API at module level.
"""
