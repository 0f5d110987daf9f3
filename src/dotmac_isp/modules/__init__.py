"""Business domains."""
