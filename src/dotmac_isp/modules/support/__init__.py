"""Support desk: tickets, conversations, SLA policies on business-hours calendars, escalation."""
