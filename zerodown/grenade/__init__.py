"""Grenade-style upgrade jobs: deploy the old release, create resources,
upgrade piece by piece under load, and prove nothing failed.

Built so far: the load generator (:mod:`.load`), the phase clock it
records against (:mod:`.phases`) and the report (:mod:`.report`: JSON,
Markdown, a PNG timeline).  The job runner is the next step.
"""
