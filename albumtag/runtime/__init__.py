"""Model files and the onnxruntime sessions that run them (used by vision and embed)."""
