"""An account manager built from agents, instrumented with swarmscope.

A scout reads accounts from a CRM, an analyst consults a memory store, an author writes
recommendations a person approves, and a compliance service answers over A2A. It runs under
simulated load with ``swarmscope demo`` (see ``cli``): the agents of ``agents``, each call to
swarmscope written out, or with ``--framework langgraph`` the same agents as the LangGraph
graph of ``graph``, reported by ``ss.instrument_langgraph``.
"""
