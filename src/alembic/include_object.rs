//! What an environment's `include_object` hook hides from autogenerate,
//! read statically from `env.py`: `alembic check` never reports a table,
//! column, index or constraint the hook returns `False` for, so neither
//! does model-without-migration (mealie skips two unique constraints it
//! declares where SQLAlchemy cannot see them).
//!
//! Only literal names are read: `if type_ == "table" and name in
//! ("spatial_ref_sys", ...): return False`, `name == "x"`, a module-level
//! list or set of names. Conditions on other things (`compare_to is None`,
//! `reflected`) are not evaluated: the object is hidden in both
//! directions, which can only make the rule quieter.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::python::{Module, block_statements, descendants, named_children};

/// Names the hook hides, by the kind of object (`type_`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    /// `type_ == "table"` (or any kind).
    pub tables: HashSet<String>,
    /// `type_ == "column"` (or any kind).
    pub columns: HashSet<String>,
    /// Indexes and unique/foreign-key constraints (or any kind).
    pub constraints: HashSet<String>,
}

impl Hidden {
    /// Whether the hook hides nothing dbguard can read.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty() && self.constraints.is_empty()
    }
}

/// What the `include_object` hook of `env.py` hides: the function passed
/// as `include_object=` to `context.configure`, or one of that name.
pub fn hidden(m: &Module) -> Hidden {
    let mut out = Hidden::default();
    let passed: Option<String> = descendants(m.root()).find_map(|n| {
        m.call(n)?
            .keyword("include_object")
            .filter(|v| v.kind() == "identifier")
            .map(|v| m.text(v).to_string())
    });
    let name = passed.as_deref().unwrap_or("include_object");
    let Some(f) = m.function(name) else {
        return out;
    };
    let Some(params) = f.child_by_field_name("parameters") else {
        return out;
    };
    let params: Vec<&str> = named_children(params)
        .into_iter()
        .map(|p| match p.kind() {
            "identifier" => m.text(p),
            _ => p
                .child_by_field_name("name")
                .or_else(|| p.named_child(0))
                .map_or("", |n| m.text(n)),
        })
        .collect();
    // `include_object(object, name, type_, reflected, compare_to)`.
    let (Some(name_param), Some(type_param)) = (params.get(1), params.get(2)) else {
        return out;
    };
    for n in descendants(f) {
        if !matches!(n.kind(), "if_statement" | "elif_clause") {
            continue;
        }
        let (Some(cond), Some(body)) = (
            n.child_by_field_name("condition"),
            n.child_by_field_name("consequence"),
        ) else {
            continue;
        };
        let returns_false = block_statements(body, false).iter().any(|s| {
            s.kind() == "return_statement" && s.named_child(0).is_some_and(|v| v.kind() == "false")
        });
        if !returns_false {
            continue;
        }
        let names = compared(m, cond, name_param);
        if names.is_empty() {
            continue;
        }
        let kinds = compared(m, cond, type_param);
        let any = kinds.is_empty();
        for k in kinds.iter().map(String::as_str).chain(any.then_some("")) {
            let into = match k {
                "table" => vec![&mut out.tables],
                "column" => vec![&mut out.columns],
                "index" | "unique_constraint" | "foreign_key_constraint" => {
                    vec![&mut out.constraints]
                }
                "" => vec![&mut out.tables, &mut out.columns, &mut out.constraints],
                _ => continue,
            };
            for set in into {
                set.extend(names.iter().cloned());
            }
        }
    }
    out
}

/// The literals `param` is compared with in `cond`: `param == "x"`,
/// `"x" == param`, `param in ("x", "y")` or a module-level collection of
/// literals.
fn compared(m: &Module, cond: Node<'_>, param: &str) -> Vec<String> {
    let mut out = Vec::new();
    for n in descendants(cond) {
        if n.kind() != "comparison_operator" {
            continue;
        }
        let parts = named_children(n);
        let [left, right] = parts.as_slice() else {
            continue;
        };
        let op: String = (0..n.child_count())
            .filter_map(|i| n.child(i))
            .filter(|c| !c.is_named())
            .map(|c| m.text(c).to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let is_param = |x: &Node<'_>| x.kind() == "identifier" && m.text(*x) == param;
        match op.as_str() {
            "==" if is_param(left) => out.extend(m.string_value(*right)),
            "==" if is_param(right) => out.extend(m.string_value(*left)),
            "in" if is_param(left) => out.extend(literals(m, *right)),
            _ => {}
        }
    }
    out
}

/// The string literals of a list, tuple or set, or of the module-level
/// collection a name is bound to.
fn literals(m: &Module, node: Node<'_>) -> Vec<String> {
    let node = if node.kind() == "identifier" {
        let name = m.text(node);
        match m.module_statements().into_iter().find_map(|s| {
            m.assignment(s)
                .filter(|a| a.name == name)
                .and_then(|a| a.value)
        }) {
            Some(v) => v,
            None => return Vec::new(),
        }
    } else {
        node
    };
    if !matches!(node.kind(), "list" | "tuple" | "set") {
        return Vec::new();
    }
    named_children(node)
        .into_iter()
        .filter_map(|n| m.string_value(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(src: &str) -> Hidden {
        hidden(&Module::parse(src.as_bytes()).unwrap())
    }

    #[test]
    fn names_the_hook_returns_false_for_are_hidden_by_kind() {
        let h = of(
            "IGNORED = {'spatial_ref_sys', 'celery_taskmeta'}\n\ndef include_object(object, name, type_, reflected, compare_to):\n    if type_ == 'unique_constraint' and name == 'units_name_key' and compare_to is None:\n        return False\n    elif type_ == 'table' and name in IGNORED:\n        return False\n    if name in ('legacy',):\n        return False\n    return True\n\ncontext.configure(connection=c, target_metadata=m, include_object=include_object)\n",
        );
        assert_eq!(
            h.constraints,
            HashSet::from(["units_name_key".into(), "legacy".into()])
        );
        assert_eq!(
            h.tables,
            HashSet::from([
                "spatial_ref_sys".into(),
                "celery_taskmeta".into(),
                "legacy".into()
            ])
        );
        assert_eq!(h.columns, HashSet::from(["legacy".into()]));
    }

    #[test]
    fn what_the_hook_keeps_or_cannot_say_hides_nothing() {
        // A condition that returns True, a name that is not a literal,
        // and no hook at all.
        assert!(of(
            "def include_object(object, name, type_, reflected, compare_to):\n    if name == 'x':\n        return True\n    if name.startswith(prefix):\n        return False\n    return True\n"
        )
        .is_empty());
        assert!(of("from alembic import context\n").is_empty());
        // The hook passed under another name.
        let h = of(
            "def skip(obj, n, kind, reflected, other):\n    if kind == 'index' and n == 'ix_a':\n        return False\n    return True\n\ncontext.configure(include_object=skip)\n",
        );
        assert_eq!(h.constraints, HashSet::from(["ix_a".into()]));
    }
}
