//! Rules about what a migration's operations do: `migration-edited` (a
//! committed migration is rewritten), `migration-undocumented-destructive`
//! (a drop or type change nobody explained) and `downgrade-asymmetric`
//! (`downgrade()` forgets to undo something `upgrade()` does).
//!
//! They run once per change set on the migrations the change adds or
//! modifies (every migration with `--all`), found through the Alembic
//! environments of the state being checked (`src/alembic/`).

use std::collections::HashMap;

use super::migration_files::{MigrationFile, family_runs, migration_files};
use super::{Context, Rule, RuleId};
use crate::alembic::ops::{Op, function_ops};
use crate::alembic::parse::classify;
use crate::alembic::{Body, Migration};
use crate::changes::{BlobRef, Change, Mode, Status};
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::finding::Finding;
use crate::python::Module;

/// The migration-operation family.
pub struct MigrationOps;

const IDS: &[RuleId] = &[
    RuleId::MigrationEdited,
    RuleId::MigrationUndocumentedDestructive,
    RuleId::DowngradeAsymmetric,
];

impl Rule for MigrationOps {
    fn ids(&self) -> &'static [RuleId] {
        IDS
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
        if !family_runs(ctx, IDS) {
            return Ok(());
        }
        let Some((snapshot, envs)) = ctx.environments_if_any()? else {
            return Ok(());
        };
        let limit = ctx.config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
        for MigrationFile {
            path, blob, change, ..
        } in migration_files(ctx, &snapshot, envs)
        {
            let Some(bytes) = ctx.reader.read(blob, limit)? else {
                continue;
            };
            if let Some(change) = change
                && (ctx.enabled)(RuleId::MigrationEdited)
            {
                edited(ctx, change, &bytes, limit, out)?;
            }
            let Some(m) = Module::parse(&bytes) else {
                continue;
            };
            // A file with syntax errors is migration-parse-error's; its
            // operations may be misread, so nothing is said about them.
            if m.has_errors() {
                continue;
            }
            let mut found = Vec::new();
            if (ctx.enabled)(RuleId::MigrationUndocumentedDestructive) {
                super::destructive::destructive(&m, path, &mut found);
            }
            if (ctx.enabled)(RuleId::DowngradeAsymmetric) {
                asymmetric(&m, path, &mut found);
            }
            // `# dbguard: allow RULE` on the operation's line or above.
            found.retain(|f| {
                f.line
                    .is_none_or(|l| !crate::suppress::is_suppressed(&bytes, l, f.rule))
            });
            out.extend(found);
        }
        Ok(())
    }
}

/// `migration-edited`: the change modifies a migration that is already
/// committed: in HEAD (staged mode), or before the range starts (range
/// mode: editing a migration the same unmerged branch added is fine, it
/// has run nowhere yet). A pure rename is fine.
fn edited(
    ctx: &Context<'_>,
    change: &Change,
    new: &[u8],
    limit: u64,
    out: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    if !matches!(
        change.status,
        Status::Modified | Status::Renamed | Status::TypeChanged
    ) {
        return Ok(());
    }
    let Some(old_blob) = &change.old else {
        return Ok(());
    };
    if ctx.set.mode == Mode::Range {
        let old_path = change.old_path.as_deref().unwrap_or(&change.path);
        let existed = match &ctx.set.before_range {
            Some(base) => base.get()?.get(old_path).is_some(),
            None => false,
        };
        if !existed {
            return Ok(());
        }
    }
    if let (Some(a), Some(b)) = (
        old_blob.object_id(),
        change.new.as_ref().and_then(BlobRef::object_id),
    ) && a == b
    {
        return Ok(());
    }
    let Some(old) = ctx.reader.read(old_blob, limit)? else {
        return Ok(());
    };
    if old == new {
        return Ok(());
    }
    let first_diff = old
        .split(|b| *b == b'\n')
        .zip(new.split(|b| *b == b'\n'))
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| {
            old.split(|b| *b == b'\n')
                .count()
                .min(new.split(|b| *b == b'\n').count())
        });
    let migration = Migration::parse(new, crate::changes::file_name(&change.path));
    let rev = migration
        .revision
        .known()
        .map(|r| format!("migration {r}"))
        .unwrap_or_else(|| "this migration".into());
    let was = match ctx.set.mode {
        Mode::Range => "existed before the checked range".to_string(),
        _ => "is already committed (it is in HEAD)".to_string(),
    };
    let from = change
        .old_path
        .as_deref()
        .filter(|p| *p != change.path)
        .map(|p| format!(" (renamed from {p})"))
        .unwrap_or_default();
    out.push(
        Finding::new(
            RuleId::MigrationEdited,
            &change.path,
            format!(
                "{rev} {was}{from} and is modified: databases that already ran it will not run the new version"
            ),
        )
        .at_line(first_diff as u32 + 1)
        .hint("revert the edit and put the change in a new migration (`alembic revision -m \"...\"`)"),
    );
    Ok(())
}

