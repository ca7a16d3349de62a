"""The deployment files: the compose file's shape, and the linters `make lint` runs really catching faults."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML  # typed, unlike PyYAML; installed with check-jsonschema

from tools.compose_schema import fetch

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE: dict[str, Any] = YAML(typ="safe", pure=True).load((ROOT / "docker-compose.yml").read_text())
HOP_SERVICES = ("migrate", "edge", "admin", "worker")


def run(*argv: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def compose_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made_by_make = ROOT / ".venv" / "schemas" / "compose-spec.json"
    if made_by_make.exists():
        return made_by_make
    path = tmp_path_factory.mktemp("schema") / "compose-spec.json"
    fetch(path)
    return path


def test_every_service_has_a_healthcheck_or_is_one_shot() -> None:
    services = COMPOSE["services"]
    assert {"valkey", "postgres", *HOP_SERVICES} <= set(services)
    for name, service in services.items():
        if name == "migrate":
            assert service.get("restart") == "no"
            continue
        assert "healthcheck" in service, name
        assert service.get("restart") == "unless-stopped", name


def test_hop_services_start_in_order_and_read_dot_env() -> None:
    services = COMPOSE["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("edge", "admin", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["valkey"]["condition"] == "service_healthy"
    for name in HOP_SERVICES:
        assert services[name]["env_file"] == ".env"
        assert services[name]["command"] == [name]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "hop", "worker", "--check"]


def test_compose_file_matches_the_compose_specification(compose_schema: Path) -> None:
    result = run(BIN / "check-jsonschema", "--schemafile", compose_schema, ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_compose_file(compose_schema: Path, tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: sometimes\n")
    result = run(BIN / "check-jsonschema", "--schemafile", compose_schema, broken)
    assert result.returncode == 1 and "condition" in result.stdout


def test_hadolint_passes_the_dockerfile_and_catches_faults(tmp_path: Path) -> None:
    assert run(BIN / "hadolint", ROOT / "Dockerfile").returncode == 0
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    result = run(BIN / "hadolint", bad)
    assert result.returncode == 1 and "DL3007" in result.stdout  # latest tag


def test_actionlint_passes_the_workflow_and_catches_faults(tmp_path: Path) -> None:
    assert run(BIN / "actionlint", ".github/workflows/ci.yml").returncode == 0
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ROOT / ".github" / "workflows" / "ci.yml", workflows / "ci.yml")
    (workflows / "ci.yml").write_text((workflows / "ci.yml").read_text().replace("runs-on:", "runs_on:", 1))
    result = run(BIN / "actionlint", ".github/workflows/ci.yml", cwd=tmp_path)
    assert result.returncode == 1 and "runs_on" in result.stdout


def test_the_image_runs_granian_through_hop_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 3  # dashboard stage, build stage, runtime stage
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "USER 10001" in runtime
    assert 'ENTRYPOINT ["hop"]' in runtime
    assert "pip install" not in runtime and "apt-get" not in runtime  # nothing built in the final image
    assert "npm" not in runtime


def test_the_image_serves_the_dashboard_built_in_a_node_stage() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    dashboard = dockerfile.split("AS dashboard", 1)[1].split("FROM ", 1)[0]
    assert "RUN npm ci" in dashboard and "RUN npm run build" in dashboard  # the bundle budget included
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "COPY --from=dashboard /dashboard/dist /opt/hop/dashboard" in runtime
    assert "HOP_ADMIN_DASHBOARD_DIR=/opt/hop/dashboard" in runtime
    # The build context holds the dashboard's sources, never a local node_modules or build.
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "!dashboard/" in ignored and {"dashboard/node_modules", "dashboard/dist"} <= set(ignored)
