"""The store: one DuckDB file, its tables' columns, retention."""
