//! The one place that decides whether a value is a placeholder, a
//! reference, a dummy or prose rather than a real secret.
//!
//! Every detector funnels its candidate value through [`is_placeholder`]
//! (and URL detectors through [`is_placeholder_pair`]), so the false-alarm
//! policy is decided once: a template variable (`${DB_PASSWORD}`, `%(pw)s`,
//! `{password}`, `{{ pw }}`, `<password>`), a code reference
//! (`os.environ[...]`, `settings.X`), a file path (`/run/secrets/db`), a
//! dummy word (`changeme`, `password`, `xxx`, `****`), a sentence or a
//! translation of the word "password" is never reported.
//!
//! The policy leans towards reporting: a value made only of dummy words is a
//! placeholder (`your_password_here`, `mysecretpassword`), but one that also
//! carries digits or symbols (`Secret123!`) is what people really deploy.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

/// Words that mark a value as a dummy on their own (`password`, `secret`,
/// `changeme`), or that a placeholder is made of (`your_password_here`).
const STRONG: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "pass",
    "pwd",
    "pw",
    "passphrase",
    "secret",
    "secrets",
    "changeme",
    "change",
    "changeit",
    "replace",
    "placeholder",
    "example",
    "examples",
    "sample",
    "dummy",
    "fake",
    "test",
    "testing",
    "tests",
    "todo",
    "fixme",
    "tbd",
    "redacted",
    "hidden",
    "masked",
    "censored",
    "removed",
    "none",
    "null",
    "nil",
    "undefined",
    "empty",
    "unset",
    "notset",
    "foo",
    "bar",
    "baz",
    "qux",
    "foobar",
    "lorem",
    "ipsum",
    "here",
    "your",
    "yours",
    "insert",
    "enter",
    "fill",
    "value",
    "guest",
    "foobared",
    "sekret",
];

/// Words that may appear in a placeholder but do not make one on their own
/// (`admin` alone is a real, weak password; `admin_password` is a name).
const NEUTRAL: &[&str] = &[
    "my",
    "the",
    "a",
    "an",
    "some",
    "any",
    "db",
    "database",
    "user",
    "username",
    "usr",
    "admin",
    "root",
    "app",
    "application",
    "service",
    "svc",
    "prod",
    "production",
    "dev",
    "development",
    "local",
    "staging",
    "stage",
    "new",
    "old",
    "strong",
    "super",
    "very",
    "sql",
    "pg",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "oracle",
    "mssql",
    "key",
    "api",
    "token",
    "access",
    "auth",
    "login",
    "account",
    "master",
    "main",
    "real",
    "actual",
    "goes",
    "go",
    "in",
    "to",
    "for",
    "of",
    "and",
    "or",
    "is",
    "it",
    "this",
    "own",
    "top",
    "private",
    "string",
    "env",
    "var",
    "config",
    "settings",
    "set",
    "random",
    "long",
    "complex",
    "secure",
    "default",
    "initial",
    "temp",
    "demo",
    "please",
    "use",
    "something",
    "generated",
    "db1",
];

/// Words that address the reader: a value holding one is a placeholder
/// whatever else it holds (`your_password_123`, `CHANGE_ME_2024`).
const READER: &[&str] = &[
    "your",
    "yours",
    "here",
    "changeme",
    "change",
    "replace",
    "insert",
    "enter",
    "fill",
    "placeholder",
    "example",
    "examples",
    "dummy",
    "fake",
    "sample",
    "todo",
    "fixme",
    "redacted",
    "tbd",
];

/// Substrings long enough to be safe to look for anywhere in a value
/// (`AKIAIOSFODNN7EXAMPLE`, `xxx-changeme-xxx`).
const READER_SUBSTRINGS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "replaceme",
    "replace_me",
    "replace-me",
    "placeholder",
    "example",
    "redacted",
    "yourpassword",
    "your_password",
    "your-password",
    "dummy",
    "notarealpassword",
    "not_a_real",
    "not-a-real",
];

