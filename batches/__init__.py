"""The migration batches, one TOML data file each (installed as `migrate.batches`, loaded and
validated by `migrate.batch_catalog`)."""
