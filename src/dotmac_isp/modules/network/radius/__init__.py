"""RADIUS AAA: NAS clients, the authentication and accounting server, sessions, the post-auth
log, CoA/Disconnect to the NAS, usage and data caps, and the rlm_rest endpoints."""
