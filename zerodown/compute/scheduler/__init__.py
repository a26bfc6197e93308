"""The scheduler: host states from the computes' reports, filters,
weighers, and a selector that runs the expensive NUMA fit best-first."""
