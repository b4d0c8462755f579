//! Reading the literal text of the SQL: whether it reads as SQL, which
//! placeholders stand where an identifier goes, which statements take no
//! bound parameters.

use std::sync::OnceLock;

use regex::Regex;

/// Whether a value interpolated right after `before` (the SQL text up to
/// it) takes the place of an identifier: a table named after `FROM`,
/// `INTO`, `UPDATE`, `JOIN` or `TABLE`, or a double-quoted (or
/// backquoted) name after one of those, `VIEW`, `INDEX`, `ON`, `EXISTS`
/// or a `.`. A placeholder cannot carry an identifier, so a finding there
/// would ask for the impossible.
pub(super) fn identifier_context(before: &str) -> bool {
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
pub(super) fn identifier_fields(template: &str) -> (Vec<String>, Vec<usize>) {
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
pub(super) fn only_identifiers(template: &str, open: char) -> bool {
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
pub(super) fn cannot_bind(text: &str) -> bool {
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

/// Any SQL keyword: enough for a call that surely runs SQL.
pub(super) fn sql_words() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        crate::ascii_regex::new(
            r"(?i)\b(select|insert|update|delete|from|where|into|values|set|create|drop|alter|table|index|truncate|join|grant|revoke|pragma|vacuum|analyze|comment|call|exec|merge|begin|commit|rollback|show|describe|explain|lock|copy|refresh|returning|limit|order|group)\b",
        )
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
    })
}

/// SQL statement shapes: for call names other libraries share.
pub(super) fn sql_statement() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        crate::ascii_regex::new(
            r"(?is)\b(select\b.*\bfrom|insert\s+into|update\b.*\bset\b|delete\s+from|create\s+(table|index|view|unique|schema)|drop\s+(table|index|view|schema)|alter\s+table|truncate\s|where\s+\w+\s*(=|<|>|like\b|in\b|is\b)|order\s+by|group\s+by|values\s*\()",
        )
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
    })
}
