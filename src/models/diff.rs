//! Compares two schemas and says, in words a reviewer reads, what changed:
//! `users.email added`, `users.name type String(50) -> String(100)`,
//! `users.bio nullable -> not null`, `orders table removed`.
//!
//! Only what reaches the database counts (see [`super::schema`]): the
//! Python-side `default=`, column order, and where things are declared
//! are not compared.

use super::schema::{Column, Loc, Schema, Table};

/// One schema change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The table it concerns (its schema-qualified name, or the class name
    /// when the table name is unknown).
    pub table: String,
    /// What changed, for the finding message: `users.email added`.
    pub text: String,
    /// The same as an imperative, for a migration message:
    /// `add users.email`.
    pub summary: String,
    /// The model file it is declared in (the old file for removals).
    pub path: String,
    /// The line in [`Change::path`]'s new version, when there is one.
    pub line: Option<u32>,
}

impl Change {
    fn new(table: &str, text: String, summary: String, loc: &Loc, line: bool) -> Change {
        Change {
            table: table.to_string(),
            text,
            summary,
            path: loc.path.clone(),
            line: (line && loc.line > 0).then_some(loc.line),
        }
    }
}

/// The changes from `old` to `new`, table by table in the new schema's
/// order, removed tables last.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let (old, new) = (&alembic_view(old), &alembic_view(new));
    let mut out = Vec::new();
    let mut matched_old = vec![false; old.tables.len()];
    let mut pairs: Vec<(Option<usize>, &Table)> = Vec::new();
    for t in &new.tables {
        let by_name = old.tables.iter().position(|o| o.name == t.name);
        let i = by_name.or_else(|| {
            // The same class whose table name became (un)known: a base
            // class moved in or out of the files read.
            old.tables.iter().enumerate().position(|(i, o)| {
                !matched_old[i]
                    && (o.name_unknown || t.name_unknown)
                    && o.class_name.is_some()
                    && o.class_name == t.class_name
                    && new.table(&o.name).is_none()
            })
        });
        if let Some(i) = i {
            matched_old[i] = true;
        }
        pairs.push((i, t));
    }
    for (i, t) in pairs {
        match i {
            Some(i) => table_diff(&old.tables[i], t, &mut out),
            None => out.push(Change::new(
                &t.name,
                format!("{} table added", t.name),
                format!("create {} table", t.name),
                &t.loc,
                true,
            )),
        }
    }
    for (i, o) in old.tables.iter().enumerate() {
        if !matched_old[i] {
            out.push(Change::new(
                &o.name,
                format!("{} table removed", o.name),
                format!("drop {} table", o.name),
                &o.loc,
                false,
            ));
        }
    }
    out
}

/// What Alembic's autogenerate compares (issue 25): foreign keys without
/// their name and `use_alter` (neither is compared), no CHECK constraints
/// (their text is not compared either, and it is spelled differently by
/// every database), no functional indexes (autogenerate skips them).
fn alembic_view(s: &Schema) -> Schema {
    let unnamed = |options: &[String]| -> Vec<String> {
        options
            .iter()
            .filter(|o| {
                let key = o.split('=').next().unwrap_or("").trim();
                key != "name" && key != "use_alter"
            })
            .cloned()
            .collect()
    };
    let mut s = s.clone();
    for t in &mut s.tables {
        t.checks.clear();
        // Autogenerate skips functional indexes (`lower(email)`).
        t.indexes
            .retain(|i| !i.columns.iter().any(|c| c.contains('(')));
        for k in &mut t.foreign_keys {
            k.name = None;
            k.options = unnamed(&k.options);
        }
        for c in &mut t.columns {
            for k in &mut c.foreign_keys {
                k.options = unnamed(&k.options);
            }
        }
    }
    s
}

fn table_diff(old: &Table, new: &Table, out: &mut Vec<Change>) {
    let t = &new.name;
    for c in &new.columns {
        match old.column(&c.name) {
            None => out.push(Change::new(
                t,
                format!("{t}.{} added", c.name),
                format!("add {t}.{}", c.name),
                &c.loc,
                true,
            )),
            Some(o) => column_diff(t, o, c, out),
        }
    }
    for o in &old.columns {
        if new.column(&o.name).is_none() {
            out.push(Change::new(
                t,
                format!("{t}.{} removed", o.name),
                format!("drop {t}.{}", o.name),
                &new.loc,
                true,
            ));
        }
    }
    if old.primary_key != new.primary_key {
        out.push(Change::new(
            t,
            format!(
                "{t} primary key ({}) -> ({})",
                old.primary_key.join(", "),
                new.primary_key.join(", ")
            ),
            format!("change {t} primary key"),
            &new.loc,
            true,
        ));
    }
    items_diff(
        t,
        "index",
        &old.indexes,
        &new.indexes,
        |i| i.name.clone(),
        |i| i.to_string(),
        |i| &i.loc,
        &new.loc,
        out,
    );
    items_diff(
        t,
        "unique constraint",
        &old.uniques,
        &new.uniques,
        |u| u.name.clone(),
        |u| u.to_string(),
        |u| &u.loc,
        &new.loc,
        out,
    );
    items_diff(
        t,
        "check constraint",
        &old.checks,
        &new.checks,
        |c| c.name.clone(),
        |c| c.to_string(),
        |c| &c.loc,
        &new.loc,
        out,
    );
    items_diff(
        t,
        "foreign key",
        &old.foreign_keys,
        &new.foreign_keys,
        |k| k.name.clone(),
        |k| k.to_string(),
        |k| &k.loc,
        &new.loc,
        out,
    );
}

