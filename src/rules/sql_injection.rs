//! `sql-injection`: SQL built from values with an f-string, `%`
//! formatting, `.format()` or `+`, and handed to a call that runs it.
//!
//! The rule reads Python with tree-sitter and follows the SQL argument of
//! every call that executes SQL (`execute`, `executemany`,
//! `exec_driver_sql`, SQLAlchemy's `text`, `pd.read_sql`, Django's `raw`,
//! asyncpg's `fetch`, ...) back to how it was built, through local
//! variables assigned earlier in the same function (`sql = f"..."`,
//! `sql += " AND x = " + v`).
//!
//! Few false alarms matter more than catching every case, so a value
//! interpolated into SQL is taken as safe when it cannot carry user input:
//! a literal, an ALL_CAPS constant (`TABLE_NAME`, `settings.SCHEMA`), a
//! model's `__tablename__`, a number (`int(limit)`, `len(ids)`,
//! `max(1, ceil(x))`),
//! a loop variable over a literal list, a lookup in a constant mapping
//! (`ORDER_COLUMNS[key]`), quoting helpers (`quote_ident`,
//! `sql.Identifier`), and placeholders built from literals
//! (`", ".join("?" * len(ids))`). Calls whose name is shared with other
//! libraries (`raw`, `query`, `fetch`, a `text` that is not SQLAlchemy's)
//! are only reported when the literal text around the values reads as SQL.
//!
//! In staged, path and range mode a finding that the previous version of
//! the file already had is not reported again: the rule asks about the
//! code being changed, not the file's history.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;
use tree_sitter::Node;

use super::{Context, FileInput, Rule, RuleId};
use crate::changes::Mode;
use crate::finding::Finding;
use crate::python::{Call, Module, descendants, named_children};

mod prefilter;
use prefilter::may_have_findings;

/// The `sql-injection` family.
pub struct SqlInjection;

impl Rule for SqlInjection {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::SqlInjection]
    }

    fn check_file(
        &self,
        ctx: &Context<'_>,
        file: &FileInput<'_>,
        out: &mut Vec<Finding>,
    ) -> anyhow::Result<()> {
        if !(ctx.enabled)(RuleId::SqlInjection)
            || !is_python(file.path())
            || !file.has_content()
            || file.is_binary()?
        {
            return Ok(());
        }
        let Some(content) = file.content()? else {
            return Ok(());
        };
        // By blob id: the previous version of a file with findings is
        // checked below, and it was checked already when it was new. The
        // configuration is the same for the whole run.
        let safe = &ctx.config.sql_injection.safe_calls;
        let check = |p: &str, b: &[u8]| check_source_with(p, b, safe);
        let new = file.change.new.as_ref();
        let mut found = crate::blob_cache::findings(new, file.path(), content, check);
        if found.is_empty() {
            return Ok(());
        }
        if ctx.set.mode != Mode::All
            && let Some(old) = file.old_content()?
        {
            let old_blob = file.change.old.as_ref();
            let before: HashSet<String> =
                crate::blob_cache::findings(old_blob, file.path(), &old, check)
                    .into_iter()
                    .map(|f| f.identity())
                    .collect();
            found.retain(|f| !before.contains(&f.identity()));
        }
        out.extend(found);
        Ok(())
    }
}

fn is_python(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyw")
}

/// Every SQL-injection finding in one Python source.
pub fn check_source(path: &str, bytes: &[u8]) -> Vec<Finding> {
    check_source_with(path, bytes, &[])
}

/// [`check_source`], with the project's own quoting helpers
/// (`sql_injection.safe_calls` in `.dbguard.yaml`) counted as safe.
pub fn check_source_with(path: &str, bytes: &[u8], safe_calls: &[String]) -> Vec<Finding> {
    if !may_have_findings(bytes) {
        return Vec::new();
    }
    let Some(m) = Module::parse(bytes) else {
        return Vec::new();
    };
    check_module(path, &m, safe_calls)
}

/// The findings in a parsed module, whatever the prefilter would say.
fn check_module(path: &str, m: &Module, safe_calls: &[String]) -> Vec<Finding> {
    let checker = Checker {
        m,
        sa_text: imports_sqlalchemy_text(m),
        budget: Cell::new(BUDGET),
        safe_calls,
    };
    let mut out = Vec::new();
    for node in sink_call_nodes(m) {
        if let Some(f) = checker.check_call(path, node) {
            out.push(f);
        }
    }
    out
}

