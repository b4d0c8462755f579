//! Column and table calls read on their own, outside any model class: the
//! reading a classic `Table("t", metadata, Column(...))` gets, offered to
//! code that meets the same shapes elsewhere. Alembic's
//! `op.create_table("t", sa.Column(...), sa.PrimaryKeyConstraint(...))`
//! and `op.add_column("t", sa.Column(...))` are such shapes, so replaying
//! a migration builds its tables and columns exactly as the models are
//! built, and the two compare like for like.

use tree_sitter::Node;

use super::ModelFile;
use super::classes::Scan;
use super::resolve::Resolver;
use crate::models::schema::{Column, Table};
use crate::python::Module;

/// Reads `Column(...)` and `Table(...)`-shaped calls of one module. Built
/// once per module (it reads the module's imports, so that `sa.String`,
/// `postgresql.UUID` and aliases resolve as in model files), then asked
/// about any number of calls in it.
pub struct CallReader<'m> {
    resolver: Resolver<'m>,
}

impl<'m> CallReader<'m> {
    /// A reader for the calls of `module`, whose repository path is `path`
    /// (it goes into the [`crate::models::schema::Loc`] of what is read).
    pub fn new(path: &'m str, module: &'m Module) -> CallReader<'m> {
        let scan = Scan::new(&ModelFile { path, module });
        CallReader {
            resolver: Resolver::new(vec![scan], 1, Vec::new()),
        }
    }

    /// The column a `Column("name", Type, ForeignKey(...), nullable=...,
    /// unique=..., index=...)` call declares (`sa.Column`, `db.Column`
    /// alike), with its column-level foreign keys and its unique/index
    /// flags. `None` when `call` is not a `Column` call or names no column
    /// (a `Column` needs its name as the first argument outside a class).
    pub fn column(&self, call: Node<'m>) -> Option<Column> {
        let scan = &self.resolver.scans[0];
        let (name, _) = scan.short_call(call)?;
        if name != "Column" {
            return None;
        }
        self.resolver
            .column(0, None, call, None, call)
            .map(|c| c.column)
    }

    /// The table a `Table("name", metadata, Column(...), Index(...), ...)`
    /// shaped call declares: its first argument is the table name, the
    /// `Column` calls among the others its columns, and the `Index`,
    /// `UniqueConstraint`, `CheckConstraint`, `ForeignKeyConstraint` and
    /// `PrimaryKeyConstraint` calls its constraints; anything else (the
    /// metadata) is skipped and `schema=` qualifies the name.
    /// `op.create_table(...)` has this shape. `None` when the first
    /// argument is not a string literal or `call` is not a call.
    pub fn table(&self, call: Node<'m>) -> Option<Table> {
        let scan = &self.resolver.scans[0];
        let call = scan.m.call(call)?;
        self.resolver.table_from_call(0, &call, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::descendants;

    /// The calls named `name` in `src`, in order.
    fn calls<'m>(m: &'m Module, name: &str) -> Vec<Node<'m>> {
        descendants(m.root())
            .filter(|n| {
                m.call(*n)
                    .is_some_and(|c| c.name.as_deref().is_some_and(|x| x.ends_with(name)))
            })
            .collect()
    }

    #[test]
    fn create_table_reads_like_a_classic_table() {
        let src = "import sqlalchemy as sa\nfrom alembic import op\nfrom sqlalchemy.dialects import postgresql\n\ndef upgrade():\n    op.create_table(\n        'users',\n        sa.Column('id', sa.Integer(), nullable=False),\n        sa.Column('email', sa.VARCHAR(length=255), nullable=True),\n        sa.Column('org_id', postgresql.UUID(as_uuid=True), sa.ForeignKey('orgs.id', ondelete='CASCADE'), index=True),\n        sa.PrimaryKeyConstraint('id'),\n        sa.UniqueConstraint('email', name='uq_users_email'),\n        schema='auth',\n    )\n";
        let m = Module::parse(src.as_bytes()).unwrap();
        let reader = CallReader::new("versions/1_users.py", &m);
        let t = reader.table(calls(&m, "op.create_table")[0]).unwrap();
        assert_eq!(t.name, "auth.users");
        assert_eq!(t.primary_key, ["id"]);
        let cols: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.type_.as_deref(), c.nullable, c.index))
            .collect();
        assert_eq!(
            cols,
            [
                ("id", Some("Integer"), false, false),
                ("email", Some("VARCHAR(length=255)"), true, false),
                ("org_id", Some("UUID(as_uuid=True)"), true, true),
            ]
        );
        assert_eq!(t.columns[2].foreign_keys[0].target, "orgs.id");
        assert_eq!(t.uniques[0].name.as_deref(), Some("uq_users_email"));
        assert_eq!(t.loc.path, "versions/1_users.py");
        // The same text as a model's `Table(...)` gives the same table.
        let model = src
            .replace(
                "def upgrade():\n    op.create_table(\n        'users',",
                "users = Table('users', metadata,",
            )
            .replace("\n        ", "\n    ");
        let schema = super::super::extract_source("versions/1_users.py", model.as_bytes()).unwrap();
        assert_eq!(schema.tables.len(), 1);
        let no_lines = |s: String| -> Vec<String> {
            s.lines()
                .map(|l| l.split("  @").next().unwrap_or(l).to_string())
                .collect()
        };
        assert_eq!(no_lines(schema.render()), no_lines(t.to_string()));
    }

    #[test]
    fn add_column_reads_one_column() {
        let src = "def upgrade():\n    op.add_column('users', sa.Column('nick', sa.String(30), unique=True, server_default='x'))\n    op.add_column('users', sa.Column(sa.Integer))\n    op.drop_column('users', 'nick')\n";
        let m = Module::parse(src.as_bytes()).unwrap();
        let reader = CallReader::new("v.py", &m);
        let cols = calls(&m, "Column");
        let c = reader.column(cols[0]).unwrap();
        assert_eq!(
            (c.name.as_str(), c.type_.as_deref(), c.unique, c.nullable),
            ("nick", Some("String(30)"), true, true)
        );
        assert_eq!(c.server_default.as_deref(), Some("\"x\""));
        // No name outside a class: nothing to read.
        assert!(reader.column(cols[1]).is_none());
        // Not a Column call.
        assert!(reader.column(calls(&m, "op.drop_column")[0]).is_none());
        assert!(
            reader
                .table(calls(&m, "op.drop_column")[0])
                .is_some_and(|t| t.columns.is_empty())
        );
    }
}
