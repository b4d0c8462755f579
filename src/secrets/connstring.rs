//! Key/value connection strings: ADO.NET, ODBC and Azure SQL
//! (`Server=...;User Id=...;Password=...;`, `PWD={a;b}`), JDBC SQL Server
//! (`jdbc:sqlserver://h;user=u;password=p`) and libpq DSNs
//! (`host=h user=u password=p dbname=d`).
//!
//! A `password=` only counts when another connection-string key sits on
//! the same line, so that an ordinary `password=x` assignment is left to
//! the assignment detector. Values follow the quoting rules of each family:
//! `"a;b"` with `""` escapes, ODBC `{a;b}` with `}}` escapes, libpq `'a b'`.

use std::sync::OnceLock;

use regex::Regex;

use super::Candidate;
use super::lines::line_at;
use super::placeholder::is_placeholder;
use super::syntax::Syntax;

/// A `password=`/`pwd=` key: `(?:^|[\s;"'{(,])(?i-u:password|pwd)\s*=\s*`,
/// found by hand on the lines that hold the keywords (see [`keys`]); the
/// regex is what the unit tests compare that search with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    start: usize,
    end: usize,
    /// Where the value starts (after `=` and the blanks around it).
    value: usize,
}

/// Whether a character may stand before a key.
fn opens_key(c: char) -> bool {
    c.is_whitespace() || matches!(c, ';' | '"' | '\'' | '{' | '(' | ',')
}

/// Every key whose name starts inside `lines` (ascending, disjoint byte
/// ranges), in the order and with the overlaps the regex above finds
/// them: a key counts only when the character before it lies after the
/// previous match. The regex itself read the whole text through the
/// lazy DFA (`(?i)` gives it no literal to skip to), a tenth of an
/// `--all` run; the keyword prefilter already knows the lines.
fn keys(text: &str, lines: &[(usize, usize)]) -> Vec<Key> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut last_end = 0;
    for &(from, to) in lines {
        let mut i = from.max(last_end);
        while i < to {
            let Some(off) = memchr::memchr2(b'p', b'P', &b[i..to]) else {
                break;
            };
            let start = i + off;
            i = start + 1;
            let rest = &b[start..];
            let len = if rest.len() >= 8 && rest[..8].eq_ignore_ascii_case(b"password") {
                8
            } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"pwd") {
                3
            } else {
                continue;
            };
            let opened = match text[..start].chars().next_back() {
                None => true,
                Some(c) => opens_key(c) && start - c.len_utf8() >= last_end,
            };
            if !opened {
                continue;
            }
            let end = start + len;
            let after = end + blanks(&text[end..]);
            if b.get(after) != Some(&b'=') {
                continue;
            }
            let value = after + 1 + blanks(&text[after + 1..]);
            out.push(Key { start, end, value });
            last_end = value;
            i = i.max(value);
        }
    }
    out
}

/// The length of the whitespace (`\s`, Unicode) that `text` starts with.
fn blanks(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

fn context_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)(?:^|[\s;\x22'{(,])(?:server|data source|datasource|host|hostname|hostaddr|address|addr|network address|user id|userid|uid|user|username|database|databasename|initial catalog|dbname|driver|dsn|port|sslmode|provider|integrated security|trusted_connection|encrypt|accountname|defaultendpointsprotocol)\s*=",
        )
        .unwrap_or_else(|e| unreachable!("the connection-string pattern is a constant: {e}"))
    })
}

/// Reads a value that opens with `open` and closes with `close`, where a
/// doubled closer is an escaped one (`"a""b"`, `{a}}b}`).
fn delimited(text: &str, pos: usize, close: char) -> Option<(usize, usize, String)> {
    let start = pos + 1;
    let mut out = String::new();
    let mut it = text[start..].char_indices().peekable();
    while let Some((off, c)) = it.next() {
        if c == '\n' {
            return None;
        }
        if c == close {
            if it.peek().map(|x| x.1) == Some(close) {
                it.next();
                out.push(close);
                continue;
            }
            return Some((start, start + off, out));
        }
        out.push(c);
    }
    None
}

