//! The operations a migration's `upgrade()` or `downgrade()` performs:
//! `op.create_table`, `op.drop_column`, `op.alter_column`, ... and their
//! batch forms inside `with op.batch_alter_table("t") as batch_op:`, with
//! the table, column and constraint names they act on.
//!
//! The rules that compare a migration with itself (destructive operations,
//! asymmetric downgrades) and with the models (which tables a new
//! migration touches) read this. Names are read when they are string
//! literals (or `op.f("...")`); anything else is `None`.

use tree_sitter::Node;

use crate::python::{Call, Module, Position, descendants};

/// One `op.*` (or `batch_op.*`) call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// The operation name: `create_table`, `drop_column`, ... (the same
    /// for batch and plain forms).
    pub name: String,
    /// The table it acts on (the batch table for batch operations).
    pub table: Option<String>,
    /// The column (`add_column`, `drop_column`, `alter_column`).
    pub column: Option<String>,
    /// The index or constraint name (`create_index`, `drop_constraint`,
    /// `create_foreign_key`, ...).
    pub constraint: Option<String>,
    /// `alter_column(..., type_=...)`.
    pub changes_type: bool,
    /// `alter_column(..., nullable=False)`.
    pub sets_not_null: bool,
    /// `alter_column(..., new_column_name=...)`, `rename_table`'s new name.
    pub new_name: Option<String>,
    /// Inside `batch_alter_table`.
    pub batch: bool,
    /// The line of the `with op.batch_alter_table(...)` statement.
    pub batch_line: Option<u32>,
    /// Where the call starts.
    pub position: Position,
    /// First and last line of the statement holding the call.
    pub first_line: u32,
    pub last_line: u32,
    /// The literal SQL of `op.execute("...")`.
    pub sql: Option<String>,
    /// The table's columns a constraint or an index is on
    /// (`create_foreign_key`'s local columns, `create_index`'s columns),
    /// when they are string literals.
    pub columns: Vec<String>,
    /// The constraint or index name is the literal `None` (Alembic cannot
    /// drop a constraint it cannot name).
    pub none_name: bool,
    /// `alter_column`'s `existing_type=` and `type_=`, as written.
    pub type_from: Option<String>,
    pub type_to: Option<String>,
}

/// The operations of a function (`upgrade`, `downgrade`) in source order,
/// or `None` when the module has no such function.
pub fn function_ops(m: &Module, function: &str) -> Option<Vec<Op>> {
    let f = m.function(function)?;
    Some(ops_in(m, f))
}

/// The operations anywhere inside `node`.
pub fn ops_in(m: &Module, node: Node<'_>) -> Vec<Op> {
    // `with op.batch_alter_table("t") as batch_op:` blocks: variable,
    // table, and the byte range where the variable means that table.
    let mut batches: Vec<Batch> = Vec::new();
    for n in descendants(node) {
        if n.kind() != "with_statement" {
            continue;
        }
        let mut cursor = n.walk();
        let Some(clause) = n
            .named_children(&mut cursor)
            .find(|c| c.kind() == "with_clause")
        else {
            continue;
        };
        for item in crate::python::named_children(clause) {
            let Some(value) = item.child_by_field_name("value") else {
                continue;
            };
            if value.kind() != "as_pattern" {
                continue;
            }
            let (Some(call), Some(alias)) = (
                value.named_child(0).and_then(|c| m.call(c)),
                value.child_by_field_name("alias"),
            ) else {
                continue;
            };
            if call.short_name() != Some("batch_alter_table") {
                continue;
            }
            let table = call
                .positional
                .first()
                .copied()
                .or(call.keyword("table_name"))
                .and_then(|t| name_of(m, t));
            batches.push(Batch {
                var: m.text(alias).trim().to_string(),
                table,
                start: n.start_byte(),
                end: n.end_byte(),
                line: m.position(n).line,
            });
        }
    }
    let mut out = Vec::new();
    for n in descendants(node) {
        let Some(call) = m.call(n) else { continue };
        if call.function.kind() != "attribute" {
            continue;
        }
        let Some(object) = call.function.child_by_field_name("object") else {
            continue;
        };
        let object_name = m.dotted_name(object).unwrap_or_default();
        let batch = batches
            .iter()
            .filter(|b| b.var == object_name && (b.start..b.end).contains(&n.start_byte()))
            .min_by_key(|b| b.end - b.start);
        let is_op = object_name == "op" || object_name.ends_with(".op");
        if !is_op && batch.is_none() {
            continue;
        }
        let Some(name) = call.short_name() else {
            continue;
        };
        if let Some(op) = read_op(m, n, name, &call, batch) {
            out.push(op);
        }
    }
    out
}

