"""Importing zerodown's objects does not load all of oslo.messaging (o.vo
imports it for one base class), and code that uses oslo.messaging still
gets the whole package.  Each case in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_objects_load_without_oslo_messaging_s_server_and_eventlet():
    out = _run(
        """
        import sys
        import zerodown.compute.objects
        print(sorted(m for m in ("eventlet", "oslo_service", "dns", "oslo_messaging",
              "oslo_messaging.server", "oslo_messaging.notify")
              if m in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_oslo_messaging_is_whole_when_used_after():
    out = _run(
        """
        import zerodown.compute.objects
        import oslo_messaging
        from oslo_messaging import serializer
        from oslo_versionedobjects.base import VersionedObjectSerializer
        assert oslo_messaging.NoOpSerializer is serializer.NoOpSerializer
        assert issubclass(VersionedObjectSerializer,
                          oslo_messaging.NoOpSerializer)
        target = oslo_messaging.Target(topic="t", version="1.0")
        assert callable(oslo_messaging.get_rpc_transport)
        assert "Target" in dir(oslo_messaging)
        assert type(oslo_messaging).__name__ == "module"
        print(target.topic)
        """
    )
    assert out.strip() == "t"


def test_oslo_messaging_imported_first_is_left_as_it_is():
    out = _run(
        """
        import oslo_messaging
        first = oslo_messaging
        import zerodown.compute.objects
        import sys
        assert sys.modules["oslo_messaging"] is first
        print(type(first).__name__, hasattr(first, "Target"))
        """
    )
    assert out.strip() == "module True"


def test_an_unknown_name_is_an_attribute_error():
    out = _run(
        """
        import zerodown.compute.objects
        import oslo_messaging
        try:
            oslo_messaging.no_such_name
        except AttributeError as err:
            print("AttributeError", "Target" in dir(oslo_messaging))
        """
    )
    assert out.strip() == "AttributeError True"


def test_a_submodule_is_an_attribute_as_after_a_whole_import():
    out = _run(
        """
        import zerodown.compute.objects
        import oslo_messaging
        print(oslo_messaging.rpc.__name__, oslo_messaging.target.Target
              is oslo_messaging.Target)
        """
    )
    assert out.strip() == "oslo_messaging.rpc True"
