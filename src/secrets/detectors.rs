//! The detector table (`rules/credentials.yaml`, embedded at build time)
//! and the keyword prefilter in front of it.
//!
//! One Aho-Corasick automaton over every detector's keywords
//! (ASCII case-insensitive, `keyword_scan`) tells which detectors can
//! match a text and where the scoped ones' keywords are; only those run
//! their regex or code. A text without any keyword costs that one
//! pass.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{CaptureLocations, Regex};
use serde::Deserialize;

use super::Candidate;
use super::context;
use super::keys::{
    is_db_token_key, is_object_store_key, is_password_key, is_service_password_key, is_store_callee,
};
use super::keyword_scan::{Hit, KeywordScanner};
use super::placeholder::{
    Fallback, fallback, is_default_word, is_placeholder, is_placeholder_pair, is_weak_fallback,
};
use super::required_bytes::required_bytes;
use super::syntax::{Syntax, Value, enclosing_quote, literal, quoted, word};
use super::{connstring, lists, namevalue, pem, pgpass, url};
use crate::changes::file_name;

const DATA: &str = include_str!("../../rules/credentials.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    kinds: BTreeMap<String, String>,
    detectors: Vec<Spec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    kind: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    also: Vec<String>,
    code: Option<Code>,
    regex: Option<String>,
    value: Option<ValueMode>,
    key: Option<KeyRule>,
    secret: Option<String>,
    exclude: Option<String>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    scope: Scope,
}

/// Where a regex detector searches. Most texts that hold a keyword hold it
/// on a few lines of thousands, and a case-insensitive keyword gives the
/// regex engine no literal to skip ahead with, so a whole-text search
/// reads every byte through the lazy DFA (a quarter of an `--all` run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Scope {
    /// The whole text.
    #[default]
    Text,
    /// Only the lines that hold one of the detector's keywords. Sound when
    /// every match lies on one line (checked by the unit tests on the
    /// pattern) and contains one of the keywords (the author's promise,
    /// checked against every fixture by the unit tests).
    Line,
    /// Like `line`, but only the lines where a keyword starts a key that an
    /// assignment operator follows (see [`opens_assignment`]), and each line
    /// only up to its last such keyword. Most lines that name a password
    /// read or compare it (`password = os.getenv("DB_PASSWORD")` holds two
    /// keywords and one assignment); their regex searches were a third of
    /// an `--all` run. Sound for a regex whose match is a key made of an
    /// optional identifier, a keyword and the rest of its word, then that
    /// operator (the unit tests check the pattern's shape).
    Key,
}

/// Whether the keyword that starts at `at` starts (or ends) a key that an
/// assignment operator follows: the rest of the word (`[\w.\-]*`, ASCII),
/// an optional quote and `]`, blanks, then `:`, `=`, `?` (`??=`) or `|`
/// (`||=`). The `scope: key` regexes ask for exactly that after their key,
/// so a keyword that fails it is not in any of their matches.
fn opens_assignment(text: &[u8], at: usize) -> bool {
    let mut i = at;
    while text.get(i).is_some_and(|&b| is_key_byte(b)) {
        i += 1;
    }
    if text
        .get(i)
        .is_some_and(|b| matches!(b, b'"' | b'\'' | b'`'))
    {
        i += 1;
    }
    if text.get(i) == Some(&b']') {
        i += 1;
    }
    while text.get(i).is_some_and(|b| matches!(b, b' ' | b'\t')) {
        i += 1;
    }
    text.get(i)
        .is_some_and(|b| matches!(b, b':' | b'=' | b'?' | b'|'))
}

/// A byte of a key's word in the `scope: key` patterns: `[\w.\-]`, ASCII.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Detectors written in Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Code {
    Url,
    Connstring,
    Pem,
    Pgpass,
    NameValue,
    PasswordList,
    Assignment,
}

/// How the `value` group of a regex detector becomes the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum ValueMode {
    Raw,
    Literal,
    Quoted,
    Word,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum KeyRule {
    /// The key names a password (`DB_PASSWORD`, not `PASSWORD_HASHERS`).
    Password,
    /// The key names a database's access token (`INFLUXDB_TOKEN`), or is
    /// a bare `token`/`api_key` argument of a store's client call.
    DbToken,
    /// The key names an object store's secret key (`MINIO_SECRET_KEY`,
    /// `S3_SECRET_KEY`, `AWS_SECRET_ACCESS_KEY`), not Flask's `SECRET_KEY`.
    ObjectStore,
}

/// A regex checked when the table loads and compiled on first use: most
/// texts enable few detectors, and compiling all of them costs more than
/// a whole staged check (the staged-mode benchmark in BENCHMARKS.md).
struct LazyRegex {
    pattern: String,
    compiled: OnceLock<(Regex, Groups, Vec<u8>)>,
}

/// Where the named groups a detector reads sit among a regex's groups.
#[derive(Clone, Copy, Debug, Default)]
struct Groups {
    value: Option<usize>,
    key: Option<usize>,
    q: Option<usize>,
    user: Option<usize>,
    sep: Option<usize>,
}

impl Groups {
    fn of(re: &Regex) -> Groups {
        let at = |name: &str| re.capture_names().position(|n| n == Some(name));
        Groups {
            value: at("value"),
            key: at("key"),
            q: at("q"),
            user: at("user"),
            sep: at("sep"),
        }
    }
}

/// A group of one match.
#[derive(Clone, Copy, Debug)]
struct Group<'t> {
    text: &'t str,
    start: usize,
    end: usize,
}

impl<'t> Group<'t> {
    fn as_str(&self) -> &'t str {
        &self.text[self.start..self.end]
    }
}

/// One match of a detector's regex, with the groups detectors read.
/// Copied out of reused capture locations: a `regex::Captures` per match
/// allocated its slots, a twentieth of an `--all` run.
#[derive(Clone, Copy, Debug)]
struct Found<'t> {
    whole: Group<'t>,
    value: Option<Group<'t>>,
    key: Option<Group<'t>>,
    q: Option<Group<'t>>,
    user: Option<Group<'t>>,
    sep: Option<Group<'t>>,
}

