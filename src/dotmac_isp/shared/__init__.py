"""Domain-free kit shared by every module."""
