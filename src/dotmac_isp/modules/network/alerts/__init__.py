"""Alerts on network devices: alert rules, alerts, incidents and maintenance windows."""
