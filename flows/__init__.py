"""Prefect flows: thin wrappers that chain chipcast library functions."""
