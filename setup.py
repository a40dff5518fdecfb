"""The package's compiled modules; everything else about the build is in pyproject.toml.

All are the OTLP intake's hot path, compiled where a C compiler is at hand: the span reader
(Cython), ``span_fields``, and the agent model's mapping and the prices it calls (plain
Python that Cython compiles as it is, about three times faster). All are optional: without a
compiler the install still succeeds, ``span_fields`` runs as Python and the server reads
spans through protobuf's Python objects, several times slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "swarmscope.server.intake.otlp_wire",
            ["src/swarmscope/server/intake/otlp_wire.pyx"],
            optional=True,
        ),
        Extension(
            "swarmscope.server.intake.span_fields",
            ["src/swarmscope/server/intake/span_fields.py"],
            optional=True,
        ),
        # What span_fields asks of every span: the agent model's mapping.
        Extension(
            "swarmscope.conventions.agent_model",
            ["src/swarmscope/conventions/agent_model.py"],
            optional=True,
        ),
        # And of every LLM call sent without a cost: its price.
        Extension("swarmscope.prices", ["src/swarmscope/prices.py"], optional=True),
    ]
)
