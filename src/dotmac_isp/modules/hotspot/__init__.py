"""Hotspot: voucher plans, batches of printed voucher codes, their RADIUS login and the
captive portal."""
