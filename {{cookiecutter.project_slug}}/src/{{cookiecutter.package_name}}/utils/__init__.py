"""Small helpers shared by training, inference and the API."""
