from yunying_shared.bus import define_bus_tables
from yunying_shared.db import new_metadata

metadata = new_metadata()
BUS = define_bus_tables(metadata)
