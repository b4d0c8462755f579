//! Reading Python source statically, with tree-sitter-python: the shared
//! ground of the Alembic reader (`src/alembic/`), the model extractor
//! (`src/models/`) and the Python rules.
//!
//! tree-sitter tolerates broken files (a syntax error becomes an `ERROR`
//! node, the rest still parses) and never runs the code. Nothing here
//! recurses over the tree: deeply nested input cannot overflow the stack.

use tree_sitter::{InputEdit, Node, Parser, Point, Tree};

/// A parsed Python file: the tree and the text it points into.
pub struct Module {
    text: String,
    tree: Tree,
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Module {
    /// Parses `bytes` (invalid UTF-8 is replaced, never rejected). `None`
    /// only when tree-sitter gives up, which it does not on any input seen
    /// so far; callers report that as unreadable.
    pub fn parse(bytes: &[u8]) -> Option<Module> {
        let text = crate::text::lossy(bytes).into_owned();
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .ok()?;
        let tree = parser.parse(&text, None)?;
        Some(Module { text, tree })
    }

    /// Parses `bytes`, another version of the file `before` was parsed
    /// from, reusing `before`'s tree where the text did not change (the
    /// lines before the first difference and after the last): a commit
    /// that edits one function of a large module reparses about that
    /// function, not the module. tree-sitter's incremental parse gives the
    /// tree a fresh parse gives; where the result has a syntax error (whose
    /// recovery could depend on what was reused) the source is parsed
    /// afresh, so broken files read exactly as [`Module::parse`] reads them.
    pub fn parse_after(bytes: &[u8], before: &Module) -> Option<Module> {
        let text = crate::text::lossy(bytes).into_owned();
        let Some(edits) = edits_between(&before.text, &text) else {
            return Module::parse(bytes);
        };
        let mut old = before.tree.clone();
        for edit in &edits {
            old.edit(edit);
        }
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .ok()?;
        let tree = parser.parse(&text, Some(&old))?;
        if tree.root_node().has_error() {
            return Module::parse(bytes);
        }
        Some(Module { text, tree })
    }

    /// The module node.
    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// The whole source text.
    pub fn source(&self) -> &str {
        &self.text
    }

    /// The source text of `node`.
    pub fn text(&self, node: Node<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Whether the file has syntax errors anywhere.
    pub fn has_errors(&self) -> bool {
        self.root().has_error()
    }

    /// Where `node` starts, with the column counted in characters.
    pub fn position(&self, node: Node<'_>) -> Position {
        let p = node.start_position();
        let line_start = node.start_byte() - p.column;
        let column = self
            .text
            .get(line_start..node.start_byte())
            .map_or(p.column, |s| s.chars().count());
        Position {
            line: p.row as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The statements at module level, looking through `if`/`try` blocks
    /// (`if TYPE_CHECKING:`, `try: ... except ImportError:`) whose bodies
    /// are still module level.
    pub fn module_statements(&self) -> Vec<Node<'_>> {
        block_statements(self.root(), true)
    }

    /// The docstring of a module, class or function body (the node itself
    /// for a module, the `block` for a class or function).
    pub fn docstring(&self, body: Node<'_>) -> Option<String> {
        let first = named_children(body)
            .into_iter()
            .find(|n| n.kind() != "comment")?;
        if first.kind() != "expression_statement" {
            return None;
        }
        let expr = first.named_child(0)?;
        self.string_value(expr)
    }

    /// The value of a string literal (`"a"`, `r'a'`, `"""a"""`, `"a" "b"`),
    /// or `None` for anything else, including f-strings that interpolate.
    pub fn string_value(&self, node: Node<'_>) -> Option<String> {
        match node.kind() {
            "string" => self.single_string(node),
            "concatenated_string" => {
                let mut out = String::new();
                for part in named_children(node) {
                    out.push_str(&self.single_string(part)?);
                }
                Some(out)
            }
            "parenthesized_expression" => self.string_value(node.named_child(0)?),
            _ => None,
        }
    }

    fn single_string(&self, node: Node<'_>) -> Option<String> {
        if node.kind() != "string" {
            return None;
        }
        let mut raw = false;
        let mut out = String::new();
        for child in named_children(node) {
            match child.kind() {
                "string_start" => {
                    let prefix = self.text(child).trim_end_matches(['"', '\'']);
                    raw = prefix.contains(['r', 'R']);
                }
                "string_content" => {
                    let t = self.text(child);
                    if raw {
                        out.push_str(t);
                    } else {
                        out.push_str(&unescape(t));
                    }
                }
                "interpolation" => return None,
                _ => {}
            }
        }
        Some(out)
    }

    /// The dotted name of an identifier or attribute chain (`op.drop_table`,
    /// `sa.Column`), or `None` for other expressions.
    pub fn dotted_name(&self, node: Node<'_>) -> Option<String> {
        match node.kind() {
            "identifier" => Some(self.text(node).to_string()),
            "attribute" => {
                let object = self.dotted_name(node.child_by_field_name("object")?)?;
                let attr = self.text(node.child_by_field_name("attribute")?);
                Some(format!("{object}.{attr}"))
            }
            _ => None,
        }
    }

    /// A call's callee and arguments, if `node` is a call.
    pub fn call<'t>(&'t self, node: Node<'t>) -> Option<Call<'t>> {
        if node.kind() != "call" {
            return None;
        }
        let function = node.child_by_field_name("function")?;
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        if let Some(args) = node.child_by_field_name("arguments") {
            // `f(x for x in y)`: the generator is the only argument.
            if args.kind() == "generator_expression" {
                positional.push(args);
            }
            for arg in named_children(args)
                .into_iter()
                .filter(|_| args.kind() == "argument_list")
            {
                match arg.kind() {
                    "keyword_argument" => {
                        if let (Some(name), Some(value)) = (
                            arg.child_by_field_name("name"),
                            arg.child_by_field_name("value"),
                        ) {
                            keywords.push((self.text(name).to_string(), value));
                        }
                    }
                    "comment" => {}
                    _ => positional.push(arg),
                }
            }
        }
        Some(Call {
            node,
            function,
            name: self.dotted_name(function),
            positional,
            keywords,
        })
    }

    /// A simple assignment statement `name = value` or
    /// `name: annotation = value` (the statement node, or the
    /// `expression_statement` around it).
    pub fn assignment<'t>(&'t self, stmt: Node<'t>) -> Option<Assignment<'t>> {
        let node = if stmt.kind() == "expression_statement" {
            stmt.named_child(0)?
        } else {
            stmt
        };
        if node.kind() != "assignment" {
            return None;
        }
        let left = node.child_by_field_name("left")?;
        if left.kind() != "identifier" {
            return None;
        }
        Some(Assignment {
            node,
            name: self.text(left),
            annotation: node.child_by_field_name("type"),
            value: node.child_by_field_name("right"),
        })
    }

    /// Module-level functions by name (`def upgrade():`), including
    /// decorated ones.
    pub fn function(&self, name: &str) -> Option<Node<'_>> {
        self.module_statements()
            .into_iter()
            .filter_map(|s| match s.kind() {
                "function_definition" => Some(s),
                "decorated_definition" => s.child_by_field_name("definition"),
                _ => None,
            })
            .find(|f| {
                f.kind() == "function_definition"
                    && f.child_by_field_name("name")
                        .is_some_and(|n| self.text(n) == name)
            })
    }

    /// Every comment in the file, in order.
    pub fn comments(&self) -> Vec<Node<'_>> {
        descendants(self.root())
            .filter(|n| n.kind() == "comment")
            .collect()
    }
}

/// A call expression, taken apart.
pub struct Call<'t> {
    pub node: Node<'t>,
    pub function: Node<'t>,
    /// `op.add_column`, `Column`, ... (`None` for `f()()`, `x[0]()`).
    pub name: Option<String>,
    pub positional: Vec<Node<'t>>,
    pub keywords: Vec<(String, Node<'t>)>,
}

impl<'t> Call<'t> {
    /// The value of keyword argument `name`.
    pub fn keyword(&self, name: &str) -> Option<Node<'t>> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
    }