fn column_diff(t: &str, old: &Column, new: &Column, out: &mut Vec<Change>) {
    let col = format!("{t}.{}", new.name);
    let mut push = |text: String, summary: String| {
        out.push(Change::new(t, text, summary, &new.loc, true));
    };
    // By database type (`Text` is `TEXT`); a type that cannot be known on
    // either side (unresolved, or a foreign key's whose target was not
    // read) is never a change.
    let same_type = match (&old.type_, &new.type_) {
        (Some(a), Some(b)) => super::dbtype::same(a, b),
        _ => true,
    };
    if !same_type {
        let show = |ty: &Option<String>| ty.clone().unwrap_or_else(|| "unspecified".into());
        push(
            format!("{col} type {} -> {}", show(&old.type_), show(&new.type_)),
            format!("change {col} type"),
        );
    }
    if old.nullable != new.nullable {
        let word = |n: bool| if n { "nullable" } else { "not null" };
        push(
            format!("{col} {} -> {}", word(old.nullable), word(new.nullable)),
            format!("make {col} {}", word(new.nullable)),
        );
    }
    if old.server_default != new.server_default {
        let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        push(
            format!(
                "{col} server default {} -> {}",
                show(&old.server_default),
                show(&new.server_default)
            ),
            format!("change {col} server default"),
        );
    }
    for (flag, was, is) in [
        ("unique", old.unique, new.unique),
        ("index", old.index, new.index),
    ] {
        if was != is {
            let verb = if is { "added" } else { "removed" };
            let imperative = if is { "add" } else { "drop" };
            push(
                format!("{col} {flag} {verb}"),
                format!("{imperative} {flag} on {col}"),
            );
        }
    }
    let mut old_fks = old.foreign_keys.clone();
    let mut new_fks = new.foreign_keys.clone();
    old_fks.sort();
    new_fks.sort();
    if old_fks != new_fks {
        let removed: Vec<_> = old_fks.iter().filter(|k| !new_fks.contains(k)).collect();
        let added: Vec<_> = new_fks.iter().filter(|k| !old_fks.contains(k)).collect();
        if let ([r], [a]) = (removed.as_slice(), added.as_slice()) {
            push(
                format!("{col} foreign key {} changed to {}", r, a),
                format!("change foreign key on {col}"),
            );
        } else {
            for r in removed {
                push(
                    format!("{col} foreign key {r} removed"),
                    format!("drop foreign key on {col}"),
                );
            }
            for a in added {
                push(
                    format!("{col} foreign key {a} added"),
                    format!("add foreign key on {col}"),
                );
            }
        }
    }
    if old.extras != new.extras {
        push(
            format!(
                "{col} {} -> {}",
                show_list(&old.extras),
                show_list(&new.extras)
            ),
            format!("change {col}"),
        );
    }
}

fn show_list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(" ")
    }
}

