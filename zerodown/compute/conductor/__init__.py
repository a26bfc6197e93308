"""The conductor service: database access for the computes, the build
flow and object backports for older services."""