    /// The last part of the callee's dotted name (`add_column` for
    /// `op.add_column`).
    pub fn short_name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .map(|n| n.rsplit('.').next().unwrap_or(n))
    }
}

/// An assignment to one name.
pub struct Assignment<'t> {
    pub node: Node<'t>,
    pub name: &'t str,
    pub annotation: Option<Node<'t>>,
    /// `None` for a bare annotation (`x: int`).
    pub value: Option<Node<'t>>,
}

/// The named children of `node`, without comments filtered out.
pub fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The statements of a block (or module), optionally looking through
/// `if`/`elif`/`else`/`try`/`except`/`finally`/`with` bodies, in document
/// order, without recursion.
pub fn block_statements(block: Node<'_>, through_compound: bool) -> Vec<Node<'_>> {
    compound_statements(block, through_compound, |_| false)
}

/// [`block_statements`] through compound statements, leaving out the
/// body of `if TYPE_CHECKING:` (declarations for type checkers that do
/// not exist when the program runs: a model's columns there are not the
/// table's). Its `else` still runs.
pub fn runtime_statements<'t>(m: &Module, block: Node<'t>) -> Vec<Node<'t>> {
    compound_statements(block, true, |stmt| {
        stmt.kind() == "if_statement"
            && stmt
                .child_by_field_name("condition")
                .and_then(|c| m.dotted_name(c))
                .is_some_and(|n| n == "TYPE_CHECKING" || n.ends_with(".TYPE_CHECKING"))
    })
}

