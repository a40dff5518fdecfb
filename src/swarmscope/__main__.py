"""``python -m swarmscope`` is the ``swarmscope`` command."""

from swarmscope.cli import app

app(prog_name="swarmscope")