/// Comment text by line, and which lines hold only a comment.
pub(super) struct Comments {
    by_line: HashMap<u32, (String, bool)>,
}

/// Comments Alembic's template writes into every autogenerated migration;
/// they explain nothing.
fn boilerplate(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("auto generated by alembic") || t.contains("end alembic commands")
}

impl Comments {
    /// The comments of `m`, without Alembic's template lines.
    pub(super) fn of(m: &Module) -> Comments {
        let mut by_line = HashMap::new();
        for c in m.comments() {
            let text = m.text(c).trim_start_matches('#').trim().to_string();
            if text.is_empty() || boilerplate(&text) {
                continue;
            }
            let line = c.start_position().row as u32 + 1;
            let line_start = c.start_byte() - c.start_position().column;
            let own_line = m
                .source()
                .get(line_start..c.start_byte())
                .is_some_and(|s| s.trim().is_empty());
            by_line.insert(line, (text, own_line));
        }
        Comments { by_line }
    }

    /// Whether `line` holds only a comment that says something (not one
    /// of Alembic's template lines).
    pub(super) fn is_documenting(&self, line: u32) -> bool {
        self.by_line.get(&line).is_some_and(|(_, own)| *own)
    }

    /// Comments on lines `first..=last` (the statement's own lines).
    pub(super) fn on(&self, first: u32, last: u32) -> Vec<&str> {
        (first..=last)
            .filter_map(|l| self.by_line.get(&l).map(|(t, _)| t.as_str()))
            .collect()
    }
}

/// Whether `text` mentions `name` as a whole word (case-insensitive;
/// letters, digits and `_` make up words).
pub fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    let name = name.to_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(&name).any(|(i, _)| {
        !word(text[..i].chars().next_back()) && !word(text[i + name.len()..].chars().next())
    })
}

/// Whether two constraint or index names are the same object: equal, or
/// one is the other under a naming convention (`valid_x` created through
/// `op.f`-less code, `ck_orders_valid_x` dropped).
fn same_object(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long
        || (["ck_", "fk_", "uq_", "ix_", "pk_"]
            .iter()
            .any(|p| long.starts_with(p))
            && long.ends_with(&format!("_{short}")))
}

/// A test that tells whether a `downgrade()` operation undoes an
/// `upgrade()` one.
type Undoes<'a> = Box<dyn Fn(&Op) -> bool + 'a>;

