"""The conventions a user expects of the `migrate` command line (issue 10, items 8, 11 and 15).

Outside git, the commands that need git history refuse in one line (exit 2) and the others keep
working; `--output` to a path that cannot be written is one line; `-h`, `--version`, shell
completion and an example in every command's help; help text that survives rich markup and
names no document that is not in the repository; the git flow's flags are refused with
`--dry-run` / `--no-git`; the README's PR body and `check --format json` descriptions match what
the tool prints. Everything runs through the real CLI, on real folders and git repositories.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from cli_helpers import READ_BACKEND, REPO_ROOT, example_repo, git, git_repo, migrate, write
from typer.testing import CliRunner

from redis_migrate.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _outside_git(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A backend in a plain folder, and an environment in which git cannot find any repository
    above it (whatever holds the test's temporary folder)."""
    target = tmp_path / "target"
    write(target, READ_BACKEND)
    return target, {"GIT_CEILING_DIRECTORIES": str(tmp_path)}


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "internal error" not in lines[0] and "Traceback" not in stderr, stderr
    return lines[0]


# --- item 8: outside git ----------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["apply", "--batch", "read-caches"],
    ["status"],
    ["status", "--format", "json"],
    ["rollback", "--batch", "read-caches"],
    ["rollback", "--batch", "read-caches", "--dry-run"],
], ids=" ".join)
def test_outside_git_the_commands_that_need_history_say_so(tmp_path: Path,
                                                           args: list[str]) -> None:
    target, env = _outside_git(tmp_path)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    run = migrate(*args, "-C", target, env=env)
    assert run.exit_code == 2, run.stdout + run.stderr
    line = _one_line(run.stderr)
    assert "not a git repository" in line, line
    assert str(target) in line, line
    assert run.stdout == ""
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before


