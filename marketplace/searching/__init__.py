"""Search for the marketplace: documents from records, the outbox that keeps the index in step with the
database, permission-aware queries, highlighted results, the search page and API."""
