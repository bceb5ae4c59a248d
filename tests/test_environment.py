"""The pinned versions: pyproject.toml (ranges), constraints.txt (exact, every package), environment.yml
(the same exact versions for conda) and the installed environment must all agree."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())
#: Installed by `make venv` and so pinned; the bench extra is installed only by `make bench`.
LOCKED = ("runtime", "notebooks", "test", "docs")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return {_normalise(name): version for name, version in
            (line.split("==", 1) for line in lines if line.strip() and not line.startswith("#"))}


def _requirements(groups) -> list[Requirement]:
    """pyproject.toml's requirements of the given groups: "runtime" or the name of an extra."""
    lists = {"runtime": PROJECT["dependencies"], **PROJECT["optional-dependencies"]}
    return [Requirement(r) for group in groups for r in lists[group]]


def _conda() -> dict[str, str]:
    """name -> version spec of environment.yml's packages: conda's, and those its pip section installs."""
    specs = {}
    for entry in ENVIRONMENT["dependencies"]:
        for item in entry.get("pip", []) if isinstance(entry, dict) else [entry]:
            if not item.startswith("-"):  # "-e ." is this package
                name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", item).groups()
                specs[_normalise(name)] = spec.replace(" ", "")
    return specs


def test_every_requirement_is_pinned_within_its_range():
    pins = _pins()
    for requirement in _requirements(LOCKED):
        name = _normalise(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject.toml's {requirement.specifier}"


def test_environment_yml_states_the_pinned_versions():
    pins, conda = _pins(), _conda()
    wanted = {_normalise(r.name) for r in _requirements([*LOCKED, "bench"])}
    assert set(conda) - {"python", "pip"} == wanted, "environment.yml and pyproject.toml list different packages"
    for requirement in _requirements(LOCKED):
        name = _normalise(requirement.name)
        assert conda[name] == f"=={pins[name]}", f"environment.yml has {name}{conda[name]}, constraints.txt =={pins[name]}"
    for requirement in _requirements(["bench"]):  # not pinned: `make bench` installs them from these ranges
        assert SpecifierSet(conda[_normalise(requirement.name)]) == requirement.specifier, requirement.name


def _installed(name: str) -> str | None:
    """The version an import would find (first on sys.path: setuptools appends vendored copies of some
    packages to sys.path when it is imported, so iterating over every distribution finds those too)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def test_the_installed_versions_are_the_pinned_ones():
    """`make test` runs in the environment the committed numbers were made with."""
    differ = {name: (version, _installed(name)) for name, version in _pins().items() if _installed(name) != version}
    assert not differ, ("installed versions differ from constraints.txt (pinned, installed): "
                        f"{differ}; `make clean venv` reinstalls the pinned ones")


def test_environment_yml_installs_the_package_and_a_new_enough_python():
    pip_section = next(d["pip"] for d in ENVIRONMENT["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section
    assert "python>=3.12" in ENVIRONMENT["dependencies"]