/// The walk behind [`block_statements`]: `skip_body` says of a compound
/// statement that its own body (not its clauses) is left out.
fn compound_statements<'t>(
    block: Node<'t>,
    through_compound: bool,
    skip_body: impl Fn(Node<'t>) -> bool,
) -> Vec<Node<'t>> {
    const COMPOUND: &[&str] = &["if_statement", "try_statement", "with_statement"];
    const CLAUSES: &[&str] = &[
        "elif_clause",
        "else_clause",
        "except_clause",
        "except_group_clause",
        "finally_clause",
    ];
    let mut out = Vec::new();
    let mut containers = vec![block];
    while let Some(container) = containers.pop() {
        for stmt in named_children(container) {
            if !(through_compound && COMPOUND.contains(&stmt.kind())) {
                out.push(stmt);
                continue;
            }
            let skip = skip_body(stmt);
            for part in named_children(stmt) {
                if part.kind() == "block" {
                    if !skip {
                        containers.push(part);
                    }
                } else if CLAUSES.contains(&part.kind()) {
                    containers.extend(
                        named_children(part)
                            .into_iter()
                            .filter(|n| n.kind() == "block"),
                    );
                }
            }
        }
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// The edits that turn `old` into `new`, one per run of changed lines
/// (a line diff, Myers with a deadline: a coarser diff only makes the
/// parse reuse less), in the order and the coordinates tree-sitter wants
/// them told before an incremental parse: each edit's start and old end
/// in the text as the edits before it left it. A commit that changes an
/// import at the top and a function at the bottom makes two small edits,
/// not one that spans the module. `None` when the diff does not add up.
fn edits_between(old: &str, new: &str) -> Option<Vec<InputEdit>> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .deadline(std::time::Instant::now() + std::time::Duration::from_millis(50))
        .diff_lines(old, new);
    let starts = |lines: &[&str]| -> Vec<usize> {
        let mut at = 0;
        let mut out = Vec::with_capacity(lines.len() + 1);
        out.push(0);
        for l in lines {
            at += l.len();
            out.push(at);
        }
        out
    };
    let (old_at, new_at) = (starts(diff.old_slices()), starts(diff.new_slices()));
    let (a, b) = (old.as_bytes(), new.as_bytes());
    // Runs of changed lines: (old lines, new lines), merged when adjacent.
    // Each op's place is counted from the lengths of the ops before it
    // (similar 2.7 misplaces a deletion that follows a replacement in the
    // new text), and every line said to be equal is compared: a wrong
    // edit would make a wrong tree, so a diff that does not add up is not
    // used.
    let mut hunks: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    let (mut o_at, mut n_at) = (0, 0);
    for op in diff.ops() {
        let (o, n) = (
            o_at..o_at + op.old_range().len(),
            n_at..n_at + op.new_range().len(),
        );
        (o_at, n_at) = (o.end, n.end);
        if matches!(op, similar::DiffOp::Equal { .. }) {
            if o.len() != n.len()
                || a[old_at[o.start]..old_at[o.end]] != b[new_at[n.start]..new_at[n.end]]
            {
                return None;
            }
            continue;
        }
        match hunks.last_mut() {
            Some((lo, ln)) if lo.end == o.start && ln.end == n.start => {
                lo.end = o.end;
                ln.end = n.end;
            }
            _ => hunks.push((o, n)),
        }
    }
    if old_at[o_at] != a.len() || new_at[n_at] != b.len() {
        return None;
    }
    let edits = hunks
        .into_iter()
        .map(|(o, n)| {
            let (os, oe) = (old_at[o.start], old_at[o.end]);
            let (ns, ne) = (new_at[n.start], new_at[n.end]);
            // Before this edit the text is the new one; from its old end
            // on it is still the old one.
            let start = point_at(b, ns);
            let removed = &a[os..oe];
            let old_end_position = match memchr::memrchr(b'\n', removed) {
                Some(i) => Point::new(
                    start.row + memchr::memchr_iter(b'\n', removed).count(),
                    removed.len() - i - 1,
                ),
                None => Point::new(start.row, start.column + removed.len()),
            };
            InputEdit {
                start_byte: ns,
                old_end_byte: ns + (oe - os),
                new_end_byte: ne,
                start_position: start,
                old_end_position,
                new_end_position: point_at(b, ne),
            }
        })
        .collect();
    Some(edits)
}

