"""Network devices: inventory (sites, devices, interfaces), SNMP monitoring, config backup."""
