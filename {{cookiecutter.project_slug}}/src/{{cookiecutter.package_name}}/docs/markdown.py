"""Small helpers for writing Markdown tables from text that was not written for them."""

import html


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, HTML-escaped, pipes and asterisks escaped."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|").replace("*", "\\*")


def code(text: str) -> str:
    """Inline code that survives a table cell."""
    text = str(text)
    return cell(text) if "`" in text else "`" + text.replace("|", "\\|") + "`"
