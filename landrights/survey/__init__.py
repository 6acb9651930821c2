"""Survey import: NY/T 2539 parcel layers in, quality rules run as data, a report out."""
