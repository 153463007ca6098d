"""The HTTP API: the model loaded once, predictions served off the event loop."""
