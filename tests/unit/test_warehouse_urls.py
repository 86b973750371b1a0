from orchestration.lib.warehouse import parse_database_url


def test_socket_url_of_the_embedded_server_gives_the_folder_as_host():
    info = parse_database_url("postgresql://postgres:@/postgres?host=/work/var/pg", embedded=True)
    assert (info.host, info.port, info.user, info.dbname) == (
        "/work/var/pg",
        5432,
        "postgres",
        "postgres",
    )
    assert info.dbt_env()["CCM_DB_HOST"] == "/work/var/pg"
    # GX's add_postgres refuses socket URLs; add_sql takes this SQLAlchemy form.
    assert (
        info.sqlalchemy_url
        == "postgresql+psycopg2://postgres@/postgres?host=/work/var/pg&port=5432"
    )


def test_tcp_url_keeps_credentials_and_database():
    info = parse_database_url("postgresql://ccm:s%40cret@db.internal:6543/billing")
    assert (info.host, info.port, info.user, info.password, info.dbname) == (
        "db.internal",
        6543,
        "ccm",
        "s@cret",
        "billing",
    )
    assert info.dbt_env()["CCM_DB_PASSWORD"] == "s@cret"
    assert not info.embedded
