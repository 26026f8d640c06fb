"""Body parts for recognition beyond the face (PIPER): the re-identification descriptor."""
