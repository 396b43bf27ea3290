"""Adapters that speak other texts' conventions (shapes, names) and are backed by symbptt.engine."""