/// The row and byte column of byte `at` in `text`.
fn point_at(text: &[u8], at: usize) -> Point {
    let before = &text[..at];
    let row = memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    Point::new(row, at - line_start)
}

/// Every node below `node` (itself included), in document order, with an
/// explicit stack instead of recursion.
pub fn descendants(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    let mut cursor = node.walk();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let current = cursor.node();
        if cursor.goto_first_child() {
            return Some(current);
        }
        loop {
            if cursor.node() == node {
                done = true;
                return Some(current);
            }
            if cursor.goto_next_sibling() {
                return Some(current);
            }
            if !cursor.goto_parent() {
                done = true;
                return Some(current);
            }
        }
    })
}

/// Decodes Python escape sequences in a non-raw string.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('\n') => {}
            Some(k @ ('x' | 'u' | 'U')) => {
                let len = match k {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..len).filter_map(|_| chars.next()).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(k);
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Every Python file of this repository's `benches/` and
/// `tests/fixtures/` (path relative to the repository, bytes): real code
/// of every shape, for the tests that check a fast walk against a whole
/// one.
#[cfg(test)]
pub(crate) fn repository_python_files() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("benches"), root.join("tests/fixtures")];
    let mut out = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(src: &str) -> Module {
        Module::parse(src.as_bytes()).unwrap()
    }

    /// Every node of a module: kind, byte range, rows and whether it is
    /// an error or missing, in document order.
    fn shape(m: &Module) -> Vec<(&str, usize, usize, usize, usize, bool, bool)> {
        descendants(m.root())
            .map(|n| {
                (
                    n.kind(),
                    n.start_byte(),
                    n.end_byte(),
                    n.start_position().row,
                    n.end_position().column,
                    n.is_error(),
                    n.is_missing(),
                )
            })
            .collect()
    }

    /// Versions of a module: decorators, nested functions, class bodies,
    /// strings and comments that hold `def`, a string opened in one
    /// version and closed in the next, non-ASCII text, broken code.
    fn python_lines() -> Vec<&'static str> {
        vec![
            "import sqlalchemy as sa\n",
            "from sqlalchemy import text\n",
            "TABLE = 'users'\n",
            "@decorator(x)\n",
            "def f(uid):\n",
            "class Model(Base):\n",
            "    def method(self, v):\n",
            "        sql = f\"SELECT * FROM t WHERE id = {v}\"\n",
            "        return cursor.execute(sql)\n",
            "    cursor.execute(f\"SELECT * FROM t WHERE id = {uid}\")\n",
            "    def inner():\n",
            "        pass\n",
            "    x = 1\n",
            "DOC = \"\"\"\n",
            "def in_a_string(x):\n",
            "\"\"\"\n",
            "# def commented(x):\n",
            "s = 'def not_a_def():'\n",
            "    q = \"é\" + v  # ünïcode\n",
            "if x:\n",
            "(\n",
            ")\n",
            "def broken(:\n",
            "\\\n",
            "    \n",
            "\n",
        ]
    }

    proptest::proptest! {
        /// A module parsed after another version of it has the tree a
        /// fresh parse gives, node for node, whatever changed between.
        #[test]
        fn parse_after_gives_the_tree_of_a_fresh_parse(
            before in proptest::collection::vec(proptest::sample::select(python_lines()), 0..30),
            edits in proptest::collection::vec(
                (0usize..30, 0usize..4, proptest::collection::vec(proptest::sample::select(python_lines()), 0..4)),
                1..4,
            ),
        ) {
            let mut lines = before.clone();
            for (at, remove, insert) in edits {
                let at = at.min(lines.len());
                let remove = remove.min(lines.len() - at);
                lines.splice(at..at + remove, insert);
            }
            let (old, new) = (before.concat(), lines.concat());
            let first = module(&old);
            let after = Module::parse_after(new.as_bytes(), &first).unwrap();
            let fresh = module(&new);
            proptest::prop_assert_eq!(after.source(), fresh.source());
            proptest::prop_assert_eq!(shape(&after), shape(&fresh), "{:?} -> {:?}", old, new);
        }
    }

    #[test]
    fn each_run_of_changed_lines_is_one_edit_told_in_order() {
        let e = edits_between("a\nb\nc\nd\ne\n", "a\nB\nBB\nc\nd\n").unwrap();
        assert_eq!(e.len(), 2);
        // `b` became `B\nBB`: from row 1 to the start of row 2, now row 3.
        assert_eq!(
            (e[0].start_byte, e[0].old_end_byte, e[0].new_end_byte),
            (2, 4, 7)
        );
        assert_eq!(e[0].start_position, Point::new(1, 0));
        assert_eq!(e[0].old_end_position, Point::new(2, 0));
        assert_eq!(e[0].new_end_position, Point::new(3, 0));
        // `e` went: told where it now stands, after the first edit.
        assert_eq!(
            (e[1].start_byte, e[1].old_end_byte, e[1].new_end_byte),
            (11, 13, 11)
        );
        assert_eq!(e[1].start_position, Point::new(5, 0));
        assert_eq!(e[1].old_end_position, Point::new(6, 0));
        // A last line without a newline, and no change at all.
        let tail = edits_between("x = 1\ny", "x = 1\nyz").unwrap();
        assert_eq!(tail.len(), 1);
        assert_eq!(
            (
                tail[0].start_byte,
                tail[0].old_end_byte,
                tail[0].new_end_byte
            ),
            (6, 7, 8)
        );
        assert_eq!(tail[0].old_end_position, Point::new(1, 1));
        assert!(edits_between("x = 1\n", "x = 1\n").unwrap().is_empty());
    }

    fn first_value(m: &Module) -> Option<String> {
        let stmt = m.module_statements()[0];
        let a = m.assignment(stmt)?;
        m.string_value(a.value?)
    }

    #[test]
    fn string_literals_in_every_form() {
        for (src, want) in [
            ("x = 'a'", Some("a")),
            ("x = \"a\\nb\"", Some("a\nb")),
            ("x = r'a\\nb'", Some("a\\nb")),
            ("x = 'a' \"b\"", Some("ab")),
            ("x = ('a'\n     'b')", Some("ab")),
            ("x = \"\"\"multi\nline\"\"\"", Some("multi\nline")),
            ("x = '\\x41\\u00e9'", Some("Aé")),
            ("x = f'{y}'", None),
            ("x = f'plain'", Some("plain")),
            ("x = None", None),
            ("x = y", None),
        ] {
            assert_eq!(first_value(&module(src)).as_deref(), want, "{src}");
        }
    }

    #[test]
    fn annotated_assignments_and_module_level_through_if() {
        let m = module(
            "revision: str = 'abc'\nif TYPE_CHECKING:\n    down_revision: Union[str, None] = None\ntry:\n    depends_on = 'x'\nexcept ImportError:\n    pass\n",
        );
        let names: Vec<_> = m
            .module_statements()
            .into_iter()
            .filter_map(|s| m.assignment(s).map(|a| a.name.to_string()))
            .collect();
        assert_eq!(names, ["revision", "down_revision", "depends_on"]);
        let a = m.assignment(m.module_statements()[0]).unwrap();
        assert_eq!(m.text(a.annotation.unwrap()), "str");
    }

    #[test]
    fn docstrings_functions_and_calls() {
        let m = module(
            "\"\"\"Add email\n\nRevision ID: abc\n\"\"\"\n# c\ndef upgrade():\n    \"\"\"doc\"\"\"\n    op.add_column('users', sa.Column('email', sa.String(255), nullable=True))\n",
        );
        assert_eq!(
            m.docstring(m.root()).unwrap(),
            "Add email\n\nRevision ID: abc\n"
        );
        let up = m.function("upgrade").unwrap();
        let body = up.child_by_field_name("body").unwrap();
        assert_eq!(m.docstring(body).as_deref(), Some("doc"));
        let call = descendants(body).filter_map(|n| m.call(n)).next().unwrap();
        assert_eq!(call.name.as_deref(), Some("op.add_column"));
        assert_eq!(call.short_name(), Some("add_column"));
        assert_eq!(m.string_value(call.positional[0]).as_deref(), Some("users"));
        let col = m.call(call.positional[1]).unwrap();
        assert_eq!(m.text(col.keyword("nullable").unwrap()), "True");
        assert!(m.function("downgrade").is_none());
        let m = module("x = ', '.join('?' for _ in ids)\n");
        let value = m
            .assignment(m.module_statements()[0])
            .unwrap()
            .value
            .unwrap();
        let call = m.call(value).unwrap();
        assert_eq!(call.positional.len(), 1);
        assert_eq!(call.positional[0].kind(), "generator_expression");
    }

    #[test]
    fn positions_count_characters_and_lines_from_one() {
        let m = module("x = 1\né = 'ü'; y = 2\n");
        let stmts = m.module_statements();
        assert_eq!(m.position(stmts[0]), Position { line: 1, column: 1 });
        let y = stmts.last().unwrap();
        assert_eq!(
            m.position(*y),
            Position {
                line: 2,
                column: 10
            }
        );
    }

    #[test]
    fn broken_and_binary_input_parses_without_panicking() {
        let m = module("def upgrade(:\n    pass\nrevision = 'a'\n");
        assert!(m.has_errors());
        let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        let m = Module::parse(&garbage).unwrap();
        let _ = m.module_statements();
        let _ = descendants(m.root()).count();
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 20_000;
        let src = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        let m = module(&src);
        assert!(descendants(m.root()).count() > depth);
        let src = format!("x = {}\n", "[".repeat(depth));
        let m = module(&src);
        let _ = descendants(m.root()).count();
    }
}
