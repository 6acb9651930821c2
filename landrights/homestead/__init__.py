"""Homestead use rights (宅基地使用权, R6.1-R6.9)."""