impl<'t> Found<'t> {
    fn read(text: &'t str, locs: &CaptureLocations, g: &Groups) -> Option<Found<'t>> {
        let group = |i: Option<usize>| {
            let (start, end) = locs.get(i?)?;
            Some(Group { text, start, end })
        };
        Some(Found {
            whole: group(Some(0))?,
            value: group(g.value),
            key: group(g.key),
            q: group(g.q),
            user: group(g.user),
            sep: group(g.sep),
        })
    }

    /// The groups of a `scope: key` match `start..end`, whose shape the
    /// unit tests check: the key is the word the match starts with (an
    /// identifier ending in the keyword's word), `q` an optional quote after
    /// it, then an optional `]` and blanks, the operator, blanks, and the
    /// empty `value` at the end.
    fn of_key(text: &'t str, start: usize, end: usize) -> Found<'t> {
        let b = text.as_bytes();
        let group = |start, end| Some(Group { text, start, end });
        let key_end = start
            + b[start..end]
                .iter()
                .take_while(|&&c| is_key_byte(c))
                .count();
        let q_end = key_end + usize::from(matches!(b.get(key_end), Some(b'"' | b'\'' | b'`')));
        let mut sep = q_end + usize::from(b.get(q_end) == Some(&b']'));
        sep += b[sep..end]
            .iter()
            .take_while(|&&c| matches!(c, b' ' | b'\t'))
            .count();
        let blanks = b[sep..end]
            .iter()
            .rev()
            .take_while(|&&c| matches!(c, b' ' | b'\t'));
        let sep_end = end - blanks.count();
        Found {
            whole: Group { text, start, end },
            value: group(end, end),
            key: group(start, key_end),
            q: group(key_end, q_end),
            user: None,
            sep: group(sep, sep_end),
        }
    }
}

impl LazyRegex {
    fn new(pattern: &str) -> Result<LazyRegex, String> {
        // Parsing is cheap and catches every syntax error; building the
        // matcher is what costs, and waits for the first text that needs it.
        // Only the syntax tree: translating it expands Unicode classes,
        // which cost as much as building the matchers.
        regex_syntax::ast::parse::Parser::new()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            pattern: pattern.to_owned(),
            compiled: OnceLock::new(),
        })
    }

    fn get(&self) -> &Regex {
        &self.compiled().0
    }

    /// The regex, where its groups are, and the bytes every match holds.
    fn compiled(&self) -> &(Regex, Groups, Vec<u8>) {
        self.compiled.get_or_init(|| {
            let re = crate::ascii_regex::new(&self.pattern).unwrap_or_else(|e| {
                unreachable!("rules/credentials.yaml is embedded and tested: {e}")
            });
            let groups = Groups::of(&re);
            (re, groups, required_bytes(&self.pattern))
        })
    }
}

/// One compiled detector.
struct Detector {
    kind: String,
    code: Option<Code>,
    regex: Option<LazyRegex>,
    value: ValueMode,
    key: Option<KeyRule>,
    secret: Option<LazyRegex>,
    exclude: Option<LazyRegex>,
    /// Whether the detector runs only on the file names its `files`
    /// globs (in [`Detectors::file_globs`]) match.
    limited: bool,
    has_keywords: bool,
    /// The prefilter's indices of the `also` words, one of which the text
    /// must hold too (empty: no such condition).
    also: Vec<usize>,
    scope: Scope,
}

/// The buffers [`Detectors::active_into`] fills for one text.
#[derive(Default)]
struct Scratch {
    on: Vec<bool>,
    allowed: Vec<bool>,
    /// Keywords seen, and keywords held (those inside longer ones too).
    seen: Vec<bool>,
    held: Vec<bool>,
    found: Vec<Hit>,
    /// Per detector, the lines its keywords are on (scoped detectors
    /// only; see [`Detectors::run_active`]).
    windows: Vec<Vec<Window>>,
    /// The detectors that can match, in table order.
    active: Vec<usize>,
}

thread_local! {
    /// One [`Scratch`] per thread, reused from text to text.
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Every detector, the prefilter and the kind descriptions.
pub struct Detectors {
    list: Vec<Detector>,
    prefilter: KeywordScanner,
    /// For each keyword pattern, the detectors it enables.
    by_keyword: Vec<Vec<usize>>,
    /// For each keyword pattern, the line- and key-scoped detectors among
    /// those: the ones that need every place it occurs, not just the first;
    /// with whether each is key-scoped (read per hit, so kept at hand).
    scoped_by_keyword: Vec<Vec<(usize, bool)>>,
    /// For each keyword pattern, the keywords it holds (itself included):
    /// which `also` words a place where it is the longest keyword shows.
    contained: Vec<Vec<usize>>,
    /// The `files` globs of every detector in one set, so that a file's
    /// name is matched once (matching it against each detector's set cost
    /// ~3% of an `--all` run), and the detector of each glob.
    file_globs: GlobSet,
    glob_owner: Vec<usize>,
    kinds: BTreeMap<String, String>,
}

/// The compiled table; the YAML is embedded and checked by the unit tests,
/// so a failure here is a build defect, not bad input.
pub fn detectors() -> &'static Detectors {
    static D: OnceLock<Detectors> = OnceLock::new();
    D.get_or_init(|| {
        compile(DATA)
            .unwrap_or_else(|e| unreachable!("rules/credentials.yaml is embedded and tested: {e}"))
    })
}

