//! Tables assembled: classes mapped to tables, `Table(...)` calls,
//! module-level indexes, and the whole [`Schema`] the files declare.

use super::columns::BuiltColumn;
use super::resolve::{Kind, Resolver};
use super::syntax::*;
use crate::models::schema::{Schema, Table};
use crate::python::{Call, block_statements, named_children};

impl<'m> Resolver<'m> {
    pub(super) fn build(mut self) -> Schema {
        let mut schema = Schema::default();
        // Every class's kind first: foreign keys written as `User.id`
        // resolve through them.
        for i in 0..self.classes.len() {
            self.kind(i);
        }
        // Module-level Table(...) in file order, interleaved with classes
        // by position would be nicer; files come first, then classes.
        for (si, scan) in self.scans.iter().enumerate().take(self.models) {
            for (_, value) in scan.table_calls.iter() {
                if let Some((n, call)) = scan.short_call(*value)
                    && n == "Table"
                    && let Some(t) = self.table_from_call(si, &call, None)
                {
                    merge_table(&mut schema, t);
                }
            }
        }
        self.loop_tables(&mut schema);
        let n = self.classes.len();
        let mut sti = Vec::new();
        for i in 0..n {
            match self.kind(i) {
                Kind::Table { name, unknown } => {
                    let t = self.class_table(i, name, unknown);
                    merge_table(&mut schema, t);
                }
                Kind::Sti { root } => sti.push((i, root)),
                Kind::NonTable => {}
            }
        }
        for (i, root) in sti {
            let Kind::Table { name, .. } = self.kind(root) else {
                continue;
            };
            let cols = self.columns_of(i);
            let loc = self.scans[self.classes[i].scan].loc(self.classes[i].node);
            let table = schema.table_mut(&name, loc);
            for c in cols {
                table.add_column(c.column);
            }
        }
        self.loose_indexes(&mut schema);
        for t in &mut schema.tables {
            if t.primary_key.is_empty() {
                t.primary_key = t
                    .columns
                    .iter()
                    .filter(|c| c.primary_key)
                    .map(|c| c.name.clone())
                    .collect();
            }
        }
        inherit_foreign_key_types(&mut schema);
        schema
    }

    pub(super) fn class_table(&mut self, i: usize, name: String, unknown: bool) -> Table {
        let scan = self.classes[i].scan;
        let class_name = self.classes[i].name.clone();
        let loc = self.scans[scan].loc(self.classes[i].node);
        if let Some(call_node) = self.classes[i].table_call
            && let Some(call) = self.scans[scan].m.call(call_node)
            && let Some(mut t) = self.table_from_call(scan, &call, Some(name.clone()))
        {
            t.class_name = Some(class_name);
            t.name_unknown = unknown;
            t.loc = loc;
            return t;
        }
        let cols = self.columns_of(i);
        let mut table = Table {
            name,
            class_name: Some(class_name),
            name_unknown: unknown,
            loc,
            ..Table::default()
        };
        let mut pk_constraint = None;
        if let Some((s, node)) = self.table_args_of(i, 0) {
            for item in table_arg_items(node) {
                if let Some(call) = self.scans[s].m.call(item) {
                    self.add_constraint(s, &call, &mut table, &mut pk_constraint);
                }
            }
        }
        finish_columns(&mut table, cols, pk_constraint);
        table
    }

    /// A `Table("name", metadata, Column(...), Index(...), ...)` call.
    pub(super) fn table_from_call(
        &self,
        scan: usize,
        call: &Call<'m>,
        name: Option<String>,
    ) -> Option<Table> {
        let s = &self.scans[scan];
        let name = match name {
            Some(n) => n,
            None => qualify(
                &s.m.string_value(*call.positional.first()?)?,
                schema_kw(s, call),
            ),
        };
        let mut table = Table {
            name,
            loc: s.loc(call.node),
            ..Table::default()
        };
        let mut cols = Vec::new();
        let mut pk_constraint = None;
        for arg in call.positional.iter().skip(1) {
            let Some((n, inner)) = s.short_call(*arg) else {
                continue;
            };
            if n == "Column" {
                if let Some(c) = self.column(scan, None, *arg, None, *arg) {
                    cols.push(c);
                }
            } else if CONSTRAINT_CALLS.contains(&n.as_str()) {
                self.add_constraint(scan, &inner, &mut table, &mut pk_constraint);
            }
        }
        finish_columns(&mut table, cols, pk_constraint);
        Some(table)
    }

