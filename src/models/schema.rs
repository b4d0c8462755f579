//! The database schema that a set of SQLAlchemy model files declares: the
//! data [`super::extract`] produces and [`super::diff`] compares.
//!
//! Only what reaches the database is kept, normalized so that equivalent
//! spellings compare equal (`sa.String(255)` and `String(255)`, quote
//! style, spacing, attribute order). Where a thing was declared ([`Loc`])
//! rides along for messages and is never compared.

use std::fmt::{self, Write as _};

/// Where a table, column or constraint was declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    /// Repository-relative path of the model file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
}

/// Every table the model files declare, in declaration order.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
}

impl Schema {
    /// The table called `name` (schema-qualified, as in [`Table::name`]).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The table called `name`, created empty when it is not there yet.
    pub fn table_mut(&mut self, name: &str, loc: Loc) -> &mut Table {
        let i = match self.tables.iter().position(|t| t.name == name) {
            Some(i) => i,
            None => {
                self.tables.push(Table {
                    name: name.to_string(),
                    loc,
                    ..Table::default()
                });
                self.tables.len() - 1
            }
        };
        &mut self.tables[i]
    }

    /// A readable rendering, one table after the other (snapshot tests,
    /// debugging).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for t in &self.tables {
            let _ = write!(out, "{t}");
        }
        out
    }
}

/// One table.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// The table name, prefixed with its schema (`auth.users`) when the
    /// model sets one. For a class whose table name cannot be known from
    /// the files read (its `__tablename__` comes from a base class declared
    /// elsewhere), the class name: see [`Table::class_name`].
    pub name: String,
    /// The model class that declares the table (`None` for `Table(...)`).
    pub class_name: Option<String>,
    /// Whether [`Table::name`] is the class name standing in for an
    /// unknown table name.
    pub name_unknown: bool,
    pub columns: Vec<Column>,
    /// Primary key columns: from `PrimaryKeyConstraint` when there is
    /// one, else the columns marked `primary_key=True`.
    pub primary_key: Vec<String>,
    pub indexes: Vec<Index>,
    pub uniques: Vec<Unique>,
    pub checks: Vec<Check>,
    /// Table-level `ForeignKeyConstraint`s (column-level `ForeignKey`s
    /// live on their [`Column`]).
    pub foreign_keys: Vec<ForeignKeyConstraint>,
    pub loc: Loc,
}

impl Table {
    /// The column called `name` (its database name).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Adds a column, replacing an earlier one of the same name (a subclass
    /// overrides a mixin's column).
    pub fn add_column(&mut self, column: Column) {
        match self.columns.iter_mut().find(|c| c.name == column.name) {
            Some(c) => *c = column,
            None => self.columns.push(column),
        }
    }
}

/// One column, with everything about it that reaches the database.
#[derive(Clone, Debug, Default)]
pub struct Column {
    /// The database name (the attribute name unless the model names it).
    pub name: String,
    /// The normalized type (`String(255)`, `Numeric(10, 2)`, `Integer`),
    /// or `None` when the model does not say (a `ForeignKey` column takes
    /// its type from the referenced column).
    pub type_: Option<String>,
    pub nullable: bool,
    /// `server_default`, normalized: part of the DDL.
    pub server_default: Option<String>,
    /// The Python-side `default=`: kept for the record, but it never
    /// reaches the database, so the diff ignores it.
    pub default: Option<String>,
    pub primary_key: bool,
    pub unique: bool,
    pub index: bool,
    pub foreign_keys: Vec<ForeignKey>,
    /// Other DDL items given to the column: `Identity(...)`,
    /// `Sequence(...)`, `Computed(...)`, normalized.
    pub extras: Vec<String>,
    pub loc: Loc,
}

/// A column-level `ForeignKey("users.id", ondelete="CASCADE")`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// `table.column` (or the normalized expression when it is not a
    /// string or a model attribute).
    pub target: String,
    /// Normalized keyword arguments (`ondelete="CASCADE"`), sorted.
    pub options: Vec<String>,
}

/// An index, from `index=True`'s table-level cousins: `Index(...)` in
/// `__table_args__` or at module level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: Option<String>,
    /// Column names, or normalized expressions (`lower(email)`).
    pub columns: Vec<String>,
    pub unique: bool,
    /// Other keyword arguments (`postgresql_where=...`), sorted.
    pub options: Vec<String>,
    pub loc: Loc,
}

/// A `UniqueConstraint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unique {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub loc: Loc,
}

/// A `CheckConstraint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: Option<String>,
    /// The SQL condition, normalized.
    pub sqltext: String,
    pub loc: Loc,
}

/// A table-level `ForeignKeyConstraint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKeyConstraint {
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// `table.column` targets, one per column.
    pub targets: Vec<String>,
    pub options: Vec<String>,
    pub loc: Loc,
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table {}", self.name)?;
        if let Some(c) = &self.class_name {
            write!(f, " (class {c}")?;
            if self.name_unknown {
                write!(f, ", table name unknown")?;
            }
            write!(f, ")")?;
        }
        writeln!(f, "  @{}:{}", self.loc.path, self.loc.line)?;
        for c in &self.columns {
            writeln!(f, "  {c}")?;
        }
        if !self.primary_key.is_empty() {
            writeln!(f, "  primary key ({})", self.primary_key.join(", "))?;
        }
        for i in &self.indexes {
            writeln!(f, "  {i}")?;
        }
        for u in &self.uniques {
            writeln!(f, "  {u}")?;
        }
        for c in &self.checks {
            writeln!(f, "  {c}")?;
        }
        for k in &self.foreign_keys {
            writeln!(f, "  {k}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.name,
            self.type_.as_deref().unwrap_or("?"),
            if self.nullable { "NULL" } else { "NOT NULL" }
        )?;
        if self.primary_key {
            write!(f, " PK")?;
        }
        if self.unique {
            write!(f, " UNIQUE")?;
        }
        if self.index {
            write!(f, " INDEX")?;
        }
        if let Some(d) = &self.server_default {
            write!(f, " server_default={d}")?;
        }
        if let Some(d) = &self.default {
            write!(f, " default={d}")?;
        }
        for k in &self.foreign_keys {
            write!(f, " {k}")?;
        }
        for e in &self.extras {
            write!(f, " {e}")?;
        }
        write!(f, "  @{}", self.loc.line)
    }
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-> {}", self.target)?;
        if !self.options.is_empty() {
            write!(f, " [{}]", self.options.join(", "))?;
        }
        Ok(())
    }
}

fn name_part(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!("{n} ")).unwrap_or_default()
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}index {}({})",
            if self.unique { "unique " } else { "" },
            name_part(&self.name),
            self.columns.join(", ")
        )?;
        if !self.options.is_empty() {
            write!(f, " [{}]", self.options.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Unique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unique constraint {}({})",
            name_part(&self.name),
            self.columns.join(", ")
        )
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "check constraint {}({})",
            name_part(&self.name),
            self.sqltext
        )
    }
}

impl fmt::Display for ForeignKeyConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "foreign key {}({}) -> ({})",
            name_part(&self.name),
            self.columns.join(", "),
            self.targets.join(", ")
        )?;
        if !self.options.is_empty() {
            write!(f, " [{}]", self.options.join(", "))?;
        }
        Ok(())
    }
}
