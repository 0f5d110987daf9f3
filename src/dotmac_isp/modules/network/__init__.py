"""The network edge: IP address management, RADIUS, devices and alerts."""
