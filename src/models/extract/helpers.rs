//! Simple helpers evaluated statically (issue 25): a computed
//! `__tablename__` (`f"{cls.__name__.lower()}s"`,
//! `camel_to_snake(cls.__name__)`), a module-level function that returns
//! a column (`id = primary_key("user")`) or the table args
//! (`__table_args__ = auto_table_args()`), called with literal arguments.
//!
//! Only string expressions are evaluated: literals, f-strings, `+`,
//! `.lower()`/`.upper()`, the class name, a function's parameters bound to
//! literal arguments, and the usual CamelCase-to-snake_case functions
//! (recognized by what they do, not by their name alone). Anything else
//! is not known, and the caller keeps what it did before.

use tree_sitter::Node;

use super::columns::BuiltColumn;
use super::resolve::{Resolver, camel_to_snake};
use super::syntax::{COLUMN_CALLS, last, returned};
use crate::python::{block_statements, named_children};

/// How deep helper calls are followed.
const DEPTH: usize = 6;

/// Parameter bindings of an evaluated helper call: (parameter, literal).
pub(super) type Env = [(String, String)];

impl<'m> Resolver<'m> {
    /// A module-level function called `name` visible from file `scan`:
    /// the file it is in and its definition.
    pub(super) fn function(&self, scan: usize, name: &str) -> Option<(usize, Node<'m>)> {
        let name = self.scans[scan]
            .types
            .aliases
            .get(name)
            .map_or(name, String::as_str);
        self.scans_for(scan, name).find_map(|i| {
            let m = self.scans[i].m;
            m.module_statements().into_iter().find_map(|s| {
                let f = match s.kind() {
                    "function_definition" => s,
                    "decorated_definition" => s.child_by_field_name("definition")?,
                    _ => return None,
                };
                (f.kind() == "function_definition"
                    && f.child_by_field_name("name").map(|n| m.text(n)) == Some(name))
                .then_some((i, f))
            })
        })
    }

    /// The string `node` (in file `scan`) evaluates to, with `env` bound
    /// and `cls.__name__` the class name `class` when there is one.
    pub(super) fn eval_str(
        &self,
        scan: usize,
        node: Node<'m>,
        env: &Env,
        class: Option<&str>,
        depth: usize,
    ) -> Option<String> {
        if depth > DEPTH {
            return None;
        }
        let m = self.scans[scan].m;
        if let Some(s) = m.string_value(node) {
            return Some(s);
        }
        match node.kind() {
            "parenthesized_expression" => {
                self.eval_str(scan, node.named_child(0)?, env, class, depth + 1)
            }
            "identifier" => env
                .iter()
                .find(|(k, _)| k == m.text(node))
                .map(|(_, v)| v.clone()),
            "attribute" => {
                let text: String = m.text(node).split_whitespace().collect();
                match text.as_str() {
                    "cls.__name__" | "self.__name__" | "cls.__qualname__" => {
                        class.map(str::to_string)
                    }
                    _ => None,
                }
            }
            "string" => {
                // An f-string: literal parts and evaluable interpolations.
                let mut out = String::new();
                for part in named_children(node) {
                    match part.kind() {
                        "string_start" | "string_end" => {}
                        "string_content" => out.push_str(m.text(part)),
                        "interpolation" => {
                            let e = part.child_by_field_name("expression")?;
                            if part.child_by_field_name("format_specifier").is_some()
                                || part.child_by_field_name("type_conversion").is_some()
                            {
                                return None;
                            }
                            out.push_str(&self.eval_str(scan, e, env, class, depth + 1)?);
                        }
                        _ => return None,
                    }
                }
                Some(out)
            }
            "binary_operator" => {
                let op = node.child_by_field_name("operator").map(|o| m.text(o));
                if op != Some("+") {
                    return None;
                }
                let l = self.eval_str(
                    scan,
                    node.child_by_field_name("left")?,
                    env,
                    class,
                    depth + 1,
                )?;
                let r = self.eval_str(
                    scan,
                    node.child_by_field_name("right")?,
                    env,
                    class,
                    depth + 1,
                )?;
                Some(l + &r)
            }
            "call" => {
                let call = m.call(node)?;
                let function = call.function;
                // `x.lower()`, `x.upper()`.
                if function.kind() == "attribute" && call.positional.is_empty() {
                    let object = function.child_by_field_name("object")?;
                    let method = m.text(function.child_by_field_name("attribute")?);
                    let v = self.eval_str(scan, object, env, class, depth + 1)?;
                    return match method {
                        "lower" => Some(v.to_lowercase()),
                        "upper" => Some(v.to_uppercase()),
                        _ => None,
                    };
                }
                let name = m.dotted_name(function)?;
                let args: Vec<String> = call
                    .positional
                    .iter()
                    .map(|a| self.eval_str(scan, *a, env, class, depth + 1))
                    .collect::<Option<_>>()?;
                if !call.keywords.is_empty() {
                    return None;
                }
                self.call_function(scan, &name, &args, class, depth + 1)
            }
            _ => None,
        }
    }

