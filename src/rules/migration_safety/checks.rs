//! The per-migration checks of the migration-safety family: what one
//! migration's `upgrade()` does to tables that already hold rows and serve
//! a running app. Pure functions of the parsed file and its dialect; the
//! family (`mod.rs`) finds the files and the models.
//!
//! "Existing table" means a table this `upgrade()` does not create: the
//! revision graph says it was created by an earlier revision, or it was
//! there before Alembic.

use std::collections::{HashMap, HashSet};

use regex::Regex;
use tree_sitter::Node;

use super::types::rewrite_reason;
use crate::alembic::dialect::{Dialect, guarded_dialect, python_dialect};
use crate::alembic::ops::{Op, function_ops};
use crate::finding::Finding;
use crate::python::{Module, Position, descendants};
use crate::rules::RuleId;

/// A drop that `migration-drop-still-mapped` compares with the models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drop {
    pub table: String,
    /// `None` for `drop_table`.
    pub column: Option<String>,
    pub position: Position,
}

/// Functions whose result differs on every row: a column added with one
/// as its server default makes PostgreSQL (11+) write every row.
const VOLATILE: &[&str] = &[
    "random(",
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v1mc(",
    "uuid_generate_v4(",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
    "statement_timestamp(",
];

/// One migration's inputs.
pub struct Input<'a> {
    pub m: &'a Module,
    pub path: &'a str,
    /// The environment's (or configured) dialect.
    pub dialect: Option<Dialect>,
}

/// What `upgrade()` does to which tables, and the call node of each op.
struct Upgrade<'a> {
    ops: Vec<Op>,
    nodes: HashMap<(u32, u32), Node<'a>>,
    created: HashSet<String>,
    function: Node<'a>,
}

