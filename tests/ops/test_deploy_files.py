"""docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so check
what can go wrong without one: every service's command is a real corpus command, and
every variable the files set is one the code reads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("ingest", "workers", "models")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def variables_read_by_code() -> set[str]:
    names = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\bCORPUS_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    return names


def cli_commands() -> set[str]:
    import typer.main

    group = typer.main.get_command(app)
    return set(group.commands)


def test_every_service_runs_an_existing_corpus_command():
    services = compose()["services"]
    assert {"redis", "postgres", "worker", "watcher", "monitor"} <= set(services)
    commands = cli_commands()
    for name in ("worker", "watcher", "monitor"):
        command = services[name]["command"]
        assert command[0] in commands, f"{name}: '{command[0]}' is not a corpus command ({sorted(commands)})"
        assert "healthcheck" in services[name]


def test_the_cluster_profile_runs_a_replicated_cluster_and_two_workers_on_it():
    services = compose()["services"]
    nodes = [s for s in services.values() if s.get("profiles") == ["cluster"] and "--cluster-enabled" in (s.get("command") or [])]
    assert len(nodes) == 6  # 3 masters + 1 replica each
    init = " ".join(services["index-cluster-init"]["command"])
    assert "--cluster create" in init and "--cluster-replicas 1" in init
    worker = services["cluster-worker"]
    assert worker["profiles"] == ["cluster"] and worker["deploy"]["replicas"] == 2
    assert worker["command"][0] in cli_commands()
    assert worker["environment"]["CORPUS_INDEX_URL"].startswith("redis://index-node-")
    assert worker["environment"]["CORPUS_REDIS_URL"] == services["worker"]["environment"]["CORPUS_REDIS_URL"]
    assert "profiles" not in services["worker"]  # the default stack is unchanged


def test_every_variable_the_files_set_is_read_by_the_code():
    read = variables_read_by_code()
    set_in_compose = set()
    for service in compose()["services"].values():
        environment = service.get("environment") or {}
        set_in_compose |= {k for k in environment if k.startswith("CORPUS_")}
    set_in_dockerfile = set(re.findall(r"ENV (CORPUS_[A-Z_]+)", (ROOT / "Dockerfile").read_text()))
    assert set_in_compose, "compose sets no CORPUS_ variable"
    assert set_in_compose | set_in_dockerfile <= read, sorted((set_in_compose | set_in_dockerfile) - read)


def test_the_image_has_the_entrypoint_and_packages_the_services_use():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["corpus"]' in dockerfile
    for package in CODE_DIRS:
        assert f"COPY {package} " in dockerfile
    assert "redis-tools" not in dockerfile and "\nUSER corpus" in dockerfile  # no unused tools, not root
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored and ".corpus" in ignored


def test_each_service_checks_its_own_liveness_and_the_monitor_starts_without_a_token():
    services = compose()["services"]
    commands = cli_commands()
    probes = {name: services[name]["healthcheck"]["test"] for name in ("worker", "watcher", "monitor")}
    assert probes["worker"][1:4] == ["corpus", "probe", "worker"]
    assert probes["watcher"][1:4] == ["corpus", "probe", "watcher"]
    assert probes["monitor"][1:4] == ["corpus", "probe", "http"]
    assert "probe" in commands
    monitor = services["monitor"]
    assert "--loopback-without-token" in monitor["command"]
    assert ":?" not in str(monitor["environment"]["CORPUS_API_TOKEN"])  # unset is allowed


def test_the_readme_documents_every_variable_the_code_reads():
    readme = (ROOT / "README.md").read_text()
    missing = sorted(v for v in variables_read_by_code() if v not in readme)
    assert not missing, f"README does not document {missing}"
