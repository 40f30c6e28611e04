"""JSON API under /api/v1: the three libraries, workflow actions, and the OpenAPI document."""