/// Values that are not secrets whatever the key says: booleans, nulls and
/// type names (`password: str`).
const NON_VALUES: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "none",
    "nil",
    "undefined",
    "str",
    "string",
    "int",
    "bool",
    "text",
    "varchar",
    "char",
    "bytes",
    "secretstr",
    "optional",
    "required",
    "omitted",
    "generate",
    "auto",
    // Prose around a command-line flag (`pass the --password flag`).
    "flag",
    "flags",
    "option",
    "options",
    "argument",
    "arguments",
    "param",
    "parameter",
    "parameters",
    "switch",
    "prompt",
    "field",
    "stdin",
    "the",
    "and",
    "for",
    "with",
    "from",
    "when",
    "must",
    "will",
    "should",
    "only",
    "then",
    "instead",
];

/// "Password" in the languages apps are translated into: i18n files map a
/// `password` key to these.
const TRANSLATIONS: &[&str] = &[
    "passwort",
    "kennwort",
    "contraseña",
    "contrasena",
    "senha",
    "parola",
    "wachtwoord",
    "hasło",
    "haslo",
    "lösenord",
    "losenord",
    "salasana",
    "adgangskode",
    "passord",
    "heslo",
    "jelszó",
    "jelszo",
    "şifre",
    "sifre",
    "пароль",
    "密码",
    "密碼",
    "パスワード",
    "비밀번호",
    "mot de passe",
    "motdepasse",
    "kata sandi",
    "mật khẩu",
    "סיסמה",
    "كلمة المرور",
];

/// Values published as well-known constants: the Azurite storage
/// emulator key, and the password GitHub documents for token
/// authentication (`auth = (token, "x-oauth-basic")`).
const PUBLIC_VALUES: &[&str] = &[
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "x-oauth-basic",
];

/// Compiles the placeholder policy's regexes (see [`super::warm_up`]).
pub(super) fn warm_up() {
    regexes();
    fallback_regexes();
    is_dotted_reference("");
}

/// The placeholder patterns as one alternation: compiling one regex costs
/// a fraction of compiling each (a staged check of a few files spent more
/// time compiling these than reading the index).
fn regexes() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        let patterns = [
            // Shell / compose / CI variables and command substitution.
            r"^\$",
            r"\$\{",
            r"\$\(",
            // Jinja, Go templates, Helm, Handlebars, Ansible, CloudFormation resolve.
            r"\{\{",
            r"\{%",
            // ERB, JSP, ASP.
            r"<%",
            // Ruby / Octopus interpolation.
            r"#\{",
            // Python %-format and configparser interpolation.
            r"%\([\w.\-]*\)[sdr]",
            // A bare `%s`/`%d` (the value is the format directive itself);
            // `%s` inside a longer value is a generated password's symbol.
            r"^%[sdvqr]$",
            // Windows %VAR% and Maven/CMake @VAR@ and __VAR__ tokens.
            r"^%[A-Za-z_][\w]*%$",
            r"^@[A-Za-z_][\w.]*@$",
            r"^__[A-Za-z_][\w]*__$",
            // Concourse ((var)) and Azure DevOps $(var) style.
            r"^\(\([\w.\- ]+\)\)$",
            // Python format fields, f-strings, JS/TS template fields.
            r"\{[A-Za-z_][^{}]*\}",
            r"\{\}",
            r"\{\d+\}",
            // <password>, <your-password>, <DB PASSWORD>.
            r"<[A-Za-z_][\w .\-]*>",
            // [password], [DB_PASSWORD].
            r"^\[[A-Za-z_][\w .\-]*\]$",
            // YAML tags: !Ref DBPassword, !vault, !Sub, !secret.
            r"^![A-Za-z][\w:]*(?:\s|$)",
            // Encrypted or external references.
            r"^(?i:ENC|DEC|SECRET|VAULT)\(",
            r"^(?i:vault|secret|secrets|secretsmanager|ssm|awssm|keyvault|azurekeyvault|gcpsm|sops|env|file|op|sm|ref\+[a-z]+)://",
            r"^(?i:vault|secretsmanager|keyvault|env|ssm):",
            r"^arn:aws[\w-]*:",
            // Code references: env lookups, settings, dotted names, calls, subscripts.
            r"^(?:os\.)?(?:environ|getenv)\b",
            r"^(?:process\.env|System\.getenv|Environment\.|ENV\[|env\(|Env\.|config\(|settings\.|config\.)",
            r"^[A-Za-z_][\w.]*\(.*\)$",
            r"^[A-Za-z_][\w.]*\[.*\]$",
            // File paths: /run/secrets/db_password, ./secrets/pw.txt, C:\secrets\pw.
            r"^(?:/|\./|\.\./|~/)[\w.\-]+(?:/[\w.\-]*)+$",
            r"^[A-Za-z]:\\[\w.\- \\]+$",
            // Password hashes (pgbouncer userlists, pg_authid), not passwords.
            r"^md5[0-9a-f]{32}$",
            r"^SCRAM-SHA-256\$",
            // MySQL `mysql_native_password` hashes (`IDENTIFIED BY PASSWORD '*6BB4...'`).
            r"^\*[0-9A-Fa-f]{40}$",
            // A URL is not a password (`password: postgres://...` in prose).
            r"^[A-Za-z][\w+.\-]*://",
            // String concatenation caught between two literals.
            r#"["']\s*(?:\+|\.|\|\||&)\s"#,
            r#"\s(?:\+|\.|\|\||&)\s*["']"#,
        ];
        let any: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
        crate::ascii_regex::new(&any.join("|"))
            .unwrap_or_else(|e| unreachable!("constant placeholder patterns: {e}"))
    })
}