/// Every call whose callee's own name is a sink's (`execute(...)`,
/// `db.text(...)`), in the order a walk of the whole tree meets them (a
/// call before the calls inside it): all the nodes
/// [`Checker::check_call`] can report, and a few it drops at once (a
/// callee that is no dotted name, `None.x.text()`). A callee's name is an identifier
/// in the source, so the text is searched for the names (every
/// occurrence, overlapping ones too) and the tree asked what stands at
/// each: on ckan's history, walking every node of every parsed module
/// was a fifth of the rule's time.
fn sink_call_nodes(m: &Module) -> Vec<Node<'_>> {
    static NAMES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        aho_corasick::AhoCorasick::new(SINKS.iter().map(|(n, _)| *n))
            .unwrap_or_else(|e| unreachable!("constant patterns: {e}"))
    });
    let root = m.root();
    let mut calls: Vec<Node<'_>> = Vec::new();
    for found in names.find_overlapping_iter(m.source()) {
        let Some(name) = root.descendant_for_byte_range(found.start(), found.end()) else {
            continue;
        };
        if name.kind() != "identifier" || name.byte_range() != found.range() {
            continue;
        }
        // `name(...)`, or `x.name(...)`: the identifier is the callee or
        // the callee attribute's last name.
        let Some(parent) = name.parent() else {
            continue;
        };
        let call = match parent.kind() {
            "call" => Some(parent),
            "attribute" if parent.child_by_field_name("attribute") == Some(name) => {
                parent.parent().filter(|c| c.kind() == "call")
            }
            _ => None,
        };
        if let Some(call) = call.filter(|c| {
            c.child_by_field_name("function")
                .is_some_and(|f| f == name || f == parent)
        }) {
            calls.push(call);
        }
    }
    calls.sort_by_key(|c| (c.start_byte(), std::cmp::Reverse(c.end_byte())));
    calls.dedup();
    calls
}

/// Compiles the rule's regexes (~4.5 ms together) on the warm-up thread
/// while git lists the changes, so that the first Python file a staged
/// check reads does not compile them on the way.
pub fn warm_up() {
    may_have_findings(b"");
    sql_words();
    sql_statement();
}

/// How sure a call name is to run SQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    /// Runs SQL whatever the library (`execute`, `exec_driver_sql`).
    Strong,
    /// A name other libraries use too: reported only when the literal text
    /// reads as SQL.
    Weak,
}

const SINKS: &[(&str, Strength)] = &[
    ("execute", Strength::Strong),
    ("executemany", Strength::Strong),
    ("executescript", Strength::Strong),
    ("exec_driver_sql", Strength::Strong),
    ("mogrify", Strength::Strong),
    ("read_sql", Strength::Strong),
    ("read_sql_query", Strength::Strong),
    ("RawSQL", Strength::Strong),
    ("text", Strength::Weak),
    ("raw", Strength::Weak),
    ("query", Strength::Weak),
    ("fetch", Strength::Weak),
    ("fetchrow", Strength::Weak),
    ("fetchval", Strength::Weak),
    ("fetch_all", Strength::Weak),
    ("fetch_one", Strength::Weak),
    ("fetch_val", Strength::Weak),
];

/// Keyword arguments that carry the SQL when it is not the first
/// positional argument.
const SQL_KEYWORDS: &[&str] = &["sql", "statement", "query", "operation", "sqltext"];

/// Module prefixes under which `text` is SQLAlchemy's.
const SA_MODULES: &[&str] = &["sa", "sqlalchemy", "sql", "expression", "sqlmodel", "db"];

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

/// How the SQL was built from a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    FString,
    Percent,
    Format,
    Concat,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::FString => "an f-string",
            Kind::Percent => "% formatting",
            Kind::Format => ".format()",
            Kind::Concat => "string concatenation",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Kind::FString => "f-string",
            Kind::Percent => "percent-format",
            Kind::Format => "format",
            Kind::Concat => "concatenation",
        }
    }
}

#[derive(Clone, Copy)]
struct Taint {
    kind: Kind,
    line: u32,
    /// The building expression's last line (a `# noqa: S608` may close a
    /// multi-line f-string).
    last: u32,
}

/// What is known about a string expression: its literal text (for the
/// reads-as-SQL test), whether it is a string at all, and the first
/// unsafe construction in it.
#[derive(Default)]
struct Eval {
    text: String,
    stringy: bool,
    taint: Option<Taint>,
}

impl Eval {
    fn merge(&mut self, other: Eval) {
        self.text.push_str(&other.text);
        self.stringy |= other.stringy;
        if self.taint.is_none() {
            self.taint = other.taint;
        }
    }
}

const MAX_DEPTH: usize = 24;

/// How many expression steps one call's analysis may take: following
/// variables can branch (`s = s + s`), and a pathological file must not
/// make the check slow. When it runs out the analysis stops and says
/// nothing.
const BUDGET: usize = 4000;

struct Checker<'m> {
    m: &'m Module,
    /// Whether a bare `text(...)` is SQLAlchemy's (imported from it).
    sa_text: bool,
    budget: Cell<usize>,
    /// The project's own quoting helpers.
    safe_calls: &'m [String],
}