    /// `for entity in ("user", "group"): Table(f"{entity}_role_map", ...)`
    /// at module level (jupyterhub's role maps): one table per literal the
    /// loop runs over, its f-strings evaluated with the loop variable.
    fn loop_tables(&self, schema: &mut Schema) {
        for (si, scan) in self.scans.iter().enumerate().take(self.models) {
            let m = scan.m;
            for &stmt in scan.loops.iter() {
                let (Some(left), Some(right), Some(body)) = (
                    stmt.child_by_field_name("left"),
                    stmt.child_by_field_name("right"),
                    stmt.child_by_field_name("body"),
                ) else {
                    continue;
                };
                if left.kind() != "identifier" || !matches!(right.kind(), "tuple" | "list") {
                    continue;
                }
                let values: Option<Vec<String>> = named_children(right)
                    .into_iter()
                    .filter(|n| n.kind() != "comment")
                    .map(|n| m.string_value(n))
                    .collect();
                let Some(values) = values else { continue };
                let var = m.text(left).to_string();
                for v in values {
                    let env = vec![(var.clone(), v)];
                    let previous = self.bindings.replace(env.clone());
                    for inner in block_statements(body, true) {
                        let Some((_, value)) = module_assignment(m, inner) else {
                            continue;
                        };
                        if let Some((n, call)) = scan.short_call(value)
                            && n == "Table"
                            && let Some(first) = call.positional.first()
                            && let Some(name) = self.eval_str(si, *first, &env, None, 0)
                            && let Some(t) = self.table_from_call(si, &call, Some(name))
                        {
                            merge_table(schema, t);
                        }
                    }
                    self.bindings.replace(previous);
                }
            }
        }
    }

    /// `Index("ix", User.email)` at module level: added to the table of
    /// the class or `Table` its first column belongs to.
    pub(super) fn loose_indexes(&mut self, schema: &mut Schema) {
        for (si, scan) in self.scans.iter().enumerate().take(self.models) {
            for &(_, value) in scan.table_calls.iter() {
                let Some((n, call)) = scan.short_call(value) else {
                    continue;
                };
                if n != "Index" {
                    continue;
                }
                let table = call
                    .positional
                    .iter()
                    .filter_map(|a| scan.m.dotted_name(*a))
                    .find_map(|d| {
                        let parts: Vec<&str> = d.split('.').collect();
                        self.resolve_ref(si, &parts).map(|(t, _)| t).or_else(|| {
                            // A class whose table name is unknown.
                            (parts.len() == 2).then(|| parts[0].to_string())
                        })
                    });
                let Some(table_name) = table else { continue };
                let mut tmp = Table::default();
                let mut pk = None;
                self.add_constraint(si, &call, &mut tmp, &mut pk);
                let t = schema.table_mut(&table_name, scan.loc(value));
                t.indexes.extend(tmp.indexes);
            }
        }
    }
}

/// Puts the columns into the table, applying a `PrimaryKeyConstraint`
/// (its columns become primary key and, unless said otherwise, NOT NULL).
pub(super) fn finish_columns(table: &mut Table, cols: Vec<BuiltColumn>, pk: Option<Vec<String>>) {
    for mut c in cols {
        if let Some(pk) = &pk
            && pk.contains(&c.column.name)
        {
            c.column.primary_key = true;
            if !c.nullable_explicit {
                c.column.nullable = false;
            }
        }
        table.add_column(c.column);
    }
    if let Some(pk) = pk {
        table.primary_key = pk;
    }
}

/// Adds `t` to the schema; a second declaration of the same table name
/// (an `__table__` class and its `Table`) adds what the first lacked.
pub(super) fn merge_table(schema: &mut Schema, t: Table) {
    match schema.tables.iter_mut().find(|x| x.name == t.name) {
        None => schema.tables.push(t),
        Some(existing) => {
            for c in t.columns {
                existing.add_column(c);
            }
            existing.indexes.extend(t.indexes);
            existing.uniques.extend(t.uniques);
            existing.checks.extend(t.checks);
            existing.foreign_keys.extend(t.foreign_keys);
            if existing.class_name.is_none() {
                existing.class_name = t.class_name;
            }
        }
    }
}

/// A foreign-key column declared without a type takes the type of the
/// column it references, as SQLAlchemy does (issue 25), when that column
/// is among the files read; chains (`a -> b -> c`) are followed.
pub(super) fn inherit_foreign_key_types(schema: &mut Schema) {
    for _ in 0..4 {
        let mut found: Vec<(usize, usize, String)> = Vec::new();
        for (ti, t) in schema.tables.iter().enumerate() {
            for (ci, c) in t.columns.iter().enumerate() {
                if c.type_.is_some() {
                    continue;
                }
                let Some(fk) = c.foreign_keys.first() else {
                    continue;
                };
                let Some((table, column)) = fk.target.rsplit_once('.') else {
                    continue;
                };
                if let Some(ty) = schema
                    .table(table)
                    .and_then(|t| t.column(column))
                    .and_then(|c| c.type_.clone())
                {
                    found.push((ti, ci, ty));
                }
            }
        }
        if found.is_empty() {
            return;
        }
        for (ti, ci, ty) in found {
            schema.tables[ti].columns[ci].type_ = Some(ty);
        }
    }
}
