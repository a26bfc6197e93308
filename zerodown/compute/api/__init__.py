"""The compute stack's HTTP API (Nova's shapes), served by waitress."""

from __future__ import annotations

from zerodown.compute.api.app import make_app
from zerodown.compute.api.server import make_server

__all__ = ["make_app", "make_server"]
