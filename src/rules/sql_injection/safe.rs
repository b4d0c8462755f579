//! Which values cannot carry user input into SQL: literals, constants,
//! numbers, quoting helpers, placeholders (see the rule's documentation).

use tree_sitter::Node;

use super::bindings::Binding;
use super::checker::{Checker, MAX_DEPTH};
use crate::python::{Module, named_children};

/// Calls that make a value safe to put in SQL: numbers, quoting helpers.
const SAFE_CALLS: &[&str] = &[
    // Numbers, and `range(...)`, whose loop variables are numbers
    // (`f":val_{i}" for i in range(n)` builds placeholders).
    "range",
    "int",
    "float",
    "len",
    "bool",
    "round",
    "abs",
    "ceil",
    "floor",
    "trunc",
    "quote_ident",
    "quote_identifier",
    "quote_name",
    "quote",
    "escape_string",
    "Identifier",
    "Literal",
    "Placeholder",
];

impl<'m> Checker<'m> {
    /// Whether `node` cannot carry user input into SQL (see the module
    /// documentation for what counts).
    pub(super) fn safe(&self, node: Node<'m>, depth: usize) -> bool {
        let m = self.m;
        if !self.spend() {
            // Out of budget: the finding is dropped anyway.
            return true;
        }
        if depth > MAX_DEPTH {
            return false;
        }
        match node.kind() {
            // `f":val_{i}"`: the name of a bound parameter.
            "string" if names_bind_parameter(m.text(node)) => true,
            "string" => named_children(node)
                .into_iter()
                .filter(|p| p.kind() == "interpolation" && !after_bind_colon(m, *p))
                .all(|p| {
                    p.child_by_field_name("expression")
                        .is_some_and(|x| self.safe(x, depth + 1))
                }),
            "concatenated_string" | "list" | "tuple" | "set" | "expression_list" => {
                named_children(node)
                    .into_iter()
                    .filter(|c| c.kind() != "comment")
                    .all(|c| self.safe(c, depth + 1))
            }
            "integer" | "float" | "true" | "false" | "none" => true,
            // `.format(**params)`: what the mapping holds.
            "dictionary_splat" | "list_splat" => named_children(node)
                .into_iter()
                .all(|c| self.safe(c, depth + 1)),
            "parenthesized_expression" | "unary_operator" | "not_operator" => named_children(node)
                .into_iter()
                .filter(|c| c.kind() != "comment")
                .all(|c| self.safe(c, depth + 1)),
            "binary_operator" => {
                // `rows_max + 1`: Python adds a number only to a number,
                // so the result is one, whatever the other side is.
                let number = |f: &str| {
                    node.child_by_field_name(f)
                        .is_some_and(|c| matches!(c.kind(), "integer" | "float"))
                };
                let arithmetic = node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(m.text(o), "+" | "-" | "/" | "//"));
                // `":" + name`: a bound parameter's placeholder.
                let placeholder = node
                    .child_by_field_name("left")
                    .is_some_and(|l| l.kind() == "string" && names_bind_parameter(m.text(l)));
                placeholder
                    || (arithmetic && (number("left") || number("right")))
                    || ["left", "right"].iter().all(|f| {
                        node.child_by_field_name(f)
                            .is_some_and(|c| self.safe(c, depth + 1))
                    })
            }
            "conditional_expression" => {
                let parts = named_children(node);
                match (parts.first(), parts.last()) {
                    (Some(a), Some(b)) => self.safe(*a, depth + 1) && self.safe(*b, depth + 1),
                    _ => false,
                }
            }
            "identifier" => {
                let name = m.text(node);
                if is_constant(name) || names_sql_text(name) {
                    return true;
                }
                let bindings = self.bindings(name, node);
                !bindings.is_empty()
                    && bindings.into_iter().all(|b| match b {
                        Binding::Value(v) | Binding::Augmented(v) | Binding::Iter(v) => {
                            self.safe(v, depth + 1)
                        }
                        Binding::Unknown => false,
                    })
            }
            "attribute" => {
                let Some(d) = m.dotted_name(node) else {
                    return false;
                };
                let last = d.rsplit('.').next().unwrap_or("");
                is_constant(last)
                    || last == "__tablename__"
                    || last == "__name__"
                    || d.ends_with("__table__.name")
            }
            "subscript" => node
                .child_by_field_name("value")
                .is_some_and(|v| match v.kind() {
                    "identifier" => is_constant(m.text(v)),
                    "attribute" => m
                        .dotted_name(v)
                        .is_some_and(|d| is_constant(d.rsplit('.').next().unwrap_or(""))),
                    "dictionary" | "list" | "tuple" => self.safe(v, depth + 1),
                    _ => false,
                }),
            "dictionary" => named_children(node)
                .into_iter()
                .filter_map(|p| p.child_by_field_name("value"))
                .all(|v| self.safe(v, depth + 1)),
            "call" => {
                let Some(call) = m.call(node) else {
                    return false;
                };
                let short = self.callee(&call).unwrap_or("");
                if SAFE_CALLS.contains(&short)
                    || is_quoting_helper(short)
                    || self.safe_calls.iter().any(|c| c == short)
                {
                    return true;
                }
                let object = (call.function.kind() == "attribute")
                    .then(|| call.function.child_by_field_name("object"))
                    .flatten();
                let args_safe = call.positional.iter().all(|a| self.safe(*a, depth + 1))
                    && call.keywords.iter().all(|(_, v)| self.safe(*v, depth + 1));
                match (short, object) {
                    ("str" | "max" | "min" | "dict", None) => args_safe,
                    ("join" | "format", Some(o)) => self.safe(o, depth + 1) && args_safe,
                    ("strip" | "lstrip" | "rstrip" | "upper" | "lower" | "title", Some(o)) => {
                        self.safe(o, depth + 1)
                    }
                    _ => false,
                }
            }
            "list_comprehension" | "generator_expression" | "set_comprehension" => node
                .child_by_field_name("body")
                .is_some_and(|b| self.safe(b, depth + 1)),
            _ => false,
        }
    }
}