fn compile(data: &str) -> Result<Detectors, String> {
    let data: Data = serde_norway::from_str(data).map_err(|e| e.to_string())?;
    let mut list = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    let mut by_keyword: Vec<Vec<usize>> = Vec::new();
    let mut file_globs = GlobSetBuilder::new();
    let mut glob_owner = Vec::new();
    for (i, s) in data.detectors.into_iter().enumerate() {
        if !data.kinds.contains_key(&s.kind) {
            return Err(format!("detector {i}: kind `{}` is not in `kinds`", s.kind));
        }
        let regex = match &s.regex {
            Some(r) => Some(LazyRegex::new(r).map_err(|e| format!("detector {i}: {e}"))?),
            None => None,
        };
        if s.code.is_none() && regex.is_none() {
            return Err(format!(
                "detector {i} ({}) has neither code nor regex",
                s.kind
            ));
        }
        if s.code.is_none() && s.value.is_none() {
            return Err(format!("detector {i} ({}) needs `value`", s.kind));
        }
        let scopable = s.regex.is_some() || s.code == Some(Code::Connstring);
        if s.scope == Scope::Line && (s.keywords.is_empty() || !scopable) {
            return Err(format!(
                "detector {i} ({}): `scope: line` needs keywords and a regex (or `code: connstring`)",
                s.kind
            ));
        }
        if s.scope == Scope::Key && (s.keywords.is_empty() || s.regex.is_none()) {
            return Err(format!(
                "detector {i} ({}): `scope: key` needs keywords and a regex",
                s.kind
            ));
        }
        if !s.also.is_empty() && s.keywords.is_empty() {
            return Err(format!("detector {i} ({}): `also` needs keywords", s.kind));
        }
        if s.keywords.is_empty() && s.files.is_empty() {
            return Err(format!(
                "detector {i} ({}) has neither keywords nor files",
                s.kind
            ));
        }
        for g in &s.files {
            file_globs.add(
                GlobBuilder::new(g)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| format!("detector {i}: {e}"))?,
            );
            glob_owner.push(i);
        }
        for k in &s.keywords {
            let p = keyword_index(&mut keywords, &mut by_keyword, k);
            by_keyword[p].push(i);
        }
        let also = s
            .also
            .iter()
            .map(|w| keyword_index(&mut keywords, &mut by_keyword, w))
            .collect();
        list.push(Detector {
            kind: s.kind,
            code: s.code,
            regex,
            value: s.value.unwrap_or(ValueMode::Literal),
            key: s.key,
            secret: match &s.secret {
                Some(r) => Some(LazyRegex::new(r).map_err(|e| format!("detector {i}: {e}"))?),
                None => None,
            },
            exclude: match &s.exclude {
                Some(r) => Some(LazyRegex::new(r).map_err(|e| format!("detector {i}: {e}"))?),
                None => None,
            },
            limited: !s.files.is_empty(),
            has_keywords: !s.keywords.is_empty(),
            also,
            scope: s.scope,
        });
    }
    // The prefilter reports the longest keyword at each position (see
    // `active`), so a keyword also enables what the keywords inside it do
    // (`password` enables the detectors of `pass`).
    let closed: Vec<Vec<usize>> = keywords
        .iter()
        .map(|outer| {
            let mut on: Vec<usize> = keywords
                .iter()
                .zip(&by_keyword)
                .filter(|(inner, _)| outer.contains(inner.as_str()))
                .flat_map(|(_, ds)| ds.iter().copied())
                .collect();
            on.sort_unstable();
            on.dedup();
            on
        })
        .collect();
    let by_keyword = closed;
    let contained = keywords
        .iter()
        .map(|outer| {
            (0..keywords.len())
                .filter(|&i| outer.contains(keywords[i].as_str()))
                .collect()
        })
        .collect();
    let scoped_by_keyword = by_keyword
        .iter()
        .map(|ds| {
            ds.iter()
                .filter(|&&d| list[d].scope != Scope::Text)
                .map(|&d| (d, list[d].scope == Scope::Key))
                .collect()
        })
        .collect();
    let prefilter = KeywordScanner::new(&keywords)?;
    Ok(Detectors {
        list,
        prefilter,
        by_keyword,
        scoped_by_keyword,
        contained,
        file_globs: file_globs.build().map_err(|e| e.to_string())?,
        glob_owner,
        kinds: data.kinds,
    })
}

/// Where keyword `word` (lowercased) is in the prefilter's list, added
/// (enabling no detector yet) when it is new.
fn keyword_index(
    keywords: &mut Vec<String>,
    by_keyword: &mut Vec<Vec<usize>>,
    word: &str,
) -> usize {
    let word = word.to_ascii_lowercase();
    keywords.iter().position(|x| *x == word).unwrap_or_else(|| {
        keywords.push(word);
        by_keyword.push(Vec::new());
        keywords.len() - 1
    })
}

impl Detectors {
    /// The description of a kind (the start of a finding's message).
    pub fn describe(&self, kind: &str) -> &str {
        self.kinds.get(kind).map_or("credential", String::as_str)
    }

