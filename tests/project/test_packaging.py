"""A wheel installed into a fresh virtual environment, run from another folder, finds its knowledge.

The venv is self-contained (no system site-packages): pip installs the freshly built wheel with its declared
dependencies, so the test proves the wheel's metadata names everything lmakg imports, that it ships
ontology/, kg/, rules/ and queries/, and that lmakg reads its bundled copy, not the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_in_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(dist), str(ROOT)], capture_output=True, text=True)
    if build.returncode != 0 and "hatchling" in build.stderr:
        build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)],
                               capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("lmakg-*.whl"))

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "LMAKG_DATA"}}
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)],
                             capture_output=True, text=True, env=clean_env)
    assert install.returncode == 0, install.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = subprocess.run(
        [str(python), "-c", "import lmakg, lmakg.knowledge.resources as r; print(lmakg.__file__); print(r.data_dir())"],
        capture_output=True, text=True, cwd=elsewhere, env=clean_env)
    assert probe.returncode == 0, probe.stderr
    module_file, data_dir = probe.stdout.split()
    assert str(env_dir) in module_file, "lmakg was imported from outside the fresh venv"
    assert str(env_dir) in data_dir and data_dir.endswith("lmakg/data")
    for folder in ("ontology", "kg", "rules", "queries"):
        assert (Path(data_dir) / folder).is_dir(), folder

    lmakg = env_dir / "bin" / "lmakg"
    stats = subprocess.run([str(lmakg), "stats", "--json", "--no-validate"], capture_output=True, text=True,
                           cwd=elsewhere, env=clean_env)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["designs"] >= 60
    shown = subprocess.run([str(lmakg), "show", "FEC", "--json"], capture_output=True, text=True,
                           cwd=elsewhere, env=clean_env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["smiles"] == "O=C1OCC(F)O1"
    # the workbench's pages and bundled scripts (no CDN) ship in the wheel and are served from it
    pages = subprocess.run(
        [str(python), "-c", "from lmakg.server.workbench import route\n"
         "for path in ('/', '/hypotheses', '/static/common.js', '/static/vendor/vis-network.min.js'):\n"
         "    status, headers, body = route('GET', path, {}, None)\n"
         "    print(path, status, len(body))"],
        capture_output=True, text=True, cwd=elsewhere, env=clean_env)
    assert pages.returncode == 0, pages.stderr
    served = {line.split()[0]: (int(line.split()[1]), int(line.split()[2])) for line in pages.stdout.splitlines()}
    assert all(status == 200 and size > 0 for status, size in served.values()), served
    assert served["/static/vendor/vis-network.min.js"][1] > 100_000
