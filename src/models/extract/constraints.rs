//! Table-level items: `Index`, `UniqueConstraint`, `CheckConstraint`,
//! `ForeignKeyConstraint` and `PrimaryKeyConstraint`, from
//! `__table_args__`, `Table(...)` arguments or module level.

use tree_sitter::Node;

use super::resolve::Resolver;
use super::syntax::*;
use crate::models::canon::canon;
use crate::models::schema::{Check, ForeignKeyConstraint, Index, Table, Unique};
use crate::python::{Call, named_children};

impl<'m> Resolver<'m> {
    /// Adds an `Index`, `UniqueConstraint`, `CheckConstraint`,
    /// `ForeignKeyConstraint` or `PrimaryKeyConstraint` to `table`.
    pub(super) fn add_constraint(
        &self,
        scan: usize,
        call: &Call<'m>,
        table: &mut Table,
        pk: &mut Option<Vec<String>>,
    ) {
        let s = &self.scans[scan];
        let m = s.m;
        let loc = s.loc(call.node);
        let name_kw = call.keyword("name").and_then(|n| m.string_value(n));
        let col_ref = |n: Node<'m>| self.column_ref(scan, n);
        match call.short_name().unwrap_or("") {
            "Index" => {
                let mut positional = call.positional.iter().copied();
                let name = match call.positional.first() {
                    Some(f) if m.string_value(*f).is_some() => {
                        positional.next();
                        m.string_value(*f)
                    }
                    // An f-string name (`f"ix_{__tablename__}_a"`): still
                    // the name, kept as written.
                    Some(f) if f.kind() == "string" => {
                        positional.next();
                        Some(canon(m, *f, &s.prefixes))
                    }
                    Some(f) if f.kind() == "none" => {
                        positional.next();
                        None
                    }
                    _ => name_kw,
                };
                let mut options: Vec<String> = call
                    .keywords
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "unique" | "name" | "info"))
                    .map(|(k, v)| format!("{k}={}", canon(m, *v, &s.prefixes)))
                    .collect();
                options.sort();
                table.indexes.push(Index {
                    name,
                    columns: positional.map(col_ref).collect(),
                    unique: call.keyword("unique").and_then(bool_literal) == Some(true),
                    options,
                    loc,
                });
            }
            "UniqueConstraint" => table.uniques.push(Unique {
                name: name_kw,
                columns: call.positional.iter().copied().map(col_ref).collect(),
                loc,
            }),
            "CheckConstraint" => {
                let Some(text) = call.positional.first().copied().or(call.keyword("sqltext"))
                else {
                    return;
                };
                let sqltext = m
                    .string_value(text)
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_else(|| canon(m, text, &s.prefixes));
                table.checks.push(Check {
                    name: name_kw,
                    sqltext,
                    loc,
                });
            }
            "ForeignKeyConstraint" => {
                let list = |n: Option<Node<'m>>| -> Vec<String> {
                    n.map(|n| {
                        named_children(n)
                            .into_iter()
                            .filter(|c| c.kind() != "comment")
                            .map(|c| {
                                m.string_value(c)
                                    .unwrap_or_else(|| self.ref_target(scan, c))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
                };
                let columns = list(call.positional.first().copied().or(call.keyword("columns")));
                let targets = list(
                    call.positional
                        .get(1)
                        .copied()
                        .or(call.keyword("refcolumns")),
                );
                let mut options: Vec<String> = call
                    .keywords
                    .iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "name" | "columns" | "refcolumns" | "info")
                    })
                    .map(|(k, v)| format!("{k}={}", canon(m, *v, &s.prefixes)))
                    .collect();
                options.sort();
                table.foreign_keys.push(ForeignKeyConstraint {
                    name: name_kw,
                    columns,
                    targets,
                    options,
                    loc,
                });
            }
            "PrimaryKeyConstraint" => {
                *pk = Some(call.positional.iter().copied().map(col_ref).collect());
            }
            _ => {}
        }
    }

    /// A column named in a constraint: `"email"`, `email`, `User.email`,
    /// `users.c.email`, or an expression (`func.lower(email)`).
    pub(super) fn column_ref(&self, scan: usize, node: Node<'m>) -> String {
        let s = &self.scans[scan];
        if let Some(v) = s.m.string_value(node) {
            return v;
        }
        if let Some(d) = s.m.dotted_name(node) {
            return last(&d).to_string();
        }
        canon(s.m, node, &s.prefixes)
    }
}
