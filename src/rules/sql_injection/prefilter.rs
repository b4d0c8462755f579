//! The byte-level filter that decides, before any parse, whether a
//! Python source can hold a `sql-injection` finding at all (most files
//! run no SQL, and parsing is what the rule costs).

use std::sync::OnceLock;

use super::sinks::{SINKS, Strength};

/// The statement keywords the prefilter needs for a weak sink's call
/// (one constant, so that the tests' oracle searches the same words).
const SQL_WORDS: &str = r"(?i-u)\b(?:select|insert|update|delete|create|drop|alter|truncate|where|values|order[\s\\]+by|group[\s\\]+by)\b";

/// A call (or what may hide one's `(`) of any of `names`; the tests'
/// oracle builds its two searches with it too. Where a name starts is
/// [`call_matches`]' to say, not a `\b`: the parser ends a number where
/// a name begins (`1text(` is a number and a call of `text` to it).
pub(super) fn sink_calls(names: &[&str]) -> String {
    format!(r"(?-u)(?:{})[\s\\]*[(#]", names.join("|"))
}

/// The matches of a [`sink_calls`] search that start a name: not after a
/// letter or `_`, where they would be the tail of a longer name
/// (`context(`), but after a digit, which tree-sitter lexes as a number
/// of its own before the name even where Python would not.
pub(super) fn call_matches<'b>(
    calls: &regex::bytes::Regex,
    bytes: &'b [u8],
) -> impl Iterator<Item = regex::bytes::Match<'b>> {
    calls.find_iter(bytes).filter(move |m| {
        m.start() == 0 || !matches!(bytes[m.start() - 1], b'A'..=b'Z' | b'a'..=b'z' | b'_')
    })
}

/// A cheap filter before parsing (most Python files run no SQL, and
/// parsing is what costs): a finding needs a call to a sink, so the name
/// of one followed by `(` (or by a comment or a line continuation, after
/// which the `(` may come); and for the names other libraries share
/// (`query(`, `text(`, ...), which are reported only when the literal text
/// reads as a SQL statement, also a statement keyword somewhere in the
/// file. SQL spelled only through escapes or split inside a keyword
/// (`"SEL" "ECT"`) escapes this filter, as it escapes a reviewer.
pub(super) fn may_have_findings(bytes: &[u8]) -> bool {
    let [calls, sql] = regexes();
    // The literals that calls pass whole (`execute("SELECT ... %s", (x,))`)
    // can be no one's SQL: the rule follows a value through names,
    // operators and string methods, never into another call's arguments.
    // So SQL words inside them do not make a shared name's call worth a
    // parse (SQLAlchemy code calls `session.query(Model)` beside its
    // parameterized statements).
    let mut passed_whole: Vec<std::ops::Range<usize>> = Vec::new();
    let mut weak_needs_parse = false;
    for m in call_matches(calls, bytes) {
        match literal_argument(bytes, m.end()) {
            Some(span) => passed_whole.push(span),
            None if dotted_argument(bytes, m.end()) => {}
            None if sink_strength(m.as_bytes()) == Some(Strength::Strong) => return true,
            None => weak_needs_parse = true,
        }
    }
    if !weak_needs_parse {
        return false;
    }
    passed_whole.sort_by_key(|s| s.start);
    let inside_one = |m: regex::bytes::Match<'_>| {
        let i = passed_whole.partition_point(|s| s.start <= m.start());
        i > 0 && m.end() <= passed_whole[i - 1].end
    };
    sql.find_iter(bytes).any(|m| !inside_one(m))
}

/// The prefilter's two searches: sink calls, and statement keywords.
fn regexes() -> &'static [regex::bytes::Regex; 2] {
    static R: OnceLock<[regex::bytes::Regex; 2]> = OnceLock::new();
    R.get_or_init(|| {
        let names: Vec<&str> = SINKS.iter().map(|(n, _)| *n).collect();
        let build = |re: &str| {
            crate::ascii_regex::new_bytes(re)
                .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
        };
        [
            // Strong and weak names in one pass: no name starts inside
            // another's match (a match ends at its `(` or `#`), so one
            // search finds what a search for each kind finds.
            build(&sink_calls(&names)),
            build(SQL_WORDS),
        ]
    })
}

/// Whether a part of a module (one top-level statement) calls a sink
/// with something other than a plain literal or a dotted name first: the
/// calls the rule can report. Unlike [`may_have_findings`] it asks for no
/// statement keyword, which may stand in another part of the module.
pub(super) fn calls_worth_judging(bytes: &[u8]) -> bool {
    let [calls, _] = regexes();
    call_matches(calls, bytes)
        .any(|m| literal_argument(bytes, m.end()).is_none() && !dotted_argument(bytes, m.end()))
}

