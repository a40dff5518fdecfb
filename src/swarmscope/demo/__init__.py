"""Reference systems that show swarmscope working: see ``quickstart``."""
