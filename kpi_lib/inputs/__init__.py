"""From files to a validated tidy frame: readers, ingest, the append-only store, overrides,
roll-up of units to areas, loading a dataset, and the synthetic sample."""
