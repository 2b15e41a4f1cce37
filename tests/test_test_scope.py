"""Test code stands apart (SPEC §3, issue 8 item 5): clients created in test files are reported
with scope `test`, belong to no batch, are never rewritten and do not fail `check`, unless
`[tool.migrate] include-tests = true` puts them in the batches and the gate like any other site.

Everything runs through the real CLI on real scratch git repositories.
"""

from __future__ import annotations

import csv
import io
import json
import py_compile
import tomllib
from pathlib import Path

import pytest
from cli_helpers import BACKEND, MODULE_CLIENT, function_local, git_repo, migrate, module_client

from redis_migrate.config import load_config
from redis_migrate.scan.discovery import is_test_path

BASE = BACKEND
INCLUDE_TESTS = "[tool.migrate]\ninclude-tests = true\n"

READ_CLIENT = module_client(  # read-caches: a module-level client that only reads
    "async def peek(key: str):\n"
    "    return await client.get(key)\n"
)
OWNER_CLASS = (  # read-caches: a class that owns its client (instance-attribute)
    "import redis.asyncio as redis\n"
    "\n"
    "from backend import settings\n"
    "\n\n"
    "class RedisCache:\n"
    "    def __init__(self) -> None:\n"
    "        self._redis = redis.Redis.from_url(settings.REDIS_URL)\n"
    "\n"
    "    async def read(self, key: str):\n"
    "        return await self._redis.get(key)\n"
)
OWNER_IN_TEST = (  # an owner singleton, at import time of a test module
    "from backend.owner import RedisCache\n"
    "\n"
    "cache = RedisCache()\n"
    "\n\n"
    "async def test_read() -> None:\n"
    "    assert await cache.read('k') is None\n"
)

# Every form of test path SPEC §3 names, at the top and deeper down. Each file creates clients
# that only read, so they would go to read-caches if the batches took them.
TEST_FILES = {
    "tests/helpers.py": function_local("lookup", "get"),          # a tests/ folder
    "backend/tests/fakes.py": function_local("lookup", "get"),    # tests/ deeper down
    "backend/test/fakes.py": function_local("lookup", "get"),     # a test/ folder
    "backend/test_cache.py": function_local("lookup", "get"),     # test_*.py
    "backend/cache_test.py": function_local("lookup", "get"),     # *_test.py
    "conftest.py": READ_CLIENT,                                    # conftest.py, module client
    "backend/conftest.py": function_local("lookup", "get"),       # conftest.py deeper down
    "tests/test_owner.py": OWNER_IN_TEST,                          # an owner singleton
}
# Look-alikes: application code whose names merely contain "test". None is what pytest
# collects (it takes test_*.py and *_test.py files, and conftest.py), and only a whole folder
# name `tests` or `test` marks a folder as test code: `testing/` and `unittests/` are packages
# of the application as far as the tool can know (test helpers shipped with the app).
LOOKALIKES = {
    "backend/contest.py": function_local("lookup", "get"),
    "backend/latest.py": function_local("lookup", "get"),
    "attestation/probe.py": function_local("lookup", "get"),
    "backend/testing/fakes.py": function_local("lookup", "get"),
    "backend/testing_utils.py": function_local("lookup", "get"),
    "backend/unittests/fakes.py": function_local("lookup", "get"),
    "backend/test_data/seed.py": function_local("lookup", "get"),  # test_* folder, not a file
}
PROD = {
    "backend/reads.py": function_local("lookup", "get"),
    "backend/owner.py": OWNER_CLASS,
}


def _repo(tmp_path: Path, files: dict[str, str], config: str | None = None,
          name: str = "target") -> Path:
    content = {**BASE, **files}
    if config is not None:
        content["pyproject.toml"] = config
    return git_repo(tmp_path / name, content)