/// A value that a name is bound to before a use.
enum Binding<'m> {
    /// `name = value`, `name := value`.
    Value(Node<'m>),
    /// `name += value` (or another augmented operator).
    Augmented(Node<'m>),
    /// `for name in iterable` (statement or comprehension).
    Iter(Node<'m>),
    /// A parameter, an unpacking, a `with ... as name`: anything.
    Unknown,
}

impl<'m> Checker<'m> {
    /// Takes one step of the budget; `false` when it is spent.
    fn spend(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    /// The called function's or method's own name, also for methods of
    /// literals (`", ".join`, `"...".format`).
    fn callee(&self, call: &Call<'m>) -> Option<&'m str> {
        match call.function.kind() {
            "identifier" => Some(self.m.text(call.function)),
            "attribute" => call
                .function
                .child_by_field_name("attribute")
                .map(|a| self.m.text(a)),
            _ => None,
        }
    }

    fn check_call(&self, path: &str, node: Node<'m>) -> Option<Finding> {
        let m = self.m;
        let call = m.call(node)?;
        let short = call.short_name()?;
        let &(_, mut strength) = SINKS.iter().find(|(n, _)| *n == short)?;
        let display = short.to_string();
        if short == "text" {
            let name = call.name.as_deref().unwrap_or("");
            let sa = match name.rsplit_once('.') {
                None => self.sa_text,
                Some((prefix, _)) => prefix.split('.').all(|p| SA_MODULES.contains(&p)),
            };
            if sa {
                strength = Strength::Strong;
            }
        }
        let arg = call
            .positional
            .first()
            .copied()
            .or_else(|| SQL_KEYWORDS.iter().find_map(|k| call.keyword(k)))?;
        self.budget.set(BUDGET);
        let e = self.eval(arg, node, 0);
        if self.budget.get() == 0 {
            return None;
        }
        let taint = e.taint?;
        let reads_as_sql = match strength {
            Strength::Strong => e.text.trim().is_empty() || sql_words().is_match(&e.text),
            Strength::Weak => sql_statement().is_match(&e.text),
        };
        if !reads_as_sql || cannot_bind(&e.text) {
            return None;
        }
        if acknowledged(m, node)
            || acknowledged_rows(
                m,
                taint.line.saturating_sub(1) as usize,
                taint.last.saturating_sub(1) as usize,
            )
        {
            return None;
        }
        let pos = m.position(arg);
        let arg_line = pos.line;
        let built = if taint.line != arg_line && arg.kind() == "identifier" {
            format!(" (built on line {})", taint.line)
        } else {
            String::new()
        };
        let canonical: String = m.text(arg).split_whitespace().collect::<Vec<_>>().join(" ");
        Some(
            Finding::new(
                RuleId::SqlInjection,
                path,
                format!(
                    "SQL built with {}{built} is passed to {display}(): values in it are not parameterized",
                    taint.kind.describe()
                ),
            )
            .at(pos.line, pos.column)
            .kind(taint.kind.slug())
            .fingerprint(format!("{display}\u{0}{canonical}")),
        )
    }

    /// What the string expression `node` is made of; `at` is the use
    /// (bindings after it do not count).
    fn eval(&self, node: Node<'m>, at: Node<'m>, depth: usize) -> Eval {
        let m = self.m;
        if depth > MAX_DEPTH || !self.spend() {
            return Eval::default();
        }
        let line = m.position(node).line;
        let last = node.end_position().row as u32 + 1;
        match node.kind() {
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.eval(inner, at, depth + 1),
                None => Eval::default(),
            },
            "string" => {
                let mut e = Eval {
                    stringy: true,
                    ..Eval::default()
                };
                if let Some(v) = m.string_value(node) {
                    e.text = v;
                    return e;
                }
                for part in named_children(node) {
                    match part.kind() {
                        "string_content" => e.text.push_str(m.text(part)),
                        "interpolation" => {
                            let unsafe_value = !identifier_context(&e.text)
                                && part
                                    .child_by_field_name("expression")
                                    .is_some_and(|x| !self.safe(x, depth + 1));
                            if unsafe_value && e.taint.is_none() {
                                e.taint = Some(Taint {
                                    kind: Kind::FString,
                                    line,
                                    last,
                                });
                            }
                        }
                        _ => {}
                    }
                }
                e
            }
            "concatenated_string" => {
                let mut e = Eval::default();
                for part in named_children(node) {
                    e.merge(self.eval(part, at, depth + 1));
                }
                e
            }
            "binary_operator" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Eval::default();
                };
                match m.text(op) {
                    "%" => {
                        let mut e = self.eval(left, at, depth + 1);
                        if e.stringy
                            && e.taint.is_none()
                            && !only_identifiers(&e.text, '%')
                            && !self.safe(right, depth + 1)
                        {
                            e.taint = Some(Taint {
                                kind: Kind::Percent,
                                line,
                                last,
                            });
                        }
                        e
                    }
                    "+" => {
                        let mut e = self.eval(left, at, depth + 1);
                        let r = self.eval(right, at, depth + 1);
                        let stringy = e.stringy || r.stringy;
                        e.merge(r);
                        if stringy
                            && e.taint.is_none()
                            && (!self.safe(left, depth + 1) || !self.safe(right, depth + 1))
                        {
                            e.taint = Some(Taint {
                                kind: Kind::Concat,
                                line,
                                last,
                            });
                        }
                        e.stringy = stringy;
                        e
                    }
                    _ => Eval::default(),
                }
            }
            "call" => {
                let Some(call) = m.call(node) else {
                    return Eval::default();
                };
                let Some(object) = call
                    .function
                    .child_by_field_name("object")
                    .filter(|_| call.function.kind() == "attribute")
                else {
                    return Eval::default();
                };
                match self.callee(&call) {
                    Some("format") => {
                        let mut e = self.eval(object, at, depth + 1);
                        // A field that stands where an identifier goes
                        // (`INSERT INTO {t} ({columns})`) takes no
                        // parameter; the others must be safe.
                        let (names, positions) = identifier_fields(&e.text);
                        let args_unsafe = call
                            .positional
                            .iter()
                            .enumerate()
                            .any(|(i, a)| !positions.contains(&i) && !self.safe(*a, depth + 1))
                            || call.keywords.iter().any(|(k, v)| {
                                !names.iter().any(|n| n == k) && !self.safe(*v, depth + 1)
                            });
                        if e.stringy
                            && e.taint.is_none()
                            && args_unsafe
                            && !only_identifiers(&e.text, '{')
                        {
                            e.taint = Some(Taint {
                                kind: Kind::Format,
                                line,
                                last,
                            });
                        }
                        e
                    }
                    Some("join") => {
                        let mut e = self.eval(object, at, depth + 1);
                        e.taint = None;
                        e
                    }
                    Some("strip" | "lstrip" | "rstrip" | "upper" | "lower") => {
                        self.eval(object, at, depth + 1)
                    }
                    _ => Eval::default(),
                }
            }
            "conditional_expression" => {
                let mut e = Eval::default();
                let parts = named_children(node);
                // `a if cond else b`: the values are the first and last.
                if let (Some(a), Some(b)) = (parts.first(), parts.last()) {
                    e.merge(self.eval(*a, at, depth + 1));
                    e.merge(self.eval(*b, at, depth + 1));
                }
                e
            }
            "identifier" => {
                let mut e = Eval::default();
                for b in self.bindings(m.text(node), at) {
                    match b {
                        Binding::Value(v) => e.merge(self.eval(v, v, depth + 1)),
                        Binding::Augmented(v) => {
                            let r = self.eval(v, v, depth + 1);
                            let unsafe_value = r.taint.is_none() && !self.safe(v, depth + 1);
                            let vline = m.position(v).line;
                            e.merge(r);
                            e.stringy = true;
                            if unsafe_value && e.taint.is_none() {
                                e.taint = Some(Taint {
                                    kind: Kind::Concat,
                                    line: vline,
                                    last: v.end_position().row as u32 + 1,
                                });
                            }
                        }
                        Binding::Iter(_) | Binding::Unknown => {}
                    }
                }
                e
            }
            _ => Eval::default(),
        }
    }

    /// Whether `node` cannot carry user input into SQL (see the module
    /// documentation for what counts).
    fn safe(&self, node: Node<'m>, depth: usize) -> bool {
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

    /// What `name` may hold at `at`: the bindings in its function (or
    /// comprehension) before `at`, else the module-level ones.
    fn bindings(&self, name: &str, at: Node<'m>) -> Vec<Binding<'m>> {
        let m = self.m;
        // Comprehension variables and the enclosing function.
        let mut scope = None;
        let mut cur = at.parent();
        while let Some(n) = cur {
            match n.kind() {
                "list_comprehension"
                | "generator_expression"
                | "set_comprehension"
                | "dictionary_comprehension" => {
                    for clause in named_children(n) {
                        if clause.kind() == "for_in_clause"
                            && clause
                                .child_by_field_name("left")
                                .is_some_and(|l| l.kind() == "identifier" && m.text(l) == name)
                        {
                            return clause
                                .child_by_field_name("right")
                                .map(Binding::Iter)
                                .into_iter()
                                .collect();
                        }
                    }
                }
                "function_definition" | "lambda" => {
                    scope = Some(n);
                    break;
                }
                _ => {}
            }
            cur = n.parent();
        }
        let mut out = Vec::new();
        if let Some(function) = scope {
            if let Some(params) = function.child_by_field_name("parameters")
                && descendants(params).any(|p| p.kind() == "identifier" && m.text(p) == name)
            {
                out.push(Binding::Unknown);
            }
            self.collect_bindings(function, name, Some(at.start_byte()), &mut out);
            if !out.is_empty() {
                return out;
            }
        }
        self.collect_bindings(m.root(), name, None, &mut out);
        out
    }

    /// Bindings of `name` directly in `scope` (not in nested functions or
    /// classes), before byte `before` when given.
    fn collect_bindings(
        &self,
        scope: Node<'m>,
        name: &str,
        before: Option<usize>,
        out: &mut Vec<Binding<'m>>,
    ) {
        let m = self.m;
        let body = scope.child_by_field_name("body").unwrap_or(scope);
        let mut skip_until = 0;
        for n in descendants(body) {
            if n.start_byte() < skip_until {
                continue;
            }
            if n != body
                && matches!(
                    n.kind(),
                    "function_definition" | "class_definition" | "lambda"
                )
            {
                skip_until = n.end_byte();
                continue;
            }
            if before.is_some_and(|b| n.start_byte() >= b) {
                break;
            }
            let is_name = |l: Option<Node<'_>>| {
                l.is_some_and(|l| l.kind() == "identifier" && m.text(l) == name)
            };
            let binds_in = |l: Option<Node<'_>>| {
                l.is_some_and(|l| {
                    l.kind() != "identifier"
                        && descendants(l).any(|x| x.kind() == "identifier" && m.text(x) == name)
                })
            };
            match n.kind() {
                "assignment" => {
                    let left = n.child_by_field_name("left");
                    let right = n.child_by_field_name("right");
                    if is_name(left) {
                        if let Some(v) = right {
                            out.push(Binding::Value(v));
                        }
                    } else if binds_in(left) {
                        // `a, b = x, y`: element by element when both
                        // sides are spelled out.
                        let targets = left.map(named_children).unwrap_or_default();
                        let values = right
                            .filter(|r| matches!(r.kind(), "expression_list" | "tuple"))
                            .map(named_children)
                            .unwrap_or_default();
                        match targets.iter().position(|t| is_name(Some(*t))) {
                            Some(i) if targets.len() == values.len() => {
                                out.push(Binding::Value(values[i]));
                            }
                            _ => out.push(Binding::Unknown),
                        }
                    }
                }
                "augmented_assignment" if is_name(n.child_by_field_name("left")) => {
                    if let Some(v) = n.child_by_field_name("right") {
                        out.push(Binding::Augmented(v));
                    }
                }
                "named_expression" if is_name(n.child_by_field_name("name")) => {
                    if let Some(v) = n.child_by_field_name("value") {
                        out.push(Binding::Value(v));
                    }
                }
                "for_statement" => {
                    let left = n.child_by_field_name("left");
                    if is_name(left) {
                        if let Some(v) = n.child_by_field_name("right") {
                            out.push(Binding::Iter(v));
                        }
                    } else if binds_in(left) {
                        out.push(Binding::Unknown);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether a value interpolated right after `before` (the SQL text up to
/// it) takes the place of an identifier: a table named after `FROM`,
/// `INTO`, `UPDATE`, `JOIN` or `TABLE`, or a double-quoted (or
/// backquoted) name after one of those, `VIEW`, `INDEX`, `ON`, `EXISTS`
/// or a `.`. A placeholder cannot carry an identifier, so a finding there
/// would ask for the impossible.
fn identifier_context(before: &str) -> bool {
    let b = before.trim_end();
    let (quoted, b) = match b.strip_suffix('"').or_else(|| b.strip_suffix('`')) {
        Some(rest) => (true, rest.trim_end()),
        None => (false, b),
    };
    if quoted && b.ends_with('.') {
        return true;
    }
    let word = b
        .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    // `INSERT INTO t ({columns})`: the column list names columns.
    if !quoted && let Some(rest) = b.strip_suffix('(') {
        let mut words = rest.split_whitespace().rev();
        let (_, before_table) = (words.next(), words.next());
        if before_table.is_some_and(|w| w.eq_ignore_ascii_case("into")) {
            return true;
        }
    }
    let plain = matches!(word.as_str(), "from" | "into" | "update" | "join" | "table");
    plain || (quoted && matches!(word.as_str(), "view" | "index" | "on" | "exists"))
}

/// The `.format()` fields of a template that stand where an identifier
/// goes (see [`identifier_context`]): by name (`{table}`) and by
/// position (`{0}`, or the n-th `{}`).
fn identifier_fields(template: &str) -> (Vec<String>, Vec<usize>) {
    let mut names = Vec::new();
    let mut positions = Vec::new();
    let mut auto = 0;
    let mut rest = template;
    let mut offset = 0;
    while let Some(i) = rest.find('{') {
        let at = offset + i;
        if rest[i + 1..].starts_with('{') {
            offset = at + 2;
            rest = &template[offset..];
            continue;
        }
        let end = rest[i..].find('}').map_or(rest.len(), |e| i + e);
        let field = rest[i + 1..end]
            .split([':', '!', '.', '['])
            .next()
            .unwrap_or("")
            .trim();
        let identifier = identifier_context(&template[..at]);
        if field.is_empty() {
            if identifier {
                positions.push(auto);
            }
            auto += 1;
        } else if let Ok(n) = field.parse::<usize>() {
            if identifier {
                positions.push(n);
            }
        } else if identifier {
            names.push(field.to_string());
        }
        offset = (offset + end + 1).min(template.len());
        rest = &template[offset..];
    }
    (names, positions)
}

/// Whether every placeholder of a template (`{...}` for `.format()`,
/// `%s`/`%(name)s` for `%`) stands where an identifier goes (see
/// [`identifier_context`]). `false` when there is none.
fn only_identifiers(template: &str, open: char) -> bool {
    let bytes = template.as_bytes();
    let mut found = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] as char == open {
            if bytes.get(i + 1).is_some_and(|&b| b as char == open) {
                i += 2;
                continue;
            }
            if !identifier_context(&template[..i]) {
                return false;
            }
            found = true;
        }
        i += 1;
    }
    found
}

/// Whether every statement of the SQL text is one that takes no bound
/// parameters (DDL, `SET`, `PRAGMA`, ...): what is interpolated there is
/// an identifier or a setting, which a placeholder could not carry, so a
/// finding would ask for the impossible. Quoting is then the question,
/// and the project's own helpers answer it.
fn cannot_bind(text: &str) -> bool {
    const NO_PARAMS: &[&str] = &[
        "create", "drop", "alter", "truncate", "comment", "grant", "revoke", "set", "pragma",
        "rename", "reindex", "vacuum", "refresh", "lock", "install", "load", "attach", "detach",
        "use", "analyze",
    ];
    let mut statements = text
        .split(';')
        .map(|s| {
            s.trim_start_matches(|c: char| !c.is_ascii_alphabetic())
                .split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .peekable();
    statements.peek().is_some() && statements.all(|w| NO_PARAMS.contains(&w.as_str()))
}

/// Whether the call's lines carry a comment that already accepts it for
/// the same check in bandit or ruff: `# noqa: S608` or `# nosec`.
fn acknowledged(m: &Module, call: Node<'_>) -> bool {
    acknowledged_rows(m, call.start_position().row, call.end_position().row)
}

/// Whether rows `first..=last` (0-based) carry `# noqa: S608` or
/// `# nosec`: on the call, or on the line that builds the SQL.
fn acknowledged_rows(m: &Module, first: usize, last: usize) -> bool {
    let marks = |text: &str| {
        let t = text.to_ascii_lowercase().replace(' ', "");
        t.contains("nosec") || (t.contains("noqa:") && t.contains("s608"))
    };
    // A comment is part of the one row it starts on, so rows without the
    // marks hold no comment with them, and the tree's comments (a walk of
    // the whole module) need not be listed.
    if first > last
        || !m
            .source()
            .split('\n')
            .skip(first)
            .take(last - first + 1)
            .any(marks)
    {
        return false;
    }
    m.comments()
        .into_iter()
        .filter(|c| (first..=last).contains(&c.start_position().row))
        .any(|c| marks(m.text(c)))
}

/// `TABLE_NAME`, `MAX_ROWS`: a constant by convention.
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
fn names_bind_parameter(source: &str) -> bool {
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

fn is_constant(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether the file imports `text` from SQLAlchemy (or SQLModel).
fn imports_sqlalchemy_text(m: &Module) -> bool {
    m.module_statements().into_iter().any(|s| {
        s.kind() == "import_from_statement"
            && s.child_by_field_name("module_name").is_some_and(|n| {
                let t = m.text(n);
                t.starts_with("sqlalchemy") || t.starts_with("sqlmodel")
            })
            && {
                let mut cursor = s.walk();
                s.children_by_field_name("name", &mut cursor)
                    .any(|n| m.text(n) == "text" || m.text(n).starts_with("text as"))
            }
    })
}

/// Any SQL keyword: enough for a call that surely runs SQL.
fn sql_words() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        crate::ascii_regex::new(
            r"(?i)\b(select|insert|update|delete|from|where|into|values|set|create|drop|alter|table|index|truncate|join|grant|revoke|pragma|vacuum|analyze|comment|call|exec|merge|begin|commit|rollback|show|describe|explain|lock|copy|refresh|returning|limit|order|group)\b",
        )
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
    })
}

/// SQL statement shapes: for call names other libraries share.
fn sql_statement() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        crate::ascii_regex::new(
            r"(?is)\b(select\b.*\bfrom|insert\s+into|update\b.*\bset\b|delete\s+from|create\s+(table|index|view|unique|schema)|drop\s+(table|index|view|schema)|alter\s+table|truncate\s|where\s+\w+\s*(=|<|>|like\b|in\b|is\b)|order\s+by|group\s+by|values\s*\()",
        )
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(u32, String)> {
        check_source("app.py", src.as_bytes())
            .into_iter()
            .map(|f| (f.line.unwrap_or(0), f.kind.unwrap_or_default()))
            .collect()
    }

    fn flagged(src: &str) -> bool {
        !kinds(src).is_empty()
    }

    /// Pieces of Python that make findings, calls that cannot be ones,
    /// and the broken and odd code around them.
    fn python_pieces() -> Vec<&'static str> {
        vec![
            "cursor.execute(",
            "db.session.query(",
            "text(",
            "sa.text(",
            "conn.fetch(",
            "execute",
            "query",
            "(",
            ")",
            ", ",
            "\n",
            "\n    ",
            "def f(v):\n    ",
            "f\"SELECT * FROM t WHERE id = {v}\"",
            "\"SELECT a FROM t WHERE b = %s\" % v",
            "\"DELETE FROM t WHERE id = \" + v",
            "\"UPDATE t SET a = {}\".format(v)",
            "sql = ",
            "sql",
            "sql += v",
            "model.Package",
            "User . id",
            "a.b.c",
            "None.x",
            "v",
            "# noqa: S608",
            "# nosec",
            "\"select 1\"",
            "'",
            "\"\"\"",
            "\\\n",
            "#",
            "x.update(d)",
            "from sqlalchemy import text\n",
            "é",
            "1",
            "(\n",
        ]
    }

    /// Whether `check_call` goes past its first test on `node`.
    fn judged(m: &Module, node: Node<'_>) -> bool {
        m.call(node).is_some_and(|c| {
            c.short_name()
                .is_some_and(|s| SINKS.iter().any(|(n, _)| *n == s))
        })
    }

    /// The calls a walk over every node would judge.
    fn sink_calls_by_walk(m: &Module) -> Vec<Node<'_>> {
        descendants(m.root()).filter(|n| judged(m, *n)).collect()
    }

    proptest::proptest! {
        /// The text search finds the calls a walk of the whole tree
        /// finds, in the walk's order.
        #[test]
        fn sink_calls_are_found_as_a_walk_finds_them(
            parts in proptest::collection::vec(proptest::sample::select(python_pieces()), 0..24),
        ) {
            let src = parts.concat();
            let m = Module::parse(src.as_bytes()).unwrap();
            // More may be found (`None.x.text()` has no dotted name), never
            // fewer, and only calls.
            let found = sink_call_nodes(&m);
            proptest::prop_assert!(found.iter().all(|n| n.kind() == "call"));
            let judged: Vec<Node<'_>> = found.into_iter().filter(|n| judged(&m, *n)).collect();
            proptest::prop_assert_eq!(judged, sink_calls_by_walk(&m), "{:?}", src);
        }

        /// A source the prefilter lets by has no findings, and the rows
        /// test for `# nosec` decides as the walk over comments did.
        #[test]
        fn the_prefilter_never_hides_a_finding(
            parts in proptest::collection::vec(proptest::sample::select(python_pieces()), 0..24),
        ) {
            let src = parts.concat();
            let m = Module::parse(src.as_bytes()).unwrap();
            let found = check_module("app.py", &m, &[]);
            proptest::prop_assert!(found.is_empty() || may_have_findings(src.as_bytes()), "{:?}", src);
            let rows = src.split('\n').count();
            for first in 0..rows {
                for last in first..rows {
                    let walk = m.comments().into_iter()
                        .filter(|c| (first..=last).contains(&c.start_position().row))
                        .any(|c| {
                            let t = m.text(c).to_ascii_lowercase().replace(' ', "");
                            t.contains("nosec") || (t.contains("noqa:") && t.contains("s608"))
                        });
                    proptest::prop_assert_eq!(acknowledged_rows(&m, first, last), walk);
                }
            }
        }
    }

    #[test]
    fn calls_that_pass_a_dotted_name_need_no_parse() {
        assert!(!may_have_findings(
            b"session.query(model.Package)\nx.update(d)\n"
        ));
        assert!(!may_have_findings(
            b"query(User . id, User.name)\nwhere = 1\n"
        ));
        assert!(!may_have_findings(b"cursor.execute(stmt.sql)\n"));
        // A bare name, a keyword or a call may carry built SQL.
        assert!(may_have_findings(b"session.query(q)\nx.update(d)\n"));
        assert!(may_have_findings(b"cursor.execute(None.x if a else sql)\n"));
        assert!(may_have_findings(b"cursor.execute(a.b())\n"));
        assert!(may_have_findings(b"cursor.execute(a.b + c)\n"));
        assert!(may_have_findings(b"cursor.execute(a.\\\nb)\n"));
        // The rule indeed finds nothing there.
        let src =
            "def f(v):\n    sql = f\"SELECT * FROM t WHERE id = {v}\"\n    return q.query(sql.x)\n";
        let m = Module::parse(src.as_bytes()).unwrap();
        assert!(check_module("app.py", &m, &[]).is_empty());
        let named = src.replace("sql.x", "sql");
        assert!(flagged(&named));
    }

    #[test]
    fn every_way_of_building_sql_from_a_value_is_found() {
        for src in [
            "def f(uid):\n    cursor.execute(f\"SELECT * FROM users WHERE id = {uid}\")\n",
            "def f(uid):\n    cursor.execute(\"SELECT * FROM users WHERE id = %s\" % uid)\n",
            "def f(uid):\n    cursor.execute(\"SELECT * FROM users WHERE id = {}\".format(uid))\n",
            "def f(name):\n    cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n",
            "def f(uid):\n    session.execute(text(f\"DELETE FROM users WHERE id = {uid}\"))\n",
            "def f(uid):\n    conn.exec_driver_sql(f\"UPDATE users SET x = 1 WHERE id = {uid}\")\n",
            "def f(uid):\n    pd.read_sql(f\"SELECT * FROM users WHERE id = {uid}\", con)\n",
            "def f(uid):\n    pd.read_sql_query(sql=f\"SELECT * FROM t WHERE id = {uid}\", con=c)\n",
            "def f(uid):\n    User.objects.raw(f\"SELECT * FROM users WHERE id = {uid}\")\n",
            "def f(uid):\n    await conn.fetch(f\"SELECT * FROM users WHERE id = {uid}\")\n",
            "def upgrade():\n    op.execute(f\"UPDATE users SET role = '{role}'\")\n",
            "def f(uid):\n    engine.execute(f\"{base} WHERE id = {uid}\")\n",
            "def f(uid):\n    a, b = uid, 1\n    cursor.execute(f\"SELECT * FROM t WHERE id = {a}\")\n",
            "def f(uid):\n    a, b = g(uid)\n    cursor.execute(f\"SELECT * FROM t WHERE id = {a}\")\n",
        ] {
            assert!(flagged(src), "{src}");
        }
    }

    #[test]
    fn sql_built_into_a_variable_first_is_found_at_the_call() {
        let src = "def f(uid, name):\n    sql = \"SELECT * FROM users\"\n    if name:\n        sql += f\" WHERE name = '{name}'\"\n    cursor.execute(sql)\n";
        let found = check_source("app.py", src.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].column), (Some(5), Some(20)));
        assert!(
            found[0].message.contains("an f-string (built on line 4)"),
            "{}",
            found[0].message
        );
        assert!(flagged(
            "def f(uid):\n    q = f\"SELECT * FROM t WHERE id = {uid}\"\n    return db.session.execute(text(q))\n"
        ));
        assert!(flagged(
            "def f(v):\n    sql = 'DELETE FROM t WHERE id = '\n    sql += v\n    cur.execute(sql)\n"
        ));
    }

    #[test]
    fn parameterized_and_literal_sql_passes() {
        for src in [
            "cursor.execute(\"SELECT * FROM users WHERE id = %s\", (uid,))\n",
            "session.execute(text(\"SELECT * FROM users WHERE id = :id\"), {\"id\": uid})\n",
            "cursor.execute(f\"SELECT * FROM users\")\n",
            "cursor.execute(\"SELECT * \" + \"FROM users\")\n",
            "cursor.execute(\"SELECT * FROM users WHERE id = %s\" % (\"1\",))\n",
            "def f(sql):\n    cursor.execute(sql)\n",
            "def f(x):\n    logger.info(f\"SELECT {x}\")\n",
            "def f(name):\n    st.text(f\"Hello {name}\")\n",
            "def f(q):\n    requests.get(f\"https://x/?q={q}\")\n",
            "def f(name):\n    self.query(f\"status {name}\")\n",
        ] {
            assert!(!flagged(src), "{src}");
        }
    }

    #[test]
    fn values_that_cannot_carry_input_are_safe() {
        for src in [
            "TABLE = 'users'\ndef f():\n    cursor.execute(f\"SELECT * FROM {TABLE}\")\n",
            "def f():\n    cursor.execute(f\"SELECT * FROM {settings.SCHEMA}.users\")\n",
            "def f():\n    cursor.execute(f\"SELECT * FROM {User.__tablename__}\")\n",
            "def f(limit):\n    cursor.execute(f\"SELECT * FROM t LIMIT {int(limit)}\")\n",
            "def f(ids):\n    placeholders = ', '.join('?' * len(ids))\n    cursor.execute(f\"SELECT * FROM t WHERE id IN ({placeholders})\", ids)\n",
            "def f(ids):\n    ph = ','.join(['%s'] * len(ids))\n    cursor.execute('SELECT * FROM t WHERE id IN (%s)' % ph, ids)\n",
            "def upgrade():\n    for table in ('users', 'orders'):\n        op.execute(f\"ALTER TABLE {table} ADD COLUMN x int\")\n",
            "def f(key):\n    cursor.execute(f\"SELECT * FROM t ORDER BY {ORDER_COLUMNS[key]}\")\n",
            "def f(name):\n    cur.execute(sql.SQL(\"SELECT * FROM {}\").format(sql.Identifier(name)))\n",
            "def f(cols):\n    marks = ', '.join('?' for _ in cols)\n    cur.execute(f\"INSERT INTO t VALUES ({marks})\", cols)\n",
            "def f(db, t):\n    name, tpl = q.quote(db), q.quote(t)\n    conn.execute(text(f\"CREATE DATABASE {name} TEMPLATE {tpl}\"))\n",
            "def f(s):\n    ms = max(1, ceil(s * 1000))\n    conn.exec_driver_sql(f\"SET LOCAL lock_timeout = '{ms}ms'\")\n",
            "def f(t):\n    cursor.execute(f\"SELECT * FROM {t}\")  # noqa: S608 (t is an internal name)\n",
            "def f(t):\n    cursor.execute(\n        f\"SELECT * FROM {t}\"  # nosec B608\n    )\n",
        ] {
            assert!(!flagged(src), "{src}");
        }
    }

    #[test]
    fn dynamic_column_names_from_input_are_found() {
        assert!(flagged(
            "def f(data):\n    sets = ', '.join(f\"{k} = ?\" for k in data)\n    cur.execute(f\"UPDATE t SET {sets}\", list(data.values()))\n"
        ));
    }

    #[test]
    fn broken_and_deep_input_does_not_panic() {
        let _ = kinds("def f(:\n    cursor.execute(f\"SELECT {x\"\n");
        let deep = format!(
            "def f(x):\n    cursor.execute({}\"SELECT \" + x{})\n",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let _ = kinds(&deep);
        let chain = format!(
            "def f(x):\n    s0 = x\n{}    cursor.execute(f\"SELECT {{s199}}\")\n",
            (1..200)
                .map(|i| format!("    s{i} = s{} + 'SELECT'\n", i - 1))
                .collect::<String>()
        );
        let _ = kinds(&chain);
        let doubling = format!(
            "def f(x):\n    s0 = x\n{}    cursor.execute(f\"SELECT {{s59}}\")\n",
            (1..60)
                .map(|i| format!("    s{i} = s{} + s{}\n", i - 1, i - 1))
                .collect::<String>()
        );
        let _ = kinds(&doubling);
    }

    #[test]
    fn identifiers_and_statements_without_parameters() {
        for before in [
            "SELECT * FROM ",
            "select * from \"",
            "INSERT INTO ",
            "x JOIN ",
            "DROP TABLE ",
            "CREATE VIEW \"",
            "FROM \"schema\".\"",
        ] {
            assert!(identifier_context(before), "{before}");
        }
        for before in [
            "WHERE id = ",
            "WHERE name = \"",
            "VALUES (",
            "LIMIT ",
            "ON ",
        ] {
            assert!(!identifier_context(before), "{before}");
        }
        assert!(only_identifiers("SELECT * FROM \"{0}\" WHERE 1 = 1", '{'));
        assert!(!only_identifiers("SELECT * FROM \"{0}\" LIMIT {1}", '{'));
        assert!(!only_identifiers("SELECT 1", '{'));
        assert!(only_identifiers("SELECT * FROM %s", '%'));
        assert!(cannot_bind("DROP TABLE x; CREATE INDEX i ON x (a)"));
        assert!(cannot_bind("SET LOCAL statement_timeout TO 5"));
        assert!(!cannot_bind("DROP TABLE x; SELECT * FROM y WHERE a = 1"));
        assert!(!cannot_bind(""));
    }

    #[test]
    fn placeholders_numbered_from_a_range_are_safe() {
        let src = "import sqlalchemy as sa\n\ndef f(conn, names):\n    sql = \"INSERT INTO t VALUES ({v})\".format(v=\", \".join([f\":val_{i}\" for i in range(len(names))]))\n    conn.execute(sa.text(sql))\n";
        assert!(check_source("app.py", src.as_bytes()).is_empty());
    }
}
