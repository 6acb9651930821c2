"""GIS at scale: vector tiles and OGC API – Features, as set-based PostGIS queries."""
