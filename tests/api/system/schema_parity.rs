//! The two migration trees (`migrations/sqlite`, `migrations/postgres`) give the same schema, so
//! they cannot drift apart: each is applied to a real database (a temporary SQLite file, a fresh
//! database on the test PostgreSQL server) and the catalogs are read back as one line per fact
//! (table, column, key, index, check) to compare. And the PostgreSQL tree migrates once when
//! several instances start together.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::MigrationHarness;
use pg::{FreshPg, with_database};
use stafet::db::migrate::{Migrate, POSTGRES, SQLITE};

use crate::helpers::pg;

#[test]
fn both_trees_give_the_same_tables_columns_keys_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite =
        SqliteConnection::establish(dir.path().join("parity.sqlite").to_str().unwrap()).unwrap();
    sqlite.run_migrations_locked().unwrap();
    let pg_db = FreshPg::create();
    let mut pg = pg_db.connect();
    pg.run_migrations_locked().unwrap();

    let from_sqlite = sqlite_facts(&mut sqlite);
    let from_pg = pg_facts(&mut pg);

    // The readers must see the schema at all, or two empty sets would pass.
    for fact in [
        "table question_themes",
        "credentials.id: bigint not null default identity",
        "relays.rounds_started: integer not null default 0",
        "themes.is_pinned: boolean not null default false",
        "themes.label_words: text not null default '[]'",
        "question_themes.score: double null",
        "primary key question_themes (question_id)",
        "unique participants (relay_id, pseudonym)",
        "foreign key deliveries (question_id) references questions (id) on delete cascade on update no action",
        "index events_relay on events (relay_id, id, participant_id)",
        "check credentials (kind): 'api_token', 'participant_link', 'participant_session', 'staff_session'",
    ] {
        assert!(
            from_sqlite.contains(fact),
            "the SQLite reader misses `{fact}`; it read:\n{}",
            lines(&from_sqlite)
        );
    }
    assert_eq!(
        from_sqlite
            .iter()
            .filter(|f| f.starts_with("table "))
            .count(),
        23,
        "{}",
        lines(&from_sqlite)
    );

    let only_sqlite: BTreeSet<_> = from_sqlite.difference(&from_pg).collect();
    let only_pg: BTreeSet<_> = from_pg.difference(&from_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "the migration trees differ.\nonly in migrations/sqlite:\n{}\nonly in migrations/postgres:\n{}",
        lines(only_sqlite),
        lines(only_pg)
    );
}

#[test]
fn the_postgresql_tree_reverts_and_applies_again() {
    let pg_db = FreshPg::create();
    let mut pg = pg_db.connect();
    pg.run_migrations_locked().unwrap();
    let applied = pg_facts(&mut pg);
    pg.revert_all_migrations(POSTGRES).unwrap();
    let left: Vec<String> = pg_tables(&mut pg)
        .into_iter()
        .filter(|t| t != "__diesel_schema_migrations")
        .collect();
    assert!(left.is_empty(), "down.sql leaves tables: {left:?}");
    pg.run_migrations_locked().unwrap();
    assert_eq!(pg_facts(&mut pg), applied);
}

#[test]
fn instances_starting_together_migrate_once() {
    const INSTANCES: usize = 4;
    let pg_db = FreshPg::create();
    let start = Arc::new(Barrier::new(INSTANCES));
    let runs: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (mut conn, start) = (pg_db.connect(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                conn.run_migrations_locked().map_err(|e| format!("{e:#}"))
            })
        })
        .collect();
    let results: Vec<_> = runs.into_iter().map(|r| r.join().unwrap()).collect();
    assert!(
        results.iter().all(Result::is_ok),
        "every instance migrates without error: {results:?}"
    );
    let mut pg = pg_db.connect();
    let applied = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut pg)
        .unwrap()
        .n;
    let tree = migration_names::<diesel::pg::Pg>(&POSTGRES);
    assert_eq!(applied, tree.len() as i64, "each migration applied once");
    assert!(pg_tables(&mut pg).contains(&"events".to_string()));
}

/// The PostgreSQL tree's first migration: the SQLite tree's schema as of its version.
const POSTGRES_START: &str = "2026-11-27-000000_init";

