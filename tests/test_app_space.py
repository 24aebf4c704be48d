"""The repository is ready to push to a Hugging Face Space.

The Hub refuses files over 10 MB that Git LFS does not store; Spaces installs requirements.txt
(not pyproject.toml) and runs `python app.py`, which must start without the network.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HUB_LIMIT = 10 * 1024 * 1024


def requirement_names(lines: list[str]) -> set[str]:
    """Distribution names of requirement lines, normalised (comments and options left out)."""
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~;\[ ]", line)[0].lower().replace("_", "-"))
    return names


def test_files_over_the_hubs_limit_are_stored_with_lfs():
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    large = [p.decode() for p in tracked if p and (ROOT / p.decode()).stat().st_size > HUB_LIMIT]
    assert any(path.endswith(".safetensors") for path in large), "the weights are the case"
    attributes = subprocess.run(
        ["git", "check-attr", "filter", "--", *large], cwd=ROOT, capture_output=True, text=True
    ).stdout
    not_lfs = [line for line in attributes.splitlines() if not line.endswith(": filter: lfs")]
    assert not not_lfs, f"add rules to .gitattributes for: {not_lfs}"


def test_requirements_hold_the_package_and_the_demo():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = requirement_names((ROOT / "requirements.txt").read_text().splitlines())
    missing = requirement_names(project["dependencies"]) - required
    assert not missing, f"pyproject.toml's dependencies missing from requirements.txt: {missing}"
    for name in ("gradio", "dlib-bin", "face-recognition-models", "scikit-image"):
        assert name in required, f"the demo needs {name}"


@pytest.mark.slow
def test_the_app_starts_offline():
    """`import app` builds the whole demo on the bundled weights, examples included, with the
    Hub switched off: it reads nothing from the network."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("GANMAP_MODEL", None)
    started = subprocess.run(
        [sys.executable, "-c", "import app; print(type(app.demo).__name__)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stdout.strip().endswith("Blocks")