/// Splits a value into lowercase alphabetic and numeric tokens, at
/// separators, letter/digit boundaries and camelCase humps.
fn tokens(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in value.chars() {
        let boundary = match prev {
            None => false,
            Some(p) => {
                !c.is_alphanumeric()
                    || !p.is_alphanumeric()
                    || (p.is_alphabetic() != c.is_alphabetic())
                    || (p.is_lowercase() && c.is_uppercase())
            }
        };
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits an alphabetic token into vocabulary words (`mysecretpassword` →
/// my, secret, password), or `None` when it holds anything else.
fn segment(token: &str) -> Option<Vec<&'static str>> {
    let n = token.len();
    // best[i]: a segmentation of token[..i].
    let mut best: Vec<Option<Vec<&'static str>>> = vec![None; n + 1];
    best[0] = Some(Vec::new());
    for i in 0..n {
        if best[i].is_none() || !token.is_char_boundary(i) {
            continue;
        }
        for w in STRONG.iter().chain(NEUTRAL) {
            if token[i..].starts_with(w) && best[i + w.len()].is_none() {
                let mut v = best[i].clone().unwrap_or_default();
                v.push(w);
                best[i + w.len()] = Some(v);
            }
        }
    }
    best[n].take()
}

fn is_masked(value: &str) -> bool {
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    let all_mask = value.chars().all(|c| {
        matches!(
            c,
            '*' | 'x' | 'X' | '•' | '·' | '#' | '.' | '-' | '_' | '?' | '…'
        )
    });
    let repeated = value.chars().count() >= 3 && chars.all(|c| c == first);
    all_mask || repeated
}

fn is_prose(value: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    // Passwords with two or more spaces are rare; sentences are not.
    words.len() >= 3
        || words.len() == 2
            && words.iter().all(|w| {
                let w = w.trim_end_matches(['.', ',', ':', ';', '!', '?', ')']);
                let w = w.trim_start_matches('(');
                !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-')
            })
}

/// A dotted name (`settings.DB_PASSWORD`, `var.db_password`,
/// `module.db_1.password`) reads a value rather than being one. A value
/// whose parts mix case and digits (`Asp.N3tMemb3r`) is a password that
/// happens to hold a dot.
fn is_dotted_reference(v: &str) -> bool {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let dotted = R
        .get_or_init(|| Regex::new(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+$").ok())
        .as_ref()
        .is_some_and(|r| r.is_match(v));
    if !dotted {
        return false;
    }
    let one_case = |seg: &str| {
        !seg.chars().any(|c| c.is_ascii_uppercase()) || !seg.chars().any(|c| c.is_ascii_lowercase())
    };
    !v.chars().any(|c| c.is_ascii_digit()) || v.split('.').all(one_case)
}

/// Whether `v` is one of [`NON_VALUES`] or [`TRANSLATIONS`], or holds one
/// of [`READER_SUBSTRINGS`], in any case. Every value a detector finds
/// asks (324,000 environment references on the benchmark tree): an ASCII
/// value, nearly all of them, is compared without a lowercase copy and
/// searched for the substrings in one pass (a search per substring, each
/// setting up its own searcher, cost ~0.5 us a value).
fn is_listed_word(v: &str) -> bool {
    if v.is_ascii() {
        // The lists are lowercase; an entry that is not ASCII cannot equal
        // an ASCII value, lowercased or not.
        return NON_VALUES
            .iter()
            .chain(TRANSLATIONS)
            .any(|w| w.eq_ignore_ascii_case(v))
            || reader_substrings().is_match(v);
    }
    let lower = v.to_lowercase();
    NON_VALUES.contains(&lower.as_str())
        || TRANSLATIONS.contains(&lower.as_str())
        || READER_SUBSTRINGS.iter().any(|s| lower.contains(s))
}

/// [`READER_SUBSTRINGS`], found ASCII case-insensitively.
fn reader_substrings() -> &'static AhoCorasick {
    static A: OnceLock<AhoCorasick> = OnceLock::new();
    A.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(READER_SUBSTRINGS)
            .unwrap_or_else(|e| unreachable!("fixed literal list: {e}"))
    })
}

fn normalized(s: &str) -> String {
    // ASCII letters and digits are the alphanumeric characters of an
    // ASCII text, and lowercase as ASCII: the common case without the
    // Unicode tables.
    if s.is_ascii() {
        return s
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    normalized_chars(s)
}

/// [`normalized`] through the Unicode tables.
fn normalized_chars(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `value`, found as the secret of a credential (with the name it
/// was assigned to, when there is one), is a placeholder, a reference, a
/// dummy or prose rather than a secret.
pub fn is_placeholder(value: &str, key: Option<&str>) -> bool {
    let v = value.trim();
    if v.chars().count() < 3 || is_masked(v.trim_end_matches([')', ']', '}', ',', ';'])) {
        return true;
    }
    // Every test below says yes on its own: the cheap ones go first (the
    // dummy words of `postgresql://user:password@localhost` went through
    // three regexes before the word list).
    let norm = normalized(v);
    if STRONG.contains(&norm.as_str()) {
        return true;
    }
    if PUBLIC_VALUES.contains(&v) || is_listed_word(v) {
        return true;
    }
    if let Some(key) = key {
        let k = normalized(key);
        if !norm.is_empty() && (norm == k || k.ends_with(&norm) && norm.len() >= 4) {
            return true;
        }
    }
    if regexes().is_match(v) || is_dotted_reference(v) {
        return true;
    }
    if is_prose(v) {
        return true;
    }
    dummy_words(v)
}

/// A value made only of vocabulary words with at least one dummy word and
/// no digits (`db_password`, `SuperSecret`), or any value that addresses
/// the reader (`your_password_123`).
fn dummy_words(v: &str) -> bool {
    let toks = tokens(v);
    if toks.is_empty() {
        return false;
    }
    let mut strong = false;
    let mut reader = false;
    let mut digits = false;
    let mut unknown = false;
    for t in &toks {
        if t.chars().all(|c| c.is_ascii_digit()) {
            digits = true;
            continue;
        }
        // A whole token that addresses the reader (`your_gmail_password`)
        // says so whatever the other tokens are.
        reader |= READER.contains(&t.as_str());
        let Some(words) = segment(t) else {
            unknown = true;
            continue;
        };
        for w in words {
            strong |= STRONG.contains(&w);
            reader |= READER.contains(&w);
        }
    }
    if unknown {
        return reader;
    }
    let symbols = v
        .chars()
        .any(|c| !c.is_alphanumeric() && !"_-. ".contains(c));
    reader || (strong && !digits && !symbols)
}

/// Whether the user and password of a URL are an example pair
/// (`user:pass`, `username:password`) or the password alone is a
/// placeholder.
pub fn is_placeholder_pair(user: &str, password: &str) -> bool {
    is_placeholder(password, None) || {
        let u = normalized(user);
        let p = normalized(password);
        (matches!(
            u.as_str(),
            "user" | "username" | "login" | "dbuser" | "name"
        ) && matches!(
            p.as_str(),
            "pass" | "password" | "pw" | "pwd" | "dbpass" | "secret"
        )) || EXAMPLE_PAIRS.contains(&(u.as_str(), p.as_str()))
    }
}

/// Words that are placeholders in documentation but that projects really
/// set as the password of a local database (`POSTGRES_PASSWORD: pass`,
/// `postgresql://ckan_default:pass@localhost/ckan_test`).
const DEFAULT_WORDS: &[&str] = &["pass", "password", "passwd", "pwd", "secret", "test"];

/// Whether `value` is one of [`DEFAULT_WORDS`], in any case.
pub fn is_default_word(value: &str) -> bool {
    let v = value.trim();
    // `{secret}`, `${PASSWORD}`: a template, not the word.
    v.chars().all(|c| c.is_ascii_alphanumeric()) && DEFAULT_WORDS.contains(&normalized(v).as_str())
}

/// Whether a URL's placeholder-looking pair is a real local default: a
/// [`DEFAULT_WORDS`] password with a real user name (not `user`, not
/// empty, not a template) before a real host (not `host`, not a
/// template).
pub fn is_default_pair(user: &str, password: &str, host: &str) -> bool {
    let template = |s: &str| s.contains(['|', '{', '}', '<', '>', '$', '%', '[']);
    let u = normalized(user);
    // The port may be a template (`localhost:${{ job.services.db.ports[5432] }}`).
    let host = host.split(':').next().unwrap_or(host);
    let h = normalized(host);
    is_default_word(password)
        && !template(password)
        && !u.is_empty()
        && !template(user)
        && !template(host)
        && !matches!(
            u.as_str(),
            "user" | "username" | "login" | "dbuser" | "name" | "usr" | "myuser" | "youruser"
        )
        && (u.len() < 3 || !is_placeholder(user, None))
        && !matches!(
            h.as_str(),
            "" | "host" | "hostname" | "dbhost" | "server" | "yourhost" | "remotehost"
        )
}

/// User and password pairs that documentation uses as its example
/// (SQLAlchemy's and Oracle's `scott:tiger`).
const EXAMPLE_PAIRS: &[(&str, &str)] = &[("scott", "tiger")];

/// Where the fallback value of an environment lookup starts, in an
/// expression that is itself a reference: `${DB_PASSWORD:-x}`,
/// `${DB_PASSWORD:x}` (Spring), `os.environ.get("X", "x")`,
/// `os.getenv("X", "x")`, `env('X', 'x')`, `config("X", default="x")`,
/// `ENV.fetch("X", "x")`, `ENV.fetch("X") { "x" }`,
/// `process.env.X || "x"`, `ENV["X"] || "x"`, `System.getenv("X") ?: "x"`.
/// The reference is a placeholder; its fallback is a literal the program
/// really uses whenever the variable is unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// A string literal starts at this offset (at its quote).
    Quoted(usize),
    /// An unquoted value (`${X:-value}`) spans these offsets.
    Raw(usize, usize),
}

fn fallback_regexes() -> &'static [Regex] {
    static R: OnceLock<Vec<Regex>> = OnceLock::new();
    R.get_or_init(|| {
        [
            // A call that reads the environment or a configuration, with a
            // name and then a default.
            r#"^(?P<callee>[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*)\(\s*["'][\w.\-]+["']\s*,\s*(?:default\s*[=:]\s*)?(?P<q>["'])"#,
            // Ruby's block default.
            r#"^(?P<callee>ENV\.fetch)\(\s*["'][\w.\-]+["']\s*\)\s*\{\s*(?P<q>["'])"#,
            // `reference || "x"`, `?? "x"`, `?: "x"`, `or "x"`.
            r#"^(?P<callee>[A-Za-z_$][\w$.:]*(?:\[\s*["'][\w.\-]+["']\s*\]|\(\s*["'][\w.\-]+["']\s*\))?(?:\.[A-Za-z_$][\w$]*)?)\s*(?:\|\||\?\?|\?:|\bor\b)\s*(?P<q>["'])"#,
        ]
        .iter()
        // ASCII classes (callees and variable names are ASCII): with
        // Unicode `\w` and `\b` these three took 10-17 ms to compile, more
        // than reading a 60,000-file index.
        .filter_map(|p| crate::ascii_regex::new(p).ok())
        .collect()
    })
}

/// Whether `expr` holds a byte that every fallback pattern needs: the
/// `,` before a default argument, the `{` of Ruby's block, or the `|`,
/// `?` or `or` of a default operator. Five out of six environment
/// lookups in a large tree hold none, and ruling them out cost three
/// regex searches each (a tenth of the password detector's time).
fn may_hold_default(expr: &str) -> bool {
    let b = expr.as_bytes();
    memchr::memchr3(b',', b'{', b'|', b).is_some()
        || memchr::memchr(b'?', b).is_some()
        || memchr::memmem::find(b, b"or").is_some()
}

/// Whether a callee or reference reads the environment or a configuration.
fn reads_environment(callee: &str) -> bool {
    let c = callee.to_ascii_lowercase();
    [
        "env",
        "environ",
        "getenv",
        "config",
        "property",
        "properties",
        "settings",
        "secret",
    ]
    .iter()
    .any(|w| c.contains(w))
}

/// The fallback of an environment lookup at the start of `expr`, if any.
pub fn fallback(expr: &str) -> Option<Fallback> {
    if let Some(rest) = expr.strip_prefix("${") {
        // `${NAME:-x}`, `${NAME-x}`, `${NAME:=x}`, Spring's `${NAME:x}`;
        // not `${NAME:?error}` or `${NAME:+alternative}`.
        let name = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(rest.len());
        let after = &rest[name..];
        let op = ["::-", ":-", ":=", "-", "=", ":"]
            .iter()
            .find(|op| after.starts_with(**op))?;
        let start = 2 + name + op.len();
        if expr[start..].starts_with(['?', '+']) {
            return None;
        }
        let len = expr[start..].find(['}', '\n'])?;
        let value = &expr[start..start + len];
        if value.starts_with(['"', '\'']) {
            return Some(Fallback::Quoted(start));
        }
        return (len > 0).then_some(Fallback::Raw(start, start + len));
    }
    // Most expressions are plain lookups without a default
    // (`os.getenv("DB_PASSWORD")`, `process.env.DB_PASSWORD;`): a byte
    // test rules them out before three regex searches, and a match test
    // before reading groups, which allocates them (a twentieth of an
    // `--all` run's allocations).
    if !may_hold_default(expr) {
        return None;
    }
    for re in fallback_regexes().iter().filter(|re| re.is_match(expr)) {
        if let Some(c) = re.captures(expr)
            && let (Some(callee), Some(q)) = (c.name("callee"), c.name("q"))
            && reads_environment(callee.as_str())
        {
            return Some(Fallback::Quoted(q.start()));
        }
    }
    None
}

/// Whether a fallback value is a local-development default rather than a
/// secret: a placeholder, or a value made only of vocabulary words
/// (`postgres`, `root`, `dev`, `app_dev`). `${POSTGRES_PASSWORD:-postgres}`
/// is the convenience of a compose file; `${DB_PASSWORD:-Xk9#mP2$}` is a
/// password that ships with the code.
pub fn is_weak_fallback(value: &str, key: Option<&str>) -> bool {
    if is_placeholder(value, key) {
        return true;
    }
    let toks = tokens(value);
    toks.iter()
        .all(|t| t.chars().all(|c| c.is_ascii_digit()) || segment(t).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word lists are lowercase (the ASCII path compares without
    /// lowercasing the value, the other path lowercases the value only).
    #[test]
    fn word_lists_are_lowercase() {
        for w in NON_VALUES
            .iter()
            .chain(TRANSLATIONS)
            .chain(READER_SUBSTRINGS)
        {
            assert_eq!(*w, w.to_lowercase(), "{w}");
        }
    }

    proptest::proptest! {
        /// The listed-word check says what lowercasing the value and
        /// comparing with every list entry says, for ASCII and other
        /// values, listed words in any case, inside other text or not.
        #[test]
        fn listed_words_are_found_as_by_lowercasing(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "TRUE", "none", "Str", "PassWort", "Contraseña", "CONTRASEÑA", "hasło",
                "ChangeMe", "change_me", "EXAMPLE", "Dummy", "not-a-real", "YOUR_PASSWORD",
                "x", "1", "_", "-", " ", "é", "İ", "\u{212a}", "ß",
            ]), 1..4),
        ) {
            let v = parts.concat();
            let lower = v.to_lowercase();
            let expected = NON_VALUES.contains(&lower.as_str())
                || TRANSLATIONS.contains(&lower.as_str())
                || READER_SUBSTRINGS.iter().any(|s| lower.contains(s));
            proptest::prop_assert_eq!(is_listed_word(&v), expected, "{:?}", v);
        }

        /// ASCII text normalizes as through the Unicode tables.
        #[test]
        fn ascii_normalizes_as_through_unicode(v in "[\\x00-\\x7f]{0,24}") {
            proptest::prop_assert_eq!(normalized(&v), normalized_chars(&v));
        }

        /// The byte test before the fallback regexes passes every
        /// expression one of them matches: it only skips searches.
        #[test]
        fn expressions_with_a_default_pass_the_byte_test(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "os.environ.get", "ENV.fetch", "process.env.X", "ENV", "config", "(", ")",
                "[", "]", "\"X\"", "'DB_PASSWORD'", ",", " ", "default=", "default:", "{",
                "}", "||", "??", "?:", " or ", "or", "\"x\"", "'x'", ".", "::", "$", "\t",
            ]), 1..10),
        ) {
            let e = parts.concat();
            if fallback_regexes().iter().any(|re| re.is_match(&e)) {
                proptest::prop_assert!(may_hold_default(&e), "{:?}", e);
            }
        }
    }

    #[test]
    fn references_and_templates_are_placeholders() {
        for v in [
            "${DB_PASSWORD}",
            "${DB_PASSWORD:-dev}",
            "$DB_PASSWORD",
            "$(cat /run/secrets/db)",
            "%(db_password)s",
            "%s",
            "{password}",
            "{db[password]}",
            "{}",
            "{{ db_password }}",
            "{{ .Values.db.password }}",
            "<%= ENV['DB_PASSWORD'] %>",
            "#{DB_PASSWORD}",
            "<password>",
            "<your-db-password>",
            "[PASSWORD]",
            "%DB_PASSWORD%",
            "@DB_PASSWORD@",
            "__DB_PASSWORD__",
            "((db_password))",
            "!Ref DBPassword",
            "!vault",
            "ENC(a8sd7f6a8sdf)",
            "vault:secret/data/db#password",
            "arn:aws:secretsmanager:us-east-1:123:secret:db",
            "os.environ['DB_PASSWORD']",
            "os.getenv('DB_PASSWORD')",
            "process.env.DB_PASSWORD",
            "settings.DB_PASSWORD",
            "env('DB_PASSWORD')",
            "config('database.password')",
            "var.db_password",
            "random_password.db.result",
            "/run/secrets/db_password",
            "./secrets/pg.txt",
        ] {
            assert!(is_placeholder(v, Some("password")), "{v}");
        }
    }

    #[test]
    fn dummies_prose_and_names_are_placeholders() {
        for v in [
            "",
            "  ",
            "x",
            "changeme",
            "CHANGE_ME",
            "change-me-in-production",
            "password",
            "Password",
            "passwd",
            "secret",
            "xxx",
            "XXXXXXXX",
            "****",
            "••••••",
            "example",
            "dummy",
            "test",
            "your_password",
            "your-password-here",
            "YOUR_DB_PASSWORD",
            "your_password_123",
            "mysecretpassword",
            "db_password",
            "replace_me",
            "TODO",
            "foobared",
            "guest",
            "AKIAIOSFODNN7EXAMPLE",
            "Enter your password",
            "Mot de passe",
            "Passwort",
            "Contraseña",
            "пароль",
            "true",
            "None",
            "str",
        ] {
            assert!(is_placeholder(v, Some("password")), "{v:?}");
        }
        assert!(is_placeholder("DB_PASSWORD", Some("DB_PASSWORD")));
    }

    #[test]
    fn real_looking_secrets_are_not_placeholders() {
        for v in [
            "s3cr3t",
            "Tr0ub4dor&3",
            "hunter2",
            "postgres",
            "admin",
            "root",
            "Secret123!",
            "password123",
            "Xk9#mP2$vL",
            "prod_db_2024!",
            "p%40ss",
            "p@ss:w0rd",
            "n0t-s0-s3cret",
            "correct-horse-battery-9",
            "8f3kd93kdj2ld0",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz",
        ] {
            assert!(!is_placeholder(v, Some("DB_PASSWORD")), "{v}");
        }
    }

    #[test]
    fn example_url_pairs_are_placeholders() {
        assert!(is_placeholder_pair("user", "pass"));
        assert!(is_placeholder_pair("username", "password"));
        assert!(is_placeholder_pair("app", "${PW}"));
        assert!(!is_placeholder_pair("app", "s3cr3t-Pw"));
        assert!(!is_placeholder_pair("postgres", "postgres"));
    }

    #[test]
    fn dotted_values_with_mixed_case_and_digits_are_passwords() {
        assert!(is_placeholder("settings.DB_PASSWORD", None));
        assert!(is_placeholder("module.db_1.password", None));
        assert!(!is_placeholder("Asp.N3tMemb3r", None));
        assert!(is_placeholder_pair("scott", "tiger"));
        assert!(!is_placeholder_pair("scott", "Tig3r-Pr0d"));
        assert!(is_placeholder(
            &format!("*{}", "6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9"),
            None
        ));
    }

    #[test]
    fn fallbacks_of_environment_lookups() {
        let at = |e: &str| match fallback(e) {
            Some(Fallback::Quoted(i)) => Some(
                e[i + 1..]
                    .split(['"', '\''])
                    .next()
                    .unwrap_or("")
                    .to_string(),
            ),
            Some(Fallback::Raw(a, b)) => Some(e[a..b].to_string()),
            None => None,
        };
        let v = "Fb9-x2Lq";
        for e in [
            format!("${{DB_PASSWORD:-{v}}}"),
            format!("${{DB_PASSWORD:{v}}}"),
            format!("os.environ.get(\"DB_PASSWORD\", \"{v}\")"),
            format!("os.getenv('DB_PASS', '{v}')"),
            format!("env('DB_PASSWORD', '{v}'),"),
            format!("config(\"DB_PASSWORD\", default=\"{v}\")"),
            format!("ENV.fetch(\"DB_PASSWORD\", \"{v}\")"),
            format!("ENV.fetch(\"DB_PASSWORD\") {{ \"{v}\" }}"),
            format!("process.env.DB_PASSWORD || '{v}',"),
            format!("process.env['DB_PASSWORD'] ?? '{v}'"),
            format!("ENV[\"DB_PASSWORD\"] || \"{v}\""),
            format!("System.getenv(\"DB_PASSWORD\") ?: \"{v}\""),
        ] {
            assert_eq!(at(&e).as_deref(), Some(v), "{e}");
        }
        for e in [
            "${DB_PASSWORD}",
            "${DB_PASSWORD:?set it}",
            "${DB_PASSWORD:+x}",
            "os.environ[\"DB_PASSWORD\"]",
            "os.getenv(\"DB_PASSWORD\")",
            "user.password || 'x'",
            "dict(a, 'b')",
        ] {
            assert_eq!(at(e), None, "{e}");
        }
        assert!(is_weak_fallback("postgres", None));
        assert!(is_weak_fallback("app_dev", None));
        assert!(!is_weak_fallback("Fb9-x2Lq", None));
    }

    #[test]
    fn tokens_split_on_case_digits_and_separators() {
        assert_eq!(tokens("mySecret_Pass2"), ["my", "secret", "pass", "2"]);
        assert_eq!(segment("mysecretpassword").map(|v| v.len()), Some(3));
        assert_eq!(segment("s3cret"), None);
    }
}
