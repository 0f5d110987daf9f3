"""Logs, metrics and traces for the whole platform."""