def test_outside_git_the_commands_that_need_no_history_keep_working(tmp_path: Path) -> None:
    target, env = _outside_git(tmp_path)
    for args, code in ((["inventory"], 0), (["plan"], 0), (["check"], 1),
                       (["apply", "--batch", "read-caches", "--dry-run"], 0)):
        run = migrate(*args, "-C", target, env=env)
        assert run.exit_code == code, (args, run.stdout, run.stderr)
        assert "not a git repository" not in run.stderr and "internal error" not in run.stderr
    assert "+++ b/backend/reads.py" in run.stdout
    assert (target / "backend/reads.py").read_text() == READ_BACKEND["backend/reads.py"]
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", target, env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "get_redis()" in (target / "backend/reads.py").read_text()
    run = migrate("init", "-C", target, env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "[tool.migrate]" in run.stdout
    assert not (target / ".git").exists()


def test_rollback_on_a_detached_head_asks_for_a_base(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "target", READ_BACKEND)
    git(repo, "checkout", "-q", "--detach")
    run = migrate("rollback", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 2, run.stdout + run.stderr
    line = _one_line(run.stderr)
    assert "None" not in line and "--base" in line, line


@pytest.mark.parametrize("where", ["missing-root", "directory", "under-a-file"])
def test_output_that_cannot_be_written_is_one_line_naming_the_path(tmp_path: Path,
                                                                     where: str) -> None:
    target, env = _outside_git(tmp_path)
    (tmp_path / "a-file").write_text("x")
    output = {"missing-root": Path("/proc/nope/x"),  # /proc takes no new folder, even from root
              "directory": tmp_path,
              "under-a-file": tmp_path / "a-file" / "x"}[where]
    reason = {"missing-root": "No such file or directory", "directory": "Is a directory",
              "under-a-file": f"{tmp_path / 'a-file'}: Not a directory"}[where]
    run = migrate("inventory", "-C", target, "-o", output, env=env)
    assert run.exit_code == 2, run.stdout + run.stderr
    line = _one_line(run.stderr)
    assert str(output) in line and reason in line, line
    assert (tmp_path / "a-file").read_text() == "x"


# --- item 11: -h, --version, completion, help text --------------------------------------------

def test_h_is_help_and_version_prints_the_version() -> None:
    for command in ([], ["apply"], ["init"]):
        short, long = migrate(*command, "-h"), migrate(*command, "--help")
        assert short.exit_code == long.exit_code == 0, short.stdout + short.stderr
        assert short.stdout == long.stdout and "Usage:" in short.stdout
    run = migrate("--version")
    assert run.exit_code == 0 and re.fullmatch(r"redis-migrate \S+\n", run.stdout), run.stdout


def test_shell_completion_is_offered_and_completes_commands(monkeypatch: pytest.MonkeyPatch,
                                                            ) -> None:
    assert "--show-completion" in migrate("--help").stdout
    # Typer detects the shell from the parent processes and then takes no shell name; under
    # a runner whose parent is not a shell (a detached CI job) the name must be given
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    script = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="migrate")
    assert script.exit_code == 0, script.output
    assert "_MIGRATE_COMPLETE=complete_bash" in script.stdout
    completed = CliRunner().invoke(app, [], prog_name="migrate", env={
        "_MIGRATE_COMPLETE": "complete_bash", "COMP_WORDS": "migrate ro", "COMP_CWORD": "1"})
    assert completed.exit_code == 0, completed.output
    assert completed.stdout.split() == ["rollback"]
    completed = CliRunner().invoke(app, [], prog_name="migrate", env={
        "_MIGRATE_COMPLETE": "complete_bash", "COMP_WORDS": "migrate check --format j",
        "COMP_CWORD": "3"})
    assert completed.stdout.split() == ["json"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example_and_keeps_its_brackets(command: str) -> None:
    run = migrate(command, "--help")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert re.search(r"^\W*Examples?:", run.stdout, re.M), run.stdout
    assert re.search(rf"^\W*migrate {command}\b", run.stdout, re.M), run.stdout
    # every bracketed word of the command's help and of its options' help is printed as written
    # (rich markup eats `[tool.migrate]` unless it is escaped)
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    texts = [click_command.help or ""] + [getattr(p, "help", None) or ""
                                          for p in click_command.params]
    words = {w for text in texts for w in re.findall(r"\S*\[\S*", text.replace("\\[", "["))}
    for word in words:
        assert word in run.stdout, (word, run.stdout)


def test_init_help_shows_tool_migrate_literally() -> None:
    assert "Write [tool.migrate] and create" in migrate("init", "--help").stdout
    assert "Write [tool.migrate] and create" in migrate("--help").stdout


def test_help_names_no_document_outside_the_repository() -> None:
    shown = migrate("--help").stdout + "".join(migrate(c, "--help").stdout for c in COMMANDS)
    for reference in ("SPEC", "seed", "§", "STYLE"):
        assert reference not in shown, reference


# --- item 15: the git flow's flags, and the README against the real output ---------------------

@pytest.mark.parametrize("flags", [
    ["--dry-run", "--push"], ["--dry-run", "--open-pr"], ["--no-git", "--push"],
    ["--no-git", "--open-pr"], ["--dry-run", "--pr-body", "PR"], ["--no-git", "--stack"],
], ids=" ".join)
def test_dry_run_and_no_git_refuse_the_git_flow_flags(tmp_path: Path, flags: list[str]) -> None:
    repo = git_repo(tmp_path / "target", READ_BACKEND)
    flags = [str(tmp_path / "pr.md") if f == "PR" else f for f in flags]
    run = migrate("apply", "--batch", "read-caches", *flags, "-C", repo,
                  env={"GITHUB_TOKEN": "ghp_not-a-real-token"})
    assert run.exit_code == 2, run.stdout + run.stderr
    line = _one_line(run.stderr)
    assert flags[0] in line and flags[1] in line, line
    assert run.stdout == ""
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--format=%(refname:short)").split() == ["main"]
    assert not (tmp_path / "pr.md").exists()


README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _fenced_block_after(marker: str) -> str:
    """The first fenced block after `marker` in the README, read as CommonMark does: it closes
    at a fence of at least as many backticks with no info string."""
    assert marker in README, marker
    lines = README[README.index(marker):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("```"))
    fence = re.match(r"`+", lines[start]).group()  # type: ignore[union-attr]
    body = []
    for line in lines[start + 1:]:
        if re.fullmatch(rf"{fence}`*\s*", line):
            return "\n".join(body) + "\n"
        body.append(line)
    raise AssertionError(f"the block after {marker!r} is not closed")


def _skeleton(markdown: str) -> list[str]:
    """Headings, table rows and code blocks (fences included): the body's structure."""
    kept, in_code = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            kept.append(line)
        elif in_code or line.startswith(("#", "|")):
            kept.append(line)
    return kept


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_repo(tmp_path_factory.mktemp("example"))


def test_readme_pr_body_is_the_one_apply_writes(example: Path, tmp_path: Path) -> None:
    body_file = tmp_path / "pr-health.md"
    run = migrate("apply", "--batch", "health", "--pr-body", body_file, "-C", example)
    assert run.exit_code == 0, run.stdout + run.stderr
    written = body_file.read_text(encoding="utf-8")
    shown = _fenced_block_after("The body written by `--pr-body`:")
    assert _skeleton(shown) == _skeleton(written)
    # the paragraph after the rollback command ends the body in both
    assert shown.rstrip().splitlines()[-1] == written.rstrip().splitlines()[-1]


def test_readme_check_json_and_rules_match_what_check_prints(example: Path) -> None:
    run = migrate("check", "--format", "json", "-C", example)
    assert run.exit_code == 1, run.stdout + run.stderr
    printed = json.loads(run.stdout)
    printed_keys = set(printed) | {k for f in printed["findings"] for k in f}
    shown = _fenced_block_after("`rule` is one of")
    assert shown.startswith("$ migrate check --format json\n"), shown
    assert set(re.findall(r'"(\w+)":', shown)) == printed_keys
    first = json.loads(re.search(r"\{\s*\"file\".*?\}", shown, re.S).group())  # type: ignore
    assert first in printed["findings"], first
    # the rule ids the README lists are those the SARIF output declares
    sarif = json.loads(migrate("check", "--format", "sarif", "-C", example).stdout)
    declared = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    listed = re.search(r"^`rule` is one of (.*?)\n\n", README, re.M | re.S)
    assert listed, "the README does not list the rule ids"
    assert set(re.findall(r"`([a-z-]+)` \(", listed.group(1))) == declared
    # and the GitHub annotation carries the properties the README names
    annotation = migrate("check", "--format", "github", "-C", example).stdout.splitlines()[0]
    properties = re.match(r"::error (.*?)::", annotation).group(1)  # type: ignore[union-attr]
    documented = re.search(r"`::error (.*?)::…`", README).group(1)  # type: ignore[union-attr]
    assert ([p.split("=")[0] for p in documented.split(",")]
            == [p.split("=")[0] for p in properties.split(",")])
