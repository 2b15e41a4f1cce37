"""Settings, read from the environment when this module is imported."""

import os
import socket

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
STREAM = "orders"
GROUP = "fulfilment"
CONSUMER = os.environ.get("WORKER_NAME", socket.gethostname())
BATCH_SIZE = 10
BLOCK_MS = 2000  # how long one XREADGROUP waits for new orders
