"""What Tableau reads: the documented `marts` schema, its read-only role, extracts and data sources.

Tableau gets the published marts and nothing else. The `ccm_tableau` role may use schema
`marts` and select its tables (present and future) and is refused everywhere else. Sites
without a database connection open the Hyper extracts written beside each run's CSV; sites
with one open the `.tds` files, which point at the warehouse on 127.0.0.1. The embedded server
listens on a Unix socket only, so `ccm db tcp` forwards a loopback port to that socket and
admits only the Tableau role, whose password the server checks.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import selectors
import shutil
import socket
import struct
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import psycopg
from psycopg import sql

from orchestration.lib.exports import header_label
from orchestration.lib.publish import PUBLISHED_MARTS, PUBLISHED_SCHEMA, publication_stamps

log = logging.getLogger(__name__)

TABLEAU_ROLE = "ccm_tableau"
PASSWORD_ENV = "CCM_TABLEAU_PASSWORD"
DEFAULT_TCP_PORT = 5433
LOOPBACK = "127.0.0.1"
# Every schema the pipeline owns except the published one: the role gets nothing here.
PRIVATE_SCHEMAS = ("raw", "staging", "intermediate", "marts_build", "reference", "audit")
EXTRACT_FOLDER = "tableau"


# --- the read-only role ---------------------------------------------------------------------


@dataclass(frozen=True)
class TableauRole:
    created: bool
    password: str | None  # only when this call set it (generated or from the environment)
    generated: bool


def ensure_tableau_role(conn: psycopg.Connection, password: str | None = None) -> TableauRole:
    """Create or update `ccm_tableau`: login, read `marts` only, now and for future tables.

    A password given (or in CCM_TABLEAU_PASSWORD) is set; a new role without one gets a
    generated password, returned once and stored nowhere. An existing role keeps its password.
    """
    password = password or os.environ.get(PASSWORD_ENV) or None
    role = sql.Identifier(TABLEAU_ROLE)
    with conn.transaction():
        exists = conn.execute(
            "select 1 from pg_roles where rolname = %s", (TABLEAU_ROLE,)
        ).fetchone()
        generated = not exists and password is None
        if generated:
            password = secrets.token_urlsafe(18)
        if not exists:
            conn.execute(sql.SQL("create role {} login").format(role))
        conn.execute(
            sql.SQL(
                "alter role {} nosuperuser nocreatedb nocreaterole noinherit noreplication "
                "nobypassrls connection limit 10"
            ).format(role)
        )
        if password is not None:
            conn.execute(sql.SQL("alter role {} password {}").format(role, sql.Literal(password)))
        (database,) = conn.execute("select current_database()").fetchone()
        conn.execute(
            sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), role)
        )
        # PostgreSQL 15+ no longer lets every role create in `public`; older servers do.
        conn.execute(sql.SQL("revoke create on schema public from {}").format(role))
        existing = {
            name
            for (name,) in conn.execute(
                "select nspname from pg_namespace where nspname = any(%s)",
                (list(PRIVATE_SCHEMAS),),
            )
        }
        for schema in sorted(existing):
            conn.execute(
                sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), role)
            )
            conn.execute(
                sql.SQL("revoke all on all tables in schema {} from {}").format(
                    sql.Identifier(schema), role
                )
            )
        conn.execute(
            sql.SQL("create schema if not exists {}").format(sql.Identifier(PUBLISHED_SCHEMA))
        )
        grant_marts_read(conn)
    log.info("tableau role %s %s", TABLEAU_ROLE, "created" if not exists else "updated")
    return TableauRole(
        created=not exists,
        password=password if (generated or password) else None,
        generated=generated,
    )


def grant_marts_read(conn: psycopg.Connection) -> bool:
    """Re-grant select on every published table; False when the role does not exist yet.

    Default privileges cover tables the publish step creates later, as the same owner; the
    explicit grant covers tables created before the role.
    """
    if not conn.execute("select 1 from pg_roles where rolname = %s", (TABLEAU_ROLE,)).fetchone():
        return False
    role = sql.Identifier(TABLEAU_ROLE)
    marts = sql.Identifier(PUBLISHED_SCHEMA)
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(marts, role))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(marts, role))
    conn.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
            marts, role
        )
    )
    return True


def require_password_on_socket(pgdata: Path, conn: psycopg.Connection) -> bool:
    """Make the embedded server check the Tableau role's password on its socket.

    The embedded server trusts its own socket (only this machine's users reach it); the TCP
    forwarder arrives through that socket too, so the role's line must come first and ask
    for a password. Returns True when pg_hba.conf changed.
    """
    hba = pgdata / "pg_hba.conf"
    if not hba.exists():
        return False
    line = f"local   all             {TABLEAU_ROLE}                             scram-sha-256\n"
    text = hba.read_text()
    if line in text:
        return False
    hba.write_text(line + text)
    conn.execute("select pg_reload_conf()")
    log.info("pg_hba.conf: %s must give its password", TABLEAU_ROLE)
    return True


# --- documentation in the database ----------------------------------------------------------


def mart_docs(manifest_path: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Per mart: the model's description and its columns' descriptions, from dbt's manifest."""
    manifest = json.loads(manifest_path.read_text())
    docs = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model" and node.get("name") in PUBLISHED_MARTS:
            columns = {
                name: " ".join((column.get("description") or "").split())
                for name, column in node.get("columns", {}).items()
            }
            docs[node["name"]] = (" ".join((node.get("description") or "").split()), columns)
    return docs


def comment_published_marts(conn: psycopg.Connection, docs: dict) -> int:
    """`comment on` every published table and column, so Tableau shows what each one means."""
    comments = 0
    present = {
        (table, column)
        for table, column in conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = %s",
            (PUBLISHED_SCHEMA,),
        )
    }
    tables = {table for table, _ in present}
    for table, (description, columns) in docs.items():
        if table not in tables:
            continue
        target = sql.Identifier(PUBLISHED_SCHEMA, table)
        conn.execute(sql.SQL("comment on table {} is {}").format(target, sql.Literal(description)))
        comments += 1
        for column, text in columns.items():
            if (table, column) in present and text:
                conn.execute(
                    sql.SQL("comment on column {} is {}").format(
                        sql.Identifier(PUBLISHED_SCHEMA, table, column), sql.Literal(text)
                    )
                )
                comments += 1
    return comments


