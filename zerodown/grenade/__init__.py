"""Grenade-style upgrade jobs: deploy the old release, create resources,
upgrade piece by piece under load, and prove nothing failed.

Built so far: the job file (:mod:`.job`), finding a release's code in
the clone's history (:mod:`.releases`), the load generator
(:mod:`.load`), the phase clock it records against (:mod:`.phases`) and
the report (:mod:`.report`: JSON, Markdown, a PNG timeline).  The job
runner (worktrees, one virtualenv per side, the phases, service
supervision) is the next step.
"""