#[test]
fn every_migration_after_the_postgresql_start_is_in_both_trees() {
    let sqlite = migration_names::<diesel::sqlite::Sqlite>(&SQLITE);
    let pg = migration_names::<diesel::pg::Pg>(&POSTGRES);
    let version = |name: &str| name.split('_').next().unwrap_or_default().to_string();
    let start = version(POSTGRES_START);
    assert_eq!(
        pg.first().map(String::as_str),
        Some(POSTGRES_START),
        "{pg:?}"
    );
    assert!(
        sqlite.iter().any(|n| version(n) == start),
        "the PostgreSQL tree starts at a version of the SQLite tree: {sqlite:?}"
    );
    let later = |tree: &[String]| -> Vec<String> {
        tree.iter()
            .filter(|n| version(n) > start)
            .cloned()
            .collect()
    };
    assert_eq!(
        later(&sqlite),
        later(&pg),
        "every migration after {POSTGRES_START} is written twice, once per tree, under the same \
         name (migrations/README.md)"
    );
}

fn migration_names<DB: diesel::backend::Backend>(tree: &dyn MigrationSource<DB>) -> Vec<String> {
    let mut names: Vec<String> = tree
        .migrations()
        .unwrap()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    names.sort();
    names
}

// ---- Reading the schema back, one normalised line per fact -------------------------------

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Bool)]
    notnull: bool,
    #[diesel(sql_type = Nullable<Text>)]
    dflt_value: Option<String>,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    unique: bool,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(QueryableByName)]
struct SqliteForeignKey {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from: String,
    #[diesel(sql_type = Nullable<Text>)]
    to: Option<String>,
    #[diesel(sql_type = Text)]
    on_update: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

fn sqlite_facts(conn: &mut SqliteConnection) -> BTreeSet<String> {
    let tables = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations' ORDER BY name",
    )
    .load::<Name>(conn)
    .unwrap();
    let mut facts = BTreeSet::new();
    for Name { name: table } in tables {
        facts.insert(format!("table {table}"));
        let columns = diesel::sql_query(
            "SELECT name, type AS declared, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(&table)
        .load::<SqliteColumn>(conn)
        .unwrap();
        let mut key: Vec<&SqliteColumn> = columns.iter().filter(|c| c.pk > 0).collect();
        key.sort_by_key(|c| c.pk);
        // `INTEGER PRIMARY KEY` is the rowid: a 64-bit integer SQLite assigns, an identity.
        let rowid = match key[..] {
            [c] if c.declared.eq_ignore_ascii_case("INTEGER") => Some(c.name.clone()),
            _ => None,
        };
        for c in &columns {
            let family = if rowid.as_ref() == Some(&c.name) {
                "bigint".to_string()
            } else {
                sqlite_family(&c.declared)
            };
            let default = if rowid.as_ref() == Some(&c.name) {
                Some("identity".to_string())
            } else {
                c.dflt_value
                    .as_deref()
                    .map(|d| normalise_default(d, &family))
            };
            facts.insert(column_fact(&table, &c.name, &family, !c.notnull, default));
        }
        facts.insert(format!(
            "columns {table}: {}",
            names(columns.iter().map(|c| &c.name))
        ));
        if !key.is_empty() {
            facts.insert(format!(
                "primary key {table} ({})",
                names(key.iter().map(|c| &c.name))
            ));
        }

        let indexes = diesel::sql_query(
            "SELECT l.name, l.\"unique\", l.origin, m.sql FROM pragma_index_list(?) l \
             LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name",
        )
        .bind::<Text, _>(&table)
        .load::<SqliteIndex>(conn)
        .unwrap();
        for index in indexes {
            let columns = diesel::sql_query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                .bind::<Text, _>(&index.name)
                .load::<Name>(conn)
                .unwrap();
            let columns = names(columns.iter().map(|c| &c.name));
            match index.origin.as_str() {
                "u" => {
                    facts.insert(format!("unique {table} ({columns})"));
                }
                "c" => {
                    let predicate = index.sql.as_deref().and_then(|sql| {
                        let at = sql.to_ascii_uppercase().find(" WHERE ")?;
                        Some(sql[at + 7..].to_string())
                    });
                    facts.insert(index_fact(
                        &index.name,
                        &table,
                        &columns,
                        index.unique,
                        predicate.as_deref(),
                    ));
                }
                _ => {} // "pk": the primary key, read above.
            }
        }

        let keys = diesel::sql_query(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
             FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind::<Text, _>(&table)
        .load::<SqliteForeignKey>(conn)
        .unwrap();
        let mut ids: Vec<i32> = keys.iter().map(|k| k.id).collect();
        ids.dedup();
        for id in ids {
            let parts: Vec<&SqliteForeignKey> = keys.iter().filter(|k| k.id == id).collect();
            let first = parts[0];
            // Without named columns a foreign key points at the other table's primary key.
            let to = if parts.iter().all(|k| k.to.is_some()) {
                names(parts.iter().filter_map(|k| k.to.as_ref()))
            } else {
                sqlite_primary_key(conn, &first.table)
            };
            facts.insert(foreign_key_fact(
                &table,
                &names(parts.iter().map(|k| &k.from)),
                &first.table,
                &to,
                &first.on_delete,
                &first.on_update,
            ));
        }

        let sql = diesel::sql_query("SELECT sql AS name FROM sqlite_master WHERE name = ?")
            .bind::<Text, _>(&table)
            .get_result::<Name>(conn)
            .unwrap()
            .name;
        for check in sqlite_checks(&sql) {
            facts.insert(check_fact(&table, check));
        }
    }
    facts
}

fn sqlite_primary_key(conn: &mut SqliteConnection, table: &str) -> String {
    let key = diesel::sql_query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk")
        .bind::<Text, _>(table)
        .load::<Name>(conn)
        .unwrap();
    names(key.iter().map(|c| &c.name))
}

/// The bodies of the `CHECK (...)` clauses in a `CREATE TABLE` statement, comments left out.
fn sqlite_checks(sql: &str) -> Vec<&str> {
    let mut checks = Vec::new();
    for line in sql.lines() {
        let line = line.split("--").next().unwrap_or_default();
        let upper = line.to_ascii_uppercase();
        let mut from = 0;
        while let Some(at) = upper[from..].find("CHECK") {
            let open = from + at + "CHECK".len();
            let rest = line[open..].trim_start();
            let Some(body) = rest.strip_prefix('(') else {
                from = open;
                continue;
            };
            let mut depth = 1;
            let end = body
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(body.len(), |(i, _)| i);
            checks.push(&body[..end]);
            from = open;
        }
    }
    checks
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_default: Option<String>,
    #[diesel(sql_type = Text)]
    is_identity: String,
}

#[derive(QueryableByName)]
struct PgConstraint {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Nullable<Text>)]
    ref_table: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ref_columns: Option<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
    #[diesel(sql_type = Text)]
    on_update: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Bool)]
    unique: bool,
    #[diesel(sql_type = Nullable<Text>)]
    predicate: Option<String>,
}

