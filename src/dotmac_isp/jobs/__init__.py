"""Background jobs: plain functions registered by name, run by the in-process scheduler, the
CLI, or a Celery worker alike."""
