"""SNMP polling: the poller, counter rates, time series and their rollups."""
