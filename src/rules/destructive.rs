//! `migration-undocumented-destructive`: a drop, a narrowing type change
//! or a new NOT NULL in `upgrade()` that nobody explained.
//!
//! Labelled on real projects (issue 24), most findings were ones a
//! reviewer dismisses: twenty drops in one cleanup migration reported
//! twenty times, `TEXT` to `String()`, a NOT NULL right after the
//! migration filled the column, a drop right after the data was copied, a
//! comment heading the block, a revision titled "remove ...". So: one
//! finding per migration, and the code itself, the comments heading a
//! block and the revision message count as documentation.

use super::RuleId;
use super::migration_ops::{Comments, mentions};
use crate::alembic::ops::{Op, function_ops};
use crate::finding::Finding;
use crate::python::Module;

/// What a destructive operation does, in words, or `None` when it is not
/// destructive.
fn destruction(op: &Op) -> Option<String> {
    let t = op.table.as_deref().unwrap_or("?");
    let col = || format!("{t}.{}", op.column.as_deref().unwrap_or("?"));
    let type_loses = op.changes_type && !lossless(op.type_from.as_deref(), op.type_to.as_deref());
    match op.name.as_str() {
        "drop_table" => Some(format!("drops table {t}")),
        "drop_column" => Some(format!("drops column {}", col())),
        "alter_column" if type_loses && op.sets_not_null => Some(format!(
            "changes the type of {} and makes it NOT NULL",
            col()
        )),
        "alter_column" if type_loses => Some(format!("changes the type of {}", col())),
        "alter_column" if op.sets_not_null => Some(format!("makes {} NOT NULL", col())),
        _ => None,
    }
}

/// A SQLAlchemy type as written (`sa.String(length=50)`,
/// `postgresql.TIMESTAMP(timezone=True)`): its lower-cased class name and
/// its argument text.
fn type_parts(t: &str) -> (String, String) {
    let t = t.trim();
    let (head, args) = match t.find('(') {
        Some(i) => (&t[..i], t[i + 1..].trim_end_matches(')')),
        None => (t, ""),
    };
    let name = head.rsplit('.').next().unwrap_or(head).to_ascii_lowercase();
    (name, args.replace(' ', "").to_ascii_lowercase())
}

/// The first integer argument (`String(50)`, `String(length=50)`).
fn length(args: &str) -> Option<u64> {
    args.split(',')
        .next()
        .map(|a| a.trim_start_matches("length="))
        .and_then(|a| a.parse().ok())
}

/// Whether changing a column from `from` to `to` keeps every value: to an
/// unbounded text type, to a longer string, to a wider integer, or a
/// timestamp that gains a time zone. Unknown on either side is not.
fn lossless(from: Option<&str>, to: Option<&str>) -> bool {
    let Some(to) = to else { return false };
    let (to_name, to_args) = type_parts(to);
    let text = |n: &str| matches!(n, "text" | "unicodetext" | "clob" | "json" | "jsonb");
    let string = |n: &str| matches!(n, "string" | "varchar" | "unicode" | "nvarchar" | "char");
    // Unbounded text holds any value's text.
    if text(&to_name) || (string(&to_name) && length(&to_args).is_none()) {
        return true;
    }
    let Some(from) = from else { return false };
    let (from_name, from_args) = type_parts(from);
    if string(&to_name) && string(&from_name) {
        return matches!((length(&from_args), length(&to_args)), (Some(a), Some(b)) if b >= a);
    }
    let rank = |n: &str| match n {
        "smallinteger" | "smallint" => Some(1),
        "integer" | "int" => Some(2),
        "biginteger" | "bigint" => Some(3),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(&from_name), rank(&to_name)) {
        return b >= a;
    }
    let timestamp = |n: &str| n.contains("datetime") || n.contains("timestamp");
    timestamp(&from_name)
        && timestamp(&to_name)
        && (to_args.contains("timezone=true") || !from_args.contains("timezone=true"))
}

