"""Batch prediction and model export."""