# --- Hyper extracts and data-source files ---------------------------------------------------


@dataclass(frozen=True)
class MartColumn:
    name: str
    data_type: str
    precision: int | None
    scale: int | None
    description: str


def mart_columns(conn: psycopg.Connection, table: str) -> list[MartColumn]:
    rows = conn.execute(
        "select c.column_name, c.data_type, c.numeric_precision, c.numeric_scale, "
        "coalesce(col_description(format('%%I.%%I', c.table_schema, c.table_name)::regclass, "
        "c.ordinal_position), '') "
        "from information_schema.columns as c "
        "where c.table_schema = %s and c.table_name = %s order by c.ordinal_position",
        (PUBLISHED_SCHEMA, table),
    ).fetchall()
    return [MartColumn(*row) for row in rows]


def _hyper_type(column: MartColumn):
    from tableauhyperapi import SqlType

    kind = column.data_type
    if kind in ("integer", "smallint"):
        return SqlType.int()
    if kind == "bigint":
        return SqlType.big_int()
    if kind == "boolean":
        return SqlType.bool()
    if kind == "date":
        return SqlType.date()
    if kind.startswith("timestamp"):
        return SqlType.timestamp()
    if kind == "numeric" and column.precision and column.precision <= 18:
        return SqlType.numeric(column.precision, column.scale or 0)
    if kind in ("numeric", "double precision", "real"):
        return SqlType.double()
    return SqlType.text()


_EXTRACT_TABLE = ("Extract", "Extract")
# Inside each extract, beside the table Tableau reads: which months it holds and the
# publication each came from (publish.publication_stamps).
_MONTHS_TABLE = ("ccm", "extract_months")


