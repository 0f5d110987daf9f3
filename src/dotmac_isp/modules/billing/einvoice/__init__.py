"""E-invoices: Factur-X (PDF/A-3 with CII XML) and UBL 2.1 (PEPPOL BIS Billing 3.0)."""
