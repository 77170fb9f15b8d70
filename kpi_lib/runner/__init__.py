"""The monthly run: executing notebooks with papermill, exporting a month's files,
publishing atomically, backfills (local or Dask)."""
