"""The contract: every name swarmscope writes or reads across a boundary, declared once.

Metric families and log events (``catalog``), span names, kinds and operations (``spans``)
and attribute keys (``attributes``); other instrumentors' names mapped onto these sit beside
them, one module each (``openinference``); the entry point groups other packages declare
(``plugins``). The SDK emits these names, the server's intake
and the console read them, the ops definitions query them. This package imports nothing
else of swarmscope, so any part (or another language's generator) can depend on it alone.
"""