impl<'a> Upgrade<'a> {
    fn read(m: &'a Module) -> Option<Upgrade<'a>> {
        let function = m.function("upgrade")?;
        let ops = function_ops(m, "upgrade")?;
        let nodes = descendants(function)
            .filter(|n| n.kind() == "call")
            .map(|n| {
                let p = m.position(n);
                ((p.line, p.column), n)
            })
            .collect();
        let created = ops
            .iter()
            .filter(|o| o.name == "create_table")
            .filter_map(|o| o.table.clone())
            .collect();
        Some(Upgrade {
            ops,
            nodes,
            created,
            function,
        })
    }

    /// Whether `table` holds rows before this migration (it is not created
    /// here). An unknown table name is not claimed to exist.
    fn existing(&self, table: Option<&str>) -> Option<String> {
        let t = table?;
        (!self.created.contains(t)).then(|| t.to_string())
    }

    /// Whether an op of kind `name` on `table`/`column` comes after `op`.
    fn later(&self, op: &Op, name: &str, table: &str, column: Option<&str>) -> bool {
        self.ops.iter().any(|o| {
            o.position > op.position
                && o.name == name
                && o.table.as_deref() == Some(table)
                && (column.is_none() || o.column.as_deref() == column)
        })
    }
}

/// Runs the enabled checks of one migration; returns the drops for
/// `migration-drop-still-mapped` (which needs the models).
pub fn check(
    input: &Input<'_>,
    enabled: &dyn Fn(RuleId) -> bool,
    out: &mut Vec<Finding>,
) -> Vec<Drop> {
    let m = input.m;
    let Some(up) = Upgrade::read(m) else {
        return Vec::new();
    };
    let file_dialect = input.dialect.or_else(|| python_dialect(m));
    let mut drops = Vec::new();
    for op in &up.ops {
        let node = up
            .nodes
            .get(&(op.position.line, op.position.column))
            .copied();
        let dialect = node.and_then(|n| guarded_dialect(m, n)).or(file_dialect);
        let call = node.and_then(|n| m.call(n));
        let at = |rule: RuleId, msg: String| {
            Finding::new(rule, input.path, msg).at(op.position.line, op.position.column)
        };
        match op.name.as_str() {
            "add_column" => {
                let Some(table) = up.existing(op.table.as_deref()) else {
                    continue;
                };
                let column_call = call.as_ref().and_then(|c| {
                    let arg = if op.batch {
                        c.positional.first()
                    } else {
                        c.positional.get(1)
                    };
                    arg.copied().or(c.keyword("column")).and_then(|n| m.call(n))
                });
                let Some(col) = column_call else { continue };
                // Identity, serial, sequence and computed columns are filled
                // by the database itself.
                let filled = {
                    let text = m.text(col.node).to_ascii_lowercase();
                    ["identity(", "computed(", "sequence(", "serial"]
                        .iter()
                        .any(|k| text.contains(k))
                };
                let name = op.column.clone().unwrap_or_else(|| "?".into());
                let default = col.keyword("server_default").filter(|d| d.kind() != "none");
                if enabled(RuleId::MigrationNotNullWithoutDefault)
                    && col.keyword("nullable").is_some_and(|v| v.kind() == "false")
                    && default.is_none()
                    && !filled
                    // MySQL fills the rows with the type's implicit default.
                    && dialect != Some(Dialect::Mysql)
                {
                    out.push(at(
                        RuleId::MigrationNotNullWithoutDefault,
                        format!("adds NOT NULL column {table}.{name} without a server_default: the ALTER fails on a table that has rows"),
                    ));
                }
                if enabled(RuleId::MigrationTableRewrite)
                    && dialect == Some(Dialect::Postgresql)
                    && let Some(d) = default
                {
                    let text = m.text(d).to_ascii_lowercase();
                    if let Some(f) = VOLATILE.iter().find(|f| text.contains(*f)) {
                        out.push(at(
                            RuleId::MigrationTableRewrite,
                            format!("adds column {table}.{name} with the volatile default {}): PostgreSQL writes every row under an ACCESS EXCLUSIVE lock", f),
                        ).kind("volatile-default"));
                    }
                }
            }
            "alter_column" => {
                let Some(table) = up.existing(op.table.as_deref()) else {
                    continue;
                };
                let column = op.column.clone().unwrap_or_else(|| "?".into());
                let added_here = up.ops.iter().any(|o| {
                    o.name == "add_column"
                        && o.table.as_deref() == Some(&table)
                        && o.column.as_deref() == Some(&column)
                });
                if enabled(RuleId::MigrationNotNullWithoutDefault)
                    && op.sets_not_null
                    && !added_here
                    && !call.as_ref().is_some_and(|c| {
                        c.keyword("existing_nullable")
                            .is_some_and(|v| v.kind() == "false")
                    })
                    && !backfilled(m, up.function, op, &table)
                    && !downgrade_keeps_not_null(m, &table, &column, op.new_name.as_deref())
                {
                    out.push(at(
                        RuleId::MigrationNotNullWithoutDefault,
                        format!("sets {table}.{column} NOT NULL with no backfill in this migration: the ALTER fails if any row holds NULL"),
                    ).kind("set-not-null"));
                }
                if enabled(RuleId::MigrationTableRewrite)
                    && let (Some(d), Some(from), Some(to)) = (dialect, &op.type_from, &op.type_to)
                    && !added_here
                    && let Some(why) = rewrite_reason(d, from, to)
                {
                    out.push(
                        at(
                            RuleId::MigrationTableRewrite,
                            format!("changes the type of {table}.{column}: {why}"),
                        )
                        .kind("type-change"),
                    );
                }
                if enabled(RuleId::MigrationBreakingRename)
                    && let Some(new) = &op.new_name
                    && !added_here
                {
                    out.push(at(
                        RuleId::MigrationBreakingRename,
                        format!("renames column {table}.{column} to {new}: the code deployed before this migration still reads {column}"),
                    ).kind("column"));
                }
            }
            "create_index" | "drop_index" => {
                if !enabled(RuleId::MigrationBlockingIndex) || dialect != Some(Dialect::Postgresql)
                {
                    continue;
                }
                let table = op.table.as_deref();
                let fresh = table.is_some_and(|t| {
                    up.created.contains(t)
                        || (op.name == "drop_index"
                            && (up.later(op, "drop_table", t, None)
                                || up.later(op, "drop_column", t, None)))
                });
                if fresh || (op.name == "create_index" && table.is_none()) {
                    continue;
                }
                let concurrently = call
                    .as_ref()
                    .and_then(|c| c.keyword("postgresql_concurrently"))
                    .is_some_and(|v| v.kind() == "true");
                let index = op.constraint.clone().unwrap_or_else(|| "an index".into());
                let on = table.map(|t| format!(" on {t}")).unwrap_or_default();
                let verb = if op.name == "create_index" {
                    "builds"
                } else {
                    "drops"
                };
                if !concurrently {
                    out.push(at(
                        RuleId::MigrationBlockingIndex,
                        format!("{verb} index {index}{on} without postgresql_concurrently=True: writes to the table wait until it is done"),
                    ).kind("not-concurrent"));
                } else if !node.is_some_and(|n| in_autocommit_block(m, n)) {
                    out.push(at(
                        RuleId::MigrationBlockingIndex,
                        format!("{verb} index {index}{on} concurrently inside the migration's transaction: PostgreSQL refuses CONCURRENTLY there; wrap it in `with op.get_context().autocommit_block():`"),
                    ).kind("concurrently-in-transaction"));
                }
            }
            "rename_table" => {
                if let (true, Some(table), Some(new)) = (
                    enabled(RuleId::MigrationBreakingRename),
                    up.existing(op.table.as_deref()),
                    &op.new_name,
                ) {
                    out.push(at(
                        RuleId::MigrationBreakingRename,
                        format!("renames table {table} to {new}: the code deployed before this migration still queries {table}"),
                    ).kind("table"));
                }
            }
            "execute" => {
                if enabled(RuleId::MigrationBreakingRename)
                    && let Some(sql) = &op.sql
                    && let Some((table, what)) = sql_rename(sql)
                    && up.existing(Some(&table)).is_some()
                {
                    out.push(at(
                        RuleId::MigrationBreakingRename,
                        format!("renames {what} in SQL: the code deployed before this migration still uses the old name"),
                    ).kind("sql"));
                }
            }
            "drop_table" => {
                if let Some(t) = &op.table
                    && !up.later(op, "create_table", t, None)
                    && !up.ops.iter().any(|o| {
                        o.name == "rename_table"
                            && o.new_name.as_deref() == Some(t)
                            && o.position > op.position
                    })
                {
                    drops.push(Drop {
                        table: t.clone(),
                        column: None,
                        position: op.position,
                    });
                }
            }
            "drop_column" => {
                if let (Some(t), Some(c)) = (&op.table, &op.column)
                    && !up.later(op, "add_column", t, Some(c))
                    && !up.later(op, "drop_table", t, None)
                    && !up.ops.iter().any(|o| {
                        o.name == "alter_column"
                            && o.table.as_deref() == Some(t)
                            && o.new_name.as_deref() == Some(c)
                    })
                {
                    drops.push(Drop {
                        table: t.clone(),
                        column: Some(c.clone()),
                        position: op.position,
                    });
                }
            }
            _ => {}
        }
    }
    drops
}

/// Whether `node` runs inside `with op.get_context().autocommit_block():`.
fn in_autocommit_block(m: &Module, node: Node<'_>) -> bool {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        if p.kind() == "with_statement"
            && crate::python::named_children(p)
                .iter()
                .any(|c| c.kind() == "with_clause" && m.text(*c).contains("autocommit_block"))
        {
            return true;
        }
        cur = p;
    }
    false
}

