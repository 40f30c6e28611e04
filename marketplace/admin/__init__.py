"""Administrator pages: the review queue and real-name approval of organisations."""
