"""Sales: leads, the public enquiry form, quotes and turning an accepted quote into a customer."""
