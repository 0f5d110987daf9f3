"""Configuration backup over SSH: versions, hashes and diffs."""
