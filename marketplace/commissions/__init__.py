"""Broker commissions (agreements, the append-only ledger, statements) and government rewards (技术交易奖补)."""
