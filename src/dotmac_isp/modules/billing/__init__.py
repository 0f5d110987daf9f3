"""Billing: invoices, taxes, recurring runs with proration, payments, receipts, dunning."""
