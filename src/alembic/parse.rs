//! One Alembic migration file, read statically: its identifiers
//! (`revision`, `down_revision`, `branch_labels`, `depends_on`), its
//! message, and what its `upgrade()` and `downgrade()` do.
//!
//! Nothing is imported or run. Values are evaluated as far as a reader of
//! the file can: string literals (plain, concatenated, parenthesized),
//! `None`, tuples, lists and sets of them, and names of constants defined
//! in the same file. Assignments may be annotated (`revision: str = ...`,
//! `down_revision: Union[str, None] = ...`) or sit under a module-level
//! `if`/`try`. A branch label that names a constant of another module
//! (`cli.EXPAND_BRANCH`) keeps the constant's dotted name, which is enough
//! to tell branches apart.

use std::collections::HashMap;
use std::fmt;

use tree_sitter::Node;

use crate::python::{Module, descendants, named_children};

/// A value read from a migration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<T> {
    /// The file does not assign it.
    Absent,
    /// Read; `line` is the 1-based line of the assignment (`None` when the
    /// value came from elsewhere, such as a legacy revision taken from the
    /// file name).
    Known { value: T, line: Option<u32> },
    /// Assigned, but not to something a static reader can evaluate.
    Unreadable { line: u32, reason: String },
}

impl<T> Value<T> {
    /// The value, when it was read.
    pub fn known(&self) -> Option<&T> {
        match self {
            Value::Known { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The line of the assignment, when there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            Value::Known { line, .. } => *line,
            Value::Unreadable { line, .. } => Some(*line),
            Value::Absent => None,
        }
    }
}

/// What a function body does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Only `pass`, `...`, docstrings (any bare string) and comments.
    Empty,
    /// Only raises (after an optional docstring or `pass`): an explicit
    /// decision that the migration cannot be undone.
    Irreversible,
    /// Anything else.
    Work,
}

/// A module-level `upgrade()` or `downgrade()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// 1-based line of the `def` (of the decorator, when decorated).
    pub line: u32,
    /// 1-based last line of the body.
    pub end_line: u32,
    /// Byte range of the whole definition in the file, for callers that
    /// re-parse the file to look at the operations (the model rules).
    pub start_byte: usize,
    pub end_byte: usize,
    pub body: Body,
    /// The function changes the schema (see [`super::effect`]), not only
    /// data; read for `upgrade()` only (always `false` otherwise).
    pub changes_schema: bool,
    /// A comment or docstring inside says why it does what it does (an
    /// empty `downgrade()` that explains itself is deliberate); read for
    /// `downgrade()` only.
    pub explained: bool,
}

/// The `downgrade` status that `dbguard migrations` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Downgrade {
    Ok,
    Empty,
    Missing,
    Irreversible,
}

impl Downgrade {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Downgrade::Ok => "ok",
            Downgrade::Empty => "empty",
            Downgrade::Missing => "missing",
            Downgrade::Irreversible => "irreversible",
        }
    }
}

impl fmt::Display for Downgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything dbguard reads from one migration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    pub revision: Value<String>,
    /// Always a list: a single string becomes one entry, `None` none.
    pub down_revisions: Value<Vec<String>>,
    pub branch_labels: Value<Vec<String>>,
    pub depends_on: Value<Vec<String>>,
    /// The first line of the module docstring.
    pub message: Option<String>,
    /// The `Revises:` header of the docstring, as written.
    pub revises: Option<Vec<String>>,
    pub upgrade: Option<Function>,
    pub downgrade: Option<Function>,
    /// 1-based line of the first syntax error, if any.
    pub syntax_error: Option<u32>,
    /// The content is binary (a NUL byte): not Python at all.
    pub binary: bool,
}