    /// A call of a module-level function with evaluated arguments: its
    /// returned expression with the parameters bound, or what it does
    /// when it is a CamelCase-to-snake_case conversion.
    fn call_function(
        &self,
        scan: usize,
        name: &str,
        args: &[String],
        class: Option<&str>,
        depth: usize,
    ) -> Option<String> {
        let found = self.function(scan, last(name));
        let Some((fscan, f)) = found else {
            // A library's conversion (`inflection.underscore`).
            return match (last(name), args) {
                (
                    "camel_to_snake" | "camel_to_snake_case" | "underscore" | "to_snake_case",
                    [a],
                ) => Some(camel_to_snake(a)),
                _ => None,
            };
        };
        let m = self.scans[fscan].m;
        let body: String = m.text(f).split_whitespace().collect();
        if let [a] = args {
            // dispatch's `resolve_table_name`: split before every capital.
            if body.contains("(?=[A-Z])") {
                return Some(split_capitals(a));
            }
            // The two-regex recipe, Flask-SQLAlchemy's conversion.
            if body.contains("([a-z0-9])([A-Z])") || body.contains("([a-z\\d])([A-Z])") {
                return Some(camel_to_snake(a));
            }
        }
        let env = self.bind(fscan, f, args)?;
        let value = returned(f)?;
        self.eval_str(fscan, value, &env, class, depth + 1)
    }

    /// Binds a function's parameters to `args` (defaults for the rest
    /// when they are literals); `None` when they do not fit.
    fn bind(&self, scan: usize, f: Node<'m>, args: &[String]) -> Option<Vec<(String, String)>> {
        let m = self.scans[scan].m;
        let params = f.child_by_field_name("parameters")?;
        let mut env = Vec::new();
        let mut given = args.iter();
        for p in named_children(params) {
            let (name, default) = match p.kind() {
                "identifier" => (m.text(p), None),
                "typed_parameter" => (m.text(p.named_child(0)?), None),
                "default_parameter" | "typed_default_parameter" => (
                    m.text(p.child_by_field_name("name")?),
                    p.child_by_field_name("value"),
                ),
                "list_splat_pattern" | "dictionary_splat_pattern" => continue,
                _ => continue,
            };
            match given.next() {
                Some(v) => env.push((name.to_string(), v.clone())),
                None => {
                    if let Some(d) = default.and_then(|d| m.string_value(d)) {
                        env.push((name.to_string(), d));
                    }
                }
            }
        }
        given.next().is_none().then_some(env)
    }

