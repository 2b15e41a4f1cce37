"""Terminal tables, colour and the CI formats (issue 10 items 12 and 13).

Tables: every line fits the width asked for, paths wrap only after a `/`, piped output with no
COLUMNS is whole lines. Colour: only on a terminal, unless FORCE_COLOR; never with NO_COLOR.
The terminal cases run the real CLI in a subprocess on a pseudo-terminal (the stdlib `pty`);
the others through the in-process runner, which is not a terminal.

GitHub annotations are parsed back the way the Actions runner parses workflow commands, and the
SARIF document is validated against the OASIS SARIF 2.1.0 schema (tests/data).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from cli_helpers import BACKEND, function_local, git_repo, migrate
from rich.cells import cell_len

from redis_migrate import render
from redis_migrate.scan.check import RULES, Finding

DATA = Path(__file__).parent / "data"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NO_COLOUR_ENV = {"NO_COLOR": None, "FORCE_COLOR": None}  # None: unset for the run

LONG_SITE_FILE = "src/very_long_package/sub/module_name.py"
# A row far wider than any terminal: whole-line output must keep it on one line.
DEEP_FILE = "src/" + "".join(f"level_{i:02d}_of_a_deep_tree/" for i in range(10)) + "leaf.py"
TABLE_REPO = {
    **BACKEND,
    # padded so that the client sits on line 123, as in the example
    LONG_SITE_FILE: "# padding\n" * 116 + function_local("lookup", "get"),
    DEEP_FILE: function_local("deep_lookup", "exists"),
    "backend/reads.py": function_local("read", "ttl"),
}
ODD_NAMES = ["my dir/a#b%c.py", "pkg/café/cache.py", "app/[slug]/views.py",
             "we,ird:dir/cache.py"]
MODULE_CLIENT = 'import redis\n\nclient = redis.Redis.from_url("redis://localhost:6379/0")\n'


@pytest.fixture(scope="module")
def table_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return git_repo(tmp_path_factory.mktemp("tables") / "repo", TABLE_REPO)


@pytest.fixture(scope="module")
def odd_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files whose names hold a space, `#`, `%`, non-ASCII, brackets, `,` and `:`."""
    return git_repo(tmp_path_factory.mktemp("odd") / "repo",
                    {name: MODULE_CLIENT for name in ODD_NAMES})


def site_rows(repo: Path) -> list[str]:
    """Every site as `path:line`, from the JSON inventory."""
    sites = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    return [f"{s['file']}:{s['line']}" for s in sites]


def first_column(table: str) -> list[list[str]]:
    """The site column of an inventory table, each site as the pieces it was printed in."""
    lines = table.splitlines()[1:]  # under the header
    sites: list[list[str]] = []
    pieces: list[str] = []
    for line in lines:
        if re.match(r"\S+:\d+: manual|\d+ sites in", line):
            break  # the lines under the table
        piece = line.split(" ", 1)[0]  # these paths hold no space
        if not piece:
            continue  # a line that only continues other columns
        pieces.append(piece)
        if re.search(r":\d+$", piece):
            sites.append(pieces)
            pieces = []
    assert not pieces, f"a site left unfinished: {pieces}"
    return sites


