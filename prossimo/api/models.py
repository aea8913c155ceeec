"""API tokens for integrations (hashed at rest)."""
