"""Service SDK: cross-cutting interfaces (metrics)."""
