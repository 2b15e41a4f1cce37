from redis_migrate.launch import main

main()