    /// `attr = helper("x")` where `helper` is a module-level function
    /// returning `Column(...)` or `mapped_column(...)`: that column, with
    /// the helper's parameters bound to the literal arguments, declared
    /// at `at` in file `scan`.
    pub(super) fn helper_column(
        &self,
        scan: usize,
        attr: &str,
        call_node: Node<'m>,
        annotation: Option<Node<'m>>,
        at: Node<'m>,
    ) -> Option<BuiltColumn> {
        let s = &self.scans[scan];
        let call = s.m.call(call_node)?;
        let name = s.m.dotted_name(call.function)?;
        let (fscan, f) = self.function(scan, last(&name))?;
        // One `return` of a column call, at the top of the body.
        let value = returned(f)?;
        let body = f.child_by_field_name("body")?;
        if block_statements(body, true)
            .iter()
            .filter(|st| st.kind() == "return_statement")
            .count()
            != 1
        {
            return None;
        }
        let (kind, _) = self.scans[fscan].short_call(value)?;
        if !COLUMN_CALLS.contains(&kind.as_str()) {
            return None;
        }
        let args: Vec<String> = call
            .positional
            .iter()
            .map(|a| self.eval_str(scan, *a, &[], None, 0))
            .collect::<Option<_>>()?;
        let env = self.bind(fscan, f, &args)?;
        let previous = self.bindings.replace(env);
        let built = if kind == "mapped_column" {
            let info = annotation
                .map(|a| self.annotation(scan, a))
                .unwrap_or_default();
            self.mapped_column(fscan, attr, Some(value), info, value)
        } else {
            self.column(fscan, Some(attr), value, None, value)
        };
        self.bindings.replace(previous);
        let mut built = built?;
        built.column.loc = s.loc(at);
        // Keyword arguments of the call that are column options
        // (`primary_key("user", nullable=True)`) are not read: unknown
        // helpers stay what they were.
        Some(built)
    }

    /// `__table_args__ = helper()`: what the helper returns, and its file.
    pub(super) fn helper_table_args(
        &self,
        scan: usize,
        node: Node<'m>,
    ) -> Option<(usize, Node<'m>)> {
        let s = &self.scans[scan];
        let call = s.m.call(node)?;
        if !call.positional.is_empty() || !call.keywords.is_empty() {
            return None;
        }
        let name = s.m.dotted_name(call.function)?;
        let (fscan, f) = self.function(scan, last(&name))?;
        let value = returned(f)?;
        matches!(value.kind(), "tuple" | "list" | "dictionary" | "call").then_some((fscan, value))
    }

    /// A string argument of a column call, with the bindings of the helper
    /// being evaluated (`ForeignKey(f"{name}.id")`).
    pub(super) fn bound_string(&self, scan: usize, node: Node<'m>) -> Option<String> {
        let env = self.bindings.borrow();
        if env.is_empty() {
            return None;
        }
        self.eval_str(scan, node, &env, None, 0)
    }
}

/// `text` with the f-strings of a helper's parameters filled in
/// (`Sequence(f"{name}_id_seq")` -> `Sequence("user_id_seq")`), while a
/// helper is read; `text` itself otherwise.
fn fill(text: String, env: &Env) -> String {
    if env.is_empty() || !text.contains("f\"") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("f\"") {
        let starts_token = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        let Some(end) = rest[i + 2..].find('"') else {
            break;
        };
        let body = &rest[i + 2..i + 2 + end];
        out.push_str(&rest[..i]);
        let mut filled = body.to_string();
        for (k, v) in env {
            filled = filled.replace(&format!("{{{k}}}"), v);
        }
        if starts_token && !filled.contains('{') {
            out.push('"');
            out.push_str(&filled);
            out.push('"');
        } else {
            out.push_str(&rest[i..i + 3 + end]);
        }
        rest = &rest[i + 3 + end..];
    }
    out.push_str(rest);
    out
}

impl Resolver<'_> {
    /// [`fill`] with the bindings of the helper being read.
    pub(super) fn bound_text(&self, text: String) -> String {
        fill(text, &self.bindings.borrow())
    }
}

/// `IncidentCost` -> `incident_cost`, `HTTPLog` -> `h_t_t_p_log`: a split
/// before every capital letter, as `re.split("(?=[A-Z])", name)` does.
fn split_capitals(name: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts.join("_")
}

