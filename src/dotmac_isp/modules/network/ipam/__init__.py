"""IP address management: VRFs, prefixes, pools, allocation, IPv6 delegation, utilization."""
