"""The Tableau login reads the published marts and nothing else, over the socket or TCP."""

import os
import socket
import subprocess
import sys
import time

import psycopg
import pytest
from psycopg import sql

from orchestration.lib.publish import PUBLISHED_MARTS
from orchestration.lib.tableau import TABLEAU_ROLE
from tests.conftest import PROJECT_ROOT
from tests.publish.conftest import ccm_db

PASSWORD = "tableau-test-password"
PRIVATE_SCHEMAS = ("raw", "staging", "intermediate", "marts_build")


@pytest.fixture(scope="module")
def tableau_login(sample_run, sample_url):
    """The role as an operator creates it: generated password first, then one from the env."""
    first = ccm_db("tableau-role", var_dir=sample_run.var_dir)
    assert first.returncode == 0, first.stderr
    second = ccm_db(
        "tableau-role",
        var_dir=sample_run.var_dir,
        extra_env={"CCM_TABLEAU_PASSWORD": PASSWORD},
    )
    assert second.returncode == 0, second.stderr
    return first.stdout, second.stdout


def _tableau_connect(sample_url: str, **overrides) -> psycopg.Connection:
    params = psycopg.conninfo.conninfo_to_dict(sample_url)
    params.update({"user": TABLEAU_ROLE, "password": PASSWORD, **overrides})
    return psycopg.connect(**params, autocommit=True)


def test_a_new_role_gets_a_generated_password_shown_once(tableau_login):
    created, updated = tableau_login
    assert "password (shown once" in created or "password set from" in created
    assert "password set from CCM_TABLEAU_PASSWORD" in updated
    assert PASSWORD not in updated


def test_the_role_can_select_every_mart(tableau_login, sample_url):
    with _tableau_connect(sample_url) as conn:
        for table in PUBLISHED_MARTS:
            conn.execute(sql.SQL("select * from {} limit 1").format(sql.Identifier("marts", table)))


@pytest.mark.parametrize("schema", PRIVATE_SCHEMAS)
def test_the_role_is_refused_outside_the_marts(tableau_login, sample_url, warehouse, schema):
    (table,) = warehouse.execute(
        "select table_name from information_schema.tables where table_schema = %s "
        "order by table_name limit 1",
        (schema,),
    ).fetchone()
    with (
        _tableau_connect(sample_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(sql.SQL("select * from {} limit 1").format(sql.Identifier(schema, table)))


def test_the_role_cannot_create_or_change_anything(tableau_login, sample_url):
    with _tableau_connect(sample_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table marts.tableau_scratch (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from marts.fct_ccm_billing")


def test_a_table_published_later_is_readable_without_a_new_grant(
    tableau_login, sample_url, warehouse
):
    warehouse.execute("create table marts.zz_later_mart (service_month date)")
    try:
        with _tableau_connect(sample_url) as conn:
            conn.execute("select * from marts.zz_later_mart")
    finally:
        warehouse.execute("drop table marts.zz_later_mart")


def test_the_password_is_checked_on_the_socket(tableau_login, sample_url):
    with pytest.raises(psycopg.OperationalError, match="password"):
        _tableau_connect(sample_url, password="wrong")


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tcp_on_loopback_admits_only_the_tableau_role(tableau_login, sample_run, sample_url):
    port = _free_loopback_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCM_", "DAGSTER_"))}
    env["CCM_VAR_DIR"] = str(sample_run.var_dir)
    forwarder = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "db", "tcp", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        tcp = {"host": "127.0.0.1", "port": port, "dbname": "postgres", "connect_timeout": 5}
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(**tcp, user=TABLEAU_ROLE, password=PASSWORD, autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or forwarder.poll() is not None:
                    raise
                time.sleep(0.3)
        with conn:
            assert conn.execute("select count(*) from marts.ccm_month_summary").fetchone()[0] > 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("select * from raw.file_loads limit 1")
        with pytest.raises(psycopg.OperationalError, match=f"only {TABLEAU_ROLE}"):
            psycopg.connect(**tcp, user="postgres")
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(**tcp, user=TABLEAU_ROLE, password="wrong")
    finally:
        forwarder.terminate()
        forwarder.wait(timeout=10)
