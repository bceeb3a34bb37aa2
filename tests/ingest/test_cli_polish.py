"""The command line as a new user meets it: help pages with examples, --version, completion,
plain output into files and pipes, a capped --wait table."""

from __future__ import annotations

import json
import shutil

import pytest

from ingest.cli.main import cli
from tests.conftest import SEEDS

SEED = SEEDS / "004_9d4195405d006fe8.txt"


def commands(command=None, path=()):
    command = command or cli()
    subs = getattr(command, "commands", {})
    if path:
        yield path, command
    for name, sub in subs.items():
        yield from commands(sub, path + (name,))


def help_page(args, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli()([*args, "--help"], prog_name="corpus")
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_every_help_page_has_examples_and_no_bool_labels(capsys):
    found = list(commands())
    assert len(found) >= 20
    for path, _ in found:
        page = help_page(path, capsys)
        assert "Example" in page, " ".join(path)
        assert "<bool>" not in page, " ".join(path)
        assert "\n   corpus " in page or "\n   curl " in page or "\n   CORPUS_" in page, " ".join(path)
    root = help_page([], capsys)
    assert "--version" in root and "--install-completion" in root


def test_serve_help_lists_every_route_the_monitor_serves_with_its_parameters(capsys):
    """A user learns the dashboard's pages and the API from `corpus serve --help`: every
    route of the app is there, with the query parameters the monitor's docstring gives it."""
    import re

    from ingest.monitor import app as monitor

    page = help_page(["serve"], capsys)
    static_files = {"/index.html", "/favicon.svg", "/static"}  # the dashboard's own assets
    for route in monitor.make_app(None, token="unused").routes:
        if route.path not in static_files:
            assert route.path.replace("{message_id}", "ID") in page, route.path
    documented = re.findall(r"^\s+(?:GET|POST)\s+(.+?)(?:\s{2,}|$)", monitor.__doc__, re.M)
    assert len(documented) >= 12
    for entry in documented:
        for path in entry.split(", "):
            assert path.replace("<id>", "ID") in page, path


def test_version(sqlite_corpus):
    result = sqlite_corpus.run("--version")
    assert result.returncode == 0 and result.stdout.startswith("corpus 0.")


def test_clean_into_a_file_is_the_plain_text(sqlite_corpus):
    plain = sqlite_corpus.run("clean", str(SEED))
    as_json = json.loads(sqlite_corpus.run("clean", str(SEED), "--json").stdout)
    assert plain.returncode == 0, plain.stderr
    assert "─" not in plain.stdout  # no rich rule
    expected = (as_json["title"] + "\n\n" if as_json["title"] else "") + as_json["text"] + "\n"
    assert plain.stdout == expected  # not re-wrapped at 80 columns, no trailing spaces
    assert max(len(line) for line in plain.stdout.splitlines()) > 80


def test_wait_table_is_capped_with_a_summary_and_names_are_never_cut(sqlite_corpus, tmp_path):
    folder = tmp_path / ("a-long-folder-name-that-a-table-would-cut-" * 3)
    shutil.copytree(SEEDS, folder)
    result = sqlite_corpus.run("ingest", str(folder), "--wait", "--rows", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "document\toutcome\tarticle\tchrome lines removed"
    assert [line.split("\t")[0] for line in lines[1:3]] == [str(p) for p in sorted(folder.iterdir())][:2]
    assert "... and 3 more document(s)" in result.stdout
    assert "documents in: 5   canonical articles: 5" in result.stdout