impl Migration {
    /// Reads a migration from its bytes. `file_name` is only used for
    /// Alembic's legacy rule: a file without `revision` whose name is
    /// hexadecimal (`3f2a9c.py`) takes its revision from the name.
    pub fn parse(bytes: &[u8], file_name: &str) -> Migration {
        let mut m = Migration {
            revision: Value::Absent,
            down_revisions: Value::Absent,
            branch_labels: Value::Absent,
            depends_on: Value::Absent,
            message: None,
            revises: None,
            upgrade: None,
            downgrade: None,
            syntax_error: None,
            binary: memchr::memchr(0, bytes).is_some(),
        };
        if m.binary {
            m.revision = Value::Unreadable {
                line: 1,
                reason: "the file is binary, not Python source".into(),
            };
            return m;
        }
        let Some(module) = Module::parse(bytes) else {
            m.revision = Value::Unreadable {
                line: 1,
                reason: "the file cannot be parsed".into(),
            };
            return m;
        };
        let reader = Reader::new(&module);
        m.syntax_error = reader.first_error();
        m.revision = match reader.field("revision", Kind::Revision) {
            Value::Known { mut value, line } => Value::Known {
                value: value.pop().unwrap_or_default(),
                line,
            },
            Value::Unreadable { line, reason } => Value::Unreadable { line, reason },
            Value::Absent => Value::Absent,
        };
        m.down_revisions = reader.field("down_revision", Kind::Links);
        m.branch_labels = reader.field("branch_labels", Kind::Labels);
        m.depends_on = reader.field("depends_on", Kind::Links);
        if matches!(m.revision, Value::Absent)
            && let Some(stem) = file_name.strip_suffix(".py")
            && !stem.is_empty()
            && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            m.revision = Value::Known {
                value: stem.to_string(),
                line: None,
            };
        }
        if let Some(doc) = module.docstring(module.root()) {
            let doc = doc.trim();
            m.message = doc.lines().next().map(|l| l.trim().to_string());
            m.revises = doc.lines().find_map(|l| {
                l.trim().strip_prefix("Revises:").map(|rest| {
                    rest.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
            });
        }
        m.upgrade = reader.function("upgrade");
        m.downgrade = reader.function("downgrade");
        m
    }

    /// The downgrade status: missing, empty, irreversible or ok.
    pub fn downgrade_status(&self) -> Downgrade {
        match &self.downgrade {
            None => Downgrade::Missing,
            Some(f) => match f.body {
                Body::Empty => Downgrade::Empty,
                Body::Irreversible => Downgrade::Irreversible,
                Body::Work => Downgrade::Ok,
            },
        }
    }

    /// Whether `upgrade()` does nothing (merge and no-op migrations), or
    /// is missing altogether.
    pub fn upgrade_is_empty(&self) -> bool {
        self.upgrade.as_ref().is_none_or(|f| f.body == Body::Empty)
    }
}

/// How a field's value is interpreted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One string.
    Revision,
    /// `None`, a string or a sequence of strings: revision ids.
    Links,
    /// Like links, but a name of another module's constant is kept as its
    /// dotted name.
    Labels,
}

/// What an expression evaluates to, as far as a static reader can tell.
enum Eval {
    Str(String),
    None,
    Seq(Vec<Eval>),
    /// A name that is not defined in the file (`cli.EXPAND_BRANCH`).
    Symbol(String),
    /// Anything else, with a description for the message.
    Other(String),
}

struct Reader<'m> {
    module: &'m Module,
    /// Module-level assignments by name, in document order.
    assignments: HashMap<&'m str, Vec<(Node<'m>, bool)>>,
}

impl<'m> Reader<'m> {
    fn new(module: &'m Module) -> Reader<'m> {
        let root = module.root();
        let mut assignments: HashMap<&str, Vec<(Node<'_>, bool)>> = HashMap::new();
        for stmt in module.module_statements() {
            if let Some(a) = module.assignment(stmt)
                && let Some(value) = a.value
            {
                let top_level = stmt.parent() == Some(root);
                assignments
                    .entry(a.name)
                    .or_default()
                    .push((value, top_level));
            }
        }
        Reader {
            module,
            assignments,
        }
    }

    fn first_error(&self) -> Option<u32> {
        if !self.module.has_errors() {
            return None;
        }
        descendants(self.module.root())
            .find(|n| n.is_error() || n.is_missing())
            .map(|n| self.module.position(n).line)
    }

    /// The value node Python would see for a module-level name: the last
    /// top-level assignment, else the first one under an `if`/`try`
    /// (the branch that normally runs).
    fn binding(&self, name: &str) -> Option<Node<'m>> {
        let list = self.assignments.get(name)?;
        list.iter()
            .rev()
            .find(|(_, top)| *top)
            .or_else(|| list.first())
            .map(|(n, _)| *n)
    }

    fn field(&self, name: &str, kind: Kind) -> Value<Vec<String>> {
        let Some(node) = self.binding(name) else {
            return Value::Absent;
        };
        let line = self.module.position(node).line;
        let unreadable = |reason: String| Value::Unreadable { line, reason };
        let eval = self.eval(node, 0);
        match (kind, eval) {
            (Kind::Revision, Eval::Str(s)) => Value::Known {
                value: vec![s],
                line: Some(line),
            },
            (Kind::Revision, other) => unreadable(format!(
                "`revision` is {}, not a string literal",
                describe(&other)
            )),
            (_, Eval::None) => Value::Known {
                value: Vec::new(),
                line: Some(line),
            },
            (_, Eval::Str(s)) => Value::Known {
                value: vec![s],
                line: Some(line),
            },
            (Kind::Labels, Eval::Symbol(s)) => Value::Known {
                value: vec![s],
                line: Some(line),
            },
            (_, Eval::Seq(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Eval::Str(s) => out.push(s),
                        Eval::Symbol(s) if kind == Kind::Labels => out.push(s),
                        other => {
                            return unreadable(format!(
                                "`{name}` holds {}, not a string literal",
                                describe(&other)
                            ));
                        }
                    }
                }
                Value::Known {
                    value: out,
                    line: Some(line),
                }
            }
            (_, other) => unreadable(format!(
                "`{name}` is {}, not a string, a tuple of strings or None",
                describe(&other)
            )),
        }
    }

