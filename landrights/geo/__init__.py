"""Pure geometry helpers: CRS constants, areas, GeoJSON edges. No Flask, no session."""
