from redis_migrate.cli import main

main()
