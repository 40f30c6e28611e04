"""Shared building blocks: errors, vocabularies, money, audit, workflow, permissions, listings."""