/// Compares named items by name and unnamed ones by content.
#[allow(clippy::too_many_arguments)]
fn items_diff<T: PartialEq>(
    t: &str,
    what: &str,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> Option<String>,
    show: impl Fn(&T) -> String,
    loc: impl Fn(&T) -> &Loc,
    table_loc: &Loc,
    out: &mut Vec<Change>,
) {
    // Content equality without positions: compare the rendering.
    let same = |a: &T, b: &T| show(a) == show(b);
    for n in new {
        let counterpart = match name(n) {
            Some(nm) => old.iter().find(|o| name(o).as_deref() == Some(nm.as_str())),
            None => old.iter().find(|o| name(o).is_none() && same(o, n)),
        };
        match counterpart {
            None => out.push(Change::new(
                t,
                format!("{t} {} added", show(n)),
                format!("add {what} on {t}"),
                loc(n),
                true,
            )),
            Some(o) if !same(o, n) => out.push(Change::new(
                t,
                format!("{t} {} -> {}", show(o), show(n)),
                format!("change {what} on {t}"),
                loc(n),
                true,
            )),
            Some(_) => {}
        }
    }
    for o in old {
        let gone = match name(o) {
            Some(nm) => !new.iter().any(|n| name(n).as_deref() == Some(nm.as_str())),
            None => !new.iter().any(|n| name(n).is_none() && same(o, n)),
        };
        if gone {
            out.push(Change::new(
                t,
                format!("{t} {} removed", show(o)),
                format!("drop {what} on {t}"),
                table_loc,
                true,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::extract::extract_source;

    fn changes(old: &str, new: &str) -> Vec<String> {
        let old = extract_source("m.py", old.as_bytes()).unwrap();
        let new = extract_source("m.py", new.as_bytes()).unwrap();
        diff(&old, &new).into_iter().map(|c| c.text).collect()
    }

    const USER: &str = "from sqlalchemy import Column, Integer, String, Text\n\nclass User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    name = Column(String(50), nullable=False)\n    bio = Column(Text)\n";

    fn with(extra: &str) -> String {
        format!("{USER}{extra}")
    }

    #[test]
    fn identical_and_cosmetic_changes_are_no_change() {
        assert!(changes(USER, USER).is_empty());
        let cosmetic = "from sqlalchemy import Column, Integer, String, Text\n\n\nclass User(Base):\n    \"\"\"A user.\"\"\"\n\n    __tablename__ = \"users\"\n    # the name\n    name = Column(\n        String( 50 ),\n        nullable=False,\n    )\n    bio = Column(Text)  # free text\n    id = Column(Integer, primary_key=True)\n    posts = relationship('Post')\n\n    def __repr__(self):\n        return self.name\n\n    @property\n    def short(self):\n        return self.name[:3]\n";
        assert_eq!(changes(USER, cosmetic), Vec::<String>::new());
    }

    #[test]
    fn column_added_removed_retyped_and_nullability() {
        assert_eq!(
            changes(USER, &with("    email = Column(String(255))\n")),
            ["users.email added"]
        );
        assert_eq!(
            changes(&with("    email = Column(String(255))\n"), USER),
            ["users.email removed"]
        );
        assert_eq!(
            changes(USER, &USER.replace("String(50)", "String(100)")),
            ["users.name type String(50) -> String(100)"]
        );
        assert_eq!(
            changes(
                USER,
                &USER.replace("Column(Text)", "Column(Text, nullable=False)")
            ),
            ["users.bio nullable -> not null"]
        );
        assert_eq!(
            changes(USER, &USER.replace("nullable=False", "nullable=True")),
            ["users.name not null -> nullable"]
        );
    }

    #[test]
    fn defaults_indexes_constraints_and_keys() {
        assert_eq!(
            changes(
                USER,
                &USER.replace("Column(Text)", "Column(Text, server_default='')")
            ),
            ["users.bio server default none -> \"\""]
        );
        // The Python-side default never reaches the database.
        assert!(
            changes(
                USER,
                &USER.replace("Column(Text)", "Column(Text, default='')")
            )
            .is_empty()
        );
        assert_eq!(
            changes(
                USER,
                &USER.replace("nullable=False", "nullable=False, index=True, unique=True")
            ),
            ["users.name unique added", "users.name index added"]
        );
        assert_eq!(
            changes(USER, &with("    org_id = Column(ForeignKey('orgs.id'))\n")),
            ["users.org_id added"]
        );
        let fk = with("    org_id = Column(Integer, ForeignKey('orgs.id'))\n");
        assert_eq!(
            changes(
                &fk,
                &fk.replace("'orgs.id'", "'orgs.id', ondelete='CASCADE'")
            ),
            ["users.org_id foreign key -> orgs.id changed to -> orgs.id [ondelete=\"CASCADE\"]"]
        );
        assert_eq!(
            changes(
                USER,
                &with(
                    "    __table_args__ = (UniqueConstraint('name', 'bio', name='uq_name_bio'), Index('ix_bio', 'bio'), CheckConstraint('length(name) > 1'))\n"
                )
            ),
            [
                "users index ix_bio (bio) added",
                "users unique constraint uq_name_bio (name, bio) added",
            ],
            "a CHECK constraint is not compared, as Alembic does not"
        );
        // Foreign key names and use_alter are not compared either.
        assert_eq!(
            changes(
                &fk,
                &fk.replace("'orgs.id'", "'orgs.id', name='fk_org', use_alter=True")
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            changes(
                &with("    __table_args__ = (Index('ix_bio', 'bio'),)\n"),
                &with("    __table_args__ = (Index('ix_bio', 'bio', 'name'),)\n")
            ),
            ["users index ix_bio (bio) -> index ix_bio (bio, name)"]
        );
    }

    #[test]
    fn tables_added_and_removed() {
        let orders = "class Order(Base):\n    __tablename__ = 'orders'\n    id = Column(Integer, primary_key=True)\n";
        assert_eq!(changes(USER, &with(orders)), ["orders table added"]);
        assert_eq!(changes(&with(orders), USER), ["orders table removed"]);
    }

    #[test]
    fn a_table_whose_name_becomes_known_is_the_same_table() {
        let unknown = "class User(Base):\n    id = Column(Integer, primary_key=True)\n";
        let known = "class User(Base):\n    __tablename__ = 'user'\n    id = Column(Integer, primary_key=True)\n";
        assert!(changes(unknown, known).is_empty());
        assert!(changes(known, unknown).is_empty());
    }
}