#[cfg(test)]
mod tests {
    use super::split_capitals;
    use crate::models::extract::extract_source;
    use crate::models::schema::Schema;

    fn schema(src: &str) -> Schema {
        extract_source("app/models.py", src.as_bytes()).unwrap()
    }

    /// `primary_key("X")` and `key_type("X")`, as in the histories issue
    /// 25 measured.
    #[test]
    fn column_helpers_with_literal_arguments_are_columns() {
        let s = schema(
            "def primary_key(name):\n    return mapped_column(Integer, Sequence(f'{name}_id_seq'), primary_key=True)\n\ndef key_type(name):\n    return Column(ForeignKey(f'{name}.id', ondelete='CASCADE'), nullable=False)\n\nclass User(Base):\n    __tablename__ = 'users'\n    id: Mapped[int] = primary_key('user')\n    name = Column(String(50))\n    friends = relationship('User')\n    label = some_value()\n\nclass Post(Base):\n    __tablename__ = 'posts'\n    id: Mapped[int] = primary_key('post')\n    user_id = key_type('users')\n",
        );
        let users = s.table("users").unwrap();
        let cols: Vec<_> = users.columns.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            cols,
            [
                "id Integer NOT NULL PK Sequence(\"user_id_seq\")  @9",
                "name String(50) NULL  @10",
            ]
        );
        let posts = s.table("posts").unwrap();
        let user_id = posts.column("user_id").unwrap();
        assert_eq!(user_id.foreign_keys[0].target, "users.id");
        // A foreign key without a type takes the referenced column's.
        assert_eq!(user_id.type_.as_deref(), Some("Integer"));
        assert!(!user_id.nullable);
        assert_eq!(posts.primary_key, ["id"]);
    }

    #[test]
    fn computed_table_names_are_evaluated() {
        let s = schema(
            "import re\n\ndef resolve_table_name(name):\n    names = re.split('(?=[A-Z])', name)\n    return '_'.join([x.lower() for x in names if x])\n\nclass Base(DeclarativeBase):\n    @declared_attr.directive\n    def __tablename__(cls):\n        return resolve_table_name(cls.__name__)\n\nclass IncidentCost(Base):\n    id = Column(Integer, primary_key=True)\n\nclass Plural(Base):\n    @declared_attr\n    def __tablename__(cls):\n        return f'{cls.__name__.lower()}s'\n    id = Column(Integer, primary_key=True)\n\nclass Prefixed(Base):\n    __tablename__ = 'app_' + 'prefixed'\n    id = Column(Integer, primary_key=True)\n\nclass Opaque(Base):\n    @declared_attr\n    def __tablename__(cls):\n        return cls.__name__.title()\n    id = Column(Integer, primary_key=True)\n",
        );
        let names: Vec<_> = s
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.name_unknown))
            .collect();
        assert_eq!(
            names,
            [
                ("incident_cost", false),
                ("plurals", false),
                ("app_prefixed", false),
                ("Opaque", true),
            ]
        );
    }

    #[test]
    fn table_args_helpers_are_evaluated() {
        let s = schema(
            "def auto_table_args():\n    return (UniqueConstraint('a', 'b', name='uq_ab'), {'schema': 'app'})\n\nclass T(Base):\n    __tablename__ = 't'\n    __table_args__ = auto_table_args()\n    id = Column(Integer, primary_key=True)\n    a = Column(Integer)\n    b = Column(Integer)\n",
        );
        let t = s.table("app.t").unwrap();
        assert_eq!(t.uniques[0].columns, ["a", "b"]);
    }

    #[test]
    fn capitals_split_like_dispatch() {
        assert_eq!(split_capitals("IncidentCost"), "incident_cost");
        assert_eq!(split_capitals("HTTPLog"), "h_t_t_p_log");
        assert_eq!(split_capitals("user"), "user");
    }
}
