"""The RPC API of the functional tests' endpoints: its history declares
the methods they serve (a server dispatches nothing else)."""

from __future__ import annotations

from zerodown.rpc import RPCAPI


class EchoNoteAPI(RPCAPI):
    """The test endpoints' API.

    API version history:

    * 1.0 - echo(value), note(value).
    * 1.2 - Nothing new: a newer minor served beside 1.0 clients.
    """

    TOPIC = "tests"
    VERSION = "1.2"
