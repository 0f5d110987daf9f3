"""Repositories backed by the database."""
