"""Test tooling shipped with zerodown: the pytest plugin and its checks."""

__all__: list[str] = []