/// The operation(s) in `downgrade()` that undo `op`, as a test, and how
/// to say what is missing. `None` for operations with no inverse to check.
fn inverse(op: &Op) -> Option<(Undoes<'_>, String)> {
    let t = op.table.clone()?;
    let same_table = move |o: &Op| o.table.as_deref() == Some(t.as_str());
    let name = op.name.as_str();
    Some(match name {
        "create_table" => (
            Box::new(move |o: &Op| o.name == "drop_table" && same_table(o)),
            format!(
                "creates table {} but downgrade() does not drop it",
                op.table.as_deref()?
            ),
        ),
        "drop_table" => (
            Box::new(move |o: &Op| o.name == "create_table" && same_table(o)),
            format!(
                "drops table {} but downgrade() does not create it again",
                op.table.as_deref()?
            ),
        ),
        "add_column" | "drop_column" => {
            let c = op.column.clone()?;
            let want = if name == "add_column" {
                "drop_column"
            } else {
                "add_column"
            };
            let text = if name == "add_column" {
                format!(
                    "adds column {}.{c} but downgrade() does not drop it",
                    op.table.as_deref()?
                )
            } else {
                format!(
                    "drops column {}.{c} but downgrade() does not add it back",
                    op.table.as_deref()?
                )
            };
            (
                Box::new(move |o: &Op| {
                    o.name == want && same_table(o) && o.column.as_deref() == Some(c.as_str())
                }),
                text,
            )
        }
        "create_index" | "drop_index" => {
            let i = op.constraint.clone()?;
            let want = if name == "create_index" {
                "drop_index"
            } else {
                "create_index"
            };
            let text = if name == "create_index" {
                format!("creates index {i} but downgrade() does not drop it")
            } else {
                format!("drops index {i} but downgrade() does not create it again")
            };
            (
                Box::new(move |o: &Op| {
                    o.name == want && o.constraint.as_deref().is_some_and(|c| same_object(c, &i))
                }),
                text,
            )
        }
        "create_foreign_key"
        | "create_unique_constraint"
        | "create_check_constraint"
        | "create_primary_key"
        | "create_exclude_constraint" => {
            let n = op.constraint.clone();
            let text = match &n {
                Some(n) => format!(
                    "creates constraint {n} on {} but downgrade() does not drop it",
                    op.table.as_deref()?
                ),
                None => format!(
                    "creates an unnamed constraint on {} but downgrade() drops no constraint there",
                    op.table.as_deref()?
                ),
            };
            (
                Box::new(move |o: &Op| {
                    o.name == "drop_constraint"
                        && match &n {
                            Some(n) => o.constraint.as_deref().is_some_and(|c| same_object(c, n)),
                            None => same_table(o),
                        }
                }),
                text,
            )
        }
        "drop_constraint" => {
            let n = op.constraint.clone()?;
            let text = format!(
                "drops constraint {n} on {} but downgrade() does not create it again",
                op.table.as_deref()?
            );
            (
                // A constraint created again on the same table, under
                // its name or another (dialect-specific names such as
                // `x_ibfk_1` come back under the naming convention's).
                Box::new(move |o: &Op| {
                    o.name.starts_with("create_")
                        && o.name != "create_table"
                        && o.name != "create_index"
                        && (o.constraint.as_deref().is_some_and(|c| same_object(c, &n))
                            || same_table(o))
                }),
                text,
            )
        }
        "rename_table" => {
            let new = op.new_name.clone()?;
            let old = op.table.clone()?;
            let text =
                format!("renames table {old} to {new} but downgrade() does not rename it back");
            (
                Box::new(move |o: &Op| {
                    o.name == "rename_table"
                        && o.table.as_deref() == Some(new.as_str())
                        && o.new_name.as_deref() == Some(old.as_str())
                }),
                text,
            )
        }
        _ => return None,
    })
}

/// `op` as it stands after the renames that `later` operations of
/// `upgrade()` make (`rename_table`, `alter_column(...,
/// new_column_name=...)`), or `None` when nothing renames it.
fn renamed(op: &Op, later: &[Op]) -> Option<Op> {
    let mut out = op.clone();
    let mut changed = false;
    for l in later {
        match l.name.as_str() {
            "rename_table" if l.table.is_some() && l.table == out.table => {
                out.table = l.new_name.clone();
                changed = true;
            }
            "alter_column"
                if l.new_name.is_some()
                    && l.table == out.table
                    && out.column.is_some()
                    && l.column == out.column =>
            {
                out.column = l.new_name.clone();
                changed = true;
            }
            _ => {}
        }
    }
    changed.then_some(out)
}

