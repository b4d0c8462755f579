//! Applies [`Step`]s to a schema, in revision order, keeping track of
//! what the history makes unknown.

use std::collections::{HashMap, HashSet};

use super::steps::Step;
use crate::models::schema::{Column, ForeignKeyConstraint, Index, Loc, Schema, Table, Unique};

/// The schema a migration history produces, and what it cannot know.
#[derive(Clone, Debug, Default)]
pub struct Head {
    pub schema: Schema,
    /// Tables (lowercase, schema-qualified) something unreadable touched.
    pub unknown: HashSet<String>,
    /// Tables (lowercase) whose indexes, unique constraints or foreign
    /// keys are not all known (a constraint dropped by a name nothing
    /// answers to, often in a dialect-specific branch); their columns are.
    pub loose: HashSet<String>,
    /// For each unknown table, the revision file that made it unknown.
    pub unknown_by: HashMap<String, String>,
    /// Why the whole head is unknown (`None`: it is known).
    pub opaque: Option<String>,
    /// The head revision ids.
    pub revisions: Vec<String>,
    /// The revision file being applied.
    current: Option<String>,
    /// Steps on tables not created yet, by table (lowercase): another
    /// branch of the history may create the table later in the order
    /// replayed (independent branches apply in any order).
    pending: HashMap<String, Vec<(Step, Loc)>>,
    /// Some revision changes a table no revision created: the history
    /// starts from a schema made elsewhere (`metadata.create_all` and
    /// `alembic stamp`), so a table it does not create may still exist.
    pub preexisting: bool,
    /// Tables (lowercase) a revision drops or renames away and none
    /// creates again: known to be gone even from a history that starts
    /// from a schema made elsewhere.
    pub dropped: HashSet<String>,
    /// Tables (lowercase) a revision acts on (alters, adds to, renames)
    /// though no revision creates them: the database has them, whatever
    /// made them, so a model that declares one is catching up with it.
    pub foreign: HashSet<String>,
    /// The environment has no revision at all: it never created a table.
    pub no_revisions: bool,
}

/// What the head says about one table.
pub enum Knows<'h> {
    Table(&'h Table),
    /// No migration creates it.
    Absent,
    /// No migration creates it, but the history starts from a schema made
    /// elsewhere ([`Head::preexisting`]): it may exist.
    Maybe,
    Unknown,
}

