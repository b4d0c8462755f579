//! What a migration function does to the database, as far as a reviewer
//! would judge it: whether `upgrade()` changes the schema (rather than
//! only the data, or nothing but an early return), and whether an empty
//! `downgrade()` says why it is empty.
//!
//! `downgrade-empty` is an error that blocks commits, so it must fire only
//! where an empty downgrade leaves a schema change behind: a data fix
//! (`UPDATE` through `op.execute`, rows written through a session), a
//! migration that returns early, `CREATE EXTENSION` or `ALTER TYPE ... ADD
//! VALUE` (PostgreSQL cannot remove an enum value) may keep `pass`.

use std::collections::HashSet;

use tree_sitter::Node;

use super::ops::ops_in;
use crate::python::{Module, descendants};

/// `op.*` operations that do not change the schema by themselves.
const NOT_SCHEMA_OPS: &[&str] = &["execute", "bulk_insert"];

/// Whether the function `def` (a `function_definition`) changes the
/// schema: an `op.*` schema operation, DDL run through any `execute`,
/// `metadata.create_all`, a trigger helper, or `.create(bind)` on a
/// schema object; also through the module's own functions it calls.
pub fn changes_schema(m: &Module, def: Node<'_>) -> bool {
    let mut seen: HashSet<String> = HashSet::new();
    let mut todo = vec![def];
    while let Some(f) = todo.pop() {
        if ops_in(m, f)
            .iter()
            .any(|op| !NOT_SCHEMA_OPS.contains(&op.name.as_str()))
        {
            return true;
        }
        for n in descendants(f) {
            let Some(call) = m.call(n) else { continue };
            let Some(name) = call.short_name() else {
                continue;
            };
            let ddl = |call: &crate::python::Call<'_>| {
                call.positional
                    .first()
                    .is_some_and(|a| sql_of(m, *a).is_some_and(|s| is_ddl(&s)))
            };
            let text = m.text(n);
            match name {
                "execute" | "exec_driver_sql" if ddl(&call) => return true,
                "create_all" | "drop_all" => return true,
                "create" | "drop" if text.contains("bind") || text.contains("conn") => return true,
                _ if name.contains("trigger") => return true,
                _ => {}
            }
            // The module's own helpers run as part of the migration.
            if call.function.kind() == "identifier"
                && seen.insert(name.to_string())
                && let Some(helper) = m.function(name)
            {
                todo.push(helper);
            }
        }
    }
    false
}

/// The SQL text of an `execute` argument: a string (f-strings included,
/// as written) or `text("...")` / `sa.text("...")` around one.
///
/// Shared with `downgrade-asymmetric`, which reads the SQL a downgrade
/// runs through a connection (`conn.execute(sa.text(...))`).
pub fn sql_of(m: &Module, arg: Node<'_>) -> Option<String> {
    if let Some(call) = m.call(arg) {
        if call.short_name() == Some("text") {
            return call.positional.first().and_then(|a| sql_of(m, *a));
        }
        // `text("...").bindparams(x=1)`: the statement is the text's.
        if call.function.kind() == "attribute"
            && let Some(method) = call.function.child_by_field_name("attribute")
            && matches!(
                m.text(method),
                "bindparams" | "columns" | "execution_options"
            )
            && let Some(object) = call.function.child_by_field_name("object")
        {
            return sql_of(m, object);
        }
    }
    if let Some(s) = m.string_value(arg) {
        return Some(s);
    }
    // An f-string: its text without the prefix and quotes (the
    // interpolations stay as written; the statement's verb is what counts).
    matches!(arg.kind(), "string" | "concatenated_string").then(|| {
        m.text(arg)
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string()
    })
}

/// Whether SQL text holds a statement that changes the schema. Data
/// statements, `CREATE EXTENSION` and `ALTER TYPE ... ADD VALUE` do not.
pub fn is_ddl(sql: &str) -> bool {
    sql.split(';').any(|stmt| {
        let words: Vec<String> = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .flat_map(|l| l.split_whitespace())
            .map(|w| {
                w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .to_ascii_uppercase()
            })
            .filter(|w| !w.is_empty())
            .collect();
        let has = |w: &str| words.iter().any(|x| x == w);
        match words.first().map(String::as_str) {
            Some("CREATE") => words.get(1).is_none_or(|w| w != "EXTENSION"),
            Some("ALTER") => !(words.get(1).is_some_and(|w| w == "TYPE") && has("VALUE")),
            Some("DROP" | "RENAME" | "COMMENT") => true,
            Some("DO") => has("CREATE") || has("DROP") || has("ALTER"),
            _ => false,
        }
    })
}

