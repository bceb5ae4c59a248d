"""paradox: Bayesian tests of the service recovery paradox on survey data."""

__version__ = "0.1.0"
