"""Feature vectors from aligned crops, through onnxruntime models."""
