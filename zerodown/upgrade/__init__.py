"""The operator's view of a rolling upgrade: ``zerodown upgrade-check``
(may the next release start?) and ``zerodown status`` (the whole
deployment at a glance)."""
