"""Parts of migrations too long for one file; each is imported by its revision only and
never changes once released."""