fn pg_tables(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|t| t.name)
    .collect()
}

/// `attnums` (an array expression of `relation`'s column numbers) as names joined by ", ".
fn pg_column_names(attnums: &str, relation: &str) -> String {
    format!(
        "array_to_string(ARRAY(SELECT a.attname FROM unnest({attnums}) WITH ORDINALITY AS k(n, i) \
         JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.n ORDER BY k.i), ', ')"
    )
}

fn pg_facts(conn: &mut PgConnection) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    let tables = pg_tables(conn);
    for table in tables.iter().filter(|t| *t != "__diesel_schema_migrations") {
        facts.insert(format!("table {table}"));
        let columns = diesel::sql_query(
            "SELECT column_name::text, data_type::text, is_nullable::text, \
             column_default::text, is_identity::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table)
        .load::<PgColumn>(conn)
        .unwrap();
        for c in &columns {
            let family = pg_family(&c.data_type);
            let default = if c.is_identity == "YES" {
                Some("identity".to_string())
            } else {
                c.column_default
                    .as_deref()
                    .map(|d| normalise_default(d, &family))
            };
            facts.insert(column_fact(
                table,
                &c.column_name,
                &family,
                c.is_nullable == "YES",
                default,
            ));
        }
        facts.insert(format!(
            "columns {table}: {}",
            names(columns.iter().map(|c| &c.column_name))
        ));

        let constraints = diesel::sql_query(format!(
            "SELECT c.contype::text AS kind, {} AS columns, \
             c.confrelid::regclass::text AS ref_table, {} AS ref_columns, \
             c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update, \
             pg_get_constraintdef(c.oid) AS definition \
             FROM pg_constraint c WHERE c.conrelid = $1::regclass",
            pg_column_names("c.conkey", "c.conrelid"),
            pg_column_names("c.confkey", "c.confrelid"),
        ))
        .bind::<Text, _>(table)
        .load::<PgConstraint>(conn)
        .unwrap();
        for c in constraints {
            match c.kind.as_str() {
                "p" => {
                    facts.insert(format!("primary key {table} ({})", c.columns));
                }
                "u" => {
                    facts.insert(format!("unique {table} ({})", c.columns));
                }
                "f" => {
                    facts.insert(foreign_key_fact(
                        table,
                        &c.columns,
                        c.ref_table.as_deref().unwrap_or_default(),
                        c.ref_columns.as_deref().unwrap_or_default(),
                        pg_action(&c.on_delete),
                        pg_action(&c.on_update),
                    ));
                }
                "c" => {
                    let body = c.definition.trim_start_matches("CHECK").trim();
                    facts.insert(check_fact(table, body));
                }
                other => {
                    facts.insert(format!(
                        "constraint {table} of kind {other}: {}",
                        c.definition
                    ));
                }
            }
        }

        // Indexes of their own: not those behind a primary key or unique constraint.
        let indexes = diesel::sql_query(format!(
            "SELECT i.relname::text AS name, {} AS columns, x.indisunique AS unique, \
             pg_get_expr(x.indpred, x.indrelid) AS predicate \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             WHERE x.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
             WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))",
            pg_column_names("x.indkey::int2[]", "x.indrelid"),
        ))
        .bind::<Text, _>(table)
        .load::<PgIndex>(conn)
        .unwrap();
        for index in indexes {
            facts.insert(index_fact(
                &index.name,
                table,
                &index.columns,
                index.unique,
                index.predicate.as_deref(),
            ));
        }
    }
    facts
}

