"""Equipment inventory: item models, stock locations, serialized items, movements and the
CPE bound to a subscription."""
