"""Accounts: organisations (1+M+N centres, institutions, companies, agencies), users, roles, API tokens."""
