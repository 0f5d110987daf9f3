"""Notifications: email over SMTP from per-tenant templates, a delivery log with retries, and
inbound mail routed to the module that owns the thread."""