def write_hyper_extracts(conn: psycopg.Connection, folder: Path) -> dict[str, int]:
    """One `<mart>.hyper` per published mart, every month in it, table "Extract"."Extract".

    An extract written before is brought up to date: the months published since it was
    written are deleted from it and read again, the others are kept as they are. An extract
    that is missing, unreadable or has other columns than its mart is written whole. Either
    way it is written beside the old one and renamed over it, so Tableau never opens a
    half-written extract. Returns the rows read from the warehouse per mart.
    """
    from tableauhyperapi import HyperProcess, Telemetry

    folder.mkdir(parents=True, exist_ok=True)
    stamps = publication_stamps(conn)
    rows_by_table: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="ccm-hyper-") as scratch:
        # hyperd writes its log into the working folder unless told otherwise.
        parameters = {"log_dir": scratch}
        with HyperProcess(
            Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters=parameters
        ) as hyper:
            for table in PUBLISHED_MARTS:
                columns = mart_columns(conn, table)
                if not columns:
                    continue
                target = folder / f"{table}.hyper"
                partial = folder / f".{table}.partial.hyper"
                try:
                    rows_by_table[table] = _write_extract(
                        conn, hyper, table, columns, stamps, target, partial, Path(scratch)
                    )
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
    return rows_by_table


def _write_extract(
    conn, hyper, table, columns, stamps, target: Path, partial: Path, scratch: Path
) -> int:
    from tableauhyperapi import (
        NULLABLE,
        Connection,
        CreateMode,
        HyperException,
        Inserter,
        SqlType,
        TableDefinition,
        TableName,
    )

    types = [_hyper_type(c) for c in columns]
    definition = TableDefinition(
        TableName(*_EXTRACT_TABLE),
        [TableDefinition.Column(c.name, t, NULLABLE) for c, t in zip(columns, types, strict=True)],
    )
    months_definition = TableDefinition(
        TableName(*_MONTHS_TABLE),
        [
            TableDefinition.Column("service_month", SqlType.date(), NULLABLE),
            TableDefinition.Column("published_at", SqlType.text(), NULLABLE),
        ],
    )
    held: dict | None = None
    if target.exists():
        shutil.copyfile(target, partial)
        try:
            with Connection(hyper.endpoint, partial, CreateMode.NONE) as hconn:
                held = _months_held(hconn, definition, months_definition)
        except HyperException as exc:
            log.warning("%s: the extract cannot be reused (%s); writing it whole", table, exc)
    stale = None if held is None else {m for m, s in stamps.items() if held.get(m) != s}
    gone = set() if held is None else set(held) - set(stamps)

    mode = CreateMode.CREATE_AND_REPLACE if held is None else CreateMode.NONE
    with Connection(hyper.endpoint, partial, mode) as hconn:
        if held is None:
            hconn.catalog.create_schema(definition.table_name.schema_name)
            hconn.catalog.create_table(definition)
            hconn.catalog.create_schema(months_definition.table_name.schema_name)
            hconn.catalog.create_table(months_definition)
        elif stale or gone:
            listed = ", ".join(f"DATE '{month.isoformat()}'" for month in sorted(stale | gone))
            hconn.execute_command(
                f"DELETE FROM {definition.table_name} WHERE service_month IN ({listed})"
            )
        rows = 0
        if held is None or stale:
            months = None if held is None else sorted(stale)
            rows = _copy_rows(conn, hconn, table, columns, definition, months, scratch)
        hconn.execute_command(f"DELETE FROM {months_definition.table_name}")
        with Inserter(hconn, months_definition) as inserter:
            inserter.add_rows([month, stamp] for month, stamp in sorted(stamps.items()))
            inserter.execute()
    log.info(
        "extract %s: %s, %d rows read",
        table,
        "written whole" if held is None else f"{len(stale)} month(s) refreshed",
        rows,
    )
    return rows


