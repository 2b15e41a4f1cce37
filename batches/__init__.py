"""The migration batches, one TOML data file each (loaded by `migrate.batches_loader`)."""
