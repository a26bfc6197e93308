"""A small shop application, in three releases, for the zerodown walkthrough.

Each ``releaseN`` module is the code of one release: its models and the
queries it runs.  Release N and N+1 run side by side during an upgrade, so
every schema change between them goes through expand and contract.
"""
