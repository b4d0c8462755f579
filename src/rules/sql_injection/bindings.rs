//! What a name may hold where it is used: its bindings in the enclosing
//! function (or comprehension) before the use, else at module level.

use tree_sitter::Node;

use super::checker::Checker;
use crate::python::{descendants, named_children};

/// A value that a name is bound to before a use.
pub(super) enum Binding<'m> {
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
    /// What `name` may hold at `at`: the bindings in its function (or
    /// comprehension) before `at`, else the module-level ones.
    pub(super) fn bindings(&self, name: &str, at: Node<'m>) -> Vec<Binding<'m>> {
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
        self.note_lookup(name);
        self.collect_bindings(m.root(), name, None, &mut out);
        out
    }

    /// What `name`'s bindings at module level are, as a hash of each
    /// one's kind and the rows of the top-level statement that makes it
    /// (their text and where they start): a top-level statement's findings
    /// that looked `name` up stay right while this stays the same.
    pub(super) fn module_binding_signature(&self, name: &str, h: &mut impl std::hash::Hasher) {
        let m = self.m;
        let mut out = Vec::new();
        self.collect_bindings(m.root(), name, None, &mut out);
        h.write_usize(out.len());
        for b in out {
            let (tag, node) = match b {
                Binding::Value(v) => (0u8, Some(v)),
                Binding::Augmented(v) => (1, Some(v)),
                Binding::Iter(v) => (2, Some(v)),
                Binding::Unknown => (3, None),
            };
            h.write_u8(tag);
            let Some(node) = node else {
                continue;
            };
            let mut top = node;
            while let Some(p) = top.parent().filter(|p| p.parent().is_some()) {
                top = p;
            }
            let source = m.source().as_bytes();
            let row_start = source[..top.start_byte()]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let row_end = memchr::memchr(b'\n', &source[top.end_byte()..])
                .map_or(source.len(), |i| top.end_byte() + i);
            h.write_usize(top.start_position().row);
            h.write(&source[row_start..row_end]);
            h.write_usize(node.start_byte() - row_start);
            h.write_usize(node.end_byte() - row_start);
        }
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
        let body = scope.child_by_field_name("body").unwrap_or(scope);
        // Document order, stepping over nested functions, classes and
        // lambdas whole: the module-level bindings were looked up by a
        // walk through every node of every function, once per name, and
        // on ckan's test modules that walk was most of the rule's time.
        let mut cursor = body.walk();
        'walk: loop {
            let n = cursor.node();
            let nested = n != body
                && matches!(
                    n.kind(),
                    "function_definition" | "class_definition" | "lambda"
                );
            if !nested {
                if before.is_some_and(|b| n.start_byte() >= b) {
                    break;
                }
                self.binding_in(n, name, out);
                if cursor.goto_first_child() {
                    continue;
                }
            }
            loop {
                if cursor.node() == body {
                    break 'walk;
                }
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
    }

    /// The binding of `name` that node `n` makes, if it makes one.
    fn binding_in(&self, n: Node<'m>, name: &str, out: &mut Vec<Binding<'m>>) {
        let m = self.m;
        let is_name =
            |l: Option<Node<'_>>| l.is_some_and(|l| l.kind() == "identifier" && m.text(l) == name);
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
