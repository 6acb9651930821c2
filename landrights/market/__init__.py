"""The transfer market for land-management rights (土地经营权流转)."""
