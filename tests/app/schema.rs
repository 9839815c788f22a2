//! Migrations are kept in step: the same versions for both backends, and the same tables and
//! columns once applied.

use crate::support::{postgres_base_url, TestDatabase};
use diesel::prelude::*;
use diesel::sql_types::Text;
use gongfang::config::DatabaseUrl;
use gongfang::db::Db;
use std::collections::BTreeMap;
use std::path::Path;

fn versions(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| {
            for f in ["up.sql", "down.sql"] {
                assert!(e.path().join(f).is_file(), "{}/{f} missing", e.path().display());
            }
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

fn columns(db: &Db) -> BTreeMap<String, Vec<String>> {
    let mut conn = db.conn().unwrap();
    let sql = match db.backend() {
        "sqlite" => {
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
        }
        _ => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
              WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let rows: Vec<Column> = diesel::sql_query(sql).load(&mut *conn).unwrap();
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        map.entry(r.table_name).or_default().push(r.column_name);
    }
    for cols in map.values_mut() {
        cols.sort();
    }
    map
}

#[test]
fn both_backends_get_the_same_tables_and_columns() {
    // On the SQLite run the test command names the PostgreSQL server to compare with.
    let compare = std::env::var("TEST_POSTGRES_COMPARE_URL").ok().filter(|u| u.starts_with("postgres"));
    let Some(base) = postgres_base_url().or(compare) else {
        crate::support::skip("no PostgreSQL to compare with (TEST_DATABASE_URL or TEST_POSTGRES_COMPARE_URL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("s.sqlite3")), 1).unwrap();
    sqlite.migrate().unwrap();
    let pg = TestDatabase::on_postgres(base);
    let postgres = Db::connect(&pg.url, 1).unwrap();
    postgres.migrate().unwrap();
    let (s, p) = (columns(&sqlite), columns(&postgres));
    assert!(s.contains_key("products") && s.contains_key("regions"));
    // Issue 20's tables, each on both backends (the comparison below checks their columns).
    for table in [
        "product_options",
        "product_variants",
        "favourites",
        "workshop_follows",
        "reviews",
        "review_photos",
        "review_votes",
        "message_threads",
        "messages",
        "custom_orders",
        "custom_milestones",
        "custom_progress",
    ] {
        assert!(s.contains_key(table) && p.contains_key(table), "{table} on both backends");
    }
    assert_eq!(s, p);
}

/// Applies this backend's migrations up to (not including) `stop`, runs `arrange`, then the rest.
fn migrate_around<C>(conn: &mut C, backend: &str, stop: &str, arrange: impl FnOnce(&mut C))
where
    C: diesel_migrations::MigrationHarness<C::Backend> + diesel::Connection,
{
    use diesel::migration::MigrationSource;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let source = diesel_migrations::FileBasedMigrations::from_path(dir).unwrap();
    let mut all = MigrationSource::<C::Backend>::migrations(&source).unwrap();
    all.sort_by_key(|m| m.name().to_string());
    let at = all.iter().position(|m| m.name().to_string().starts_with(stop)).expect("the migration exists");
    // What `run_pending_migrations` would create first.
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations \
         (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .unwrap();
    for m in &all[..at] {
        conn.run_migration(m.as_ref()).unwrap();
    }
    arrange(conn);
    for m in &all[at..] {
        conn.run_migration(m.as_ref()).unwrap();
    }
}

const OLD_OFFLINE_ORDER: &str = "\
    INSERT INTO users (id, email, password_hash, display_name, lang, role, is_demo, created_at, updated_at) \
      VALUES (7, 'b@example.cn', 'x', 'B', 'zh', 'buyer', FALSE, '2026-11-01 00:00:00', '2026-11-01 00:00:00'); \
    INSERT INTO orders (id, number, user_id, idempotency_key, request_digest, status, payment_method, currency, \
      items_fen, shipping_fen, total_fen, buyer_email, lang, recipient, phone, country, region_text, address_line, \
      reserved_until, created_at, updated_at, paid_at) \
      VALUES (41, 'GF20261101-OLD001', 7, 'old-offline-1', '', 'paid', 'offline', 'CNY', 1000, 0, 1000, \
      'b@example.cn', 'zh', 'B', '+44 1', 'GB', 'London', '1 High St', '2026-11-01 00:30:00', \
      '2026-11-01 00:00:00', '2026-11-01 00:00:00', '2026-11-01 00:10:00'); \
    INSERT INTO payments (order_id, provider, provider_ref, amount_fen, currency, status, created_at, updated_at) \
      VALUES (41, 'offline', 'BANK-OLD-1', 1000, 'CNY', 'succeeded', '2026-11-01 00:10:00', '2026-11-01 00:10:00');";

#[derive(QueryableByName, Debug, PartialEq)]
struct Method {
    #[diesel(sql_type = Text)]
    payment_method: String,
    #[diesel(sql_type = Text)]
    provider_ref: String,
}

const AFTER: &str = "SELECT o.payment_method, p.provider_ref FROM orders o JOIN payments p ON p.order_id = o.id";

#[test]
fn orders_placed_offline_become_bank_transfers_with_their_payments_intact() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(dir.path());
    let expected = vec![Method { payment_method: "bank_transfer".into(), provider_ref: "BANK-OLD-1".into() }];
    let stop = "2026-12-05-000001_offline_methods";
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
            conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
            migrate_around(&mut conn, "sqlite", stop, |c| c.batch_execute(OLD_OFFLINE_ORDER).unwrap());
            assert_eq!(diesel::sql_query(AFTER).load::<Method>(&mut conn).unwrap(), expected);
            // The rebuilt table keeps every reference to it whole.
            #[derive(QueryableByName)]
            struct Broken {
                #[diesel(sql_type = Text)]
                #[allow(dead_code)]
                table: String,
            }
            let broken = diesel::sql_query("PRAGMA foreign_key_check").load::<Broken>(&mut conn).unwrap();
            assert!(broken.is_empty(), "{} rows break a foreign key", broken.len());
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = diesel::PgConnection::establish(url).unwrap();
            migrate_around(&mut conn, "postgres", stop, |c| c.batch_execute(OLD_OFFLINE_ORDER).unwrap());
            assert_eq!(diesel::sql_query(AFTER).load::<Method>(&mut conn).unwrap(), expected);
        }
    }
}
