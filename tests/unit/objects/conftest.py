"""Import zerodown.objects first: it loads oslo.versionedobjects without the
eventlet deprecation warning that o.vo's own import chain emits."""

from __future__ import annotations

import zerodown.objects  # noqa: F401
