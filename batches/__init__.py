"""The migration batches, one TOML data file each (installed as `redis_migrate.batches`, loaded and
validated by `redis_migrate.batch_catalog`)."""
