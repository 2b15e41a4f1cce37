"""Passwords in every form redis-py accepts never reach an output of the tool (issue 10 item 6).

Each form (URL userinfo with or without a user and with `@` in the password, `rediss://`,
`unix://`, query-string passwords, `password=` literals, `os.getenv`/`os.environ.get` defaults,
dict keys) sits in a client the read-caches batch leaves manual, so that it is listed by every
output: inventory (table, JSON, CSV, Markdown), check (text, JSON, GitHub, SARIF), the PR body
and the commit message of `apply`. The dry-run diff is the exception: it shows the user's own
lines as the files hold them, so that `git apply` accepts it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
from cli_helpers import READ_BACKEND, function_local, git, git_repo, migrate

from redis_migrate.redact import mask_secrets

LEGACY = "backend/legacy.py"
BRANCH = "redis-migration/02-read-caches"


class Form(NamedTuple):
    client: str  # the expression that builds the client
    secrets: tuple[str, ...]  # no output may hold any of these (whole or the part a cut leaves)
    masked: str  # what the JSON snippet shows instead


# How the legacy client is built around the part `_form` marks (the secret in [brackets]).
FROM_URL = "redis.Redis.from_url({})"
KEYWORDS = "redis.Redis(host='cache.internal', {})"
DICT = "redis.Redis(**{{'host': 'cache.internal', {}}})"


def _form(template: str, marked: str, *cut: str) -> Form:
    """The client `template` builds around `marked` (its secret in [brackets]). The secrets are
    the bracketed one, or `cut` when given; the masked form is `marked` with *** for it."""
    secret = re.search(r"\[(.*?)\]", marked)
    assert secret is not None, marked
    return Form(template.format(marked.replace("[", "").replace("]", "")),
                cut or (secret.group(1),), marked.replace(secret.group(0), "***"))


FORMS = {
    "user-and-password": _form(FROM_URL, "'redis://app:[Pw1-user]@cache.internal:6379/3'"),
    "at-in-password": _form(FROM_URL, "'redis://:[p@ssw0rd]@cache.internal:6379/3'",
                            "p@ssw0rd", "ssw0rd"),
    "rediss": _form(FROM_URL, "'rediss://app:[Pw3@x9k]@cache.internal:6380/3'", "Pw3", "x9k"),
    "unix-socket": _form(FROM_URL, "'unix://app:[Pw4@u7q]@/run/redis.sock?db=3'", "Pw4", "u7q"),
    "query-password": _form(FROM_URL, "'redis://cache.internal:6379/3?password=[Pw5-query]'"),
    "query-password-after-ampersand": _form(
        FROM_URL, "'redis://cache.internal:6379/3?db=3&password=[Pw6@amp]'", "Pw6", "amp'"),
    "password-keyword": _form(KEYWORDS, 'password="[Pw7-kw]"'),
    "getenv-default": _form(KEYWORDS, 'password=os.getenv("REDIS_PASSWORD", "[Pw8-dflt]")'),
    "environ-get-default": _form(
        KEYWORDS, "password=os.environ.get('REDIS_PASSWORD', '[Pw9-dflt]')"),
    "dict-key": _form(DICT, "'username': 'app', 'password': '[Pw10-dict]'"),
}

# Each output of the tool: (command and flags, or a special name) -> the text it shows.
INVENTORY = [f"inventory-{fmt}" for fmt in ("table", "json", "csv", "markdown")]
CHECK = [f"check-{fmt}" for fmt in ("text", "json", "github", "sarif")]
OUTPUTS = [*INVENTORY, "inventory-table-80-columns", *CHECK, "apply", "pr-body",
           "commit-message"]


def legacy_module(client: str) -> str:
    """A function-local client on another server than the central one: left manual."""
    return (
        "import os\n"
        "\n"
        "import redis.asyncio as redis\n"
        "\n\n"
        "async def legacy_lookup(key: str):\n"
        f"    r = {client}\n"
        "    try:\n"
        "        return await r.get(key)\n"
        "    finally:\n"
        "        await r.aclose()\n"
    )


def target(path: Path, files: dict[str, str]) -> Path:
    """A small backend with a lifecycle module and one read cache the batch rewrites."""
    repo = git_repo(path, {**READ_BACKEND, **files})
    git(repo, "config", "user.name", "Migration Tester")
    git(repo, "config", "user.email", "tester@example.invalid")
    return repo


def every_output(root: Path, form: Form) -> dict[str, str]:
    """Run every command and format once on a repository holding `form`; what each showed."""
    repo = target(root / "repo", {LEGACY: legacy_module(form.client)})
    shown: dict[str, str] = {}
    for name in INVENTORY:
        run = migrate("inventory", "-C", repo, "--format", name.split("-")[1],
                      env={"COLUMNS": "300"})
        assert run.exit_code == 0, run.stderr
        shown[name] = run.stdout + run.stderr
        if name == "inventory-json":
            shown["snippets"] = "\n".join(
                site["snippet"] for site in json.loads(run.stdout)["sites"]
                if site["file"] == LEGACY and site["kind"] == "instantiation")
    run = migrate("inventory", "-C", repo, env={"COLUMNS": "80"})
    shown["inventory-table-80-columns"] = run.stdout + run.stderr
    for name in CHECK:
        run = migrate("check", "-C", repo, "--format", name.split("-")[1])
        shown[name] = run.stdout + run.stderr
    body = root / "pr.md"
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--pr-body", body)
    assert run.exit_code == 0, run.stdout + run.stderr
    shown["apply"] = run.stdout + run.stderr
    shown["pr-body"] = body.read_text(encoding="utf-8")
    shown["commit-message"] = git(repo, "log", "-1", "--format=%B", BRANCH)
    assert form.client in (repo / LEGACY).read_text(encoding="utf-8")  # the file is untouched
    return shown


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, str]]:
    """Every output for a form, run once per form for all the tests of this module."""
    cache: dict[str, dict[str, str]] = {}

    def of(form: str) -> dict[str, str]:
        if form not in cache:
            cache[form] = every_output(tmp_path_factory.mktemp(form), FORMS[form])
        return cache[form]

    return of


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("form", FORMS)
def test_no_form_of_password_reaches_any_output(outputs, form: str, output: str) -> None:
    text = outputs(form)[output]
    assert LEGACY in text, text  # the output does speak of the client holding the password
    for secret in FORMS[form].secrets:
        assert secret not in text, f"{secret!r} in {output}:\n{text}"


@pytest.mark.parametrize("form", FORMS)
def test_the_json_snippet_shows_the_masked_form(outputs, form: str) -> None:
    # the password gives way to ***; the rest (user, host, variable name) is still shown
    snippets = outputs(form)["snippets"].splitlines()
    assert len(snippets) == 1 and FORMS[form].masked in snippets[0], snippets


# --- the masker itself ---------------------------------------------------------------------------

MASKED = [
    ("redis://user:pass@host", "redis://user:***@host"),
    ("redis://:p@ss@w0rd@host:6379/0", "redis://:***@host:6379/0"),
    ("rediss://u:pw@h:6380/1", "rediss://u:***@h:6380/1"),
    ("unix://user:pass@/path/to.sock?db=0", "unix://user:***@/path/to.sock?db=0"),
    ("unix://:p@ss@/run/redis.sock", "unix://:***@/run/redis.sock"),
    ("redis://host?password=x", "redis://host?password=***"),
    ("redis://h/0?db=1&password=y@z&ssl=1", "redis://h/0?db=1&password=***&ssl=1"),
    ("redis://me@corp:pw@host", "redis://me@corp:***@host"),
    ("redis://:pw@host:6379/0?client_name=a@b", "redis://:***@host:6379/0?client_name=a@b"),
    ("redis://:ab/cd@host/0", "redis://:***@host/0"),  # a raw / that urllib would stop at
    ("Redis(password=\"abc\")", "Redis(password=\"***\")"),
    ("Redis(password='abc', db=1)", "Redis(password='***', db=1)"),
    ("Redis(password=os.getenv(\"REDIS_PASSWORD\", \"dflt\"))",
     "Redis(password=os.getenv(\"REDIS_PASSWORD\", \"***\"))"),
    ("Redis(password=os.environ.get('REDIS_PASSWORD', 'dflt'))",
     "Redis(password=os.environ.get('REDIS_PASSWORD', '***'))"),
    ("os.environ.get(\"REDIS_PASSWORD\", \"dflt\")", "os.environ.get(\"REDIS_PASSWORD\", \"***\")"),
    ("os.getenv('REDIS_AUTH', default='dflt')", "os.getenv('REDIS_AUTH', default='***')"),
    ("Redis(password=os.getenv('REDIS_PASSWORD') or 'dflt')",
     "Redis(password=os.getenv('REDIS_PASSWORD') or '***')"),
    ('{"username": "app", "password": "x"}', '{"username": "app", "password": "***"}'),
    ("REDIS_PASSWORD = 'x'", "REDIS_PASSWORD = '***'"),
    ("password: str = 'x'", "password: str = '***'"),
    ("connects to 'redis://:p@ss@h:6379/3', not x", "connects to 'redis://:***@h:6379/3', not x"),
    ("Redis(password=\"hunter2...", "Redis(password=\"***"),  # a snippet cut inside the literal
]

KEPT = [
    "redis://localhost:6379/0",
    "redis://user@host:6379/0",  # a user, no password
    "unix:///run/redis.sock?db=0",
    "redis://[::1]:6379/0",
    "http://host:80/path/user@domain",  # an @ in the path
    "redis://user@host:6379/0?client_name=a@b",
    "Redis(password=settings.REDIS_PASSWORD)",
    "Redis(password=os.environ['REDIS_PASSWORD'])",
    "Redis(password=os.getenv('REDIS_PASSWORD'))",
    "os.getenv('REDIS_URL', 'redis://localhost:6379/0')",
    "Redis(password='')",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_each_form_is_masked_and_masking_again_changes_nothing(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected
    assert mask_secrets(expected) == expected


@pytest.mark.parametrize("text", KEPT)
def test_what_is_not_a_secret_is_unchanged(text: str) -> None:
    assert mask_secrets(text) == text


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_json_and_csv_encoded_text_is_masked_the_same(text: str, expected: str) -> None:
    # the renderers mask what they have already encoded: \" in JSON, "" in CSV
    document = json.dumps({"snippet": text, "line": 3})
    assert json.loads(mask_secrets(document)) == {"snippet": expected, "line": 3}
    buffer = io.StringIO()
    csv.writer(buffer).writerow([text, "x"])
    assert next(csv.reader(io.StringIO(mask_secrets(buffer.getvalue())))) == [expected, "x"]


# --- the dry-run diff -----------------------------------------------------------------------------

# a rewritten client whose diff context holds a URL with a password
READS_BESIDE_A_SECRET = function_local(
    "lookup", "get", module_lines="LEGACY_URL = 'redis://:p@ssw0rd@cache.internal:6379/3'")


def test_the_dry_run_diff_applies_with_git_apply(tmp_path: Path) -> None:
    files = {"backend/reads.py": READS_BESIDE_A_SECRET, LEGACY: legacy_module(
        FORMS["at-in-password"].client)}
    repo = target(tmp_path / "dry", files)
    run = migrate("apply", "--batch", "read-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    diff, _, summary = run.stdout.partition("\nbatch read-caches")
    # the user's own line, as the file holds it, in the diff's context
    assert " LEGACY_URL = 'redis://:p@ssw0rd@cache.internal:6379/3'\n" in diff
    # what the tool says about the batch is masked (the manual site's URL)
    assert f"manual     {LEGACY}:7" in summary and "ssw0rd" not in summary + run.stderr
    patch = tmp_path / "batch.patch"
    patch.write_text(run.stdout, encoding="utf-8")
    check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=repo,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # applied, the patch writes what `apply --no-git` writes
    git(repo, "apply", str(patch))
    written = target(tmp_path / "written", files)
    assert migrate("apply", "--batch", "read-caches", "--no-git", "-C", written).exit_code == 0
    for name in ("backend/reads.py", LEGACY):
        assert (repo / name).read_bytes() == (written / name).read_bytes(), name
