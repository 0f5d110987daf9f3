"""Clients for the world outside the business domains: auth store, metrics, network, mail."""
