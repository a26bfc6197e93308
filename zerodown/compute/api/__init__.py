"""The compute stack's HTTP API (Nova's shapes), served by waitress.

Every request but the version document carries a bearer token
(``X-Auth-Token``, :mod:`.tokens`); :mod:`.policy` says which role each
operation needs and which servers a project sees.
"""

from __future__ import annotations

from zerodown.compute.api.app import make_app
from zerodown.compute.api.server import make_server

__all__ = ["make_app", "make_server"]
