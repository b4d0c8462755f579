//! One sink call judged: its SQL argument followed back to how it was
//! built ([`Checker::eval`], in `eval.rs`), the values in it asked
//! whether they can carry input (`safe.rs`), and the finding made.

use std::cell::{Cell, RefCell};

use tree_sitter::Node;

use super::RuleId;
use super::acknowledged::{acknowledged, acknowledged_rows};
use super::sinks::{SA_MODULES, SINKS, SQL_KEYWORDS, Strength};
use super::sql_text::{cannot_bind, sql_statement, sql_words};
use crate::finding::Finding;
use crate::python::{Call, Module};

/// How the SQL was built from a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    FString,
    Percent,
    Format,
    Concat,
}

impl Kind {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Kind::FString => "an f-string",
            Kind::Percent => "% formatting",
            Kind::Format => ".format()",
            Kind::Concat => "string concatenation",
        }
    }

    pub(super) fn slug(self) -> &'static str {
        match self {
            Kind::FString => "f-string",
            Kind::Percent => "percent-format",
            Kind::Format => "format",
            Kind::Concat => "concatenation",
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct Taint {
    pub(super) kind: Kind,
    pub(super) line: u32,
    /// The building expression's last line (a `# noqa: S608` may close a
    /// multi-line f-string).
    pub(super) last: u32,
}

/// What is known about a string expression: its literal text (for the
/// reads-as-SQL test), whether it is a string at all, and the first
/// unsafe construction in it.
#[derive(Default)]
pub(super) struct Eval {
    pub(super) text: String,
    pub(super) stringy: bool,
    pub(super) taint: Option<Taint>,
}

impl Eval {
    pub(super) fn merge(&mut self, other: Eval) {
        self.text.push_str(&other.text);
        self.stringy |= other.stringy;
        if self.taint.is_none() {
            self.taint = other.taint;
        }
    }
}

pub(super) const MAX_DEPTH: usize = 24;

/// How many expression steps one call's analysis may take: following
/// variables can branch (`s = s + s`), and a pathological file must not
/// make the check slow. When it runs out the analysis stops and says
/// nothing.
const BUDGET: usize = 4000;

pub(super) struct Checker<'m> {
    pub(super) m: &'m Module,
    /// Whether a bare `text(...)` is SQLAlchemy's (imported from it).
    sa_text: bool,
    pub(super) budget: Cell<usize>,
    /// The project's own quoting helpers.
    pub(super) safe_calls: &'m [String],
    /// The names looked up at module level since [`Checker::take_lookups`]
    /// last emptied it: what a top-level statement's findings read from
    /// outside it (`chunked.rs` keeps them with its cached findings).
    lookups: RefCell<Vec<String>>,
}

/// A judged call, before it is a [`Finding`]: where it is and what built
/// its SQL, so that a top-level statement's findings can be kept and
/// placed again when the statement moves (`chunked.rs`).
#[derive(Clone, Debug)]
pub(super) struct Judged {
    /// The SQL argument's 1-based line and column.
    pub(super) line: u32,
    pub(super) column: u32,
    pub(super) kind: Kind,
    /// The sink's name as called.
    pub(super) display: String,
    /// The line the SQL was built on, when the message names it.
    pub(super) built: Option<u32>,
    /// The argument's text with its whitespace collapsed.
    pub(super) canonical: String,
}

impl Judged {
    /// The finding at `path`, with every line moved by `shift`.
    pub(super) fn finding(&self, path: &str, shift: i64) -> Finding {
        let moved = |l: u32| (i64::from(l) + shift) as u32;
        let built = self
            .built
            .map(|l| format!(" (built on line {})", moved(l)))
            .unwrap_or_default();
        Finding::new(
            RuleId::SqlInjection,
            path,
            format!(
                "SQL built with {}{built} is passed to {}(): values in it are not parameterized",
                self.kind.describe(),
                self.display
            ),
        )
        .at(moved(self.line), self.column)
        .kind(self.kind.slug())
        .fingerprint(format!("{}\u{0}{}", self.display, self.canonical))
    }
}

impl<'m> Checker<'m> {
    /// A checker for the calls of one module.
    pub(super) fn new(m: &'m Module, sa_text: bool, safe_calls: &'m [String]) -> Self {
        Checker {
            m,
            sa_text,
            budget: Cell::new(BUDGET),
            safe_calls,
            lookups: RefCell::default(),
        }
    }

    /// Notes that `name` was looked up at module level.
    pub(super) fn note_lookup(&self, name: &str) {
        self.lookups.borrow_mut().push(name.to_string());
    }

    /// The names looked up at module level since the last call, each once.
    pub(super) fn take_lookups(&self) -> Vec<String> {
        let mut names = std::mem::take(&mut *self.lookups.borrow_mut());
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Whether a bare `text(...)` is SQLAlchemy's in this module.
    pub(super) fn sa_text(&self) -> bool {
        self.sa_text
    }

    /// Takes one step of the budget; `false` when it is spent.
    pub(super) fn spend(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    /// The called function's or method's own name, also for methods of
    /// literals (`", ".join`, `"...".format`).
    pub(super) fn callee(&self, call: &Call<'m>) -> Option<&'m str> {
        match call.function.kind() {
            "identifier" => Some(self.m.text(call.function)),
            "attribute" => call
                .function
                .child_by_field_name("attribute")
                .map(|a| self.m.text(a)),
            _ => None,
        }
    }

    /// The finding `node`, a call, makes at `path`, if it makes one.
    pub(super) fn check_call(&self, path: &str, node: Node<'m>) -> Option<Finding> {
        self.judge(node).map(|j| j.finding(path, 0))
    }

    /// Whether the call `node` runs SQL built from values that may carry
    /// input, and how.
    pub(super) fn judge(&self, node: Node<'m>) -> Option<Judged> {
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
        let built = (taint.line != pos.line && arg.kind() == "identifier").then_some(taint.line);
        let canonical: String = m.text(arg).split_whitespace().collect::<Vec<_>>().join(" ");
        Some(Judged {
            line: pos.line,
            column: pos.column,
            kind: taint.kind,
            display,
            built,
            canonical,
        })
    }
}
