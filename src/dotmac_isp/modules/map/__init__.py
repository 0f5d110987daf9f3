"""The network map: coordinates of sites, devices and customers, geocoding, coverage areas."""