/// The source lines `first..=last` (1-based).
fn lines_of(m: &Module, first: u32, last: u32) -> String {
    m.source()
        .lines()
        .skip(first.saturating_sub(1) as usize)
        .take((last + 1).saturating_sub(first) as usize)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether an earlier statement of `upgrade()` already dealt with the
/// data `op` affects: a NOT NULL after an `UPDATE`/`INSERT` (or a
/// `.update()`/`.values()` expression) that names the column or its
/// table, a drop after a statement that copies from the dropped column or
/// table.
fn documented_by_code(m: &Module, before: &[Op], op: &Op) -> bool {
    let writes = |text: &str| {
        let t = text.to_ascii_lowercase();
        t.contains("update") || t.contains("insert") || t.contains(".values(")
    };
    before.iter().filter(|b| b.name == "execute").any(|b| {
        let text = b
            .sql
            .clone()
            .unwrap_or_else(|| lines_of(m, b.first_line, b.last_line));
        let names = |n: Option<&str>| n.is_some_and(|n| mentions(&text, n));
        match op.name.as_str() {
            "alter_column" => writes(&text) && (names(op.column.as_deref())),
            "drop_column" => {
                let t = text.to_ascii_lowercase();
                (t.contains("insert") || t.contains("update") || t.contains("select"))
                    && names(op.column.as_deref())
            }
            "drop_table" => {
                let t = text.to_ascii_lowercase();
                t.contains("select") && names(op.table.as_deref())
            }
            _ => false,
        }
    })
}

/// Whether a comment heads the block of statements that holds `line`:
/// walking up from it through code lines (no blank line), a comment line
/// comes before the function's `def`. Alembic's template comments stop
/// the walk without documenting anything.
fn headed_by_comment(m: &Module, comments: &Comments, line: u32, def_line: u32) -> bool {
    let lines: Vec<&str> = m.source().lines().collect();
    let mut l = line.saturating_sub(1);
    while l > def_line {
        let Some(text) = lines.get(l as usize - 1) else {
            return false;
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return false;
        }
        if trimmed.starts_with('#') {
            return comments.is_documenting(l);
        }
        l -= 1;
    }
    false
}

/// What the revision message (the module docstring's first line) owns
/// up to: removing something (remove/drop/delete), making columns NOT
/// NULL ("non nullables", "not null").
fn message_says(m: &Module) -> (bool, bool) {
    let Some(doc) = m.docstring(m.root()) else {
        return (false, false);
    };
    let first = doc.trim().lines().next().unwrap_or("").to_ascii_lowercase();
    let words: Vec<&str> = first
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let removal = words
        .iter()
        .any(|w| w.starts_with("remov") || w.starts_with("drop") || w.starts_with("delet"));
    let not_null = words
        .windows(2)
        .any(|p| matches!(p[0], "not" | "non") && p[1].starts_with("null"))
        || words
            .iter()
            .any(|w| w.starts_with("nonnull") || *w == "required");
    (removal, not_null)
}

/// Whether `op` drops a column that a later operation of `upgrade()`
/// replaces by renaming another column to its name (`drop_column("t",
/// "a")`, then `alter_column("t", "_a", new_column_name="a")`): the data
/// lives on in the renamed column.
fn replaced_by_rename(after: &[Op], op: &Op) -> bool {
    op.name == "drop_column"
        && op.column.is_some()
        && op.table.is_some()
        && after
            .iter()
            .any(|a| a.name == "alter_column" && a.table == op.table && a.new_name == op.column)
}

/// `migration-undocumented-destructive` on one migration: at most one
/// finding, at its first undocumented destructive operation, naming them
/// all.
///
/// A destructive operation is documented by a comment on its own lines,
/// heading its block (or its `with op.batch_alter_table(...)`), by the
/// `upgrade()` or module docstring naming its table or column, by a
/// revision message that says remove/drop/delete (for drops), or by the
/// code before it (see [`documented_by_code`]).
pub(super) fn destructive(m: &Module, path: &str, out: &mut Vec<Finding>) {
    let Some(ops) = function_ops(m, "upgrade") else {
        return;
    };
    let def_line = m
        .function("upgrade")
        .map_or(0, |f| f.start_position().row as u32 + 1);
    let comments = Comments::of(m);
    let mut far: Vec<String> = Vec::new();
    if let Some(doc) = m.docstring(m.root()) {
        far.push(doc);
    }
    if let Some(up) = m.function("upgrade")
        && let Some(body) = up.child_by_field_name("body")
        && let Some(doc) = m.docstring(body)
    {
        far.push(doc);
    }
    let (removal, not_null) = message_says(m);
    let mut undocumented: Vec<(&Op, String)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(what) = destruction(op) else {
            continue;
        };
        let near = !comments.on(op.first_line, op.last_line).is_empty()
            || headed_by_comment(m, &comments, op.first_line, def_line);
        let names: Vec<&str> = [op.table.as_deref(), op.column.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let named_in = |texts: &[&str]| texts.iter().any(|t| names.iter().any(|n| mentions(t, n)));
        let docstring = named_in(&far.iter().map(String::as_str).collect::<Vec<_>>());
        let drop = op.name.starts_with("drop_");
        let said = (removal && drop) || (not_null && op.sets_not_null && !op.changes_type);
        if near
            || docstring
            || said
            || documented_by_code(m, &ops[..i], op)
            || replaced_by_rename(&ops[i + 1..], op)
        {
            continue;
        }
        undocumented.push((op, what));
    }
    let Some((first, _)) = undocumented.first() else {
        return;
    };
    let whats: Vec<&str> = undocumented.iter().map(|(_, w)| w.as_str()).collect();
    let listed = match whats.len() {
        1..=3 => whats.join(", "),
        n => format!("{} and {} more", whats[..3].join(", "), n - 3),
    };
    out.push(
        Finding::new(
            RuleId::MigrationUndocumentedDestructive,
            path,
            format!("upgrade() {listed} without a comment or docstring that explains it"),
        )
        .at(first.position.line, first.position.column)
        .fingerprint(whats.join("\u{0}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> Vec<String> {
        let m = Module::parse(src.as_bytes()).unwrap();
        let mut out = Vec::new();
        destructive(&m, "m.py", &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn one_finding_per_migration_naming_every_operation() {
        let src = "def upgrade():\n    # ### commands auto generated by Alembic - please adjust! ###\n    op.drop_column('users', 'legacy')\n    op.alter_column('users', 'name', existing_type=sa.String(50), type_=sa.String(20))\n    op.alter_column('users', 'bio', nullable=False)\n    with op.batch_alter_table('orders') as batch_op:\n        batch_op.drop_column('note')\n    op.drop_table('tmp')\n    op.alter_column('users', 'x', nullable=True)\n    op.add_column('users', sa.Column('y', sa.Integer()))\n";
        assert_eq!(
            run(src),
            [
                "upgrade() drops column users.legacy, changes the type of users.name, makes users.bio NOT NULL and 2 more without a comment or docstring that explains it"
            ]
        );
    }

    #[test]
    fn widening_type_changes_are_not_destructive() {
        for (from, to) in [
            ("sa.TEXT()", "sa.String()"),
            ("sa.String(50)", "sa.String(length=200)"),
            ("sa.VARCHAR(length=20)", "sa.Text()"),
            ("sa.INTEGER()", "sa.BigInteger()"),
            ("sa.BOOLEAN()", "sa.String()"),
            ("sa.DateTime()", "UTCDateTime(timezone=True)"),
        ] {
            let src = format!(
                "def upgrade():\n    op.alter_column('t', 'c', existing_type={from}, type_={to})\n"
            );
            assert!(run(&src).is_empty(), "{from} -> {to}");
        }
        for (from, to) in [
            ("sa.String(200)", "sa.String(50)"),
            ("sa.Text()", "sa.String(50)"),
            ("sa.BigInteger()", "sa.Integer()"),
            ("sa.String()", "sa.Integer()"),
            ("UTCDateTime(timezone=True)", "sa.DateTime()"),
        ] {
            let src = format!(
                "def upgrade():\n    op.alter_column('t', 'c', existing_type={from}, type_={to})\n"
            );
            assert_eq!(run(&src).len(), 1, "{from} -> {to}");
        }
        // Without existing_type nothing is known.
        assert_eq!(
            run("def upgrade():\n    op.alter_column('t', 'c', type_=sa.Integer())\n").len(),
            1
        );
    }

    #[test]
    fn the_code_documents_backfills_and_copies() {
        for src in [
            "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer(), nullable=True))\n    op.execute('UPDATE t SET c = 0')\n    op.alter_column('t', 'c', nullable=False)\n",
            "def upgrade():\n    with op.batch_alter_table('t') as b:\n        tbl = sa.sql.table('t', sa.sql.column('c'))\n        b.execute(tbl.update().values(c=1))\n        b.alter_column('c', nullable=False)\n",
            "def upgrade():\n    op.execute('UPDATE t SET new_c = old_c')\n    op.drop_column('t', 'old_c')\n",
            "def upgrade():\n    op.execute('INSERT INTO t2 (a) SELECT a FROM t1')\n    op.drop_table('t1')\n",
        ] {
            assert!(run(src).is_empty(), "{src}");
        }
        // A backfill of another column documents nothing.
        assert_eq!(
            run("def upgrade():\n    op.execute('UPDATE t SET d = 0')\n    op.alter_column('t', 'c', nullable=False)\n").len(),
            1
        );
    }

    #[test]
    fn heading_comments_and_removal_messages_document() {
        for src in [
            "def upgrade():\n    # the old scheme is gone: no reader is left\n    op.add_column('t', sa.Column('x', sa.Integer()))\n    op.drop_column('t', 'a')\n    op.drop_column('t', 'b')\n",
            "def upgrade():\n    # orders lose their notes\n    with op.batch_alter_table('orders') as batch_op:\n        batch_op.drop_column('note')\n",
            "\"\"\"Remove the legacy tables\n\nRevision ID: a\n\"\"\"\ndef upgrade():\n    op.drop_table('x')\n    op.drop_table('y')\n",
        ] {
            assert!(run(src).is_empty(), "{src}");
        }
        // The removal message documents drops, not a new NOT NULL.
        let src =
            "\"\"\"Remove x\"\"\"\ndef upgrade():\n    op.alter_column('t', 'c', nullable=False)\n";
        assert_eq!(run(src).len(), 1);
        // A message that says the columns become NOT NULL documents that.
        let src = "\"\"\"Add more non nullables\"\"\"\ndef upgrade():\n    op.alter_column('t', 'c', nullable=False)\n";
        assert!(run(src).is_empty());
        // A column dropped and replaced by a renamed one keeps its data.
        let src = "def upgrade():\n    op.drop_column('case', 'owner')\n    op.alter_column('case', '_owner', new_column_name='owner')\n";
        assert!(run(src).is_empty());
        // Names that cannot be read do not match each other.
        let src = "def upgrade():\n    op.drop_column(t, c)\n    op.alter_column(t, d, new_column_name=e)\n";
        assert_eq!(run(src).len(), 1);
        // A heading comment separated by a blank line does not.
        let src = "def upgrade():\n    # something else\n    op.add_column('t', sa.Column('x', sa.Integer()))\n\n    op.drop_column('t', 'a')\n";
        assert_eq!(run(src).len(), 1);
    }
}
