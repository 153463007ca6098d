"""Training (one device or torchrun DDP) and evaluation."""
