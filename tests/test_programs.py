"""What another program runs, read from imports (`redis_migrate/scan/programs.py`).

The graph decides which sites stay `manual` because a Celery worker or a script runs them
(tests/test_app_lifespan_wiring.py proves the whole flow); here, what each import spelling
counts, on real files in a temporary tree.
"""

from __future__ import annotations

from pathlib import Path

from redis_migrate.scan.programs import ImportGraph

TREE = {
    "app/__init__.py": "from app import routes\n",
    "app/routes.py": "from app.deps import provide\n",
    "app/deps.py": "",
    "app/settings.py": "",
    "app/pkg/__init__.py": "",
    "app/pkg/mod.py": "",
    "app/queue/__init__.py": "",
    "app/queue/app.py": ('from celery import Celery\n\nfrom app.settings import URL\n\n'
                         'celery = Celery("x", include=["app.queue.extra"], '
                         'task_cls="app.queue.task.Base")\n'),
    "app/queue/extra.py": "",
    "app/queue/task.py": "",
    # a task module: imports the worker's app, and a helper inside its def
    "app/queue/jobs.py": ("from .app import celery\n\n\n@celery.task\ndef run():\n"
                          "    from app.pubsub import PubSub\n    return PubSub\n"),
    "app/pubsub.py": "from app.pkg import mod\n",
    "app/cli.py": "import app.pkg.mod\n",
    # names the module's last part but imports nothing of it
    "app/notes.py": "# the app module of the queue\nimport os\napp = os.getenv('X')\n",
    "app/broken.py": "def (:\n",
}


def _graph(tmp_path: Path) -> ImportGraph:
    for path, text in TREE.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return ImportGraph(tmp_path, sorted(TREE), lambda module: None)


def test_each_import_spelling_counts_what_the_importer_can_reach(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    # `from app.settings import URL`: the module, not the package above it (which Python runs
    # but whose names the importer cannot reach)
    assert graph.imports("app/queue/app.py") == {"app/settings.py"}
    # `import app.pkg.mod` binds `app`: the packages on the way count
    assert graph.imports("app/cli.py") == {"app/__init__.py", "app/pkg/__init__.py",
                                           "app/pkg/mod.py"}
    assert graph.imports("app/pubsub.py") == {"app/pkg/__init__.py", "app/pkg/mod.py"}
    # relative, and inside a def
    assert graph.imports("app/queue/jobs.py") == {"app/queue/app.py", "app/pubsub.py"}
    assert graph.imports("app/broken.py") == frozenset()  # reported by the inventory


def test_a_workers_entry_modules_are_its_app_its_task_modules_and_what_it_names(
        tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    assert graph.importers("app/queue/app.py") == {"app/queue/jobs.py"}
    assert graph.named("app/queue/app.py") == {"app/queue/extra.py", "app/queue/task.py"}
    roots = {"app/queue/app.py", *graph.importers("app/queue/app.py")}
    runs = graph.closure(roots)
    # the pub/sub helper a task imports inside its def runs in the worker; the web app's
    # dependency, reached only through the package's __init__, does not
    assert "app/pubsub.py" in runs and "app/pkg/mod.py" in runs
    assert "app/deps.py" not in runs and "app/routes.py" not in runs
    # `import app.pkg.mod` reaches the package's __init__, which imports the routes
    assert graph.closure({"app/cli.py"}) >= {"app/routes.py", "app/deps.py"}
