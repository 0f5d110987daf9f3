"""Reports: the dashboard figures and charts, and tabular reports with CSV export."""
