"""The documentation site (DOCS/): pages gathered from the project's own Markdown, the command line
reference generated from the parsers, and the HTTP API reference rendered from the committed
OpenAPI contract, all at build time, so the site cannot drift from the code it describes.
"""
