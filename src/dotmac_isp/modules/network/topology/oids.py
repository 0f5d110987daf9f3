"""The numeric OIDs of LLDP-MIB (IEEE 802.1AB) and CISCO-CDP-MIB the reader walks."""

from __future__ import annotations

LLDP = "1.0.8802.1.1.2.1"

# lldpLocalSystemData: what the device itself sends
LOC_CHASSIS_ID_SUBTYPE = f"{LLDP}.3.1.0"
LOC_CHASSIS_ID = f"{LLDP}.3.2.0"
LOC_SYS_NAME = f"{LLDP}.3.3.0"
# lldpLocPortTable, indexed by lldpLocPortNum (on most agents the ifIndex)
LOC_PORT_ID_SUBTYPE = f"{LLDP}.3.7.1.2"
LOC_PORT_ID = f"{LLDP}.3.7.1.3"
LOC_PORT_DESC = f"{LLDP}.3.7.1.4"
LOC_PORT_COLUMNS = (LOC_PORT_ID_SUBTYPE, LOC_PORT_ID, LOC_PORT_DESC)

# lldpRemTable, indexed by (lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex)
REM_CHASSIS_ID_SUBTYPE = f"{LLDP}.4.1.1.4"
REM_CHASSIS_ID = f"{LLDP}.4.1.1.5"
REM_PORT_ID_SUBTYPE = f"{LLDP}.4.1.1.6"
REM_PORT_ID = f"{LLDP}.4.1.1.7"
REM_PORT_DESC = f"{LLDP}.4.1.1.8"
REM_SYS_NAME = f"{LLDP}.4.1.1.9"
REM_SYS_DESC = f"{LLDP}.4.1.1.10"
REM_COLUMNS = (REM_CHASSIS_ID_SUBTYPE, REM_CHASSIS_ID, REM_PORT_ID_SUBTYPE, REM_PORT_ID,
               REM_PORT_DESC, REM_SYS_NAME, REM_SYS_DESC)
# lldpRemManAddrTable: the address is in the index (time mark, local port, remote index,
# address family, length, octets), so one column is walked to learn the indexes.
REM_MAN_ADDR_IF_SUBTYPE = f"{LLDP}.4.2.1.3"

# CISCO-CDP-MIB cdpCacheTable, indexed by (cdpCacheIfIndex, cdpCacheDeviceIndex)
CDP_CACHE = "1.3.6.1.4.1.9.9.23.1.2.1.1"
CDP_ADDRESS_TYPE = f"{CDP_CACHE}.3"
CDP_ADDRESS = f"{CDP_CACHE}.4"
CDP_DEVICE_ID = f"{CDP_CACHE}.6"
CDP_DEVICE_PORT = f"{CDP_CACHE}.7"
CDP_PLATFORM = f"{CDP_CACHE}.8"
CDP_COLUMNS = (CDP_ADDRESS_TYPE, CDP_ADDRESS, CDP_DEVICE_ID, CDP_DEVICE_PORT, CDP_PLATFORM)

# IF-MIB names of the local ports CDP reports by ifIndex
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