/// A `with op.batch_alter_table("t") as var:` block.
struct Batch {
    var: String,
    table: Option<String>,
    start: usize,
    end: usize,
    line: u32,
}

/// A table, column or constraint name: a string literal or `op.f("...")`.
fn name_of(m: &Module, node: Node<'_>) -> Option<String> {
    if let Some(s) = m.string_value(node) {
        return Some(s);
    }
    let call = m.call(node)?;
    if call.short_name() == Some("f") && call.positional.len() == 1 {
        return m.string_value(call.positional[0]);
    }
    None
}

/// The statement that holds `node` (for its line span).
fn statement_of(node: Node<'_>) -> Node<'_> {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        if cur.kind().ends_with("statement") || p.kind() == "block" {
            return cur;
        }
        cur = p;
    }
    cur
}

fn read_op(
    m: &Module,
    node: Node<'_>,
    name: &str,
    call: &Call<'_>,
    batch: Option<&Batch>,
) -> Option<Op> {
    const KNOWN: &[&str] = &[
        "create_table",
        "drop_table",
        "rename_table",
        "add_column",
        "drop_column",
        "alter_column",
        "create_index",
        "drop_index",
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
        "create_primary_key",
        "create_exclude_constraint",
        "drop_constraint",
        "execute",
        "bulk_insert",
        "create_table_comment",
        "drop_table_comment",
    ];
    if !KNOWN.contains(&name) {
        return None;
    }
    let is_batch = batch.is_some();
    // Batch forms drop the table argument: shift positions by one.
    let shift = usize::from(is_batch);
    let pos = |i: usize| -> Option<Node<'_>> {
        if is_batch && i == 0 {
            return None;
        }
        call.positional.get(i - shift.min(i)).copied()
    };
    let kw = |k: &str| call.keyword(k);
    let str_at = |i: usize, k: &str| pos(i).or(kw(k)).and_then(|n| name_of(m, n));
    let stmt = statement_of(node);
    let mut op = Op {
        name: name.to_string(),
        table: batch.and_then(|b| b.table.clone()),
        column: None,
        constraint: None,
        changes_type: false,
        sets_not_null: false,
        new_name: None,
        batch: is_batch,
        batch_line: batch.map(|b| b.line),
        position: m.position(node),
        first_line: stmt.start_position().row as u32 + 1,
        last_line: stmt.end_position().row as u32 + 1,
        sql: None,
        type_from: None,
        type_to: None,
        columns: Vec::new(),
        none_name: false,
    };
    match name {
        "create_table" | "drop_table" | "create_table_comment" | "drop_table_comment" => {
            op.table = str_at(0, "table_name").or(op.table);
        }
        "rename_table" => {
            op.table = str_at(0, "old_table_name");
            op.new_name = str_at(1, "new_table_name");
        }
        "bulk_insert" => {
            op.table = call.positional.first().and_then(|t| {
                // bulk_insert(sa.table("name", ...), rows)
                m.call(*t)
                    .and_then(|c| c.positional.first().and_then(|n| m.string_value(*n)))
            });
        }
        "add_column" => {
            if !is_batch {
                op.table = str_at(0, "table_name");
            }
            op.column = pos(1).or(kw("column")).and_then(|c| {
                let col = m.call(c)?;
                col.positional
                    .first()
                    .and_then(|n| m.string_value(*n))
                    .or_else(|| col.keyword("name").and_then(|n| m.string_value(n)))
            });
        }
        "drop_column" | "alter_column" => {
            if !is_batch {
                op.table = str_at(0, "table_name");
            }
            op.column = str_at(1, "column_name");
            if name == "alter_column" {
                op.changes_type = kw("type_").is_some();
                op.type_from = kw("existing_type").map(|n| m.text(n).to_string());
                op.type_to = kw("type_").map(|n| m.text(n).to_string());
                op.sets_not_null = kw("nullable").is_some_and(|v| v.kind() == "false");
                op.new_name = kw("new_column_name").and_then(|n| name_of(m, n));
            }
        }
        "create_index" => {
            // create_index(name, table, columns) / batch: (name, columns).
            op.constraint = call
                .positional
                .first()
                .copied()
                .or(kw("index_name"))
                .and_then(|n| name_of(m, n));
            if !is_batch {
                op.table = call
                    .positional
                    .get(1)
                    .copied()
                    .or(kw("table_name"))
                    .and_then(|n| name_of(m, n));
            }
        }
        "drop_index" => {
            op.constraint = call
                .positional
                .first()
                .copied()
                .or(kw("index_name"))
                .and_then(|n| name_of(m, n));
            if !is_batch {
                op.table = call
                    .positional
                    .get(1)
                    .copied()
                    .or(kw("table_name"))
                    .and_then(|n| name_of(m, n));
            }
        }
        "create_foreign_key"
        | "create_unique_constraint"
        | "create_check_constraint"
        | "create_primary_key"
        | "create_exclude_constraint"
        | "drop_constraint" => {
            op.constraint = call
                .positional
                .first()
                .copied()
                .or(kw("constraint_name"))
                .and_then(|n| name_of(m, n));
            if !is_batch {
                let key = if name == "create_foreign_key" {
                    "source_table"
                } else {
                    "table_name"
                };
                op.table = call
                    .positional
                    .get(1)
                    .copied()
                    .or(kw(key))
                    .and_then(|n| name_of(m, n));
            }
        }
        _ => {}
    }
    if matches!(
        name,
        "create_foreign_key"
            | "create_unique_constraint"
            | "create_primary_key"
            | "create_index"
            | "drop_constraint"
            | "drop_index"
    ) {
        op.none_name = call
            .positional
            .first()
            .copied()
            .or(kw("constraint_name"))
            .or(kw("index_name"))
            .is_some_and(|n| n.kind() == "none");
        let (index, key) = match name {
            "create_foreign_key" => (3, "local_cols"),
            _ => (2, "columns"),
        };
        let index = index - usize::from(is_batch);
        if let Some(list) = call.positional.get(index).copied().or(kw(key)) {
            op.columns = crate::python::named_children(list)
                .into_iter()
                .filter_map(|n| m.string_value(n))
                .collect();
        }
    }
    if name == "execute" {
        op.sql = call
            .positional
            .first()
            .copied()
            .or(kw("sqltext"))
            .and_then(|s| {
                m.string_value(s).or_else(|| {
                    // op.execute(sa.text("..."))
                    m.call(s)
                        .and_then(|c| c.positional.first().and_then(|n| m.string_value(*n)))
                })
            });
    }
    Some(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(src: &str, f: &str) -> Vec<Op> {
        let m = Module::parse(src.as_bytes()).unwrap();
        function_ops(&m, f).unwrap()
    }

    #[test]
    fn plain_and_batch_operations_with_their_names() {
        let src = "def upgrade():\n    op.create_table('orders', sa.Column('id', sa.Integer()))\n    op.add_column('users', sa.Column('email', sa.String(255)))\n    with op.batch_alter_table('users', schema=None) as batch_op:\n        batch_op.drop_column('legacy')\n        batch_op.alter_column('name', existing_type=sa.String(50), type_=sa.String(100), nullable=False)\n        batch_op.create_index(batch_op.f('ix_users_email'), ['email'], unique=True)\n    op.create_foreign_key('fk_o_u', 'orders', 'users', ['user_id'], ['id'])\n    op.drop_constraint(op.f('uq_x'), 'users', type_='unique')\n    op.execute('UPDATE users SET x = 1')\n    print('not an op')\n";
        let got: Vec<_> = ops(src, "upgrade")
            .into_iter()
            .map(|o| {
                (
                    o.name,
                    o.table,
                    o.column.or(o.constraint),
                    o.batch,
                    o.changes_type,
                    o.sets_not_null,
                )
            })
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            [
                (
                    "create_table".into(),
                    s("orders"),
                    None,
                    false,
                    false,
                    false
                ),
                (
                    "add_column".into(),
                    s("users"),
                    s("email"),
                    false,
                    false,
                    false
                ),
                (
                    "drop_column".into(),
                    s("users"),
                    s("legacy"),
                    true,
                    false,
                    false
                ),
                (
                    "alter_column".into(),
                    s("users"),
                    s("name"),
                    true,
                    true,
                    true
                ),
                (
                    "create_index".into(),
                    s("users"),
                    s("ix_users_email"),
                    true,
                    false,
                    false
                ),
                (
                    "create_foreign_key".into(),
                    s("orders"),
                    s("fk_o_u"),
                    false,
                    false,
                    false
                ),
                (
                    "drop_constraint".into(),
                    s("users"),
                    s("uq_x"),
                    false,
                    false,
                    false
                ),
                ("execute".into(), None, None, false, false, false),
            ]
        );
    }

    #[test]
    fn statement_lines_span_multi_line_calls() {
        let src =
            "def upgrade():\n    op.drop_column(\n        'users',\n        'legacy',\n    )\n";
        let o = &ops(src, "upgrade")[0];
        assert_eq!((o.first_line, o.last_line, o.position.line), (2, 5, 2));
    }

    #[test]
    fn keyword_forms_are_read() {
        let src = "def downgrade():\n    op.drop_index(index_name='ix_a', table_name='a')\n    op.drop_column(table_name='t', column_name='c')\n";
        let got: Vec<_> = ops(src, "downgrade")
            .into_iter()
            .map(|o| (o.table, o.column.or(o.constraint)))
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(got, [(s("a"), s("ix_a")), (s("t"), s("c"))]);
    }
}
