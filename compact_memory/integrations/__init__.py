"""Integrations with frameworks and engines; each is an optional extra and imported only when used.

- :mod:`compact_memory.integrations.ray`: strategies as a Ray Data map step
  (``pip install 'compact-memory[ray]'``).
"""
