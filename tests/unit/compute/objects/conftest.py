"""Import zerodown.objects first (o.vo without its eventlet warning)."""

from __future__ import annotations

import zerodown.objects  # noqa: F401
