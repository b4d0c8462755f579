//! `# noqa: S608` and `# nosec`: a finding bandit or ruff was already
//! told about.

use tree_sitter::Node;

use crate::python::Module;

/// Whether the call's lines carry a comment that already accepts it for
/// the same check in bandit or ruff: `# noqa: S608` or `# nosec`.
pub(super) fn acknowledged(m: &Module, call: Node<'_>) -> bool {
    acknowledged_rows(m, call.start_position().row, call.end_position().row)
}

/// Whether rows `first..=last` (0-based) carry `# noqa: S608` or
/// `# nosec`: on the call, or on the line that builds the SQL.
pub(super) fn acknowledged_rows(m: &Module, first: usize, last: usize) -> bool {
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
