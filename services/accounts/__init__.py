"""Accounts: users, roles, scopes, passwords and API tokens (see the submodules)."""