/// `downgrade-asymmetric` on one migration.
fn asymmetric(m: &Module, path: &str, out: &mut Vec<Finding>) {
    let Some(down_fn) = m.function("downgrade") else {
        return;
    };
    let Some(body) = down_fn.child_by_field_name("body") else {
        return;
    };
    if classify(body) != Body::Work {
        return;
    }
    let (Some(up), Some(down)) = (function_ops(m, "upgrade"), function_ops(m, "downgrade")) else {
        return;
    };
    // A downgrade that calls helpers instead of `op` cannot be judged.
    if down.is_empty() {
        return;
    }
    let dropped_tables: Vec<&str> = down
        .iter()
        .filter(|o| o.name == "drop_table")
        .filter_map(|o| o.table.as_deref())
        .collect();
    let created_tables: Vec<&str> = up
        .iter()
        .filter(|o| o.name == "create_table")
        .filter_map(|o| o.table.as_deref())
        .collect();
    let mut sql: Vec<Option<String>> = down
        .iter()
        .filter(|o| o.name == "execute")
        .map(|o| o.sql.clone())
        .collect();
    // SQL run through a connection (`conn.execute(sa.text("..."))`) is
    // read too; `op.execute` is already in `down`.
    for n in crate::python::descendants(down_fn) {
        if let Some(call) = m.call(n)
            && matches!(call.short_name(), Some("execute" | "exec_driver_sql"))
            && call.name.as_deref() != Some("op.execute")
            && !call
                .name
                .as_deref()
                .is_some_and(|c| c.ends_with(".op.execute"))
            && let Some(arg) = call.positional.first()
        {
            sql.push(crate::alembic::effect::sql_of(m, *arg));
        }
    }
    let sql: Vec<Option<&str>> = sql.iter().map(Option::as_deref).collect();
    let unreadable_sql = sql.iter().any(Option::is_none);
    // `op.drop_constraint(None, ...)` (what autogenerate writes for an
    // unnamed constraint) fails when the downgrade runs.
    let unnamed: Vec<&Op> = down
        .iter()
        .filter(|o| o.name == "drop_constraint" && o.none_name)
        .collect();
    if let Some(first) = unnamed.first() {
        let table = first.table.as_deref().unwrap_or("?");
        let more = match unnamed.len() {
            1 => String::new(),
            n => format!(" ({n} such calls)"),
        };
        let text = format!(
            "downgrade() calls drop_constraint(None, \"{table}\"){more}, which cannot run: Alembic needs the constraint's name"
        );
        out.push(
            Finding::new(RuleId::DowngradeAsymmetric, path, text.clone())
                .at(first.position.line, first.position.column)
                .fingerprint(text),
        );
    }
    // A dropped column takes its constraints and indexes with it.
    let dropped_columns: Vec<(&str, &str)> = down
        .iter()
        .filter(|o| o.name == "drop_column")
        .filter_map(|o| Some((o.table.as_deref()?, o.column.as_deref()?)))
        .collect();
    // A column replaced inside upgrade(): `add_column(t, "_c")`, then
    // `drop_column(t, "c")` and `alter_column(t, "_c",
    // new_column_name="c")`: the table keeps a column `c`, so neither the
    // added `_c` nor the dropped `c` is left for downgrade() to undo.
    let mut replaced: Vec<(&str, &str)> = Vec::new();
    for r in up.iter().filter(|o| o.name == "alter_column") {
        if let (Some(t), Some(from), Some(to)) = (
            r.table.as_deref(),
            r.column.as_deref(),
            r.new_name.as_deref(),
        ) && up.iter().any(|o| {
            o.name == "drop_column"
                && o.table.as_deref() == Some(t)
                && o.column.as_deref() == Some(to)
        }) {
            replaced.push((t, from));
            replaced.push((t, to));
        }
    }
    for (i, op) in up.iter().enumerate() {
        if matches!(op.name.as_str(), "add_column" | "drop_column")
            && let (Some(t), Some(c)) = (op.table.as_deref(), op.column.as_deref())
            && replaced.contains(&(t, c))
        {
            continue;
        }
        if !op.columns.is_empty()
            && op.name != "drop_constraint"
            && op.name != "drop_index"
            && let Some(t) = op.table.as_deref()
            && op
                .columns
                .iter()
                .all(|c| dropped_columns.contains(&(t, c.as_str())))
        {
            continue;
        }
        // The unnamed-drop finding above already says what is wrong.
        if op.name.starts_with("create_") && op.none_name && !unnamed.is_empty() {
            continue;
        }
        let Some((undone, missing)) = inverse(op) else {
            continue;
        };
        if down.iter().any(&undone) {
            continue;
        }
        // Created and dropped again inside upgrade() (a scratch table, a
        // column dropped and re-added): nothing is left to undo. Tables,
        // columns and indexes only: a constraint's inverse matches any
        // constraint created on the table, which upgrade() itself may do.
        let by_name = matches!(
            op.name.as_str(),
            "create_table"
                | "drop_table"
                | "add_column"
                | "drop_column"
                | "create_index"
                | "drop_index"
        );
        if by_name && up.iter().enumerate().any(|(j, o)| j != i && undone(o)) {
            continue;
        }
        // A table upgrade() creates, then renames, and downgrade() drops
        // under its new name: the drop undoes the rename too.
        if op.name == "rename_table"
            && op
                .table
                .as_deref()
                .is_some_and(|t| created_tables.contains(&t))
            && op
                .new_name
                .as_deref()
                .is_some_and(|t| dropped_tables.contains(&t))
        {
            continue;
        }
        // Renamed later in upgrade(): downgrade() undoes it under its new
        // name.
        if let Some(moved) = renamed(op, &up[i + 1..])
            && let Some((undone_moved, _)) = inverse(&moved)
            && down.iter().any(&undone_moved)
        {
            continue;
        }
        let table = op.table.as_deref().unwrap_or("");
        // Dropping a table the upgrade created undoes what was done to it.
        if op.name != "create_table"
            && created_tables.contains(&table)
            && dropped_tables.contains(&table)
        {
            continue;
        }
        // Raw SQL in downgrade() that names the table may be the inverse.
        if unreadable_sql || sql.iter().flatten().any(|s| mentions(s, table)) {
            continue;
        }
        out.push(
            Finding::new(
                RuleId::DowngradeAsymmetric,
                path,
                format!("upgrade() {missing}"),
            )
            .at(op.position.line, op.position.column)
            .fingerprint(missing.clone()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::destructive::destructive;
    use super::*;

    fn run(src: &str, f: fn(&Module, &str, &mut Vec<Finding>)) -> Vec<String> {
        let m = Module::parse(src.as_bytes()).unwrap();
        let mut out = Vec::new();
        f(&m, "m.py", &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn comments_and_docstrings_document() {
        for src in [
            "def upgrade():\n    # legacy was copied to profiles in 3f2a; nothing reads it\n    op.drop_column('users', 'legacy')\n",
            "def upgrade():\n    op.drop_column('users', 'legacy')  # moved to profiles\n",
            "def upgrade():\n    op.drop_column(\n        'users',\n        'legacy',  # moved to profiles\n    )\n",
            "\"\"\"Drop users.legacy: it moved to profiles.\n\nRevision ID: a\n\"\"\"\ndef upgrade():\n    op.drop_column('users', 'legacy')\n",
            "def upgrade():\n    \"\"\"The legacy column is dead data.\"\"\"\n    op.drop_column('users', 'legacy')\n",
            "def upgrade():\n    # drop legacy from users, see ADR-12\n    with op.batch_alter_table('users') as batch_op:\n        batch_op.drop_column('legacy')\n",
        ] {
            assert!(run(src, destructive).is_empty(), "{src}");
        }
        // A docstring that names neither the table nor the column does not.
        let src = "\"\"\"cleanup\"\"\"\ndef upgrade():\n    op.drop_column('users', 'legacy')\n";
        assert_eq!(run(src, destructive).len(), 1);
        // A comment separated by a blank line is not directly above.
        let src = "def upgrade():\n    # something else\n\n    op.drop_column('users', 'legacy')\n";
        assert_eq!(run(src, destructive).len(), 1);
    }

    const SYMMETRIC: &str = "def upgrade():\n    op.create_table('orders', sa.Column('id', sa.Integer()))\n    op.create_index(op.f('ix_orders_id'), 'orders', ['id'])\n    op.add_column('users', sa.Column('email', sa.String()))\n    op.create_foreign_key('fk_a', 'orders', 'users', ['uid'], ['id'])\n    op.drop_column('users', 'legacy')\n\ndef downgrade():\n    op.add_column('users', sa.Column('legacy', sa.Text()))\n    op.drop_constraint('fk_a', 'orders', type_='foreignkey')\n    op.drop_column('users', 'email')\n    op.drop_index(op.f('ix_orders_id'), table_name='orders')\n    op.drop_table('orders')\n";

    #[test]
    fn an_allow_comment_is_honoured_through_the_engine_path() {
        let src = b"def upgrade():\n    op.add_column('t', sa.Column('x', sa.Integer()))  # dbguard: allow downgrade-asymmetric\n\ndef downgrade():\n    op.drop_index('ix')\n";
        let m = Module::parse(src).unwrap();
        let mut found = Vec::new();
        asymmetric(&m, "m.py", &mut found);
        assert_eq!(found.len(), 1);
        assert!(crate::suppress::is_suppressed(
            src,
            found[0].line.unwrap(),
            found[0].rule
        ));
    }

    #[test]
    fn mentions_whole_words_only() {
        assert!(mentions("Drop users.legacy now", "legacy"));
        assert!(mentions("LEGACY", "legacy"));
        assert!(!mentions("legacy_flag", "legacy"));
        assert!(!mentions("the users table", "user"));
        assert!(!mentions("anything", ""));
    }

    #[test]
    fn symmetric_downgrade_passes() {
        assert!(run(SYMMETRIC, asymmetric).is_empty());
    }

    #[test]
    fn missing_inverses_are_found() {
        let src = SYMMETRIC.replace("    op.drop_column('users', 'email')\n", "");
        assert_eq!(
            run(&src, asymmetric),
            ["upgrade() adds column users.email but downgrade() does not drop it"]
        );
        let src = SYMMETRIC.replace("    op.drop_table('orders')\n", "");
        assert_eq!(
            run(&src, asymmetric),
            ["upgrade() creates table orders but downgrade() does not drop it"]
        );
        let src = SYMMETRIC.replace(
            "    op.add_column('users', sa.Column('legacy', sa.Text()))\n",
            "",
        );
        assert_eq!(
            run(&src, asymmetric),
            ["upgrade() drops column users.legacy but downgrade() does not add it back"]
        );
        let src = "def upgrade():\n    with op.batch_alter_table('users') as b:\n        b.add_column(sa.Column('x', sa.Integer()))\n        b.create_index('ix_x', ['x'])\n\ndef downgrade():\n    with op.batch_alter_table('users') as b:\n        b.drop_index('ix_x')\n";
        assert_eq!(
            run(src, asymmetric),
            ["upgrade() adds column users.x but downgrade() does not drop it"]
        );
    }

    #[test]
    fn irreversible_empty_missing_and_delegated_downgrades_are_not_judged() {
        let up = "def upgrade():\n    op.add_column('users', sa.Column('x', sa.Integer()))\n";
        for down in [
            "",
            "def downgrade():\n    pass\n",
            "def downgrade():\n    raise NotImplementedError('one way')\n",
            "def downgrade():\n    _undo_everything()\n",
            "def downgrade():\n    op.execute('ALTER TABLE users DROP COLUMN x')\n",
        ] {
            assert!(run(&format!("{up}{down}"), asymmetric).is_empty(), "{down}");
        }
    }

    #[test]
    fn naming_conventions_dropped_columns_and_replaced_columns() {
        // `valid_x` created, `ck_orders_valid_x` dropped.
        let src = "def upgrade():\n    op.create_check_constraint('valid_x', 'orders', 'x > 0')\n\ndef downgrade():\n    op.drop_constraint('ck_orders_valid_x', 'orders')\n";
        assert!(run(src, asymmetric).is_empty());
        // A dropped column takes its foreign key and index with it.
        let src = "def upgrade():\n    op.add_column('t', sa.Column('u', sa.Integer()))\n    op.create_foreign_key(None, 't', 'users', ['u'], ['id'])\n    op.create_index('ix_t_u', 't', ['u'])\n\ndef downgrade():\n    op.drop_column('t', 'u')\n";
        assert!(run(src, asymmetric).is_empty());
        // A dialect-named foreign key recreated under another name.
        let src = "def upgrade():\n    op.drop_constraint('t_ibfk_1', 't', type_='foreignkey')\n\ndef downgrade():\n    op.create_foreign_key('fk_t_u_users', 't', 'users', ['u'], ['id'])\n";
        assert!(run(src, asymmetric).is_empty());
        // A column replaced through a rename.
        let src = "def upgrade():\n    op.add_column('case', sa.Column('_owner', sa.Integer()))\n    op.drop_column('case', 'owner')\n    op.alter_column('case', '_owner', new_column_name='owner')\n\ndef downgrade():\n    op.alter_column('case', 'owner', nullable=True)\n";
        assert!(run(src, asymmetric).is_empty());
    }

    #[test]
    fn scratch_objects_and_renames_inside_upgrade_are_followed() {
        // A scratch table created and dropped inside upgrade().
        let src = "def upgrade():\n    op.create_table('tmp', sa.Column('id', sa.Integer()))\n    op.execute('INSERT INTO users SELECT * FROM tmp')\n    op.drop_table('tmp')\n    op.add_column('users', sa.Column('x', sa.Integer()))\n\ndef downgrade():\n    op.drop_column('users', 'x')\n";
        assert!(run(src, asymmetric).is_empty());
        // Added, then renamed: downgrade drops it under its new name.
        let src = "def upgrade():\n    op.add_column('users', sa.Column('tmp_x', sa.Integer()))\n    op.alter_column('users', 'tmp_x', new_column_name='x')\n    op.create_table('a', sa.Column('id', sa.Integer()))\n    op.rename_table('a', 'b')\n\ndef downgrade():\n    op.drop_table('b')\n    op.alter_column('users', 'x', new_column_name='tmp_x')\n    op.drop_column('users', 'x')\n";
        assert!(
            run(src, asymmetric).is_empty(),
            "{:?}",
            run(src, asymmetric)
        );
        // A rename that downgrade() does not undo is still reported.
        let src = "def upgrade():\n    op.rename_table('a', 'b')\n\ndef downgrade():\n    op.drop_index('ix')\n";
        assert_eq!(run(src, asymmetric).len(), 1);
    }

    #[test]
    fn sql_run_through_a_connection_is_read() {
        let up = "def upgrade():\n    op.add_column('users', sa.Column('x', sa.Integer()))\n    op.create_table('audit', sa.Column('id', sa.Integer()))\n";
        let down = "def downgrade():\n    op.drop_table('audit')\n    conn = op.get_bind()\n    conn.execute(sa.text('ALTER TABLE users DROP COLUMN x'))\n";
        assert!(run(&format!("{up}{down}"), asymmetric).is_empty());
        let down = "def downgrade():\n    op.drop_table('audit')\n    conn = op.get_bind()\n    conn.execute(sa.text('DELETE FROM audit'))\n";
        assert_eq!(run(&format!("{up}{down}"), asymmetric).len(), 1);
    }

    #[test]
    fn an_unnamed_drop_constraint_cannot_run() {
        let src = "def upgrade():\n    op.add_column('t', sa.Column('u', sa.Integer()))\n    op.create_foreign_key(None, 't', 'users', ['u'], ['id'])\n    op.create_foreign_key(None, 't', 'teams', ['v'], ['id'])\n\ndef downgrade():\n    op.drop_constraint(None, 't', type_='foreignkey')\n    op.drop_constraint(None, 't', type_='foreignkey')\n    op.drop_column('t', 'u')\n";
        assert_eq!(
            run(src, asymmetric),
            [
                "downgrade() calls drop_constraint(None, \"t\") (2 such calls), which cannot run: Alembic needs the constraint's name"
            ]
        );
    }

    #[test]
    fn a_dropped_table_takes_its_indexes_and_columns_with_it() {
        let src = "def upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer()))\n    op.create_index('ix_t', 't', ['id'])\n\ndef downgrade():\n    op.drop_table('t')\n";
        assert!(run(src, asymmetric).is_empty());
    }
}
