"""Server-rendered pages: the Jinja environment, base layout and static assets."""
