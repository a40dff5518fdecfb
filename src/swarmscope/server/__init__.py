"""The embedded server: OTLP receiver, DuckDB store, query API (``swarmscope serve``)."""
