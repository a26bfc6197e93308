"""A minimal Nova: the compute stack that proves zerodown's framework.

It uses only the framework's public API, as an outside project would.
"""
