"""Plan catalogue and subscriptions (service instances) with a persisted lifecycle."""
