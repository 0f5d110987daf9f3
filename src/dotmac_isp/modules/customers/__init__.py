"""Customers: accounts, contacts, addresses, lifecycle, search, CSV, portal logins."""
