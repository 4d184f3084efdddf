"""The dependency pins live in pyproject.toml; environment.yml must list the same ones."""

import re

import tomllib
import yaml

from analysis.core import paths


def _pyproject_pins():
    data = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs += extra
    return reqs


def _parse(req: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([A-Za-z0-9_.\-]+)\s*", req)
    assert m, f"{req!r} is not pinned with =="
    return m.group(1).lower().replace("_", "-"), m.group(2)


def test_every_dependency_is_pinned_exactly():
    for req in _pyproject_pins():
        _parse(req)


def test_environment_yml_lists_the_same_pins_as_pyproject():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    env_pins = dict(_parse(r) for r in pip_section if not r.startswith("-e"))
    project_pins = dict(_parse(r) for r in _pyproject_pins())
    assert env_pins == project_pins


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    for name, pinned in (_parse(r) for r in _pyproject_pins()):
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"
