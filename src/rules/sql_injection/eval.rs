//! What a string expression passed to a sink is made of: its literal
//! text, and the first construction (f-string, `%`, `.format()`, `+`)
//! that put a value that may carry input into it.

use tree_sitter::Node;

use super::bindings::Binding;
use super::checker::{Checker, Eval, Kind, MAX_DEPTH, Taint};
use super::sql_text::{identifier_context, identifier_fields, only_identifiers};
use crate::python::named_children;

impl<'m> Checker<'m> {
    /// What the string expression `node` is made of; `at` is the use
    /// (bindings after it do not count).
    pub(super) fn eval(&self, node: Node<'m>, at: Node<'m>, depth: usize) -> Eval {
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
}
