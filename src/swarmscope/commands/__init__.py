"""The ``swarmscope`` command's subcommands that are not debugging tools, one module each.

``swarmscope.cli`` imports a module from here only when its command runs (or its ``--help``
is asked for), so what one command needs (DuckDB for ``serve``, the reference system for
``demo``, YAML for ``stack export``) never slows down another.
"""