impl Head {
    /// What the head knows about the table `name`.
    pub fn knows(&self, name: &str) -> Knows<'_> {
        if self.opaque.is_some() || self.unknown.contains(&name.to_lowercase()) {
            return Knows::Unknown;
        }
        match self.find(name) {
            Some(i) => Knows::Table(&self.schema.tables[i]),
            None if self.preexisting && !self.drops(name) => Knows::Maybe,
            None => Knows::Absent,
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.schema
            .tables
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(name))
    }

    fn forget(&mut self, table: &str) {
        self.unknown.insert(table.to_lowercase());
        if let Some(path) = &self.current {
            self.unknown_by.insert(table.to_lowercase(), path.clone());
        }
    }

    /// Whether `table`'s indexes, uniques and keys are all known.
    pub fn constraints_known(&self, table: &str) -> bool {
        !self.loose.contains(&table.to_lowercase())
    }

    /// A revision acts on `table`, which no revision created.
    fn missing(&mut self, table: &str) {
        self.preexisting = true;
        self.foreign.insert(table.to_lowercase());
        self.forget(table);
    }

    /// Whether the history acts on `table` without creating it, and does
    /// not drop it afterwards: it exists in the database (see
    /// [`Head::foreign`]), with columns the history cannot tell.
    pub fn acts_on_existing(&self, table: &str) -> bool {
        self.opaque.is_none() && self.foreign.contains(&table.to_lowercase()) && !self.drops(table)
    }

    /// The revision file that made `table` unknown, when one did.
    pub fn unknown_because(&self, table: &str) -> Option<&str> {
        self.unknown_by
            .get(&table.to_lowercase())
            .map(String::as_str)
    }

    /// Whether the history drops `table` (and does not create it again).
    pub fn drops(&self, table: &str) -> bool {
        self.find(table).is_none() && self.dropped.contains(&table.to_lowercase())
    }

    /// Applies one revision's steps (`loc` says where they come from).
    pub fn apply(&mut self, steps: &[Step], loc: &Loc) {
        self.current = Some(loc.path.clone());
        for step in steps {
            if self.opaque.is_some() {
                return;
            }
            self.apply_one(step, loc);
        }
    }

    /// Ends the replay: steps on tables that no revision ever created
    /// mean the history starts from a schema made elsewhere.
    pub fn finish(&mut self) {
        let tables: Vec<String> = self.pending.keys().cloned().collect();
        for t in tables {
            if let Some(steps) = self.pending.remove(&t)
                && let Some((_, loc)) = steps.first()
            {
                self.current = Some(loc.path.clone());
            }
            self.missing(&t);
        }
    }

    fn apply_one(&mut self, step: &Step, loc: &Loc) {
        if let Some(t) = step.existing_table() {
            let key = t.to_lowercase();
            if self.unknown.contains(&key) {
                // What happens to an unknown table leaves it unknown.
                return;
            }
            if self.find(t).is_none() {
                self.pending
                    .entry(key)
                    .or_default()
                    .push((step.clone(), loc.clone()));
                return;
            }
        }
        match step {
            Step::Opaque(why) => self.opaque = Some(why.clone()),
            Step::Unknown(t) => self.forget(t),
            Step::ForgetTypes => {
                for t in &mut self.schema.tables {
                    for c in &mut t.columns {
                        c.type_ = None;
                    }
                }
            }
            Step::CreateTable(t) => {
                if let Some(i) = self.find(&t.name) {
                    self.schema.tables.remove(i);
                }
                let key = t.name.to_lowercase();
                self.unknown.remove(&key);
                self.dropped.remove(&key);
                let mut t = t.clone();
                t.loc = loc.clone();
                for c in &mut t.columns {
                    c.loc = loc.clone();
                }
                self.schema.tables.push(t);
                for (s, at) in self.pending.remove(&key).unwrap_or_default() {
                    self.apply_one(&s, &at);
                }
            }
            Step::DropTable(name) => {
                if let Some(i) = self.find(name) {
                    self.schema.tables.remove(i);
                }
                let key = name.to_lowercase();
                self.unknown.remove(&key);
                // Steps waiting for the table to be created are moot.
                self.pending.remove(&key);
                self.dropped.insert(key);
            }
            Step::RenameTable { from, to } => {
                self.dropped.remove(&to.to_lowercase());
                let was_unknown = self.unknown.remove(&from.to_lowercase());
                if self.loose.remove(&from.to_lowercase()) {
                    self.loose.insert(to.to_lowercase());
                }
                match self.find(from) {
                    Some(i) => {
                        self.schema.tables[i].name = to.clone();
                        if was_unknown {
                            self.forget(to);
                        }
                        retarget(&mut self.schema, from, to);
                    }
                    None => self.missing(to),
                }
            }
            Step::AddColumn { table, column } => match self.table_mut(table) {
                Some(t) => {
                    let mut c = column.clone();
                    c.loc = loc.clone();
                    t.add_column(c);
                }
                None => self.missing(table),
            },
            Step::DropColumn { table, column } => match self.table_mut(table) {
                Some(t) => {
                    t.columns.retain(|c| !c.name.eq_ignore_ascii_case(column));
                    t.indexes.retain(|i| !has(&i.columns, column));
                    t.uniques.retain(|u| !has(&u.columns, column));
                    t.foreign_keys.retain(|k| !has(&k.columns, column));
                    t.primary_key.retain(|c| !c.eq_ignore_ascii_case(column));
                }
                None => self.missing(table),
            },
            Step::AlterColumn {
                table,
                column,
                type_,
                nullable,
                new_name,
            } => {
                let Some(t) = self.table_mut(table) else {
                    self.missing(table);
                    return;
                };
                let Some(c) = column_mut(t, column) else {
                    self.forget(table);
                    return;
                };
                if let Some(ty) = type_ {
                    c.type_ = Some(ty.clone());
                }
                if let Some(n) = nullable {
                    c.nullable = *n;
                }
                if let Some(new) = new_name {
                    c.name = new.clone();
                    rename_column(t, column, new);
                    let name = t.name.clone();
                    retarget(
                        &mut self.schema,
                        &format!("{name}.{column}"),
                        &format!("{name}.{new}"),
                    );
                }
            }
            Step::CreateIndex {
                table,
                name,
                columns,
                unique,
            } => match self.table_mut(table) {
                Some(t) => t.indexes.push(Index {
                    name: name.clone(),
                    columns: columns.clone(),
                    unique: *unique,
                    options: Vec::new(),
                    loc: loc.clone(),
                }),
                None => self.missing(table),
            },
            Step::DropIndex { table, name } => {
                let mut found = false;
                for t in &mut self.schema.tables {
                    if table
                        .as_deref()
                        .is_some_and(|x| !x.eq_ignore_ascii_case(&t.name))
                    {
                        continue;
                    }
                    if let Some(i) = t.indexes.iter().position(|i| same(&i.name, name)) {
                        t.indexes.remove(i);
                        found = true;
                        break;
                    }
                    if let Some(c) = t
                        .columns
                        .iter_mut()
                        .find(|c| c.index && format!("ix_{}_{}", bare(&t.name), c.name) == *name)
                    {
                        c.index = false;
                        found = true;
                        break;
                    }
                }
                if !found && let Some(t) = table {
                    self.loose.insert(t.to_lowercase());
                }
            }
            Step::CreateUnique {
                table,
                name,
                columns,
            } => match self.table_mut(table) {
                Some(t) => t.uniques.push(Unique {
                    name: name.clone(),
                    columns: columns.clone(),
                    loc: loc.clone(),
                }),
                None => self.missing(table),
            },
            Step::CreateForeignKey {
                table,
                name,
                columns,
                targets,
            } => match self.table_mut(table) {
                Some(t) => t.foreign_keys.push(ForeignKeyConstraint {
                    name: name.clone(),
                    columns: columns.clone(),
                    targets: targets.clone(),
                    options: Vec::new(),
                    loc: loc.clone(),
                }),
                None => self.missing(table),
            },
            Step::DropConstraint { table, name } => match self.table_mut(table) {
                Some(t) => {
                    if !drop_constraint(t, name) {
                        self.loose.insert(table.to_lowercase());
                    }
                }
                None => self.missing(table),
            },
        }
    }

    fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        let i = self.find(name)?;
        Some(&mut self.schema.tables[i])
    }
}

