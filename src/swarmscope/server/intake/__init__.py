"""Intake: OTLP/HTTP in, decoded to rows off the event loop, committed by one writer."""
