"""RADIUS on the wire: the project's dictionary, a lean packet codec for the server's hot path,
and the Dynamic Authorization (CoA / Disconnect, RFC 5176) client."""