/// The strength of the sink whose name starts a call match.
fn sink_strength(call: &[u8]) -> Option<Strength> {
    let name_len = call
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    SINKS
        .iter()
        .find(|(n, _)| n.as_bytes() == &call[..name_len])
        .map(|(_, s)| *s)
}

/// Where the plain string literal is that the call whose `(` ends at
/// `open` passes as its first argument (`cursor.execute("SELECT ... %s",
/// (x,))`), the way code that binds its parameters does: such a call
/// cannot be a finding, and a file whose every sink call looks like this
/// needs no parse. Anything else (a name, an f-string, a literal followed
/// by `%`, `+` or another literal, a comment) answers `None`.
fn literal_argument(bytes: &[u8], open: usize) -> Option<std::ops::Range<usize>> {
    let skip_space = |mut i: usize| {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    if bytes.get(open.wrapping_sub(1)) != Some(&b'(') {
        return None;
    }
    let mut i = skip_space(open);
    let start = i;
    // String prefixes that keep a literal literal: r, b, u (not f or t).
    let prefix = bytes[i..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if prefix > 2 || !bytes[i..i + prefix].iter().all(|b| b"rRbBuU".contains(b)) {
        return None;
    }
    i += prefix;
    let &quote = bytes.get(i).filter(|q| **q == b'"' || **q == b'\'')?;
    let triple = bytes.get(i..i + 3) == Some(&[quote; 3][..]);
    i += if triple { 3 } else { 1 };
    loop {
        match bytes.get(i) {
            None => return None,
            Some(b'\\') => i += 2,
            Some(b'\n') if !triple => return None,
            Some(&b) if b == quote => {
                if !triple {
                    i += 1;
                    break;
                }
                if bytes.get(i..i + 3) == Some(&[quote; 3][..]) {
                    i += 3;
                    break;
                }
                i += 1;
            }
            Some(_) => i += 1,
        }
    }
    matches!(bytes.get(skip_space(i)), Some(b',' | b')')).then_some(start..i)
}

/// Whether the call whose `(` ends at `open` passes a dotted name as its
/// first argument (`session.query(model.Package)`, `query(User.id, ...)`):
/// the rule follows names and strings, never attributes, so such a call
/// cannot be a finding, and on ckan's history SQLAlchemy's `query` called
/// this way made three files in five that were parsed need it. Only
/// ASCII names that are not keywords, with spaces around the dots;
/// anything else answers `false`.
fn dotted_argument(bytes: &[u8], open: usize) -> bool {
    const KEYWORDS: &[&[u8]] = &[
        b"False",
        b"None",
        b"True",
        b"and",
        b"as",
        b"assert",
        b"async",
        b"await",
        b"break",
        b"class",
        b"continue",
        b"def",
        b"del",
        b"elif",
        b"else",
        b"except",
        b"exec",
        b"finally",
        b"for",
        b"from",
        b"global",
        b"if",
        b"import",
        b"in",
        b"is",
        b"lambda",
        b"nonlocal",
        b"not",
        b"or",
        b"pass",
        b"print",
        b"raise",
        b"return",
        b"try",
        b"while",
        b"with",
        b"yield",
        b"match",
        b"case",
        b"type",
    ];
    if bytes.get(open.wrapping_sub(1)) != Some(&b'(') {
        return false;
    }
    let mut i = open;
    let mut names = 0;
    loop {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        if !bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            return false;
        }
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            i += 1;
        }
        if KEYWORDS.contains(&&bytes[start..i]) {
            return false;
        }
        names += 1;
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'.') => i += 1,
            Some(b',' | b')') => return names >= 2,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter as it was: a search for the strong names, then one
    /// for the weak names.
    fn two_searches(bytes: &[u8]) -> bool {
        let calls = |strength: Strength| {
            let names: Vec<&str> = SINKS
                .iter()
                .filter(|(_, s)| *s == strength)
                .map(|(n, _)| *n)
                .collect();
            crate::ascii_regex::new_bytes(&sink_calls(&names)).unwrap()
        };
        let mut passed_whole = Vec::new();
        let mut needs = |re: regex::bytes::Regex| {
            let mut needs = false;
            for m in call_matches(&re, bytes) {
                match literal_argument(bytes, m.end()) {
                    Some(span) => passed_whole.push(span),
                    None if dotted_argument(bytes, m.end()) => {}
                    None => needs = true,
                }
            }
            needs
        };
        if needs(calls(Strength::Strong)) {
            return true;
        }
        if !needs(calls(Strength::Weak)) {
            return false;
        }
        passed_whole.sort_by_key(|s| s.start);
        let sql = crate::ascii_regex::new_bytes(SQL_WORDS).unwrap();
        sql.find_iter(bytes).any(|m| {
            let i = passed_whole.partition_point(|s| s.start <= m.start());
            !(i > 0 && m.end() <= passed_whole[i - 1].end)
        })
    }

    proptest::proptest! {
        /// One search for every sink name decides as a search for the
        /// strong names and then one for the weak names did, for sink
        /// names next to each other, inside words, called with literals
        /// or names, with SQL words around.
        #[test]
        fn one_search_for_all_sinks_decides_as_two(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "execute", "executemany", "read_sql", "read_sql_query", "RawSQL", "mogrify",
                "text", "raw", "query", "fetch", "fetchrow", "fetch_all", "cursor.", "_", "x",
                "(", ")", "(\"SELECT 1\")", "('where')", ", ", " ", "\\\n", "#", "\n",
                "select", "WHERE", "sql", "\"", "f\"", "% x", "model.Package", " . ", "None",
            ]), 0..16),
        ) {
            let src = parts.concat();
            proptest::prop_assert_eq!(
                may_have_findings(src.as_bytes()),
                two_searches(src.as_bytes()),
                "{:?}", src
            );
        }
    }

    #[test]
    fn the_prefilter_skips_files_that_call_no_sink() {
        // Only a sink name followed by a call (or something that may hide
        // the parenthesis) passes.
        assert!(may_have_findings(b"cursor.execute(sql)"));
        assert!(may_have_findings(b"cursor.execute  \\\n  (sql)"));
        assert!(may_have_findings(b"(cursor.execute  # why\n (sql))"));
        assert!(!may_have_findings(
            b"def context(x):\n    return executed(x)\n"
        ));
        assert!(!may_have_findings(b"execute = 1\n"));
        // A shared name needs SQL somewhere in the file.
        assert!(!may_have_findings(b"x = query(page)\n"));
        assert!(may_have_findings(
            b"x = query(f\"select a from t where id = {i}\")\n"
        ));
        assert!(may_have_findings(b"q = 'ORDER\n BY x'\nfetch(q)\n"));
        // SQL only inside literals that calls pass whole is no one's SQL.
        let orm = "rows = session.query(User)\n";
        let bound = "cursor.execute(\"SELECT id FROM users WHERE id = %s\", (uid,))\n";
        assert!(!may_have_findings(format!("{orm}{bound}").as_bytes()));
        assert!(!may_have_findings(
            b"fetch(url)\nquery('SELECT a FROM t ORDER BY a')\n"
        ));
        for elsewhere in [
            "q = \"SELECT id FROM users WHERE id = \" + uid\n",
            "cursor.execute(\"SELECT id FROM t\" + \" WHERE id = \" + uid, ())\n",
            "log(\"x\", \"ORDER BY\")\n",
        ] {
            let src = format!("{orm}{bound}{elsewhere}");
            assert!(may_have_findings(src.as_bytes()), "{src}");
        }
        // What the rule finds passes the prefilter.
        let src = "def f(uid):\n    rows = db.query(f\"SELECT * FROM users WHERE id = {uid}\")\n";
        assert!(may_have_findings(src.as_bytes()));
        assert!(!crate::rules::sql_injection::check_source("app.py", src.as_bytes()).is_empty());
    }

    #[test]
    fn calls_that_pass_a_plain_literal_need_no_parse() {
        for src in [
            "cursor.execute(\"SELECT id FROM users WHERE id = %s\", (uid,))\n",
            "cursor.execute(\n    'SELECT 1'\n)\n",
            "cursor.execute(r'''SELECT \\'x' FROM t\n WHERE a = ?''', [a])\n",
            "cursor.execute(b\"SELECT \\\" FROM t\")\n",
        ] {
            assert!(!may_have_findings(src.as_bytes()), "{src}");
        }
        for src in [
            "cursor.execute(f\"SELECT {x}\")\n",
            "cursor.execute(\"SELECT %s\" % x)\n",
            "cursor.execute(\"SELECT \" + x)\n",
            "cursor.execute(\"SELECT \" \"FROM t\")\n",
            "cursor.execute(\"SELECT {}\".format(x))\n",
            "cursor.execute(Rf\"SELECT {x}\")\n",
            "cursor.execute(sql=\"SELECT\")\n",
            "cursor.execute(\"SELECT 1\")\ncursor.execute(q)\n",
            "cursor.execute(\"SELECT 1\n",
            "cursor.execute(\"SELECT 1",
        ] {
            assert!(may_have_findings(src.as_bytes()), "{src}");
        }
    }
}