    /// Every kind, with its description (for documentation and tests).
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &str)> {
        self.kinds.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Which detectors can match `text` in the file at `path` (see
    /// [`Detectors::active_into`]), in fresh buffers.
    #[cfg(test)]
    fn active(&self, path: &str, text: &str, also: bool) -> (Vec<usize>, Vec<Vec<Window>>) {
        let mut s = Scratch::default();
        self.active_into(path, text, also, &mut s);
        (s.active, s.windows)
    }

    /// Which detectors can match `text` in the file at `path`: a detector
    /// with `files` only runs on files of those names; one with `keywords`
    /// only when the text holds one of them (both, when it has both).
    /// Leaves them in `s.active`, and for each scoped detector the lines
    /// its keywords are on in `s.windows` (empty for the others): for a
    /// `scope: line` detector each line that holds one, for a `scope:
    /// key` detector each line with one that opens an assignment, with
    /// the last such keyword as the window's `last`. Each hit's line and
    /// assignment test are found once, for every detector that wants
    /// them (finding them per detector was 5% of an `--all` check).
    fn active_into(&self, path: &str, text: &str, also: bool, s: &mut Scratch) {
        let n = self.list.len();
        let Scratch {
            on,
            allowed,
            seen,
            held,
            found,
            windows,
            active,
        } = s;
        let name = file_name(path);
        on.clear();
        on.resize(n, false);
        allowed.clear();
        allowed.extend(self.list.iter().map(|d| !d.limited));
        for g in self.file_globs.matches(name) {
            allowed[self.glob_owner[g]] = true;
        }
        for (i, d) in self.list.iter().enumerate() {
            on[i] = d.limited && allowed[i] && !d.has_keywords;
        }
        windows.resize_with(n, Vec::new);
        windows.iter_mut().for_each(Vec::clear);
        active.clear();
        let wanted = self
            .list
            .iter()
            .enumerate()
            .any(|(i, d)| d.has_keywords && allowed[i]);
        if !wanted {
            active.extend((0..n).filter(|i| on[*i]));
            return;
        }
        seen.clear();
        seen.resize(self.by_keyword.len(), false);
        // The keywords the text holds, those inside longer ones included.
        held.clear();
        held.resize(self.by_keyword.len(), false);
        // Every place a keyword starts (the scoped detectors need them
        // all); the longest keyword at each enables the detectors of those
        // it contains.
        self.prefilter.scan(text.as_bytes(), found);
        let b = text.as_bytes();
        let mut lines = LineCursor::default();
        for m in found.iter() {
            let k = m.keyword();
            // A keyword enables its detectors once; after that only the
            // scoped ones want to know where else it is.
            if !seen[k] {
                seen[k] = true;
                for &d in &self.by_keyword[k] {
                    on[d] |= allowed[d];
                }
                for &w in &self.contained[k] {
                    held[w] = true;
                }
            }
            let h = m.start();
            let mut opens = None;
            for &(d, key) in &self.scoped_by_keyword[k] {
                if !allowed[d] {
                    continue;
                }
                if key && !*opens.get_or_insert_with(|| opens_assignment(b, h)) {
                    continue;
                }
                let (start, end) = lines.line_of(b, h);
                let last = if key { h } else { end };
                match windows[d].last_mut() {
                    Some(w) if h <= w.end => w.last = last,
                    _ => windows[d].push(Window { start, end, last }),
                }
            }
        }
        if also {
            for (i, d) in self.list.iter().enumerate() {
                on[i] &= d.also.is_empty() || d.also.iter().any(|&w| held[w]);
            }
        }
        active.extend((0..n).filter(|i| on[*i]));
    }

    /// Runs every detector that can match; candidates carry the index of
    /// the detector that found them (their priority).
    pub(super) fn run(&self, path: &str, text: &str, syntax: Syntax) -> Vec<(usize, Candidate)> {
        self.run_scoped(path, text, syntax, true)
    }

    /// [`Detectors::run`], with line scopes and `also` words honoured or
    /// (for the tests that prove them sound) ignored.
    fn run_scoped(
        &self,
        path: &str,
        text: &str,
        syntax: Syntax,
        scopes: bool,
    ) -> Vec<(usize, Candidate)> {
        let mut out = Vec::new();
        // The prefilter's buffers, reused from file to file on this thread
        // (allocating and zeroing six of them per file, one a vector per
        // detector, was a good part of the ~7% of an `--all` check that
        // went to allocation). Should anything below scan another text on
        // this thread, that scan gets fresh buffers.
        let mut fresh = None;
        SCRATCH.with(|c| {
            let mut held = c.try_borrow_mut();
            let s: &mut Scratch = match held.as_deref_mut() {
                Ok(s) => s,
                Err(_) => fresh.insert(Scratch::default()),
            };
            self.active_into(path, text, scopes, s);
            self.run_active(path, text, syntax, scopes, s, &mut out);
        });
        out
    }

    /// Runs the detectors [`Detectors::active_into`] left in `s`.
    fn run_active(
        &self,
        path: &str,
        text: &str,
        syntax: Syntax,
        scopes: bool,
        s: &Scratch,
        out: &mut Vec<(usize, Candidate)>,
    ) {
        let whole = [Window::whole(text)];
        for &i in &s.active {
            let d = &self.list[i];
            let windows: &[Window] = match d.scope {
                Scope::Line | Scope::Key if scopes => &s.windows[i],
                _ => &whole,
            };
            // A text or line without a byte that every match holds cannot
            // match.
            let windows: Vec<Window> = match d.regex.as_ref().map(|r| &r.compiled().2) {
                Some(required) if scopes && !required.is_empty() => windows
                    .iter()
                    .copied()
                    .filter(|w| {
                        let part = &text.as_bytes()[w.start..w.end];
                        required.iter().all(|&b| memchr::memchr(b, part).is_some())
                    })
                    .collect(),
                _ => windows.to_vec(),
            };
            let mut found = Vec::new();
            match d.code {
                Some(Code::Url) => url::find(text, &mut found),
                Some(Code::Connstring) => {
                    let lines: Vec<(usize, usize)> =
                        windows.iter().map(|w| (w.start, w.end)).collect();
                    connstring::find(text, &lines, syntax, &mut found)
                }
                Some(Code::Pem) => pem::find(text, &mut found),
                Some(Code::Pgpass) => pgpass::find(text, &mut found),
                Some(Code::NameValue) => namevalue::find(text, syntax, &mut found),
                Some(Code::PasswordList) => lists::find(text, &mut found),
                Some(Code::Assignment) | None => {
                    self.regex_detector(d, path, text, &windows, syntax, &mut found)
                }
            }
            out.extend(found.into_iter().map(|c| (i, c)));
        }
    }

    fn regex_detector(
        &self,
        d: &Detector,
        path: &str,
        text: &str,
        windows: &[Window],
        syntax: Syntax,
        out: &mut Vec<Candidate>,
    ) {
        let Some(re) = &d.regex else { return };
        let (re, groups, _) = re.compiled();
        // A match inside the value just read (`X=${X:?set it}`) is part of
        // that value, not a new assignment.
        let mut consumed = 0;
        let keyed = d.scope == Scope::Key;
        for caps in matches_in(re, groups, text, windows, keyed) {
            let Some(vg) = caps.value else {
                continue;
            };
            if caps.whole.start < consumed {
                continue;
            }
            let key = caps.key.map(|k| k.as_str());
            // `${DB_PASSWORD:-x}`, `%(password)s`, `{{ password }}` name a
            // variable; they do not assign one.
            if let Some(k) = caps.key {
                let before = text[..k.start].trim_end_matches([' ', '\t']);
                if before.ends_with("${") || before.ends_with("%(") || before.ends_with("{{") {
                    continue;
                }
            }
            let key_ok = match d.key {
                None => true,
                Some(KeyRule::Password) => key.is_some_and(is_password_key),
                Some(KeyRule::ObjectStore) => key.is_some_and(is_object_store_key),
                Some(KeyRule::DbToken) => key.is_some_and(|k| {
                    is_db_token_key(k)
                        || matches!(
                            k.to_ascii_lowercase().as_str(),
                            "token" | "api_key" | "apikey"
                        ) && enclosing_callee(text, caps.whole.start)
                            .is_some_and(|c| is_store_callee(&c))
                }),
            };
            if !key_ok {
                continue;
            }
            // A key inside a string literal (`"--password=x"`): the value
            // ends with that literal.
            let enclosing = match (caps.q, caps.key) {
                (Some(q), Some(k)) if q.as_str().is_empty() => enclosing_quote(text, k.start),
                _ => None,
            };
            let value = match d.value {
                ValueMode::Raw => raw(text, vg.start, vg.end),
                ValueMode::Literal => literal(text, vg.start, syntax, enclosing),
                ValueMode::Quoted => quoted(text, vg.start, syntax),
                ValueMode::Word => word(text, vg.start),
            };
            let placeholder = |v: &Value| match caps.user {
                Some(u) => is_placeholder_pair(u.as_str(), &v.text),
                None => is_placeholder(&v.text, key),
            };
            // A reference with a fallback (`${DB_PASSWORD:-x}`,
            // `os.environ.get("DB_PASSWORD", "x")`): the fallback is the
            // value the program uses when the variable is unset.
            let mut default_word = false;
            let value = match value {
                Some(v) if !placeholder(&v) => Some(v),
                // `POSTGRES_PASSWORD: pass`: a placeholder word as a
                // database's password is the password of a local one
                // (the context policy keeps it only where that holds).
                Some(v)
                    if d.key == Some(KeyRule::Password)
                        && caps.user.is_none()
                        && is_default_word(&v.text)
                        && context::linked_near(text, vg.start, key) =>
                {
                    default_word = true;
                    Some(v)
                }
                other if d.value == ValueMode::Literal => {
                    let from = other
                        .as_ref()
                        .filter(|v| text.get(v.start..v.end) == Some(v.text.as_str()))
                        .map_or_else(|| skip_blanks(text, vg.start), |v| v.start);
                    match fallback_value(text, from, syntax) {
                        Some(f) if !is_weak_fallback(&f.text, key) => Some(f),
                        _ => {
                            if let Some(v) = &other {
                                consumed = v.end;
                            }
                            continue;
                        }
                    }
                }
                Some(v) => {
                    consumed = v.end;
                    continue;
                }
                None => None,
            };
            let Some(value) = value else { continue };
            consumed = value.end;
            if let Some(s) = &d.secret
                && !s.get().is_match(&value.text)
            {
                continue;
            }
            if let Some(x) = &d.exclude
                && x.get().is_match(&value.text)
            {
                continue;
            }
            let kind = if d.code == Some(Code::Assignment) {
                assignment_kind(path, text, &caps, syntax)
            } else {
                kind_str(&d.kind)
            };
            let same_as_user = caps
                .user
                .is_some_and(|u| u.as_str().eq_ignore_ascii_case(&value.text));
            out.push(Candidate {
                kind,
                start: value.start,
                end: value.end,
                secret: value.text,
                key: key.map(str::to_string),
                default_word,
                same_as_user,
                ..Default::default()
            });
        }
    }
}

/// A part of a text a detector searches: matches start in
/// `start..=last` and end by `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    start: usize,
    end: usize,
    /// The last offset a match can start at: for a line of a `scope: key`
    /// detector, its last keyword (a match holds its keyword), so that
    /// the search stops after the last assignment instead of reading the
    /// rest of the line again.
    last: usize,
}