fn same(a: &Option<String>, b: &str) -> bool {
    a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b))
}

fn has(columns: &[String], c: &str) -> bool {
    columns.iter().any(|x| x.eq_ignore_ascii_case(c))
}

/// The table name without its schema.
fn bare(t: &str) -> &str {
    t.rsplit('.').next().unwrap_or(t)
}

fn column_mut<'t>(t: &'t mut Table, name: &str) -> Option<&'t mut Column> {
    t.columns
        .iter_mut()
        .find(|c| c.name.eq_ignore_ascii_case(name))
}

fn rename_column(t: &mut Table, from: &str, to: &str) {
    let fix = |cols: &mut Vec<String>| {
        for c in cols.iter_mut() {
            if c.eq_ignore_ascii_case(from) {
                *c = to.to_string();
            }
        }
    };
    fix(&mut t.primary_key);
    for i in &mut t.indexes {
        fix(&mut i.columns);
    }
    for u in &mut t.uniques {
        fix(&mut u.columns);
    }
    for k in &mut t.foreign_keys {
        fix(&mut k.columns);
    }
}

/// Foreign keys that point at `from` (a table, or `table.column`) point at
/// `to` after a rename, as the database keeps them.
fn retarget(schema: &mut Schema, from: &str, to: &str) {
    let fix = |target: &mut String| {
        let lower = target.to_lowercase();
        let from_l = from.to_lowercase();
        if lower == from_l {
            *target = to.to_string();
        } else if let Some(rest) = lower.strip_prefix(&format!("{from_l}."))
            && !rest.contains('.')
        {
            *target = format!("{to}.{}", &target[target.len() - rest.len()..]);
        }
    };
    for t in &mut schema.tables {
        for c in &mut t.columns {
            for k in &mut c.foreign_keys {
                fix(&mut k.target);
            }
        }
        for k in &mut t.foreign_keys {
            for target in &mut k.targets {
                fix(target);
            }
        }
    }
}