def on_terminal(args: list[str | Path], columns: int, env: dict[str, str] | None = None,
                stream: str = "stdout") -> tuple[int, str, str]:
    """Run `python -m redis_migrate ARGS` with `stream` (stdout or stderr) on a pseudo-terminal
    `columns` wide and the other on a file; its exit code, what the terminal showed, the
    other stream. No NO_COLOR, FORCE_COLOR or COLUMNS unless `env` sets them."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}
    full_env.update({"TERM": "xterm-256color", **(env or {})})
    with tempfile.TemporaryFile() as other:
        proc = subprocess.Popen(
            [sys.executable, "-m", "redis_migrate", *map(str, args)], env=full_env,
            stdin=subprocess.DEVNULL, stdout=slave if stream == "stdout" else other,
            stderr=slave if stream == "stderr" else other)
        os.close(slave)
        shown = _read_until_closed(master, proc)
        code = proc.wait(timeout=60)
        other.seek(0)
        rest = other.read().decode("utf-8")
    # the terminal turns each "\n" into "\r\n" (onlcr)
    return code, shown.decode("utf-8").replace("\r\n", "\n"), rest


def _read_until_closed(master: int, proc: subprocess.Popen) -> bytes:
    """All that `proc` writes to the terminal, until it closes it (EIO on Linux)."""
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 180)
            if not ready:
                proc.kill()
                pytest.fail("the CLI wrote nothing to the terminal for 180 s")
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return b"".join(chunks)


# --- tables fit the terminal ---------------------------------------------------------------------

@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_table_line_fits_the_width(table_repo: Path, width: int) -> None:
    for command in ("inventory", "plan", "status"):
        run = migrate(command, "-C", table_repo, env={"COLUMNS": str(width), **NO_COLOUR_ENV})
        assert run.exit_code == 0, run.stderr
        too_wide = [line for line in run.stdout.splitlines() if cell_len(line) > width]
        assert not too_wide, f"{command} at {width}:\n" + "\n".join(too_wide)


@pytest.mark.parametrize("width", [60, 80, 120])
def test_paths_wrap_only_after_a_slash(table_repo: Path, width: int) -> None:
    run = migrate("inventory", "-C", table_repo, env={"COLUMNS": str(width), **NO_COLOUR_ENV})
    printed = first_column(run.stdout)
    assert sorted("".join(pieces) for pieces in printed) == sorted(site_rows(table_repo))
    assert f"{LONG_SITE_FILE}:123" in {"".join(pieces) for pieces in printed}
    for pieces in printed:
        assert all(piece.endswith("/") for piece in pieces[:-1]), pieces


def test_piped_output_without_columns_keeps_whole_lines(table_repo: Path) -> None:
    # Scripts read piped tables line by line: no width is imposed, nothing wraps or is cut.
    run = migrate("inventory", "-C", table_repo, env={"COLUMNS": None, **NO_COLOUR_ENV})
    sites = site_rows(table_repo)
    for site in sites:
        assert re.search(rf"^{re.escape(site)}\s+(instantiation|close)\s", run.stdout, re.M), site
    assert max(map(cell_len, run.stdout.splitlines())) > 200  # the deep path's row
    table = run.stdout.split("\n\n")[0].splitlines()
    assert len(table) == 1 + len(sites) + 1  # header, one line a site, the summary
    assert "…" not in run.stdout


def test_brackets_in_a_path_are_text_not_markup(odd_repo: Path) -> None:
    run = migrate("inventory", "-C", odd_repo, env={"COLUMNS": None, **NO_COLOUR_ENV})
    assert re.search(r"^app/\[slug\]/views\.py:3\s", run.stdout, re.M), run.stdout


def test_a_table_on_a_terminal_fits_it_and_is_coloured(table_repo: Path) -> None:
    code, shown, _ = on_terminal(["inventory", "-C", table_repo], columns=60)
    assert code == 0, shown
    assert "\x1b[1m" in shown  # the bold header
    plain = ANSI.sub("", shown)
    assert max(map(cell_len, plain.splitlines())) <= 60, plain
    assert all(p.endswith("/") for pieces in first_column(plain) for p in pieces[:-1])


# --- colour -------------------------------------------------------------------------------------

def test_piped_output_has_no_colour(table_repo: Path) -> None:
    for args in (["inventory"], ["plan"], ["status"], ["apply", "--batch", "read-caches",
                                                       "--dry-run"]):
        run = migrate(*args, "-C", table_repo, env=NO_COLOUR_ENV)
        assert run.exit_code == 0, run.stderr
        assert "\x1b[" not in run.stdout + run.stderr, args


def test_force_color_colours_piped_output(table_repo: Path, tmp_path: Path) -> None:
    env = {"NO_COLOR": None, "FORCE_COLOR": "1"}
    table = migrate("inventory", "-C", table_repo, env=env).stdout
    assert "\x1b[1m" in table
    diff = migrate("apply", "--batch", "read-caches", "--dry-run", "-C", table_repo, env=env)
    assert diff.exit_code == 0, diff.stderr
    assert "\x1b[32m+" in diff.stdout and "\x1b[31m-" in diff.stdout
    error = migrate("inventory", "-C", tmp_path / "nope", env=env)
    assert error.exit_code == 2 and error.stderr.startswith("\x1b[31merror:\x1b[0m")


def test_no_color_wins_over_force_color_and_a_terminal(table_repo: Path) -> None:
    env = {"NO_COLOR": "1", "FORCE_COLOR": "1"}
    assert "\x1b[" not in migrate("inventory", "-C", table_repo, env=env).stdout
    code, shown, _ = on_terminal(["apply", "--batch", "read-caches", "--dry-run", "-C",
                                  table_repo], columns=100, env=env)
    assert code == 0, shown
    assert "+++ b/" in shown and "\x1b[" not in shown
    code, shown, _ = on_terminal(["inventory", "-C", table_repo / "nope"], columns=100,
                                 env={"NO_COLOR": "1"}, stream="stderr")
    assert code == 2 and shown.startswith("error:"), shown


def test_a_diff_on_a_terminal_is_coloured(table_repo: Path) -> None:
    code, shown, _ = on_terminal(["apply", "--batch", "read-caches", "--dry-run", "-C",
                                  table_repo], columns=100)
    assert code == 0, shown
    assert "\x1b[32m+" in shown


# --- GitHub workflow commands -------------------------------------------------------------------

def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """`::name key=value,key=value::data` read as the Actions runner reads it (ActionCommand
    .TryParseV2): the command info ends at the first `::`, properties split at every `,` and
    at the first `=`, then unescaped (%0D, %0A, %3A, %2C, then %25; data: %0D, %0A, %25)."""
    assert line.startswith("::")
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2:]
    name, _, properties = info.partition(" ")
    values = {}
    for prop in filter(None, properties.strip().split(",")):
        key, sep, value = prop.partition("=")
        if sep and key and value:
            values[key] = _unescape(value, ("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"),
                                    ("%2C", ","), ("%25", "%"))
    return name, values, _unescape(data, ("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))


def _unescape(value: str, *mappings: tuple[str, str]) -> str:
    for escaped, char in mappings:
        value = value.replace(escaped, char)
    return value


def test_github_annotation_values_round_trip() -> None:
    finding = Finding("we,ird:dir/a b%2C.py", 7, 3, "close",
                      "first line: a, b\r\nsecond line 100% done::x\nthird")
    (line,) = render.findings_github([finding]).splitlines()
    name, properties, message = parse_workflow_command(line)
    assert name == "error"
    assert properties == {"file": finding.file, "line": "7", "col": "3",
                          "title": RULES["close"]}
    assert message == finding.message


def test_github_annotations_from_the_cli_name_each_file(odd_repo: Path) -> None:
    run = migrate("check", "-C", odd_repo, "--format", "github")
    assert run.exit_code == 1
    findings = json.loads(migrate("check", "-C", odd_repo, "--format", "json").stdout)["findings"]
    parsed = [parse_workflow_command(line) for line in run.stdout.splitlines()]
    assert [(p["file"], p["line"]) for _, p, _ in parsed] == [
        (f["file"], str(f["line"])) for f in findings]
    assert set(ODD_NAMES) <= {p["file"] for _, p, _ in parsed}
    assert [message for _, _, message in parsed] == [f["message"] for f in findings]


# --- SARIF --------------------------------------------------------------------------------------

# RFC 3986 URI and URI-reference, for the schema's "uri" and "uri-reference" formats
# (jsonschema checks them only with an optional package; this keeps the test dependency one).
_PCT = r"%[0-9A-Fa-f]{2}"
_UNRESERVED = r"[A-Za-z0-9\-._~]"
_SUB_DELIMS = r"[!$&'()*+,;=]"
_PCHAR = rf"(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|[:@])"
_SEGMENT = rf"{_PCHAR}*"
_AUTHORITY = (rf"(?:(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|:)*@)?"
              rf"(?:\[[0-9A-Fa-f:.vV]+\]|(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS})*)(?::[0-9]*)?")
_TAIL = rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
_ABEMPTY = rf"(?:/{_SEGMENT})*"
_ABSOLUTE = rf"/(?:{_PCHAR}+{_ABEMPTY})?"
URI = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:(?://{_AUTHORITY}{_ABEMPTY}|{_ABSOLUTE}"
                 rf"|{_PCHAR}+{_ABEMPTY}|){_TAIL}")
RELATIVE_REF = re.compile(
    rf"(?://{_AUTHORITY}{_ABEMPTY}|{_ABSOLUTE}"
    rf"|(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|@)+{_ABEMPTY}|){_TAIL}")


def sarif_validator() -> jsonschema.protocols.Validator:
    """A validator for the SARIF 2.1.0 schema that also checks URI formats."""
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    formats = jsonschema.FormatChecker()
    formats.checks("uri")(lambda value: not isinstance(value, str) or bool(URI.fullmatch(value)))
    formats.checks("uri-reference")(lambda value: not isinstance(value, str) or bool(
        URI.fullmatch(value) or RELATIVE_REF.fullmatch(value)))
    return cls(schema, format_checker=formats)


def test_the_uri_checks_reject_what_is_not_a_uri() -> None:
    assert RELATIVE_REF.fullmatch("my%20dir/a%23b.py") and URI.fullmatch("https://x.org/a")
    for bad in ("my dir/a.py", "pkg/café.py", "a/%zz.py", "app/[slug]/v.py"):
        assert not RELATIVE_REF.fullmatch(bad), bad
    assert list(sarif_validator().iter_errors(
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
            {"message": {"text": "m"}, "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": "my dir/a.py"}}}]}]}]}))


def test_sarif_is_valid_and_its_uris_name_the_files(odd_repo: Path) -> None:
    run = migrate("check", "-C", odd_repo, "--format", "sarif")
    assert run.exit_code == 1
    document = json.loads(run.stdout)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in sarif_validator().iter_errors(document)]
    assert not errors, "\n".join(errors)
    findings = json.loads(migrate("check", "-C", odd_repo, "--format", "json").stdout)["findings"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in document["runs"][0]["results"]]
    assert [unquote(uri) for uri in uris] == [f["file"] for f in findings]
    assert all(urlsplit(uri).path == uri for uri in uris)  # no `#` or `?` read as a fragment
    assert set(ODD_NAMES) <= {unquote(uri) for uri in uris}


def test_sarif_with_no_findings_is_valid(tmp_path: Path) -> None:
    document = json.loads(render.findings_sarif([], "0.0.0"))
    assert not list(sarif_validator().iter_errors(document))
