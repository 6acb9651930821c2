"""Accounts: users, roles, jurisdiction, login and API tokens."""