    fn eval(&self, node: Node<'m>, depth: usize) -> Eval {
        let m = self.module;
        if depth > 16 {
            return Eval::Other("a chain of names too long to follow".into());
        }
        if let Some(s) = m.string_value(node) {
            return Eval::Str(s);
        }
        match node.kind() {
            "none" => Eval::None,
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.eval(inner, depth + 1),
                None => Eval::Other("an empty expression".into()),
            },
            "tuple" | "list" | "set" => Eval::Seq(
                named_children(node)
                    .into_iter()
                    .filter(|n| n.kind() != "comment")
                    .map(|n| self.eval(n, depth + 1))
                    .collect(),
            ),
            "identifier" => {
                let name = m.text(node);
                match self.binding(name) {
                    // `x = x` or a later rebinding: do not loop.
                    Some(v) if v.start_byte() != node.start_byte() && depth < 16 => {
                        self.eval(v, depth + 1)
                    }
                    _ => Eval::Symbol(name.to_string()),
                }
            }
            "attribute" => match m.dotted_name(node) {
                Some(name) => Eval::Symbol(name),
                None => Eval::Other(format!("`{}`", short(m.text(node)))),
            },
            "string" | "concatenated_string" => Eval::Other("an f-string with placeholders".into()),
            _ => Eval::Other(format!("`{}`", short(m.text(node)))),
        }
    }

    fn function(&self, name: &str) -> Option<Function> {
        let m = self.module;
        let def = m.function(name)?;
        // Report the decorator's line when decorated, like Python does.
        let outer = match def.parent() {
            Some(p) if p.kind() == "decorated_definition" => p,
            _ => def,
        };
        let body = def.child_by_field_name("body")?;
        Some(Function {
            line: m.position(outer).line,
            end_line: outer.end_position().row as u32 + 1,
            start_byte: outer.start_byte(),
            end_byte: outer.end_byte(),
            body: classify(body),
            // Each is read where a rule needs it (and parsing stays cheap).
            changes_schema: name == "upgrade" && super::effect::changes_schema(m, def),
            explained: name == "downgrade" && super::effect::explained(m, def),
        })
    }
}

fn describe(e: &Eval) -> String {
    match e {
        Eval::Str(_) => "a string".into(),
        Eval::None => "None".into(),
        Eval::Seq(_) => "a sequence".into(),
        Eval::Symbol(s) => format!("the name `{s}`, defined in another module"),
        Eval::Other(s) => s.clone(),
    }
}