/// Drops the constraint called `name` from `t`: a named one, or an
/// unnamed one whose name the database or a usual naming convention would
/// have given it. `false` when no constraint answers to the name.
fn drop_constraint(t: &mut Table, name: &str) -> bool {
    let table = bare(&t.name).to_string();
    if let Some(i) = t.uniques.iter().position(|u| same(&u.name, name)) {
        t.uniques.remove(i);
        return true;
    }
    if let Some(i) = t.foreign_keys.iter().position(|k| same(&k.name, name)) {
        t.foreign_keys.remove(i);
        return true;
    }
    if let Some(i) = t.indexes.iter().position(|k| same(&k.name, name)) {
        t.indexes.remove(i);
        return true;
    }
    if let Some(i) = t.checks.iter().position(|k| same(&k.name, name)) {
        t.checks.remove(i);
        return true;
    }
    let lower = name.to_lowercase();
    // Unnamed uniques: `<table>_<cols>_key` (PostgreSQL), `uq_<table>_<cols>`.
    if let Some(i) = t.uniques.iter().position(|u| {
        u.name.is_none() && {
            let cols = u.columns.join("_").to_lowercase();
            lower == format!("{table}_{cols}_key") || lower == format!("uq_{table}_{cols}")
        }
    }) {
        t.uniques.remove(i);
        return true;
    }
    for c in &mut t.columns {
        let col = c.name.to_lowercase();
        if c.unique
            && (lower == format!("{table}_{col}_key") || lower == format!("uq_{table}_{col}"))
        {
            c.unique = false;
            return true;
        }
        if let Some(i) = c.foreign_keys.iter().position(|k| {
            let target = bare_table_of(&k.target);
            lower == format!("{table}_{col}_fkey")
                || lower == format!("fk_{table}_{col}_{target}")
                || lower == format!("{table}_ibfk_1")
        }) {
            c.foreign_keys.remove(i);
            return true;
        }
    }
    if let Some(i) = t.foreign_keys.iter().position(|k| {
        k.name.is_none() && {
            let cols = k.columns.join("_").to_lowercase();
            let first = k
                .columns
                .first()
                .map(|c| c.to_lowercase())
                .unwrap_or_default();
            let target = k
                .targets
                .first()
                .map(|x| bare_table_of(x))
                .unwrap_or_default();
            lower == format!("{table}_{cols}_fkey")
                || lower == format!("{table}_{first}_fkey")
                || lower == format!("fk_{table}_{first}_{target}")
        }
    }) {
        t.foreign_keys.remove(i);
        return true;
    }
    // A primary key or check constraint: not compared.
    lower == format!("{table}_pkey") || lower.starts_with("pk_") || lower.starts_with("ck_")
}

/// `users` of `users.id` or `auth.users.id`, lowercase.
fn bare_table_of(target: &str) -> String {
    let mut parts: Vec<&str> = target.split('.').collect();
    parts.pop();
    parts.last().copied().unwrap_or("").to_lowercase()
}
