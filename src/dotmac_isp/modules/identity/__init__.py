"""Identity and access: tenants, staff users, roles, login, API keys, audit log."""