/// A project's own quoting helper, by its name: `identifier(x)`,
/// `literal_string(x)`, `quote_literal(x)`, `escape_like(x)`,
/// `sql.Identifier(x)`, `cursor.mogrify(...)` (which binds). Projects
/// that name theirs otherwise list them in `sql_injection.safe_calls`.
fn is_quoting_helper(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("quote")
        || n.contains("escape")
        || n == "mogrify"
        || n == "identifier"
        || n.ends_with("_identifier")
        || n == "literal"
        || n.starts_with("literal_")
        || n.ends_with("_literal")
}

/// Whether a string literal's source (`":"`, `f":val_{i}"`, `':p'`)
/// starts a SQLAlchemy bound parameter's name: what it builds is a
/// placeholder, not a value.
pub(super) fn names_bind_parameter(source: &str) -> bool {
    let body = source.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let body = body.trim_start_matches(['"', '\'']);
    let Some(rest) = body.strip_prefix(':') else {
        return false;
    };
    let rest = rest.trim_end_matches(['"', '\'']);
    rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// Whether an f-string's interpolation names a bound parameter:
/// `cast(:{p} as jsonb)` (one `:` before it; `::{t}` is a cast).
fn after_bind_colon(m: &Module, interpolation: Node<'_>) -> bool {
    let src = m.source().as_bytes();
    let at = interpolation.start_byte();
    at >= 2 && src[at - 1] == b':' && src[at - 2] != b':'
}

/// A variable that holds SQL text itself (`sql`, `stmt`, `subquery`,
/// `where_sql`): a statement or a clause put into a larger one, which no
/// bound parameter could carry. (`query` is not one: it is as often the
/// user's search text.)
fn names_sql_text(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "sql" | "stmt" | "statement" | "subquery" | "sql_string"
    ) || n.ends_with("_sql")
        || n.starts_with("sql_")
        || n.ends_with("_stmt")
}

/// `TABLE_NAME`, `MAX_ROWS`: a constant by convention.
fn is_constant(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