/// Finds the passwords of connection strings in `text` whose keys start
/// inside `lines` (the whole text, or the lines that hold `password` or
/// `pwd`).
pub fn find(text: &str, lines: &[(usize, usize)], syntax: Syntax, out: &mut Vec<Candidate>) {
    for k in keys(text, lines) {
        let key = &text[k.start..k.end];
        let pos = k.value;
        let (line_start, line) = line_at(text, k.start);
        let prefix = &text[line_start..k.start];
        // The string literal holding the connection string, if any.
        let outer = super::syntax::enclosing_quote(text, k.start);
        let first = text[pos..].chars().next();
        if first.is_some() && first == outer {
            // `"...;Password=" + pw`: the literal ends before the value.
            continue;
        }
        if syntax == Syntax::Code && outer.is_none() {
            // In code a connection string is a string literal; outside one,
            // `connect(host=h, password="x")` is keyword arguments.
            continue;
        }
        if outer.is_none() && matches!(first, Some('"' | '\'')) && !prefix.trim_end().ends_with(';')
        {
            // `password="x"` outside any string is an XML attribute or an
            // assignment, not a connection string.
            continue;
        }
        // Another connection-string key on the same line: the costliest
        // test, so the last (most keys in code are plain assignments).
        let others = context_re()
            .find_iter(line)
            .any(|m| !m.as_str().to_ascii_lowercase().contains("password"));
        if !others {
            continue;
        }
        let kind = if prefix.to_ascii_lowercase().contains("jdbc:") {
            "jdbc-password"
        } else {
            "connection-string-password"
        };
        let value = match first {
            Some('\\') if text[pos..].starts_with("\\\"") => {
                // A value quoted with escaped quotes inside a JSON or C string.
                text[pos + 2..]
                    .find("\\\"")
                    .map(|i| (pos + 2, pos + 2 + i, text[pos + 2..pos + 2 + i].to_string()))
            }
            Some('"') => delimited(text, pos, '"'),
            Some('\'') => delimited(text, pos, '\''),
            Some('{') => delimited(text, pos, '}'),
            Some(_) => {
                let line_end = pos + text[pos..].find(['\n', '\r']).unwrap_or(text.len() - pos);
                let rest = &text[pos..line_end];
                let semicolons = line.contains(';');
                let end = rest
                    .find(|c: char| {
                        c == ';'
                            || Some(c) == outer
                            || (!semicolons && c.is_whitespace())
                            || (outer.is_none() && semicolons && matches!(c, '"' | '\''))
                    })
                    .unwrap_or(rest.len());
                let raw = rest[..end].trim_end();
                Some((pos, pos + raw.len(), raw.to_string()))
            }
            None => None,
        };
        let Some((start, end, secret)) = value else {
            continue;
        };
        if secret.is_empty() || is_placeholder(&secret, Some(key)) {
            continue;
        }
        out.push(Candidate {
            kind,
            start,
            end,
            secret,
            key: Some(key.to_string()),
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test texts hold `{pw}` where the secret goes, so that no literal
    /// credential sits in the source.
    fn fill(text: &str, pw: &str) -> String {
        text.replace("{pw}", pw)
    }

    fn secrets(text: &str) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        find(text, &[(0, text.len())], Syntax::Line, &mut out);
        out.into_iter().map(|c| (c.kind, c.secret)).collect()
    }

    /// The keys the regex in [`Key`]'s documentation finds.
    fn regex_keys(text: &str) -> Vec<Key> {
        let re = Regex::new(r#"(?:^|[\s;"'{(,])(?P<key>(?i-u:password|pwd))\s*=\s*"#).unwrap();
        re.captures_iter(text)
            .map(|c| {
                let k = c.name("key").unwrap();
                Key {
                    start: k.start(),
                    end: k.end(),
                    value: c.get(0).unwrap().end(),
                }
            })
            .collect()
    }

    /// Each line that holds a `p`: a superset of the prefilter's lines.
    fn lines_with_p(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            if body.contains(['p', 'P']) {
                out.push((start, start + body.len()));
            }
            start += line.len();
        }
        out
    }

    #[test]
    fn keys_are_where_the_regex_finds_them() {
        let mut texts: Vec<String> = [
            "password=x",
            "PWD = x",
            " password =\n\n  x",
            // A key right after another key's `=`.
            "{k}= {k}=x",
            "{k}={k}=x",
            ";pwd=;PWD=y",
            "a\u{3000}password=x",
            "a\u{a0}Password\u{2003}=\u{2003}x",
            "xpassword=x (password=y",
            "password\n=x\npwd",
            "pwd",
            "",
            "\"Password=\"",
            "{PaSsWoRd=1,pwd=2}",
        ]
        .iter()
        .map(|s| s.replace("{k}", "password"))
        .collect();
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for e in ignore::Walk::new(here.join("tests")) {
            if let Some(t) = e.ok().and_then(|e| std::fs::read_to_string(e.path()).ok()) {
                texts.push(t);
            }
        }
        assert!(texts.len() > 300, "the fixtures moved: {}", texts.len());
        for t in &texts {
            let expected = regex_keys(t);
            assert_eq!(keys(t, &[(0, t.len())]), expected, "{t:?}");
            assert_eq!(keys(t, &lines_with_p(t)), expected, "{t:?}");
        }
    }

    #[test]
    fn ado_odbc_jdbc_and_libpq() {
        let c = "connection-string-password";
        assert_eq!(
            secrets(&fill(
                r#""Default": "Server=tcp:db.example.net,1433;Initial Catalog=app;User ID=app;Password={pw};Encrypt=True;""#,
                "Az9!k2x"
            )),
            [(c, "Az9!k2x".to_string())]
        );
        assert_eq!(
            secrets(&fill(
                "Driver={ODBC Driver 18 for SQL Server};Server=h;UID=sa;PWD={pw};",
                "{a;b}}c9}"
            )),
            [(c, "a;b}c9".to_string())]
        );
        assert_eq!(
            secrets(&fill(
                "Data Source=h;User Id=u;Password={pw};",
                "\"q;w\"\"e9\""
            )),
            [(c, "q;w\"e9".to_string())]
        );
        assert_eq!(
            secrets(&fill(
                "conn = connect(\"host=db user=app password={pw} dbname=app\")",
                "Lp9x-22"
            )),
            [(c, "Lp9x-22".to_string())]
        );
        assert_eq!(
            secrets(&fill(
                "primary_conninfo = 'host=10.0.0.2 port=5432 user=rep password={pw}'",
                "Rp2k9z"
            )),
            [(c, "Rp2k9z".to_string())]
        );
        assert_eq!(
            secrets(&fill(
                "url=jdbc:sqlserver://h:1433;databaseName=app;user=app;password={pw};",
                "Js9k2x"
            )),
            [("jdbc-password", "Js9k2x".to_string())]
        );
    }

    #[test]
    fn placeholders_and_lone_assignments_are_left_alone() {
        for t in [
            "Server=h;Database=d;User Id=u;Password=${DB_PASSWORD};",
            "Server=h;Database=d;User Id=u;Password=<password>;",
            "Server=h;Database=d;User Id=u;Password=;",
            "Server=h;Database=d;User Id=u;Password=changeme;",
            "Server=h;Database=d;Integrated Security=true;",
            &format!("password={}", "Zk29x"),
            "host=h user=u password=%s dbname=d",
        ] {
            assert_eq!(secrets(t), [], "{t}");
        }
    }
}