/// Whether the function `def` explains itself: a comment (other than the
/// lines Alembic's template writes into every migration) or a docstring
/// inside it. An empty `downgrade()` that says why is a decision.
pub fn explained(m: &Module, def: Node<'_>) -> bool {
    let Some(body) = def.child_by_field_name("body") else {
        return false;
    };
    if m.docstring(body).is_some_and(|d| !d.trim().is_empty()) {
        return true;
    }
    let range = def.start_byte()..def.end_byte();
    m.comments().iter().any(|c| {
        if !range.contains(&c.start_byte()) {
            return false;
        }
        let text = m
            .text(*c)
            .trim_start_matches('#')
            .trim()
            .to_ascii_lowercase();
        !text.is_empty()
            && !text.contains("auto generated by alembic")
            && !text.contains("end alembic commands")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(src: &str) -> bool {
        let m = Module::parse(src.as_bytes()).unwrap();
        let def = m.function("upgrade").unwrap();
        changes_schema(&m, def)
    }

    fn explains(src: &str) -> bool {
        let m = Module::parse(src.as_bytes()).unwrap();
        let def = m.function("downgrade").unwrap();
        explained(&m, def)
    }

    #[test]
    fn schema_operations_and_ddl_change_the_schema() {
        assert!(schema(
            "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n"
        ));
        assert!(schema(
            "def upgrade():\n    with op.batch_alter_table('t') as b:\n        b.drop_column('c')\n"
        ));
        assert!(schema(
            "def upgrade():\n    op.execute('ALTER TABLE t ADD COLUMN c int')\n"
        ));
        assert!(schema(
            "def upgrade():\n    conn = op.get_bind()\n    conn.execute(sa.text(\"CREATE INDEX ix ON t (c)\"))\n"
        ));
        assert!(schema(
            "def upgrade():\n    sync_trigger(conn, table, 'v', ['a'])\n"
        ));
        assert!(schema(
            "def upgrade():\n    helper()\n\ndef helper():\n    op.drop_table('t')\n"
        ));
        assert!(schema(
            "def upgrade():\n    op.execute(f\"DROP TABLE {name}\")\n"
        ));
    }

    #[test]
    fn data_fixes_early_returns_extensions_and_enum_values_do_not() {
        assert!(!schema(
            "def upgrade():\n    op.execute(\"UPDATE t SET c = 1 WHERE c IS NULL\")\n"
        ));
        // A data statement with bound parameters, run by a session.
        assert!(!schema(
            "def upgrade():\n    session.execute(sa.text(f\"UPDATE {T.__tablename__} SET a=:a\").bindparams(a=1))\n"
        ));
        assert!(!schema(
            "def upgrade():\n    session = Session(bind=op.get_bind())\n    for x in session.query(X):\n        x.y = 1\n    session.commit()\n"
        ));
        assert!(!schema(
            "def upgrade():\n    if skip(op):\n        return\n    pass\n"
        ));
        assert!(!schema(
            "def upgrade():\n    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')\n"
        ));
        assert!(!schema(
            "def upgrade():\n    op.execute(\"ALTER TYPE status ADD VALUE 'done'\")\n"
        ));
        assert!(!schema(
            "def upgrade():\n    conn.execute(t.insert().values(k='v'))\n    set_config('k', 'v')\n"
        ));
        assert!(!schema("def upgrade():\n    upgrade()\n"), "recursion ends");
    }

    #[test]
    fn ddl_statements() {
        assert!(is_ddl("-- note\nCREATE TABLE t (id int)"));
        assert!(is_ddl("UPDATE t SET a = 1; DROP INDEX ix"));
        assert!(is_ddl("DO $$ BEGIN ALTER TABLE t ADD c int; END $$"));
        assert!(!is_ddl("INSERT INTO t VALUES (1)"));
        assert!(!is_ddl("create extension if not exists citext"));
        assert!(!is_ddl("DELETE FROM t"));
    }

    #[test]
    fn a_comment_or_docstring_explains_an_empty_downgrade() {
        assert!(explains(
            "def downgrade():\n    # the old data cannot come back\n    pass\n"
        ));
        assert!(explains(
            "def downgrade():\n    \"\"\"Nothing to undo.\"\"\"\n"
        ));
        assert!(!explains(
            "def downgrade():\n    # ### commands auto generated by Alembic - please adjust! ###\n    pass\n    # ### end Alembic commands ###\n"
        ));
        assert!(!explains("def downgrade():\n    pass\n"));
    }
}
