"""The package's compiled modules; everything else about the build is in pyproject.toml.

The OTLP intake's hot path and a big trace's waterfall, compiled where a C compiler is at
hand: the span reader (Cython), ``span_fields``, the agent model's mapping and the prices it
calls, and the waterfall's tree order (plain Python that Cython compiles as it is, two to
three times faster). All are optional: without a compiler the install still succeeds, the
plain modules run as Python and the server reads spans through protobuf's Python objects,
several times slower.
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
        # A trace's tree order, for a waterfall of up to 100,000 spans at a time.
        Extension(
            "swarmscope.server.waterfall", ["src/swarmscope/server/waterfall.py"], optional=True
        ),
    ]
)
