//! Normalized text of Python expressions, so that two spellings of the
//! same schema item compare equal: `sa.String( 255 )` and `String(255)`,
//! `'x'` and `"x"`, with or without a trailing comma or a comment.
//!
//! Walks the tree with [`descendants`] (no recursion) and rebuilds the text
//! from its tokens.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::python::{Module, descendants};

/// Module names that prefix SQLAlchemy names without changing what they
/// mean (`sa.Integer`, `db.Column`, `postgresql.JSONB`); the import
/// aliases of a file are added to these.
const DEFAULT_PREFIXES: &[&str] = &[
    "sa",
    "sqlalchemy",
    "db",
    "sqlmodel",
    "orm",
    "types",
    "schema",
    "sql",
    "dialects",
    "postgresql",
    "mysql",
    "sqlite",
    "mssql",
    "oracle",
    "pg",
    "expression",
];

/// The module prefixes one file uses for SQLAlchemy: the defaults plus the
/// names its imports of `sqlalchemy*`, `sqlmodel*` and `flask_sqlalchemy*`
/// bind (`import sqlalchemy as sqla`).
#[derive(Clone)]
pub struct Prefixes(HashSet<String>);

impl Prefixes {
    /// Reads the imports of `m`.
    pub fn of(m: &Module) -> Prefixes {
        let mut set: HashSet<String> = DEFAULT_PREFIXES.iter().map(|s| s.to_string()).collect();
        let is_sa = |module: &str| {
            ["sqlalchemy", "sqlmodel", "flask_sqlalchemy"]
                .iter()
                .any(|p| module == *p || module.starts_with(&format!("{p}.")))
        };
        for stmt in m.module_statements() {
            match stmt.kind() {
                "import_statement" => {
                    let mut cursor = stmt.walk();
                    for name in stmt.children_by_field_name("name", &mut cursor) {
                        let (module, alias) = import_parts(m, name);
                        if is_sa(&module) {
                            set.insert(alias.unwrap_or_else(|| {
                                module.split('.').next().unwrap_or("").to_string()
                            }));
                        }
                    }
                }
                "import_from_statement" => {
                    let Some(module) = stmt.child_by_field_name("module_name") else {
                        continue;
                    };
                    if !is_sa(m.text(module)) {
                        continue;
                    }
                    let mut cursor = stmt.walk();
                    for name in stmt.children_by_field_name("name", &mut cursor) {
                        let (imported, alias) = import_parts(m, name);
                        // `func.now()` keeps its `func`: it reads better.
                        if imported != "func" {
                            set.insert(alias.unwrap_or(imported));
                        }
                    }
                }
                _ => {}
            }
        }
        Prefixes(set)
    }

    /// Drops leading module components that are SQLAlchemy prefixes, while
    /// more than one component remains: `sa.func.now` -> `func.now`.
    pub fn strip<'s>(&self, dotted: &'s str) -> &'s str {
        let mut rest = dotted;
        while let Some((first, tail)) = rest.split_once('.') {
            if self.0.contains(first) {
                rest = tail;
            } else {
                break;
            }
        }
        rest
    }
}

impl Default for Prefixes {
    fn default() -> Self {
        Prefixes(DEFAULT_PREFIXES.iter().map(|s| s.to_string()).collect())
    }
}

/// `(module, alias)` of one name in an import statement.
fn import_parts(m: &Module, name: Node<'_>) -> (String, Option<String>) {
    if name.kind() == "aliased_import" {
        let module = name
            .child_by_field_name("name")
            .map(|n| m.text(n).to_string())
            .unwrap_or_default();
        let alias = name
            .child_by_field_name("alias")
            .map(|n| m.text(n).to_string());
        (module, alias)
    } else {
        (m.text(name).to_string(), None)
    }
}

