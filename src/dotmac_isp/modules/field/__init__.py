"""Field work: work orders, their scheduling, and the technician's day."""
