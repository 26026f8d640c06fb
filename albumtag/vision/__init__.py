"""Detection, alignment and parts: from pixels to located people."""