def _copy_rows(conn, hconn, table, columns, definition, months, scratch: Path) -> int:
    """The mart's rows (of `months`, or all) into the extract: PostgreSQL writes them as CSV
    and Hyper reads the file, both in C, where a row at a time through Python took a minute
    for a health system's month."""
    from tableauhyperapi import escape_string_literal

    select = []
    for column in columns:
        name = sql.Identifier(column.name)
        if column.data_type == "boolean":
            select.append(sql.SQL("{}::text").format(name))  # 'true'/'false', not 't'/'f'
        elif column.data_type.startswith("timestamp"):
            # Hyper's timestamp has no zone: the wall-clock time in UTC, as text it parses.
            select.append(
                sql.SQL("to_char({} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')").format(name)
            )
        else:
            select.append(name)
    query = sql.SQL("select {} from {}").format(
        sql.SQL(", ").join(select), sql.Identifier(PUBLISHED_SCHEMA, table)
    )
    if months is not None:
        query += sql.SQL(" where service_month = any({})").format(sql.Literal(months))
    rows_file = scratch / f"{table}.rows.csv"
    with open(rows_file, "wb") as handle, conn.cursor() as cursor:
        copy_out = sql.SQL("copy ({}) to stdout with (format csv)").format(query)
        with cursor.copy(copy_out) as copy:
            for data in copy:
                handle.write(data)
    try:
        return hconn.execute_command(
            f"COPY {definition.table_name} FROM {escape_string_literal(str(rows_file))} "
            "WITH (FORMAT csv)"
        )
    finally:
        rows_file.unlink()


def _months_held(hconn, definition, months_definition) -> dict | None:
    """The months an extract holds and their stamps, or None when it cannot be reused."""
    catalog = hconn.catalog
    if not catalog.has_table(months_definition.table_name) or not catalog.has_table(
        definition.table_name
    ):
        return None
    found = catalog.get_table_definition(definition.table_name)
    shape = [(str(c.name), str(c.type)) for c in found.columns]
    if shape != [(str(c.name), str(c.type)) for c in definition.columns]:
        return None
    rows = hconn.execute_list_query(
        f"SELECT service_month, published_at FROM {months_definition.table_name}"
    )
    return {month.to_date(): stamp for month, stamp in rows}


_TDS_TYPES = {
    "integer": ("integer", "measure", "quantitative"),
    "smallint": ("integer", "measure", "quantitative"),
    "bigint": ("integer", "dimension", "ordinal"),
    "numeric": ("real", "measure", "quantitative"),
    "double precision": ("real", "measure", "quantitative"),
    "boolean": ("boolean", "dimension", "nominal"),
    "date": ("date", "dimension", "ordinal"),
}


def tds_document(
    table: str,
    columns: Sequence[MartColumn],
    *,
    dbname: str,
    host: str = LOOPBACK,
    port: int = DEFAULT_TCP_PORT,
    description: str = "",
) -> str:
    """A Tableau data source (.tds) for one mart over a PostgreSQL connection, no password."""
    lines = [
        "<?xml version='1.0' encoding='utf-8' ?>",
        f"<datasource formatted-name={quoteattr(header_label(table))} inline='true' "
        "source-platform='linux' version='18.1' "
        "xmlns:user='http://www.tableausoftware.com/xml/user'>",
    ]
    if description:
        lines.append(
            f"  <repository-location id={quoteattr(table)} path='/datasources' revision='1.0' />"
        )
    lines += [
        "  <connection class='federated'>",
        "    <named-connections>",
        f"      <named-connection caption={quoteattr(f'{host}:{port}')} name='postgres.ccm'>",
        f"        <connection authentication='username-password' class='postgres' "
        f"dbname={quoteattr(dbname)} odbc-native-protocol='yes' one-time-sql='' "
        f"port={quoteattr(str(port))} schema={quoteattr(PUBLISHED_SCHEMA)} "
        f"server={quoteattr(host)} sslmode='disable' username={quoteattr(TABLEAU_ROLE)} />",
        "      </named-connection>",
        "    </named-connections>",
        f"    <relation connection='postgres.ccm' name={quoteattr(table)} "
        f"table={quoteattr(f'[{PUBLISHED_SCHEMA}].[{table}]')} type='table' />",
        "  </connection>",
    ]
    for column in columns:
        datatype, role, kind = _TDS_TYPES.get(column.data_type, ("string", "dimension", "nominal"))
        if column.name in ("service_month",):
            role, kind = "dimension", "ordinal"
        lines.append(
            f"  <column caption={quoteattr(header_label(column.name))} datatype='{datatype}' "
            f"name={quoteattr(f'[{column.name}]')} role='{role}' type='{kind}'>"
        )
        if column.description:
            lines.append(
                "    <desc><formatted-text><run>"
                f"{escape(column.description)}</run></formatted-text></desc>"
            )
        lines.append("  </column>")
    if description:
        lines.append(
            f"  <desc><formatted-text><run>{escape(description)}</run></formatted-text></desc>"
        )
    lines.append("</datasource>")
    return "\n".join(lines) + "\n"


