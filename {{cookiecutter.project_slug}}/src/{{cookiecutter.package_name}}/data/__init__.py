"""Images in, uint8 tensors out: the one data path shared by training, inference and the API."""
