//! Small readers of Python syntax the other passes share: dotted names,
//! generics, decorators, returned values, literal dicts, and the names of
//! the SQLAlchemy calls that matter.

use tree_sitter::Node;

use super::classes::Scan;
use crate::python::{Call, Module, block_statements, named_children};

pub(super) const COLUMN_CALLS: &[&str] = &["Column", "mapped_column"];
/// Calls in a class body that are known not to be columns (the rest may
/// be column helpers).
pub(super) const NOT_COLUMNS: &[&str] = &[
    "relationship",
    "Relationship",
    "association_proxy",
    "synonym",
    "backref",
    "query_expression",
    "column_property",
    "composite",
    "hybrid_property",
    "Field",
    "dynamic_loader",
    "TypeVar",
];
pub(super) const WRAPPER_CALLS: &[&str] = &["deferred", "column_property"];
pub(super) const CONSTRAINT_CALLS: &[&str] = &[
    "Index",
    "UniqueConstraint",
    "CheckConstraint",
    "ForeignKeyConstraint",
    "PrimaryKeyConstraint",
];
pub(super) const COLUMN_EXTRAS: &[&str] = &["Sequence", "Identity", "Computed", "FetchedValue"];
pub(super) const ENUM_BASES: &[&str] = &["Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"];
pub(super) const REGISTRY_BASES: &[&str] = &[
    "object",
    "DeclarativeBase",
    "DeclarativeBaseNoMeta",
    "MappedAsDataclass",
    "AsyncAttrs",
    "SQLModel",
];
pub(super) const COLLECTIONS: &[&str] = &[
    "list",
    "List",
    "set",
    "Set",
    "frozenset",
    "FrozenSet",
    "Sequence",
    "Collection",
    "MutableSequence",
    "MutableSet",
];

pub(super) fn last(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

pub(super) fn bool_literal(node: Node<'_>) -> Option<bool> {
    match node.kind() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `Name[args]` in annotation (`generic_type`) or expression (`subscript`)
/// form: the dotted name and the argument nodes.
pub(super) fn generic<'m>(m: &Module, node: Node<'m>) -> Option<(String, Vec<Node<'m>>)> {
    let node = unwrap_type(node);
    match node.kind() {
        "generic_type" => {
            let children = named_children(node);
            let name = children.first().and_then(|n| m.dotted_name(*n))?;
            let params = children.iter().find(|n| n.kind() == "type_parameter")?;
            let args = named_children(*params)
                .into_iter()
                .map(unwrap_type)
                .collect();
            Some((name, args))
        }
        "subscript" => {
            let name = m.dotted_name(node.child_by_field_name("value")?)?;
            let mut cursor = node.walk();
            let args = node
                .children_by_field_name("subscript", &mut cursor)
                .collect();
            Some((name, args))
        }
        _ => None,
    }
}

/// Looks through the `type` wrapper of annotations.
pub(super) fn unwrap_type(mut node: Node<'_>) -> Node<'_> {
    while node.kind() == "type" || node.kind() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The name of a function definition's decorator(s), last component.
pub(super) fn decorator_names(m: &Module, decorated: Node<'_>) -> Vec<String> {
    named_children(decorated)
        .into_iter()
        .filter(|n| n.kind() == "decorator")
        .filter_map(|d| d.named_child(0))
        .filter_map(|e| {
            let e = if e.kind() == "call" {
                e.child_by_field_name("function")?
            } else {
                e
            };
            m.dotted_name(e)
        })
        .collect()
}

/// The value of the last `return` at the top of a function body.
pub(super) fn returned<'m>(function: Node<'m>) -> Option<Node<'m>> {
    let body = function.child_by_field_name("body")?;
    block_statements(body, true)
        .into_iter()
        .rev()
        .find(|s| s.kind() == "return_statement")?
        .named_child(0)
}

/// A module-level statement's assigned value and the dotted name it is
/// assigned to (`users = Table(...)`, `User.table = Table(...)`, an
/// annotated assignment), or a bare expression statement's value (with no
/// name).
pub(super) fn module_assignment<'m>(
    m: &Module,
    stmt: Node<'m>,
) -> Option<(Option<String>, Node<'m>)> {
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let inner = stmt.named_child(0)?;
    if inner.kind() == "assignment" {
        let target = inner
            .child_by_field_name("left")
            .and_then(|l| m.dotted_name(l));
        return Some((target, inner.child_by_field_name("right")?));
    }
    Some((None, inner))
}

/// The items of a `__table_args__` value (a tuple, list, dict or one call).
pub(super) fn table_arg_items(node: Node<'_>) -> Vec<Node<'_>> {
    let node = unwrap_type(node);
    match node.kind() {
        "tuple" | "list" => named_children(node)
            .into_iter()
            .filter(|n| n.kind() != "comment")
            .collect(),
        _ => vec![node],
    }
}

/// `"key": value` pairs of a dict literal with string keys.
pub(super) fn dict_pairs<'m>(s: &Scan<'m>, dict: Node<'m>) -> Vec<(String, Node<'m>)> {
    named_children(dict)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .filter_map(|p| {
            let k = s.m.string_value(p.child_by_field_name("key")?)?;
            Some((k, p.child_by_field_name("value")?))
        })
        .collect()
}

/// `key: value` pairs of a dict literal, keys as nodes.
pub(super) fn dict_pairs_of(dict: Node<'_>) -> Vec<(Node<'_>, Node<'_>)> {
    named_children(dict)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .filter_map(|p| {
            Some((
                p.child_by_field_name("key")?,
                p.child_by_field_name("value")?,
            ))
        })
        .collect()
}

pub(super) fn schema_kw(s: &Scan<'_>, call: &Call<'_>) -> Option<String> {
    call.keyword("schema").and_then(|v| s.m.string_value(v))
}

pub(super) fn qualify(name: &str, schema: Option<String>) -> String {
    match schema {
        Some(s) if !s.is_empty() => format!("{s}.{name}"),
        _ => name.to_string(),
    }
}
