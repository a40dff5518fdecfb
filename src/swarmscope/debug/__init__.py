"""The debugging toolkit: commands an on-call engineer runs against a swarmscope server.

``traces list``, ``trace show``, ``logs search``, ``replay``, ``replay-failed``,
``inspect-agent`` and ``debug-handoff`` read the server's HTTP API (``--server``, default
the local one), print Rich tables and trees or ``--json``, and exit 0 on success, 1 when
nothing matches or the server cannot be reached, 2 on usage errors. ``swarmscope.cli`` lists
them and imports a command's module when that command runs.
"""
