"""Resellers: organisations inside a tenant that bring customers and earn commission."""
