"""The query API: one module per view, each a FastAPI router built from a ``Context``."""
