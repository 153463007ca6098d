"""The classifier and the checkpoints that carry it between training, inference and serving."""
