"""The package's one compiled module; everything else about the build is in pyproject.toml.

The OTLP span reader is compiled where a C compiler is at hand. It is optional: without a
compiler the install still succeeds and the server reads spans through protobuf's Python
objects, several times slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "swarmscope.server.otlp_wire",
            ["src/swarmscope/server/otlp_wire.pyx"],
            optional=True,
        )
    ]
)
