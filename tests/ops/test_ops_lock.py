"""The locks the image and `make test` install from (deploy/requirements*.lock, `make lock`)
cover every dependency pyproject.toml declares, within its range and with hashes: the image
installs corpus with --no-deps, so a dependency added without re-locking would be missing
from it."""

from __future__ import annotations

import re
import tomllib

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(path) -> dict[str, str]:
    """name -> the version this interpreter gets (the pins whose marker holds here), for
    pins carrying at least one hash."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = {}
    for i, line in enumerate(lines):
        found = PIN.match(line)
        if not found:
            continue
        name, version, marker = found.groups()
        hashed = i + 1 < len(lines) and lines[i + 1].strip().startswith("--hash=sha256:")
        if hashed and (marker is None or Marker(marker).evaluate()):
            out[canonicalize_name(name)] = version
    return out


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = [project["dependencies"]] + [project["optional-dependencies"][e] for e in extras]
    return [Requirement(r) for group in groups for r in group]


def unlocked(requirements: list[Requirement], locked: dict[str, str]) -> list[str]:
    return [str(r) for r in requirements
            if (r.marker is None or r.marker.evaluate())
            and not (canonicalize_name(r.name) in locked and r.specifier.contains(locked[canonicalize_name(r.name)],
                                                                                   prereleases=True))]


def test_the_image_lock_pins_every_runtime_dependency_with_hashes():
    locked = pins(ROOT / "deploy" / "requirements.lock")
    assert not unlocked(declared("parquet"), locked), "run `make lock`"
    assert {"setuptools", "wheel"} <= locked.keys()  # the image builds corpus without fetching anything


def test_the_dev_lock_adds_the_test_tools_on_the_image_versions():
    image = pins(ROOT / "deploy" / "requirements.lock")
    dev = pins(ROOT / "deploy" / "requirements-dev.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not unlocked(declared(*project["optional-dependencies"]), dev), "run `make lock`"
    assert {name: dev.get(name) for name in image} == image


def test_the_dockerfile_and_makefile_install_from_the_locks():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in dockerfile and "--no-deps" in dockerfile
    assert "!deploy/requirements.lock" in (ROOT / ".dockerignore").read_text(encoding="utf-8")
    assert "--require-hashes -r deploy/requirements-dev.lock" in (ROOT / "Makefile").read_text(encoding="utf-8")