fn short(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 40 {
        let cut: String = one_line.chars().take(37).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

/// Classifies a function body: empty, only raises, or does work.
pub fn classify(body: Node<'_>) -> Body {
    let mut raises = 0;
    for stmt in named_children(body) {
        match stmt.kind() {
            "comment" | "pass_statement" => {}
            "raise_statement" => raises += 1,
            "expression_statement" => {
                let inert = stmt.named_child(0).is_some_and(|e| {
                    e.kind() == "ellipsis" || matches!(e.kind(), "string" | "concatenated_string")
                });
                if !inert {
                    return Body::Work;
                }
            }
            _ => return Body::Work,
        }
    }
    if raises > 0 {
        Body::Irreversible
    } else {
        Body::Empty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Migration {
        Migration::parse(src.as_bytes(), "x.py")
    }

    fn known<T: Clone + std::fmt::Debug>(v: &Value<T>) -> T {
        v.known()
            .cloned()
            .unwrap_or_else(|| panic!("not known: {v:?}"))
    }

    #[test]
    fn alembic_template_file() {
        let m = parse(
            "\"\"\"initial database schema\n\nRevision ID: 9a6d5baf6502\nRevises: \nCreate Date: 2024-01-01\n\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\n\n# revision identifiers, used by Alembic.\nrevision = '9a6d5baf6502'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer))\n\n\ndef downgrade():\n    op.drop_table('users')\n",
        );
        assert_eq!(known(&m.revision), "9a6d5baf6502");
        assert_eq!(m.revision.line(), Some(13));
        assert_eq!(known(&m.down_revisions), Vec::<String>::new());
        assert_eq!(known(&m.branch_labels), Vec::<String>::new());
        assert_eq!(m.message.as_deref(), Some("initial database schema"));
        assert_eq!(m.revises, Some(vec![]));
        assert_eq!(m.downgrade_status(), Downgrade::Ok);
        assert_eq!(m.upgrade.as_ref().unwrap().line, 19);
        assert_eq!(m.downgrade.as_ref().unwrap().line, 23);
        assert!(!m.upgrade_is_empty());
        assert_eq!(m.syntax_error, None);
    }

    #[test]
    fn every_identifier_form() {
        let cases: &[(&str, &[&str])] = &[
            ("down_revision = 'a'", &["a"]),
            ("down_revision = \"a\"", &["a"]),
            ("down_revision: str = 'a'", &["a"]),
            ("down_revision: Union[str, None] = 'a'", &["a"]),
            (
                "down_revision: Union[str, Sequence[str], None] = ('a', 'b')",
                &["a", "b"],
            ),
            ("down_revision: str | None = None", &[]),
            ("down_revision = ('a', 'b')", &["a", "b"]),
            ("down_revision = ['a', 'b',]", &["a", "b"]),
            ("down_revision = {'a'}", &["a"]),
            ("down_revision = ('a',)", &["a"]),
            ("down_revision = ()", &[]),
            ("down_revision = []", &[]),
            ("down_revision = ('a')", &["a"]),
            ("down_revision = 'ab' 'cd'", &["abcd"]),
            (
                "down_revision = (\n    'a',  # first\n    'b',\n)",
                &["a", "b"],
            ),
            ("PREV = 'p1'\ndown_revision = PREV", &["p1"]),
            ("A = 'x'\nB = A\ndown_revision = (B, 'y')", &["x", "y"]),
            ("if True:\n    down_revision = 'in_if'", &["in_if"]),
            (
                "try:\n    down_revision = 'in_try'\nexcept Exception:\n    down_revision = None",
                &["in_try"],
            ),
            ("down_revision = 'old'\ndown_revision = 'new'", &["new"]),
            ("down_revision = r'raw'", &["raw"]),
        ];
        for (src, want) in cases {
            let m = parse(&format!("revision = 'r1'\n{src}\n"));
            assert_eq!(known(&m.down_revisions), *want, "{src}");
            assert_eq!(known(&m.revision), "r1");
        }
    }

    #[test]
    fn branch_labels_keep_constant_names() {
        let cases: &[(&str, &[&str])] = &[
            ("branch_labels = ('gxy',)", &["gxy"]),
            ("branch_labels = 'gxy'", &["gxy"]),
            ("branch_labels = None", &[]),
            (
                "branch_labels = (cli.EXPAND_BRANCH,)",
                &["cli.EXPAND_BRANCH"],
            ),
            (
                "branch_labels = cli.CONTRACT_BRANCH",
                &["cli.CONTRACT_BRANCH"],
            ),
            ("from x import LABEL\nbranch_labels = (LABEL,)", &["LABEL"]),
            ("LABEL = 'local'\nbranch_labels = (LABEL,)", &["local"]),
            (
                "branch_labels: Sequence[str] | None = ['a', 'b']",
                &["a", "b"],
            ),
        ];
        for (src, want) in cases {
            let m = parse(&format!("revision = 'r'\ndown_revision = None\n{src}\n"));
            assert_eq!(known(&m.branch_labels), *want, "{src}");
        }
    }

    #[test]
    fn unreadable_values_say_why_and_where() {
        let m = parse("import os\nrevision = os.environ['REV']\ndown_revision = None\n");
        match &m.revision {
            Value::Unreadable { line, reason } => {
                assert_eq!(*line, 2);
                assert!(reason.contains("not a string"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let m = parse("revision = 'a'\ndown_revision = compute()\n");
        assert!(matches!(
            m.down_revisions,
            Value::Unreadable { line: 2, .. }
        ));
        let m = parse("revision = f'{x}'\n");
        assert!(matches!(m.revision, Value::Unreadable { .. }));
        let m = parse("revision = None\n");
        assert!(matches!(m.revision, Value::Unreadable { .. }));
        let m = parse("revision = SOMETHING\n");
        assert!(matches!(m.revision, Value::Unreadable { .. }));
        let m = parse("revision = 'a'\ndepends_on = other.REV\n");
        assert!(matches!(m.depends_on, Value::Unreadable { .. }));
        let m = parse("down_revision = None\n");
        assert_eq!(m.revision, Value::Absent);
    }

    #[test]
    fn legacy_revision_from_a_hexadecimal_file_name() {
        let m = Migration::parse(b"down_revision = None\n", "3f2a9c.py");
        assert_eq!(known(&m.revision), "3f2a9c");
        assert_eq!(m.revision.line(), None);
        let m = Migration::parse(b"down_revision = None\n", "3f2a9c_add.py");
        assert_eq!(m.revision, Value::Absent);
    }

    #[test]
    fn body_classification() {
        let cases = [
            ("def downgrade():\n    pass\n", Downgrade::Empty),
            ("def downgrade():\n    ...\n", Downgrade::Empty),
            (
                "def downgrade():\n    \"\"\"Nothing.\"\"\"\n",
                Downgrade::Empty,
            ),
            (
                "def downgrade():\n    # nothing\n    pass\n",
                Downgrade::Empty,
            ),
            (
                "def downgrade():\n    \"\"\"doc\"\"\"\n    # c\n    pass\n    ...\n",
                Downgrade::Empty,
            ),
            ("def downgrade() -> None:\n    pass\n", Downgrade::Empty),
            ("def downgrade(): pass\n", Downgrade::Empty),
            (
                "def downgrade():\n    raise NotImplementedError()\n",
                Downgrade::Irreversible,
            ),
            (
                "def downgrade():\n    \"\"\"Irreversible.\"\"\"\n    # really\n    raise Exception('no')\n",
                Downgrade::Irreversible,
            ),
            ("def downgrade():\n    op.drop_table('t')\n", Downgrade::Ok),
            (
                "def downgrade():\n    pass\n    op.drop_table('t')\n",
                Downgrade::Ok,
            ),
            (
                "def downgrade():\n    if x:\n        raise X\n",
                Downgrade::Ok,
            ),
            (
                "def downgrade():\n    raise X\n    op.drop_table('t')\n",
                Downgrade::Ok,
            ),
            ("@decorated\ndef downgrade():\n    pass\n", Downgrade::Empty),
            (
                "if True:\n    def downgrade():\n        pass\n",
                Downgrade::Empty,
            ),
            ("def upgrade():\n    pass\n", Downgrade::Missing),
            (
                "class X:\n    def downgrade(self):\n        pass\n",
                Downgrade::Missing,
            ),
        ];
        for (src, want) in cases {
            let m = parse(&format!("revision = 'r'\ndown_revision = None\n{src}"));
            assert_eq!(m.downgrade_status(), want, "{src}");
        }
        let m = parse("def upgrade():\n    pass\ndef downgrade():\n    pass\n");
        assert!(m.upgrade_is_empty());
        let m = parse("def downgrade():\n    pass\n");
        assert!(m.upgrade_is_empty());
    }

    #[test]
    fn function_ranges_for_other_readers() {
        let src = "revision = 'r'\n\n@dec\ndef upgrade():\n    op.x()\n    op.y()\n";
        let m = parse(src);
        let up = m.upgrade.unwrap();
        assert_eq!((up.line, up.end_line), (3, 6));
        assert!(src[up.start_byte..up.end_byte].starts_with("@dec\ndef upgrade"));
    }

    #[test]
    fn broken_and_binary_files_never_panic() {
        let m = parse("revision = 'abc'\ndown_revision = None\ndef upgrade(:\n    pass\n");
        assert_eq!(known(&m.revision), "abc");
        assert_eq!(m.syntax_error, Some(3));
        let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        let m = Migration::parse(&garbage, "x.py");
        assert!(m.binary);
        assert!(matches!(m.revision, Value::Unreadable { .. }));
        let m = Migration::parse(b"\xff\xfe revision = 'a'\n", "x.py");
        let _ = m.downgrade_status();
        let m = parse("");
        assert_eq!(m.revision, Value::Absent);
        assert_eq!(m.downgrade_status(), Downgrade::Missing);
    }
}
