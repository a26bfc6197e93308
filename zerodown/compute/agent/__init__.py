"""The compute service: a host's resource tracker and the instance
lifecycle on its hypervisor driver.  It has no database access; it talks
to the conductor only."""
