//! What one module defines or imports that says which database type a
//! column stores, read once per file: import aliases
//! (`from sqlalchemy.dialects.postgresql import UUID as PG_UUID`),
//! `TypeDecorator` subclasses and their `impl`, module-level type
//! variables (`JsonType = JSONB`), `Annotated` aliases, and the
//! `type_annotation_map` of a declarative base or registry.
//! [`super::types`] resolves a column's type through them.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::syntax::{dict_pairs_of, generic, last};
use crate::python::{Module, block_statements, descendants, named_children};

/// A class that defines a column type.
#[derive(Clone)]
pub(super) struct TypeClass<'m> {
    /// Dotted names of the base classes.
    pub(super) bases: Vec<String>,
    /// The `impl = ...` value.
    pub(super) impl_: Option<Node<'m>>,
    /// Defines `__init__`: arguments may not reach `impl`.
    pub(super) has_init: bool,
    /// Picks its type per dialect (`load_dialect_impl`) or compiles its
    /// own DDL (`UserDefinedType`, `get_col_spec`): unknown.
    pub(super) opaque: bool,
}

/// One module's type definitions.
#[derive(Clone, Default)]
pub(super) struct TypeDefs<'m> {
    /// `alias -> imported name` for `from m import X as alias`.
    pub(super) aliases: HashMap<String, String>,
    /// Every name a `from ... import` binds (its alias when it has one).
    pub(super) imported: HashSet<String>,
    /// Classes that define a column type.
    pub(super) classes: HashMap<String, TypeClass<'m>>,
    /// Module-level `name = value` assignments (the value node).
    pub(super) vars: HashMap<String, Node<'m>>,
    /// Module-level `name = Annotated[...]` aliases (the subscript node).
    pub(super) annotated: HashMap<String, Node<'m>>,
    /// `type_annotation_map` entries: the Python type as written, and the
    /// column type node.
    pub(super) annotation_map: Vec<(String, Node<'m>)>,
}

impl<'m> TypeDefs<'m> {
    /// Reads the module-level statements of `m`.
    pub(super) fn of(m: &'m Module) -> TypeDefs<'m> {
        let mut d = TypeDefs::default();
        for stmt in m.module_statements() {
            match stmt.kind() {
                "import_from_statement" => d.import(m, stmt),
                "class_definition" => d.class(m, stmt),
                "decorated_definition" => {
                    if let Some(c) = stmt
                        .child_by_field_name("definition")
                        .filter(|c| c.kind() == "class_definition")
                    {
                        d.class(m, c);
                    }
                }
                _ => {
                    if let Some(a) = m.assignment(stmt)
                        && let Some(value) = a.value
                    {
                        if generic(m, value).is_some_and(|(n, _)| last(&n) == "Annotated") {
                            d.annotated.insert(a.name.to_string(), value);
                        } else {
                            d.vars.insert(a.name.to_string(), value);
                        }
                    }
                    d.registry_maps(m, stmt);
                }
            }
        }
        d
    }

    fn import(&mut self, m: &Module, stmt: Node<'_>) {
        let mut cursor = stmt.walk();
        for name in stmt.children_by_field_name("name", &mut cursor) {
            if name.kind() == "aliased_import" {
                let (Some(orig), Some(alias)) = (
                    name.child_by_field_name("name"),
                    name.child_by_field_name("alias"),
                ) else {
                    continue;
                };
                let orig = m.text(orig);
                let orig = last(orig).to_string();
                let alias = m.text(alias).to_string();
                self.imported.insert(alias.clone());
                self.aliases.insert(alias, orig);
            } else {
                self.imported.insert(last(m.text(name)).to_string());
            }
        }
    }

    fn class(&mut self, m: &'m Module, node: Node<'m>) {
        let Some(name) = node.child_by_field_name("name").map(|n| m.text(n)) else {
            return;
        };
        let bases: Vec<String> = node
            .child_by_field_name("superclasses")
            .map(|a| {
                named_children(a)
                    .into_iter()
                    .filter_map(|b| m.dotted_name(b))
                    .collect()
            })
            .unwrap_or_default();
        let Some(body) = node.child_by_field_name("body") else {
            return;
        };
        // Most classes are models: only a type base, an `impl` or a
        // `type_annotation_map` makes the body worth reading.
        let type_base = bases.iter().any(|b| {
            matches!(
                last(b),
                "TypeDecorator" | "UserDefinedType" | "TypeEngine" | "Mutable"
            )
        });
        let text = m.text(body);
        if !type_base && !text.contains("impl") && !text.contains("type_annotation_map") {
            return;
        }
        let mut class = TypeClass {
            opaque: bases
                .iter()
                .any(|b| matches!(last(b), "UserDefinedType" | "TypeEngine")),
            bases,
            impl_: None,
            has_init: false,
        };
        let mut is_type = class.opaque
            || class
                .bases
                .iter()
                .any(|b| matches!(last(b), "TypeDecorator" | "Mutable"));
        for stmt in block_statements(body, true) {
            let function = match stmt.kind() {
                "function_definition" => Some(stmt),
                "decorated_definition" => stmt.child_by_field_name("definition"),
                _ => None,
            };
            if let Some(f) = function {
                match f.child_by_field_name("name").map(|n| m.text(n)) {
                    Some("__init__") => class.has_init = true,
                    Some("load_dialect_impl" | "get_col_spec") => class.opaque = true,
                    _ => {}
                }
                continue;
            }
            if let Some(a) = m.assignment(stmt) {
                match a.name {
                    "impl" => {
                        class.impl_ = a.value;
                        is_type = true;
                    }
                    "type_annotation_map" => {
                        if let Some(v) = a.value {
                            self.map_entries(m, v);
                        }
                    }
                    _ => {}
                }
            }
            self.registry_maps(m, stmt);
        }
        // A subclass of a type class that sets no `impl` of its own
        // (`class JsonDictType(JsonType): pass`) is not followed.
        if is_type {
            self.classes.insert(name.to_string(), class);
        }
    }

    /// `registry(type_annotation_map={...})` anywhere in a statement.
    fn registry_maps(&mut self, m: &'m Module, stmt: Node<'m>) {
        if !m.text(stmt).contains("type_annotation_map") {
            return;
        }
        for n in descendants(stmt) {
            if let Some(call) = m.call(n)
                && let Some(v) = call.keyword("type_annotation_map")
            {
                self.map_entries(m, v);
            }
        }
    }

    fn map_entries(&mut self, m: &'m Module, dict: Node<'m>) {
        if dict.kind() != "dictionary" {
            return;
        }
        for (k, v) in dict_pairs_of(dict) {
            self.annotation_map.push((m.text(k).to_string(), v));
        }
    }
}