// ---- Normalising both dialects to one wording ----------------------------------------------

fn sqlite_family(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "INT" => "integer".into(),
        "BIGINT" => "bigint".into(),
        "BOOLEAN" => "boolean".into(),
        "TEXT" => "text".into(),
        "TIMESTAMP" => "timestamp".into(),
        "DOUBLE PRECISION" | "DOUBLE" | "REAL" => "double".into(),
        other => format!("unknown SQLite type {other}"),
    }
}

fn pg_family(data_type: &str) -> String {
    match data_type {
        "integer" => "integer".into(),
        "bigint" => "bigint".into(),
        "boolean" => "boolean".into(),
        "text" => "text".into(),
        "timestamp without time zone" => "timestamp".into(),
        "double precision" => "double".into(),
        other => format!("unknown PostgreSQL type {other}"),
    }
}

/// A default as both dialects can agree on it: booleans as `false`/`true` (SQLite keeps `0`),
/// no PostgreSQL cast (`'[]'::text`).
fn normalise_default(default: &str, family: &str) -> String {
    let default = match default.rsplit_once("::") {
        Some((value, cast)) if cast.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') => value,
        _ => default,
    };
    match (family, default.to_ascii_lowercase().as_str()) {
        ("boolean", "0" | "false") => "false".into(),
        ("boolean", "1" | "true") => "true".into(),
        _ => default.to_string(),
    }
}

/// `ON DELETE`/`ON UPDATE` from `pg_constraint`'s one-letter code.
fn pg_action(code: &str) -> &'static str {
    match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "unknown action",
    }
}

fn column_fact(
    table: &str,
    column: &str,
    family: &str,
    nullable: bool,
    default: Option<String>,
) -> String {
    let null = if nullable { "null" } else { "not null" };
    let default = default.map(|d| format!(" default {d}")).unwrap_or_default();
    format!("{table}.{column}: {family} {null}{default}")
}

fn foreign_key_fact(
    table: &str,
    from: &str,
    to_table: &str,
    to: &str,
    on_delete: &str,
    on_update: &str,
) -> String {
    format!(
        "foreign key {table} ({from}) references {to_table} ({to}) on delete {} on update {}",
        on_delete.to_ascii_lowercase(),
        on_update.to_ascii_lowercase()
    )
}

fn index_fact(
    name: &str,
    table: &str,
    columns: &str,
    unique: bool,
    predicate: Option<&str>,
) -> String {
    let unique = if unique { "unique " } else { "" };
    let predicate = predicate
        .map(|p| format!(" where {}", normalise_expression(p)))
        .unwrap_or_default();
    format!("{unique}index {name} on {table} ({columns}){predicate}")
}

/// A check as the column it constrains and the literals it names, which is what every check in
/// the schema is (`kind IN ('a', 'b')`, which PostgreSQL shows as `kind = ANY (ARRAY[...])`).
fn check_fact(table: &str, body: &str) -> String {
    let column: String = body
        .trim_start_matches(|c: char| c == '(' || c.is_whitespace())
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let mut literals: Vec<&str> = body.split('\'').skip(1).step_by(2).collect();
    literals.sort_unstable();
    let literals: Vec<String> = literals.iter().map(|l| format!("'{l}'")).collect();
    format!("check {table} ({column}): {}", literals.join(", "))
}

/// Lower case, no parentheses, single spaces: `(participant_id IS NULL)` and
/// `participant_id IS NULL` read the same.
fn normalise_expression(expression: &str) -> String {
    expression
        .replace(['(', ')'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn lines<'a>(facts: impl IntoIterator<Item = &'a String>) -> String {
    facts
        .into_iter()
        .map(|f| format!("  {f}\n"))
        .collect::<String>()
}

#[test]
fn a_database_name_replaces_the_servers_own_in_its_url() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:55432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:55432/t1"
    );
    assert_eq!(
        with_database("postgresql://u:p@db?sslmode=disable", "t1"),
        "postgresql://u:p@db/t1?sslmode=disable"
    );
}
