"""Core SDK pieces: the exception hierarchy."""
