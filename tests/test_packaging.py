"""The three descriptions of the environment stay in step.

- ``pyproject.toml``: honest ranges for pip users (runtime ``dependencies`` + the ``dev`` extra).
- ``environment.yml``: the same packages and ranges for conda-forge users.
- ``requirements/lock.txt``: the exact versions ``make lab`` / ``make test`` / ``make bench`` install.

And CI (``.ci/run``) goes through ``make test``, the command the README gives.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# conda-forge name -> PyPI name, where they differ (after canonicalisation).
# matplotlib-base is matplotlib without the Qt/Tk GUI backends a notebook kit does not need.
CONDA_TO_PYPI = {
    "matplotlib-base": "matplotlib",
}
# Entries of environment.yml that are not Python packages of pyproject.toml.
CONDA_ONLY = {"python", "pip"}

# A conda dependency line: name, then an optional version spec ("pandas>=3.0", "faker >=40,<41").
CONDA_SPEC = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<spec>[^#]*?)\s*$")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements(group: str) -> dict[str, Requirement]:
    """pyproject requirements of ``group`` ("runtime" or an extra's name), keyed by canonical name."""
    project = _pyproject()["project"]
    lines = project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    reqs = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in reqs}


def _declared() -> dict[str, Requirement]:
    """Runtime + dev requirements: what both environment files must describe."""
    return {**_requirements("runtime"), **_requirements("dev")}


def _conda_specs() -> tuple[dict[str, SpecifierSet], list]:
    """environment.yml conda dependencies as {PyPI canonical name: SpecifierSet}, plus the pip section."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env.get("channels") == ["conda-forge"], "environment.yml should use conda-forge only"
    specs: dict[str, SpecifierSet] = {}
    pip_section: list = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section.extend(dep.get("pip", []))
            continue
        m = CONDA_SPEC.match(dep)
        assert m, f"environment.yml: cannot parse dependency {dep!r}"
        spec = m["spec"].replace(" ", "")
        # Keep to the conda syntax that means the same as PEP 440 (no "|" alternatives, no fuzzy "=1.2").
        assert "|" not in spec and not re.match(r"^=[^=]", spec), (
            f"environment.yml: use PEP 440-style bounds (>=, <, ==, !=) for {dep!r}"
        )
        name = canonicalize_name(m["name"])
        name = CONDA_TO_PYPI.get(name, name)
        assert name not in specs, f"environment.yml lists {name} twice"
        specs[name] = SpecifierSet(spec)
    return specs, pip_section


def _lock_requirements() -> list[tuple[int, str, Requirement | None]]:
    """requirements/lock.txt as (line number, line, Requirement or None if it is not one: "-e .", URLs)."""
    text = (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8")
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            try:
                out.append((n, raw, Requirement(line)))
            except InvalidRequirement:
                out.append((n, raw, None))
    return out


def _is_exact_pin(req: Requirement | None) -> bool:
    if req is None:
        return False
    specs = list(req.specifier)
    return len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version and not req.url


def _lock() -> dict[str, Version]:
    """The exact pins of requirements/lock.txt as {canonical name: version}."""
    return {
        canonicalize_name(req.name): Version(next(iter(req.specifier)).version)
        for _, _, req in _lock_requirements()
        if _is_exact_pin(req)
    }


def _majors(spec: SpecifierSet) -> set[int]:
    """The major versions a range admits (checked at each major's first and a very late release)."""
    return {m for m in range(200) if spec.contains(f"{m}.0.0") or spec.contains(f"{m}.9999.9999")}


def test_environment_yml_names_the_same_packages_as_pyproject():
    conda, _ = _conda_specs()
    declared = set(_declared())
    conda_packages = set(conda) - CONDA_ONLY
    assert sorted(declared - conda_packages) == [], "in pyproject.toml but missing from environment.yml"
    assert sorted(conda_packages - declared) == [], "in environment.yml but not in pyproject.toml"


def test_environment_yml_python_matches_requires_python():
    conda, _ = _conda_specs()
    assert conda["python"] == SpecifierSet(_pyproject()["project"]["requires-python"])


def test_environment_yml_installs_the_kit_through_pip():
    _, pip_section = _conda_specs()
    assert any(re.fullmatch(r"-e\s+\.(\[[\w,]+\])?", line.strip()) for line in pip_section), pip_section


@pytest.mark.parametrize("name", sorted(_declared()))
def test_version_ranges_do_not_contradict(name):
    """Each package's two ranges agree on the major versions they admit and share the locked release."""
    conda, _ = _conda_specs()
    pyproject_spec = _declared()[name].specifier
    conda_spec = conda[name]
    assert _majors(pyproject_spec) == _majors(conda_spec), (
        f"{name}: pyproject.toml says {pyproject_spec or 'any'}, environment.yml says {conda_spec or 'any'}"
    )
    locked = _lock()[name]
    assert conda_spec.contains(locked, prereleases=True), (
        f"{name}=={locked} (lock) is outside environment.yml's {conda_spec}"
    )


def test_faker_major_version_is_pinned_the_same_everywhere():
    """Faker's seeded output changes across major versions, so exactly one major is allowed."""
    conda, _ = _conda_specs()
    pyproject_majors = _majors(_declared()["faker"].specifier)
    assert len(pyproject_majors) == 1, f"pyproject.toml allows Faker majors {sorted(pyproject_majors)}"
    assert _majors(conda["faker"]) == pyproject_majors
    assert _lock()["faker"].major in pyproject_majors


@pytest.mark.parametrize("group", ["runtime", "dev", "bench"])
def test_lock_pins_every_dependency_within_pyproject_ranges(group):
    pins = _lock()
    for name, req in _requirements(group).items():
        assert name in pins, f"{name} ({group}) is not pinned in requirements/lock.txt: run 'make lock'"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"lock.txt pins {name}=={pins[name]}, outside pyproject.toml's {req.specifier}: run 'make lock'"
        )


def test_lock_is_exact_pins_only():
    bad = [f"line {n}: {raw!r}" for n, raw, req in _lock_requirements() if not _is_exact_pin(req)]
    assert bad == [], "requirements/lock.txt must hold only 'name==version' lines"
    names = [canonicalize_name(req.name) for _, _, req in _lock_requirements() if req is not None]
    assert len(names) == len(set(names)), "a package is pinned twice"
    assert "retailkit" not in names, "the kit itself is installed editable, not from the lock"


def test_makefile_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(r"^LOCK\s*\?=\s*(\S+)", makefile, flags=re.MULTILINE)
    assert m and m[1] == "requirements/lock.txt"
    assert re.search(r"pip install\b[^\n]* -c \$\(LOCK\)[^\n]* -e \"\.\[dev\]\"", makefile), (
        "the Makefile's set-up must install the kit with the lock as constraints"
    )


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    code = [line.split("#", 1)[0].strip() for line in script.splitlines()]
    assert "set -euo pipefail" in code
    assert any(re.search(r"(^|\s)make\s+(\S+\s+)*test(\s|$)", line) for line in code), (
        ".ci/run must run 'make test', the README's test command"
    )
