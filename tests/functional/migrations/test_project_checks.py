"""zerodown's own migration environments pass the built-in checks.

The checks come from the plugin (``zerodown_alembic_ini`` defaults to the
root alembic.ini, the compute stack's environment).
"""

from zerodown.testing.checks import *  # noqa: F403