/// The normalized text of an expression.
pub fn canon(m: &Module, node: Node<'_>, prefixes: &Prefixes) -> String {
    let mut tokens: Vec<String> = Vec::new();
    let mut skip_until = 0usize;
    for n in descendants(node) {
        if n.start_byte() < skip_until {
            continue;
        }
        match n.kind() {
            "comment" => {
                skip_until = n.end_byte();
            }
            "string" | "concatenated_string" => {
                skip_until = n.end_byte();
                tokens.push(match m.string_value(n) {
                    Some(v) => format!("{v:?}"),
                    None => fstring(m, n),
                });
            }
            "attribute" => {
                if let Some(d) = m.dotted_name(n) {
                    skip_until = n.end_byte();
                    tokens.push(prefixes.strip(&d).to_string());
                }
            }
            _ if n.child_count() == 0 => tokens.push(m.text(n).to_string()),
            _ => {}
        }
    }
    join(&tokens)
}

/// The normalized text of a column type: like [`canon`], and `String()`
/// is `String`.
pub fn canon_type(m: &Module, node: Node<'_>, prefixes: &Prefixes) -> String {
    let text = canon(m, node, prefixes);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("()") {
        let before = &rest[..i];
        out.push_str(before);
        if !before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            out.push_str("()");
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// An f-string with its quotes normalized: `f'ix_{t}'` and `f"ix_{t}"`
/// read the same.
fn fstring(m: &Module, n: Node<'_>) -> String {
    let mut out = String::new();
    for part in crate::python::named_children(n) {
        match part.kind() {
            "string_start" => {
                let prefix = m.text(part).trim_end_matches(['"', '\'']);
                out.push_str(&prefix.to_ascii_lowercase());
                out.push('"');
            }
            "string_end" => out.push('"'),
            _ => out.push_str(m.text(part)),
        }
    }
    if out.is_empty() {
        m.text(n).split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        out
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn join(tokens: &[String]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(String::as_str);
        match t.as_str() {
            "," => {
                if !matches!(next, Some(")" | "]" | "}") | None) {
                    out.push_str(", ");
                }
            }
            ":" => out.push_str(": "),
            _ => {
                if out.ends_with(is_word) && t.starts_with(is_word) {
                    out.push(' ');
                }
                out.push_str(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(src: &str) -> String {
        let m = Module::parse(src.as_bytes()).unwrap();
        let p = Prefixes::of(&m);
        let stmt = *m.module_statements().last().unwrap();
        let a = m.assignment(stmt).unwrap();
        canon_type(&m, a.value.unwrap(), &p)
    }

    #[test]
    fn equivalent_spellings_normalize_alike() {
        assert_eq!(value_of("x = sa.String( 255 )"), "String(255)");
        assert_eq!(value_of("x = String(255,)"), "String(255)");
        assert_eq!(value_of("x = sa.Numeric(10,2)"), "Numeric(10, 2)");
        assert_eq!(
            value_of("x = Enum('a', \"b\", # c\n name='s')"),
            "Enum(\"a\", \"b\", name=\"s\")"
        );
        assert_eq!(value_of("x = String()"), "String");
        assert_eq!(value_of("x = ARRAY(sa.String())"), "ARRAY(String)");
        assert_eq!(value_of("x = postgresql.JSONB"), "JSONB");
        assert_eq!(
            value_of("import sqlalchemy as sqla\nx = sqla.types.Integer"),
            "Integer"
        );
        assert_eq!(value_of("x = lambda: datetime.now"), "lambda: datetime.now");
        assert_eq!(value_of("x = not  a"), "not a");
        assert_eq!(value_of("x = myapp.GUID"), "myapp.GUID");
        assert_eq!(value_of("x = f'ix_{t}'"), value_of("x = f\"ix_{t}\""));
    }

    #[test]
    fn server_defaults_keep_their_calls() {
        let m = Module::parse(b"x = sa.text( 'now()' )\ny = sa.func.now()\n").unwrap();
        let p = Prefixes::of(&m);
        let vals: Vec<_> = m
            .module_statements()
            .into_iter()
            .map(|s| canon(&m, m.assignment(s).unwrap().value.unwrap(), &p))
            .collect();
        assert_eq!(vals, ["text(\"now()\")", "func.now()"]);
    }
}