def _sites(repo: Path) -> list[dict]:
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    return json.loads(run.stdout)["sites"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Production sites, test-code sites and look-alikes, with the default config."""
    return _repo(tmp_path_factory.mktemp("mixed"), {**PROD, **TEST_FILES, **LOOKALIKES})


@pytest.fixture(scope="module")
def mixed_sites(mixed: Path) -> list[dict]:
    return _sites(mixed)


# --- which paths are test code ----------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(TEST_FILES))
def test_each_test_path_form_is_test_scope_outside_the_batches(mixed_sites: list[dict],
                                                               path: str) -> None:
    sites = [s for s in mixed_sites if s["file"] == path]
    assert sites, f"no site found in {path}"
    for site in sites:
        assert site["scope"] == "test", site
        assert site["batch"] is None, site
        # still classified, so the report says what it is and what it would take
        assert (site["purpose"], site["status"], site["reason"]) == ("read-cache", "pending",
                                                                     None), site
        assert any("include-tests = true" in note for note in site["notes"]), site


@pytest.mark.parametrize("path", sorted(LOOKALIKES))
def test_a_look_alike_path_is_application_code(mixed_sites: list[dict], path: str) -> None:
    sites = [s for s in mixed_sites if s["file"] == path]
    assert {(s["kind"], s["scope"], s["batch"]) for s in sites} == {
        ("instantiation", "function", "read-caches"), ("close", "function", "read-caches")}
    assert not any("test code" in note for s in sites for note in s["notes"])


def test_close_module_client_and_owner_singleton_sites_in_test_code(
        mixed_sites: list[dict]) -> None:
    by_kind = {(s["file"], s["kind"]): s for s in mixed_sites}
    assert by_kind[("conftest.py", "instantiation")]["rewrite"] == "module-client"
    assert by_kind[("tests/helpers.py", "close")]["scope"] == "test"
    owner = by_kind[("tests/test_owner.py", "owner-singleton")]
    assert (owner["scope"], owner["batch"]) == ("test", None)
    # the class it instantiates lives in application code and stays in its batch
    assert by_kind[("backend/owner.py", "instantiation")]["batch"] == "read-caches"
    assert by_kind[("backend/owner.py", "instantiation")]["scope"] == "class"


@pytest.mark.parametrize("path, expected", [
    *((p, True) for p in TEST_FILES),
    *((p, False) for p in LOOKALIKES),
    ("test/a.py", True), ("a/b/tests/c/d.py", True), ("test_.py", True), ("x_test.py", True),
    ("tests.py", True), ("shop/tests.py", True), ("test.py", False),
    ("backend/tests_old/x.py", False),
    ("backend/conftest_helpers.py", False), ("backend/test_x.pyi", False),
])
def test_is_test_path(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


# --- the reports ------------------------------------------------------------------------------

def test_table_csv_and_markdown_show_the_test_scope(mixed: Path, mixed_sites: list[dict]) -> None:
    tests = [s for s in mixed_sites if s["scope"] == "test"]
    assert len(tests) == 14  # 6 function-local clients and their closes, 1 module client, 1 owner
    table = migrate("inventory", "-C", mixed)
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()
            if line.startswith(("tests/", "conftest.py", "backend/"))}
    assert rows["conftest.py:5"][4:7] == ["test", "read-cache", "-"]
    assert rows["backend/reads.py:7"][4:7] == ["function", "read-cache", "read-caches"]
    assert (f"; {len(tests)} in test code, not migrated (include-tests = false)"
            in table.stdout.splitlines()[-1])

    rows_csv = list(csv.DictReader(io.StringIO(
        migrate("inventory", "-C", mixed, "--format", "csv").stdout)))
    assert {(r["scope"], r["batch"]) for r in rows_csv if is_test_path(r["file"])} == {
        ("test", "")}

    markdown = migrate("inventory", "-C", mixed, "--format", "markdown").stdout
    batch_part, _, test_part = markdown.partition("## Test code: outside the batches")
    assert test_part.startswith(f" and the gate; include-tests = true includes it "
                                f"({len(tests)} sites)")
    assert "`conftest.py:5`" in test_part and "test scope" in test_part
    assert "`conftest.py:5`" not in batch_part and "test scope" not in batch_part
    assert "Unassigned" not in markdown


def test_plan_counts_test_code_on_a_line_of_its_own(mixed: Path,
                                                    mixed_sites: list[dict]) -> None:
    tests = [s for s in mixed_sites if s["scope"] == "test"]
    app_pending = [s for s in mixed_sites if s["scope"] != "test"]
    run = migrate("plan", "-C", mixed)
    assert run.exit_code == 0, run.stderr
    read_row = next(line.split() for line in run.stdout.splitlines()
                    if line.split()[1:2] == ["read-caches"])
    assert read_row[-4] == str(len(app_pending))  # the pending column: application code only
    test_files = len({s["file"] for s in tests})
    assert (f"test code: {len(tests)} sites in {test_files} files, not migrated and not "
            f"checked (set include-tests = true to include it)") in run.stdout.splitlines()
    assert "unassigned" not in run.stdout

    document = json.loads(migrate("plan", "-C", mixed, "--format", "json").stdout)
    assert document["test_code"] == {"sites": len(tests), "files": test_files,
                                     "included": False}
    assert "unassigned" not in {row["batch"] for row in document["batches"]}


# --- include-tests = true ---------------------------------------------------------------------

def test_include_tests_puts_test_code_in_the_batches(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {**PROD, **TEST_FILES}, INCLUDE_TESTS)
    sites = _sites(repo)
    tests = [s for s in sites if is_test_path(s["file"])]
    assert len(tests) == len([s for s in sites if s["scope"] == "test"]) > 0
    assert {(s["scope"], s["batch"], s["status"]) for s in tests} == {
        ("test", "read-caches", "pending")}
    assert not any("test code" in note for s in tests for note in s["notes"])
    plan = migrate("plan", "-C", repo)
    read_row = next(line.split() for line in plan.stdout.splitlines()
                    if line.split()[1:2] == ["read-caches"])
    assert read_row[-4] == str(len(sites))  # every site, test code included
    assert "in the batches above (include-tests = true)" in plan.stdout


# --- the gate ---------------------------------------------------------------------------------

def test_check_passes_when_only_test_code_has_clients(tmp_path: Path) -> None:
    repo = _repo(tmp_path, TEST_FILES)
    assert all(s["scope"] == "test" for s in _sites(repo)) and _sites(repo)
    run = migrate("check", "-C", repo)
    assert (run.exit_code, run.stdout) == (0, ""), run.stdout + run.stderr
    assert "no findings" in run.stderr


def test_check_reports_test_code_with_include_tests(tmp_path: Path) -> None:
    repo = _repo(tmp_path, TEST_FILES, INCLUDE_TESTS)
    sites = _sites(repo)
    run = migrate("check", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert {tuple(line.split(":")[:2]) for line in lines} == {
        (s["file"], str(s["line"])) for s in sites}
    assert all("[batch read-caches]" in line for line in lines)
    assert any(line.startswith("conftest.py:5:") and "created at import time" in line
               for line in lines)
    findings = json.loads(migrate("check", "-C", repo, "--format", "json").stdout)["findings"]
    assert len(findings) == len(sites)


def test_check_on_a_mixed_repository_names_application_code_only(mixed: Path) -> None:
    run = migrate("check", "-C", mixed)
    assert run.exit_code == 1
    files = {line.split(":")[0] for line in run.stdout.splitlines()}
    assert files == {*PROD, *LOOKALIKES}


# --- apply ------------------------------------------------------------------------------------

def test_apply_leaves_test_files_byte_identical(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {**PROD, **TEST_FILES})
    before = {path: (repo / path).read_bytes() for path in TEST_FILES}
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "get_redis()" in (repo / "backend/reads.py").read_text("utf-8")
    assert "get_redis()" in (repo / "backend/owner.py").read_text("utf-8")
    assert {path: (repo / path).read_bytes() for path in TEST_FILES} == before
    assert not any(path in run.stdout for path in TEST_FILES), run.stdout


def test_apply_with_include_tests_rewrites_test_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {**PROD, **TEST_FILES}, INCLUDE_TESTS)
    before = {path: (repo / path).read_bytes() for path in TEST_FILES}
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    changed = {path for path in TEST_FILES if (repo / path).read_bytes() != before[path]}
    # every test file with a client of its own; the owner singleton's module only uses a class
    assert changed == set(TEST_FILES) - {"tests/test_owner.py"}
    for path in changed:
        assert "get_redis()" in (repo / path).read_text("utf-8")
        py_compile.compile(str(repo / path), doraise=True)


def test_a_test_file_follows_an_application_client_it_imports(tmp_path: Path) -> None:
    """The test file's own code is not migrated, but when the batch removes the module-level
    client it imports, its references follow (or its imports would break)."""
    user = ("from backend.writes import client\n"
            "\n\n"
            "async def test_save() -> None:\n"
            "    await client.set('k', 'v')\n")
    repo = _repo(tmp_path, {"backend/writes.py": MODULE_CLIENT, "tests/test_writes.py": user})
    assert [s["file"] for s in _sites(repo)] == ["backend/writes.py"]
    run = migrate("apply", "--batch", "write-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    text = (repo / "tests/test_writes.py").read_text("utf-8")
    assert "get_redis().set('k', 'v')" in text and "from backend.writes import" not in text


# --- the config key ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ['"yes"', "1", '"true"', "[]"])
def test_a_non_bool_include_tests_is_exit_2_naming_the_key(tmp_path: Path, value: str) -> None:
    repo = _repo(tmp_path, TEST_FILES, f"[tool.migrate]\ninclude-tests = {value}\n")
    for command in ("inventory", "check", "plan"):
        run = migrate(command, "-C", repo)
        assert run.exit_code == 2, (command, run.stdout, run.stderr)
        assert "pyproject.toml" in run.stderr
        assert "'include-tests' must be true or false" in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_init_writes_include_tests_false(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, '[project]\nname = "target"\n')
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    text = (repo / "pyproject.toml").read_text("utf-8")
    assert tomllib.loads(text)["tool"]["migrate"]["include-tests"] is False
    assert load_config(repo).include_tests is False
    (repo / "pyproject.toml").write_text(text.replace("include-tests = false",
                                                      "include-tests = true"), "utf-8")
    assert load_config(repo).include_tests is True
