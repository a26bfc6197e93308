"""The backends lint knows, one module each; importing registers them."""

from zerodown.migrations.lint.profiles import mysql, postgresql, sqlite

__all__ = ["mysql", "postgresql", "sqlite"]
