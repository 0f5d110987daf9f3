"""Network topology discovered from LLDP and CDP neighbour tables."""
