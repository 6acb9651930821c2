"""The registry: admin units, collectives, households, members, parcels, contracts, register."""
