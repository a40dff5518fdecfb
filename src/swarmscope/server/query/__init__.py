"""The query engine: the definitions' queries evaluated over the store, Prometheus-exact."""
