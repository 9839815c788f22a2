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
    if postgres_base_url().is_none() {
        crate::support::skip("TEST_DATABASE_URL is not set, so there is no PostgreSQL to compare with");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("s.sqlite3")), 1).unwrap();
    sqlite.migrate().unwrap();
    let pg = TestDatabase::create(dir.path());
    let postgres = Db::connect(&pg.url, 1).unwrap();
    postgres.migrate().unwrap();
    let (s, p) = (columns(&sqlite), columns(&postgres));
    assert!(s.contains_key("products") && s.contains_key("regions"));
    assert_eq!(s, p);
}
