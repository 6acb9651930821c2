"""The registry: admin units, collectives, households, members, parcels, contracts, register."""
from landrights.db import use_error_translator
from landrights.registry.constraints import translate

# the registry names every constraint: flush_or_raise (landrights.db, below the registry) translates
# the database's refusals with this
use_error_translator(translate)
