"""Recognition-level models the app ships: open-set calibration (more to come: fusion weights)."""
