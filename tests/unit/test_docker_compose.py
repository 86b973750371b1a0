"""docker-compose.yml cannot be started here (no Docker engine); its structure is checked."""

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_warehouse_and_the_three_dagster_services():
    assert set(compose()["services"]) == {"warehouse", "code", "webserver", "daemon"}


def test_every_long_running_service_but_the_daemon_has_a_healthcheck():
    services = compose()["services"]
    for name in ("warehouse", "code", "webserver"):
        assert services[name]["healthcheck"]["test"], name


def test_dagster_services_wait_for_a_healthy_dependency():
    services = compose()["services"]
    assert services["code"]["depends_on"]["warehouse"]["condition"] == "service_healthy"
    assert services["webserver"]["depends_on"]["code"]["condition"] == "service_healthy"
    assert services["daemon"]["depends_on"]["code"]["condition"] == "service_healthy"


def test_services_share_one_environment_pointing_at_the_compose_warehouse():
    services = compose()["services"]
    for name in ("code", "webserver", "daemon"):
        env = services[name]["environment"]
        assert env["CCM_DATABASE_URL"].endswith("@warehouse:5432/ccm")
        assert env["DAGSTER_HOME"] == "/opt/dagster/home"
    assert "/drop" in " ".join(services["daemon"]["volumes"])
    assert "warehouse-data" in compose()["volumes"]


def test_ports_are_published_on_loopback_only():
    for service in compose()["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


def test_the_commands_the_images_run_exist_in_the_project_environment():
    bin_dir = Path(sys.executable).parent
    for service in compose()["services"].values():
        command = service.get("command")
        if command:
            assert (bin_dir / command[0]).exists() or shutil.which(command[0]), command[0]
    workspace = yaml.safe_load((ROOT / "deploy" / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["host"] == "code"
    code_command = compose()["services"]["code"]["command"]
    module = code_command[code_command.index("-m") + 1]
    assert (ROOT / (module.replace(".", "/") + ".py")).exists()


def test_dagster_instance_keeps_runs_in_postgres_and_runs_one_pipeline_run_at_a_time():
    instance = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert instance["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    limits = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert limits == [{"key": "ccm/pipeline", "limit": 1}]
    from orchestration.defs.jobs import PIPELINE_TAG

    assert PIPELINE_TAG == {"ccm/pipeline": "monthly"}


def test_dockerfile_copies_everything_the_code_location_loads():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("orchestration", "dbt_ccm", "config", "deploy"):
        assert f"COPY {folder} " in dockerfile