impl Window {
    fn whole(text: &str) -> Window {
        Window {
            start: 0,
            end: text.len(),
            last: text.len(),
        }
    }
}

/// The line (start, end without the newline) of each of a text's hits,
/// in ascending order: a hit on the line of the one before costs a
/// comparison, one on a later line a search back to the end of the
/// line before.
#[derive(Default)]
struct LineCursor {
    /// The last line found, if any.
    line: Option<(usize, usize)>,
}

impl LineCursor {
    fn line_of(&mut self, text: &[u8], at: usize) -> (usize, usize) {
        let from = match self.line {
            Some((start, end)) if (start..=end).contains(&at) => return (start, end),
            // The previous line's end is a newline before `at`.
            Some((_, end)) if end < at => end,
            _ => 0,
        };
        let start = memchr::memrchr(b'\n', &text[from..at]).map_or(from, |i| from + i + 1);
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
        self.line = Some((start, end));
        (start, end)
    }
}

/// Every match of `re` that starts in a window (ascending, disjoint
/// byte ranges) by its `last` offset and ends by its end, in order, the
/// way `captures_iter` finds them; the text before a window still counts
/// for look-behind (`\b`, `(?m)^`).
///
/// A `scope: key` regex's groups are read off its match (see
/// [`Found::of_key`]) instead of by the capture engines, which cost a tenth
/// of an `--all` run on those matches alone.
fn matches_in<'t>(
    re: &'t Regex,
    groups: &'t Groups,
    text: &'t str,
    windows: &'t [Window],
    keyed: bool,
) -> impl Iterator<Item = Found<'t>> {
    // Made on the first search that reads groups: a `scope: key` search
    // never does, and most texts have no window left to search.
    let mut locs: Option<CaptureLocations> = None;
    let mut window = 0;
    let mut at = windows.first().map(|w| w.start);
    std::iter::from_fn(move || {
        loop {
            let w = windows.get(window)?;
            let hay = &text[..w.end];
            let found = at.filter(|&pos| pos <= w.last).and_then(|pos| {
                if keyed {
                    let m = re.find_at(hay, pos)?;
                    Some((m.range(), Some(Found::of_key(text, m.start(), m.end()))))
                } else {
                    let locs = locs.get_or_insert_with(|| re.capture_locations());
                    let m = re.captures_read_at(locs, hay, pos)?;
                    Some((m.range(), Found::read(text, locs, groups)))
                }
            });
            let Some((m, found)) = found else {
                window += 1;
                at = windows.get(window).map(|w| w.start);
                continue;
            };
            // An empty match moves on one character, as `captures_iter` does.
            at = if m.is_empty() {
                hay[m.end..].chars().next().map(|c| m.end + c.len_utf8())
            } else {
                Some(m.end)
            };
            if let Some(found) = found {
                return Some(found);
            }
        }
    })
}

/// The `'static` name of a kind from the table.
fn kind_str(kind: &str) -> &'static str {
    detectors()
        .kinds
        .get_key_value(kind)
        .map_or("password-assignment", |(k, _)| k.as_str())
}

/// Refines a generic assignment: a quoted `'PASSWORD'` key in a Python
/// file is Django's `DATABASES` setting; a keyword argument inside a
/// driver call (`psycopg2.connect(..., password="x")`) is a driver call.
fn assignment_kind(path: &str, text: &str, caps: &Found<'_>, syntax: Syntax) -> &'static str {
    let (Some(key), Some(q)) = (caps.key, caps.q) else {
        return "password-assignment";
    };
    if key.as_str() == "PASSWORD" && !q.as_str().is_empty() && path.ends_with(".py") {
        return "django-database-password";
    }
    let sep = caps.sep.map_or("", |m| m.as_str());
    if syntax == Syntax::Code
        && sep == "="
        && q.as_str().is_empty()
        && enclosing_callee(text, key.start).is_some_and(|c| is_driver_callee(&c))
    {
        return "driver-call-password";
    }
    if is_service_password_key(key.as_str()) {
        return "service-password";
    }
    "password-assignment"
}

/// Callee names that open a database connection.
const CALLS: &[&str] = &[
    "connect",
    "create_engine",
    "create_async_engine",
    "create",
    "URL.create",
    "Connection",
    "ConnectionPool",
    "Pool",
    "Client",
    "MongoClient",
    "AsyncIOMotorClient",
    "Redis",
    "StrictRedis",
    "from_url",
    "create_pool",
    "Database",
];

/// Whether a callee opens a database connection.
fn is_driver_callee(callee: &str) -> bool {
    let last = callee.rsplit('.').next().unwrap_or("");
    CALLS.iter().any(|c| *c == callee || *c == last)
        || last.to_ascii_lowercase().contains("connect")
}

/// The name of the call whose argument list `pos` sits inside (looking
/// back at most a few hundred bytes), if any.
pub(super) fn enclosing_callee(text: &str, pos: usize) -> Option<String> {
    let mut depth = 0i32;
    let start = pos.saturating_sub(600);
    let start = (start..=pos)
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(pos);
    let before = &text[start..pos];
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let callee: String = before[..i]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                return Some(callee);
            }
            _ => {}
        }
    }
    None
}