def write_tds_files(
    conn: psycopg.Connection, folder: Path, *, port: int = DEFAULT_TCP_PORT
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (dbname,) = conn.execute("select current_database()").fetchone()
    written = []
    for table in PUBLISHED_MARTS:
        columns = mart_columns(conn, table)
        if not columns:
            continue
        (description,) = conn.execute(
            "select coalesce(obj_description(to_regclass(%s), 'pg_class'), '')",
            (f"{PUBLISHED_SCHEMA}.{table}",),
        ).fetchone()
        path = folder / f"{table}.tds"
        text = tds_document(table, columns, dbname=dbname, port=port, description=description)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- the loopback forwarder -----------------------------------------------------------------

_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104
_PROTOCOL_3 = 196608


def _startup_user(packet: bytes) -> str | None:
    """The `user` of a PostgreSQL StartupMessage (after its length), or None if malformed."""
    if len(packet) < 4 or struct.unpack("!i", packet[:4])[0] != _PROTOCOL_3:
        return None
    fields = packet[4:].split(b"\0")
    pairs = dict(zip(fields[0::2], fields[1::2], strict=False))
    user = pairs.get(b"user")
    return user.decode("utf-8", "replace") if user else None


def _error_packet(message: str) -> bytes:
    body = b"SFATAL\0C28000\0M" + message.encode() + b"\0\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client closed during start-up")
        data += chunk
    return data


def _admit(client: socket.socket, socket_path: str, admitted_user: str) -> socket.socket | None:
    """Read the client's start-up, refuse other users, and hand the rest to the server."""
    client.settimeout(10)
    while True:
        (length,) = struct.unpack("!i", _recv_exact(client, 4))
        if not 8 <= length <= 10_000:
            return None
        packet = _recv_exact(client, length - 4)
        code = struct.unpack("!i", packet[:4])[0]
        if code in (_SSL_REQUEST, _GSS_REQUEST):
            client.sendall(b"N")  # loopback only: no TLS, the client goes on in plain text
            continue
        break
    if _startup_user(packet) != admitted_user:
        client.sendall(_error_packet(f"only {admitted_user} may connect over TCP"))
        return None
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.connect(socket_path)
    server.sendall(struct.pack("!i", length) + packet)
    client.settimeout(None)
    return server


def _pipe(a: socket.socket, b: socket.socket) -> None:
    selector = selectors.DefaultSelector()
    selector.register(a, selectors.EVENT_READ, b)
    selector.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in selector.select():
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        return
    finally:
        selector.close()
        a.close()
        b.close()


def _handle(client: socket.socket, socket_path: str, admitted_user: str) -> None:
    try:
        server = _admit(client, socket_path, admitted_user)
    except (OSError, ConnectionError, struct.error):
        server = None
    if server is None:
        client.close()
        return
    _pipe(client, server)


def serve_loopback(
    port: int,
    socket_path: str,
    *,
    admitted_user: str = TABLEAU_ROLE,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Forward 127.0.0.1:`port` to the server's socket for one role until stopped."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((LOOPBACK, port))  # never 0.0.0.0: Tableau Desktop runs on this machine
    listener.listen(16)
    listener.settimeout(0.5)
    if ready is not None:
        ready.set()
    log.info("forwarding %s:%s to the warehouse socket for %s", LOOPBACK, port, admitted_user)
    try:
        while stop is None or not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(
                target=_handle, args=(client, socket_path, admitted_user), daemon=True
            ).start()
    finally:
        listener.close()


def socket_file(host: str, port: int) -> str:
    return str(Path(host) / f".s.PGSQL.{port}")


def extract_paths(folder: Path, tables: Iterable[str] = PUBLISHED_MARTS) -> list[Path]:
    return [folder / f"{table}.hyper" for table in tables]
