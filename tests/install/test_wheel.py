"""The product as users install it: the built wheel in a fresh virtual environment, outside the checkout.

An editable install reads everything from the source tree, so it hides any run-time file missing from the
wheel. These tests build the sdist, build the wheel *from the sdist* (what `python -m build` does, proving
the sdist holds what a build needs), install the wheel into a new venv and run the console script from a
temporary directory that holds only a team's files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src") / "reconciler"
    # Build from a copy of the tracked files only, as a fresh clone would hold them.
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    done = _run([sys.executable, "-m", "build", "--outdir", str(out), str(src)], src, dict(os.environ))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "src": src}


@pytest.fixture(scope="module")
def installed(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh venv with only the wheel (and its dependencies) in it; the environment to run it with."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "RECONCILER_CONFIG")}
    env["PATH"] = f"{home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    pip = [str(home / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    done = _run([*pip, "install", str(built["wheel"])], home, env)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def test_wheel_holds_every_run_time_file(built: dict[str, Path]) -> None:
    """Every tracked file of the package that is not Python source ships in the wheel."""
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    package = built["src"] / "reconciler"
    data = [p.relative_to(built["src"]).as_posix() for p in package.rglob("*") if p.is_file()]
    missing = [n for n in data if not n.endswith(".pyc") and n not in names]
    assert missing == []
    assert {"reconciler/schemas/meeting.schema.json", "reconciler/schemas/config.schema.json"} <= names


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = _run(["reconciler", *args], cwd, env)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def test_installed_wheel_runs_the_main_job_on_a_teams_files(
    installed: dict[str, str], tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "meetings", tmp_path / "meetings")
    shutil.copy2(ROOT / "reconciler.yaml", tmp_path / "reconciler.yaml")
    steps = [
        (("validate", "meetings"), 0),
        (("plan",), 0),
        (("apply", "--auto-approve"), 0),
        (("plan", "--detailed-exitcode"), 0),
    ]
    for args, code in steps:
        done = _cli(installed, tmp_path, *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
    schema = _cli(installed, tmp_path, "schema", "meeting")
    assert schema.returncode == 0 and schema.stdout == (ROOT / "schemas" / "meeting.schema.json").read_text()


def test_installed_version(installed: dict[str, str], tmp_path: Path) -> None:
    from reconciler import __version__

    for args in (["reconciler", "--version"], ["python", "-m", "reconciler", "--version"]):
        done = _run(args, tmp_path, installed)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"reconciler {__version__} (exchangelib 5.")
        assert done.stdout.count("\n") == 1


def test_init_in_an_empty_directory_validates_plans_and_applies(
    installed: dict[str, str], tmp_path: Path
) -> None:
    repo = tmp_path / "team-calendar"
    repo.mkdir()
    assert _cli(installed, repo, "init", "--organizer", "Lead@Example.org").returncode == 0
    codes = [
        _cli(installed, repo, *args).returncode
        for args in (["validate"], ["plan"], ["apply", "--auto-approve"], ["plan", "--detailed-exitcode"])
    ]
    assert codes == [0, 0, 0, 0]
    assert "namespace team-calendar" in _cli(installed, repo, "plan").stdout


@pytest.mark.parametrize("ci", ["azure-devops", "gitlab"])
def test_init_writes_each_systems_pipeline_from_the_wheel(
    ci: str, installed: dict[str, str], tmp_path: Path
) -> None:
    """The templates of every system are package data, and a skipped step says why (the sandbox target)."""
    repo = tmp_path / ci
    assert _cli(installed, tmp_path, "init", str(repo), "--ci", ci).returncode == 0
    main = {"azure-devops": "azure-pipelines.yml", "gitlab": ".gitlab-ci.yml"}[ci]
    assert (repo / main).is_file()
    step = _cli(installed, repo, "ci", "run", "--system", ci, "plan")
    assert step.returncode == 0 and "skipped" in step.stdout and "sandbox" in step.stdout


def test_sdist_holds_what_a_build_needs(built: dict[str, Path]) -> None:
    """`python -m build` made the wheel from the sdist; the sdist also carries the published schemas."""
    import tarfile

    with tarfile.open(built["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "reconciler/schemas/meeting.schema.json"} <= names
