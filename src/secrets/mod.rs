//! Finding credentials in text: the detectors behind the `credential`
//! rule, with no knowledge of git, rules or output formats.
//!
//! [`scan`] runs the keyword prefilter, the detectors that can match
//! (`detectors`, data in `rules/credentials.yaml` plus the code detectors
//! `url`, `connstring`, `pem`, `pgpass`, `namevalue`), drops placeholders
//! (`placeholder`, the single policy every detector uses), keeps one
//! finding per value, and returns positions and values. What leaves this
//! module towards a report goes through `redact` first.

pub mod context;
pub mod detectors;
pub mod keys;
pub mod lines;
pub mod placeholder;
pub mod redact;
pub mod syntax;

mod connstring;
mod keyword_scan;
mod lists;
mod namevalue;
mod pem;
mod pgpass;
mod required_bytes;
mod url;

use self::lines::{LineIndex, line_at};

/// What a detector found, before it gets a position: the byte range of
/// the secret in the text (where a finding points) and its value.
#[derive(Clone, Debug, Default)]
pub(crate) struct Candidate {
    pub kind: &'static str,
    pub start: usize,
    pub end: usize,
    /// The decoded value (percent-escapes and quotes resolved).
    pub secret: String,
    /// The name the value was assigned to, where a detector read one: the
    /// context policy looks for a database or a service in it.
    pub key: Option<String>,
    /// The host a URL's password opens, for the local-service test.
    pub host: Option<String>,
    /// The value is a word that is a placeholder elsewhere (`pass`,
    /// `password`), kept because it is assigned to a database's password
    /// or sits in a URL with a real user name: a credential only where it
    /// opens a local service.
    pub default_word: bool,
    /// The password is the user name (`ctfd:ctfd`): a well-known default.
    pub same_as_user: bool,
}

/// One credential in a text. `secret` is the whole value: callers must
/// pass it through [`redact::preview`] before showing it anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// Stable sub-kind (`db-url-password`, `pgpass-entry`, ...).
    pub kind: &'static str,
    /// What was found, for the message (`database URL with an inline password`).
    pub description: &'static str,
    /// 1-based line of the secret (of the `BEGIN` line for a private key).
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    pub secret: String,
    /// Why the credential only opens a local development service (a
    /// compose file, a CI service container, a local host, test
    /// settings), or `None`: local ones are reported as warnings.
    pub local: Option<&'static str>,
}

/// Finds the credentials in `text`, the content of the file at `path`
/// (the name decides the syntax and name-based detectors such as
/// `.pgpass`). One detection per value, in text order.
pub fn scan(path: &str, text: &str) -> Vec<Detection> {
    let table = detectors::detectors();
    let syntax = syntax::syntax_of(path);
    let mut found = table.run(path, text, syntax);
    if found.is_empty() {
        return Vec::new();
    }
    let place = context::Place::of(path);
    found.retain(|(_, c)| context::keep(place, path, text, c));
    // One finding per value: the highest-priority detector wins overlaps.
    found.sort_by_key(|(prio, c)| (*prio, c.start));
    let mut kept: Vec<Candidate> = Vec::new();
    for (_, c) in found {
        let overlaps = kept.iter().any(|k| {
            k.start == c.start
                || (k.start < c.end.max(c.start + 1) && c.start < k.end.max(k.start + 1))
        });
        if !overlaps {
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| c.start);
    let index = LineIndex::new(text);
    kept.into_iter()
        .map(|c| {
            let (line, column) = index.position(c.start);
            let mut kind = c.kind;
            if kind == "db-url-password" {
                let (_, l) = line_at(text, c.start);
                let l = l.trim_start().to_ascii_lowercase();
                if l.starts_with("sqlalchemy.url") {
                    kind = "alembic-sqlalchemy-url";
                }
            }
            Detection {
                kind,
                description: description(kind),
                line,
                column,
                local: context::local_reason(path, &c),
                secret: c.secret,
            }
        })
        .collect()
}

/// Builds the detector table (with its keyword automaton) and compiles
/// the placeholder regexes, on a thread of its own while git lists the
/// changes: every scan that finds a candidate needs all of them, and a
/// staged check of a few files in a large repository spends ~20 ms
/// reading the index with a core idle. The detectors' own regexes (61,
/// ~25 ms of CPU) are left to compile on first use: a few staged files
/// need a handful, and compiling every one ahead kept a core busy after
/// the listing, when the file and set checks need both (staged check on
/// the benchmark repository 47.9 -> 43.1 ms, medians of 80 interleaved
/// runs). Scans never wait for it (each compiles once, by whichever
/// thread asks first).
pub fn warm_up() {
    detectors::detectors();
    placeholder::warm_up();
}

fn description(kind: &str) -> &'static str {
    detectors::detectors().describe(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(path: &str, text: &str) -> Vec<(u32, u32, &'static str)> {
        scan(path, text)
            .into_iter()
            .map(|d| (d.line, d.column, d.kind))
            .collect()
    }

    #[test]
    fn positions_point_at_the_secret() {
        let pw = format!("Zq{}", "8-w3x9");
        let t = format!("# db\nDATABASE_URL=postgresql://app:{pw}@db/app\n");
        assert_eq!(kinds(".env", &t), [(2, 31, "db-url-password")]);
        let d = &scan(".env", &t)[0];
        assert_eq!(d.secret, pw);
        assert_eq!(d.description, "database URL with an inline password");
    }

    /// Found by the call its keyword names (`.pass(`), in a file whose
    /// `pass` is Python's statement or part of `password` elsewhere.
    #[test]
    fn rust_option_builders_pass_passwords() {
        let t = format!(
            "let opts = OptsBuilder::default()\n    .user(Some(\"app\"))\n    .pass(Some(\"{}\"));\n",
            "Mysq1Async_R5"
        );
        assert_eq!(kinds("src/main.rs", &t), [(3, 17, "driver-call-password")]);
        assert!(kinds("src/main.rs", "bypass(Some(\"Mysq1Async_R5\"))").is_empty());
    }

    /// The `ENV` detector's keywords hold the blank after `ENV`: a space
    /// or a tab.
    #[test]
    fn dockerfile_env_with_a_space_or_a_tab() {
        let pw = format!("Dock3r{}", "-Env9x");
        for sep in [" ", "\t", " \t "] {
            let t = format!("FROM postgres:16\nENV{sep}POSTGRES_PASSWORD {pw}\n");
            assert_eq!(
                kinds("Dockerfile", &t),
                [(2, 23 + sep.len() as u32 - 1, "password-assignment")],
                "{sep:?}"
            );
        }
    }

    #[test]
    fn alembic_urls_get_their_own_kind() {
        let t = format!(
            "[alembic]\nsqlalchemy.url = postgresql://app:{}@db/app\n",
            "Al3m-bic9"
        );
        assert_eq!(
            kinds("alembic.ini", &t),
            [(2, 35, "alembic-sqlalchemy-url")]
        );
    }

    #[test]
    fn one_finding_per_value() {
        let t = format!(
            "conn = \"Server=h;Database=d;User Id=u;Password={};\"\n",
            "Zx9-kk2"
        );
        assert_eq!(
            kinds("app.config", &t),
            [(1, 48, "connection-string-password")]
        );
    }

    #[test]
    fn text_without_keywords_finds_nothing() {
        assert!(scan("a.py", "print('hello')\n").is_empty());
        assert!(scan("a.py", "").is_empty());
    }
}