/// Whether `upgrade()` fills the column's NULLs before `op` sets NOT NULL:
/// an UPDATE (SQL or `table.update()`) naming the table, or a call that
/// executes something naming it.
fn backfilled(m: &Module, function: Node<'_>, op: &Op, table: &str) -> bool {
    let table = table.to_ascii_lowercase();
    descendants(function)
        .filter(|n| n.kind() == "call" && m.position(*n).line < op.first_line)
        .any(|n| {
            let text = m.text(n).to_ascii_lowercase();
            ["update", "execute", "bulk_", "query"]
                .iter()
                .any(|k| text.contains(k))
                && text.contains(&table)
        })
}

/// Whether `downgrade()` restates `nullable=False` on the same column
/// (by its old or new name): it was NOT NULL before, and `upgrade()` only
/// repeats it next to a rename or a type change.
fn downgrade_keeps_not_null(m: &Module, table: &str, column: &str, new: Option<&str>) -> bool {
    function_ops(m, "downgrade")
        .unwrap_or_default()
        .iter()
        .any(|o| {
            o.name == "alter_column"
                && o.sets_not_null
                && o.table.as_deref() == Some(table)
                && (o.column.as_deref() == Some(column)
                    || (new.is_some() && o.column.as_deref() == new))
        })
}

/// `ALTER TABLE t RENAME [COLUMN] a TO b` / `ALTER TABLE a RENAME TO b`:
/// the table and what is renamed (constraints and indexes are not the
/// code's business).
fn sql_rename(sql: &str) -> Option<(String, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?i)\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?"?([\w.]+)"?\s+rename\s+(?:(column)\s+)?("?\w+"?\s+)?to\s+"?(\w+)"?"#)
            .expect("valid regex")
    });
    let c = re.captures(sql)?;
    let table = c.get(1)?.as_str().rsplit('.').next()?.to_string();
    let new = c.get(4)?.as_str();
    match c.get(3) {
        Some(old) => {
            let old = old.as_str().trim().trim_matches('"');
            if old.eq_ignore_ascii_case("constraint") {
                return None;
            }
            Some((table.clone(), format!("column {table}.{old} to {new}")))
        }
        None if c.get(2).is_none() => Some((table.clone(), format!("table {table} to {new}"))),
        None => None,
    }
}