fn skip_blanks(text: &str, pos: usize) -> usize {
    pos + text[pos..].len() - text[pos..].trim_start_matches([' ', '\t']).len()
}

/// The fallback literal of a reference that starts at `pos`, read to the
/// end of its line.
fn fallback_value(text: &str, pos: usize, syntax: Syntax) -> Option<Value> {
    let end = text[pos..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| pos + i);
    match fallback(&text[pos..end])? {
        Fallback::Quoted(off) => quoted(text, pos + off, syntax),
        Fallback::Raw(a, b) => {
            let raw = text[pos + a..pos + b].trim();
            (!raw.is_empty()).then(|| Value {
                start: pos + a,
                end: pos + a + raw.len(),
                text: raw.to_string(),
            })
        }
    }
}

/// A raw value, trimmed, with XML entities resolved.
fn raw(text: &str, start: usize, end: usize) -> Option<Value> {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let decoded = t
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(Value {
        start: start + lead,
        end: start + lead + t.len(),
        text: decoded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_compiles() {
        let d = compile(DATA).unwrap();
        assert!(d.list.len() > 20);
        assert_eq!(
            d.describe("db-url-password"),
            "database URL with an inline password"
        );
        // Every kind is used by a detector or produced by code.
        for (k, _) in d.kinds() {
            let used = d.list.iter().any(|x| x.kind == k)
                || matches!(
                    k,
                    "jdbc-password"
                        | "alembic-sqlalchemy-url"
                        | "django-database-password"
                        | "driver-call-password"
                        | "service-password"
                );
            assert!(used, "{k}");
        }
    }

    #[test]
    fn every_embedded_regex_builds() {
        // They compile lazily at run time: build them all here.
        let d = compile(DATA).unwrap();
        for x in &d.list {
            for re in [&x.regex, &x.secret, &x.exclude].into_iter().flatten() {
                re.get();
            }
        }
    }

    #[test]
    fn bad_tables_are_rejected() {
        assert!(
            compile("kinds: {a: b}\ndetectors:\n  - kind: c\n    code: url\n    keywords: [x]\n")
                .is_err()
        );
        assert!(compile("kinds: {a: b}\ndetectors:\n  - kind: a\n    regex: '('\n    value: raw\n    keywords: [x]\n").is_err());
        assert!(compile("kinds: {a: b}\ndetectors:\n  - kind: a\n    code: url\n").is_err());
    }

    #[test]
    fn prefilter_skips_text_without_keywords() {
        let d = detectors();
        assert!(
            d.active("a.txt", "nothing to see here\n", true)
                .0
                .is_empty()
        );
        assert!(!d.active("a.txt", "DB_PASSWORD=x", true).0.is_empty());
        assert!(!d.active("home/.pgpass", "x", true).0.is_empty());
    }

    #[test]
    fn driver_calls_are_recognised() {
        let inside =
            |t: &str| enclosing_callee(t, t.len() - 9).is_some_and(|c| is_driver_callee(&c));
        assert!(inside("conn = psycopg2.connect(host=h, user=u, password="));
        assert!(inside(
            "engine = URL.create(\"postgresql\", username=u, password="
        ));
        assert!(!inside("f(x)\npassword="));
    }

    /// Buffers reused from text to text give what fresh ones give, in
    /// every order: texts with scoped keywords, name-limited files, texts
    /// without keywords, an empty one.
    #[test]
    fn reused_buffers_give_what_fresh_ones_give() {
        let d = detectors();
        let texts = [
            (
                "app.py",
                "DB_PASSWORD = 'x1'\npassword: ${P}\nurl = 'postgresql://u:p@h/db'\n",
            ),
            ("home/.pgpass", "h:5432:db:u:changeme\n"),
            ("README.md", "| password | hunter22 |\n"),
            ("empty.txt", ""),
            ("a.txt", "nothing to see here\n"),
            (
                "settings.xml",
                "<password>changeme</password>\ntoken = 'abc'\n",
            ),
        ];
        let mut s = Scratch::default();
        for round in 0..2 {
            for i in 0..texts.len() {
                let (path, text) = texts[if round == 0 { i } else { texts.len() - 1 - i }];
                let (active, windows) = d.active(path, text, true);
                d.active_into(path, text, true, &mut s);
                assert_eq!(s.active, active, "{path}");
                assert_eq!(s.windows, windows, "{path}");
            }
        }
    }

    #[test]
    fn files_and_keywords_together_mean_both() {
        let d = compile(
            "kinds: {a: b}\ndetectors:\n  - kind: a\n    regex: 'k(?P<value>x)'\n    value: raw\n    keywords: [kx]\n    files: ['*.md']\n",
        )
        .unwrap();
        assert_eq!(d.active("README.md", "kx", true).0, [0]);
        assert!(d.active("README.md", "nothing", true).0.is_empty());
        assert!(d.active("app.py", "kx", true).0.is_empty());
    }

    /// `also` words are a second condition: a keyword and one of them,
    /// anywhere in the text, also inside a longer keyword.
    #[test]
    fn also_words_are_needed_too() {
        let d = compile(
            "kinds: {a: b}\ndetectors:\n  - kind: a\n    regex: 'k(?P<value>x)'\n    value: raw\n    keywords: [kx]\n    also: [create, alter]\n  - kind: a\n    regex: 'alterx(?P<value>x)'\n    value: raw\n    keywords: [alterx]\n",
        )
        .unwrap();
        assert!(d.active("a.sql", "kx", true).0.is_empty());
        assert_eq!(d.active("a.sql", "kx", false).0, [0]);
        assert_eq!(d.active("a.sql", "CREATE kx", true).0, [0]);
        assert_eq!(d.active("a.sql", "kx\nalter", true).0, [0]);
        assert!(d.active("a.sql", "create", true).0.is_empty());
        // `alter` at a place where `alterx` is the longest keyword.
        assert_eq!(d.active("a.sql", "kx alterx", true).0, [0, 1]);
        let bad = "kinds: {a: b}\ndetectors:\n  - kind: a\n    regex: 'k(?P<value>x)'\n    value: raw\n    files: ['*.md']\n    also: [create]\n";
        assert!(compile(bad).is_err());
    }

    /// The two detectors with `also` words, through the embedded table.
    #[test]
    fn sql_users_and_xml_elements_need_their_also_words() {
        let d = detectors();
        let kinds = |path: &str, text: &str| -> Vec<&str> {
            d.run(path, text, crate::secrets::syntax::syntax_of(path))
                .into_iter()
                .map(|(_, c)| c.kind)
                .collect()
        };
        let pw = format!("Sq1{}", "-Us3rPw");
        let sql = format!("CREATE USER app WITH PASSWORD '{pw}';\n");
        assert_eq!(kinds("init.sql", &sql), ["sql-password"]);
        let sql = format!("alter role app password '{pw}';\n");
        assert_eq!(kinds("init.sql", &sql), ["sql-password"]);
        let xml = format!("<settings>\n  <dbPassword>{pw}</dbPassword>\n</settings>\n");
        assert_eq!(kinds("settings.xml", &xml), ["password-assignment"]);
    }

    /// Whether a match of `pattern` can hold a newline, or can depend on
    /// where the whole text starts or ends (`\A`, `\z`, and `^`/`$`
    /// without `(?m)`); searching only some lines would change those.
    fn reaches_past_its_line(pattern: &str) -> bool {
        use regex_syntax::hir::{Class, Hir, HirKind, Look};
        fn walk(h: &Hir) -> bool {
            match h.kind() {
                HirKind::Empty => false,
                HirKind::Literal(l) => l.0.contains(&b'\n'),
                HirKind::Class(Class::Unicode(c)) => c
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= '\n' && '\n' <= r.end()),
                HirKind::Class(Class::Bytes(c)) => c
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
                HirKind::Look(l) => matches!(l, Look::Start | Look::End),
                HirKind::Repetition(r) => walk(&r.sub),
                HirKind::Capture(c) => walk(&c.sub),
                HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(walk),
            }
        }
        walk(&regex_syntax::parse(&crate::ascii_regex::asciify(pattern)).unwrap())
    }

    #[test]
    fn the_line_check_sees_newlines_and_text_anchors() {
        assert!(!reaches_past_its_line(r"(?m)^[ \t]*pass(?P<value>[^\n]*)$"));
        assert!(reaches_past_its_line(r"pass\s*=(?P<value>x)"));
        assert!(reaches_past_its_line(r"pass[^;]*(?P<value>x)"));
        assert!(reaches_past_its_line(r"^pass(?P<value>x)"));
        assert!(!reaches_past_its_line(r"(?i)\bpass(?P<value>[^`\s]+)"));
    }

    #[test]
    fn line_scoped_patterns_stay_on_their_line() {
        let data: Data = serde_norway::from_str(DATA).unwrap();
        for (i, s) in data.detectors.iter().enumerate() {
            if s.scope != Scope::Text
                && let Some(re) = s.regex.as_deref()
            {
                assert!(!reaches_past_its_line(re), "detector {i}: {re}");
            }
        }
    }

    /// A `scope: key` regex must read its key the way
    /// [`opens_assignment`] does: an optional identifier, the keyword,
    /// the rest of its word, an optional quote and `]`, blanks, then the
    /// operator group.
    #[test]
    fn key_scoped_patterns_have_the_key_shape() {
        let data: Data = serde_norway::from_str(DATA).unwrap();
        let keyed: Vec<&Spec> = data
            .detectors
            .iter()
            .filter(|s| s.scope == Scope::Key)
            .collect();
        assert!(!keyed.is_empty());
        for s in keyed {
            let re = s.regex.as_deref().unwrap();
            assert!(
                re.starts_with(r"(?P<key>(?:[A-Za-z_][\w.\-]*?)?(?i:"),
                "{re}"
            );
            assert!(
                re.contains(r#")[\w.\-]*)(?P<q>["'`]?)\]?[ \t]*(?P<sep>"#),
                "{re}"
            );
            // Every operator starts with one of the bytes the scope accepts.
            let hir = regex_syntax::parse(&crate::ascii_regex::asciify(re)).unwrap();
            let sep = capture(&hir, "sep").unwrap_or_else(|| panic!("{re}"));
            let (bytes, empty) = first_bytes(sep);
            assert!(!empty, "{re}");
            for b in bytes {
                assert!(b":=?|".contains(&b), "{} in {re}", b as char);
            }
        }
    }

    fn capture<'h>(
        h: &'h regex_syntax::hir::Hir,
        name: &str,
    ) -> Option<&'h regex_syntax::hir::Hir> {
        use regex_syntax::hir::HirKind;
        match h.kind() {
            HirKind::Capture(c) if c.name.as_deref() == Some(name) => Some(h),
            HirKind::Capture(c) => capture(&c.sub, name),
            HirKind::Repetition(r) => capture(&r.sub, name),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(|h| capture(h, name)),
            _ => None,
        }
    }

    /// The bytes a match of `h` can start with, and whether it can be empty.
    fn first_bytes(h: &regex_syntax::hir::Hir) -> (Vec<u8>, bool) {
        use regex_syntax::hir::{Class, HirKind};
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => (vec![], true),
            HirKind::Literal(l) => (vec![l.0[0]], false),
            HirKind::Class(Class::Bytes(c)) => (
                c.ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .collect(),
                false,
            ),
            // A character outside ASCII stands as 0x80, a byte no operator
            // starts with, so that the shape test cannot overlook it.
            HirKind::Class(Class::Unicode(c)) => (
                c.ranges()
                    .iter()
                    .flat_map(|r| u32::from(r.start()).min(0x80)..=u32::from(r.end()).min(0x80))
                    .map(|b| b as u8)
                    .collect(),
                false,
            ),
            HirKind::Repetition(r) => {
                let (b, e) = first_bytes(&r.sub);
                (b, e || r.min == 0)
            }
            HirKind::Capture(c) => first_bytes(&c.sub),
            HirKind::Concat(v) => {
                let mut out = vec![];
                for h in v {
                    let (b, e) = first_bytes(h);
                    out.extend(b);
                    if !e {
                        return (out, false);
                    }
                }
                (out, true)
            }
            HirKind::Alternation(v) => {
                v.iter()
                    .map(first_bytes)
                    .fold((vec![], false), |mut a, (b, e)| {
                        a.0.extend(b);
                        (a.0, a.1 || e)
                    })
            }
        }
    }

    /// A match's groups as (start, end) pairs.
    type Spans = Vec<Option<(usize, usize)>>;

    /// The groups of every `scope: key` match in `text`, read by the
    /// capture engine and read off the match, as (start, end) pairs.
    fn key_groups_both_ways(text: &str) -> Vec<(Spans, Spans)> {
        let spans = |f: Found<'_>| {
            [Some(f.whole), f.value, f.key, f.q, f.user, f.sep]
                .iter()
                .map(|g| g.map(|g| (g.start, g.end)))
                .collect::<Vec<_>>()
        };
        let d = detectors();
        let mut out = Vec::new();
        for det in d.list.iter().filter(|d| d.scope == Scope::Key) {
            let (re, groups, _) = det.regex.as_ref().unwrap().compiled();
            let mut locs = re.capture_locations();
            let mut at = 0;
            while let Some(m) = re.captures_read_at(&mut locs, text, at) {
                let read = Found::read(text, &locs, groups).unwrap();
                out.push((spans(read), spans(Found::of_key(text, m.start(), m.end()))));
                at = m.end().max(m.start() + 1);
                while !text.is_char_boundary(at) {
                    at += 1;
                }
            }
        }
        out
    }

    #[test]
    fn key_groups_are_read_off_the_match_as_the_capture_engine_reads_them() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut matches = 0;
        for e in ignore::Walk::new(here.join("tests")) {
            let Ok(t) = std::fs::read_to_string(e.unwrap().path()) else {
                continue;
            };
            for (captured, derived) in key_groups_both_ways(&t) {
                assert_eq!(
                    captured,
                    derived,
                    "{}",
                    &t[captured[0].unwrap().0..captured[0].unwrap().1]
                );
                matches += 1;
            }
        }
        assert!(matches > 500, "the fixtures moved: {matches}");
    }

    proptest::proptest! {
        #[test]
        fn key_groups_match_in_generated_texts(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "password", "Pass", "pw", "token", "api-key", "db_", "x9", ".", "-", "\"", "'",
                "`", "]", " ", "\t", ":", "=", "??=", "||=", "=>", ": str =", ": Dict[str, int] =",
                "é", "\n", "v",
            ]), 0..30),
        ) {
            let text = parts.concat();
            for (captured, derived) in key_groups_both_ways(&text) {
                proptest::prop_assert_eq!(captured, derived, "{:?}", text);
            }
        }
    }

    proptest::proptest! {
        /// Texts made of keys, operators, quotes and references find the
        /// same with line and key scopes as with whole-text searches.
        #[test]
        fn scopes_find_what_whole_text_search_finds_in_generated_texts(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "password", "PASSWORD", "Pass", "passphrase", "pwd", "pw", "token", "API-KEY",
                "api_key", "apikey", "db_", "x", "my.", "-", "\"", "'", "`", "]", "[", " ",
                "\t", ":", "=", "?", "|", "=>", ":=", "??=", "||=", ": str =", "(", ")", ",",
                "\n", "\r\n", "Zq8-vT3kLm9wXy2Rb", "${", "}", "os.getenv(", "\"Qw7-zX2cVb9nM4kL\"",
            ]), 0..40),
            path in proptest::sample::select(vec!["app.py", "config.yaml", ".env", "README.md"]),
        ) {
            let text = parts.concat();
            let d = detectors();
            let syntax = super::super::syntax::syntax_of(path);
            let summary = |v: Vec<(usize, Candidate)>| -> Vec<(usize, &'static str, usize, usize)> {
                v.into_iter().map(|(i, c)| (i, c.kind, c.start, c.end)).collect()
            };
            proptest::prop_assert_eq!(
                summary(d.run_scoped(path, &text, syntax, true)),
                summary(d.run_scoped(path, &text, syntax, false)),
                "{:?}", text
            );
        }
    }

    #[test]
    fn assignment_operators_open_keys() {
        let yes = |t: &str| opens_assignment(t.as_bytes(), 0);
        assert!(yes("password = x"));
        assert!(yes("PASSWORD_x.y-z\"]\t: x"));
        assert!(yes("pass ??= x"));
        assert!(yes("pwd||x"));
        assert!(!yes("password"));
        assert!(!yes("password\""));
        assert!(!yes("password\")"));
        assert!(!yes("password is x"));
        assert!(!yes("password\n= x"));
    }

    /// Every fixture and source text (with the shapes that trip line
    /// windows in tests/fixtures/line-windows: a key on the first or last
    /// line, no final newline, CRLF, a folded value) finds the same with
    /// line scopes as with whole-text searches: the proof that each
    /// line-scoped match holds a keyword.
    #[test]
    fn line_scopes_find_what_whole_text_search_finds() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // Every text file the project keeps (fixtures, sources, rules,
        // benches); git's ignore rules keep build output out.
        let texts: Vec<(String, String)> = ["tests", "src", "rules", "benches"]
            .iter()
            .flat_map(|d| ignore::Walk::new(here.join(d)))
            .filter_map(|e| {
                let p = e.ok()?.into_path();
                let t = std::fs::read_to_string(&p).ok()?;
                Some((p.to_string_lossy().into_owned(), t))
            })
            .collect();
        assert!(texts.len() > 400, "the fixtures moved: {}", texts.len());
        let d = detectors();
        let summary = |v: Vec<(usize, Candidate)>| -> Vec<(usize, &'static str, usize, usize)> {
            v.into_iter()
                .map(|(i, c)| (i, c.kind, c.start, c.end))
                .collect()
        };
        for (path, text) in &texts {
            let syntax = super::super::syntax::syntax_of(path);
            assert_eq!(
                summary(d.run_scoped(path, text, syntax, true)),
                summary(d.run_scoped(path, text, syntax, false)),
                "{path}"
            );
        }
    }
}
