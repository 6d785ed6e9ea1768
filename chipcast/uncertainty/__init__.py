"""Uncertainty, maths only: sampling the inputs, Monte Carlo quantiles, sensitivity indices,
goal-seek and single-model estimates. Reads chipcast.model; imports no storage, flow or CLI."""
