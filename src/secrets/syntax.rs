//! How a file writes values, and how to read one value out of a line.
//!
//! The same `password = x` means a literal in `.env`, YAML or INI and a
//! reference to a variable in Python or Terraform: code files only hold
//! secrets in string literals. Shell-like files end an unquoted value at
//! whitespace (`PGPASSWORD=x psql ...`); line-oriented configs end it at a
//! comment or the end of the line.

use crate::changes::file_name;

/// How a file writes values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// Programming languages (and JSON, HCL): secrets are string literals;
    /// a bare word is a variable, a call or a type.
    Code,
    /// Shell, dotenv, Dockerfile, Makefile: bare words end at whitespace.
    Shell,
    /// YAML, INI, properties, TOML, XML, docs: a bare value runs to the end
    /// of the line or to a ` #` comment.
    Line,
}

const CODE: &[&str] = &[
    "py",
    "pyi",
    "pyw",
    "ipynb",
    "js",
    "mjs",
    "cjs",
    "jsx",
    "ts",
    "tsx",
    "mts",
    "cts",
    "vue",
    "svelte",
    "go",
    "java",
    "kt",
    "kts",
    "scala",
    "groovy",
    "gradle",
    "rb",
    "rake",
    "php",
    "cs",
    "vb",
    "fs",
    "rs",
    "swift",
    "dart",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cxx",
    "m",
    "mm",
    "lua",
    "ex",
    "exs",
    "erl",
    "clj",
    "r",
    "jl",
    "pl",
    "pm",
    "tf",
    "tfvars",
    "hcl",
    "nix",
    "json",
    "jsonc",
    "json5",
    "ps1",
    "psm1",
    "sql",
    "bicep",
    "jsonnet",
    "libsonnet",
    "cue",
];

const SHELL: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "ksh",
    "fish",
    "env",
    "envrc",
    "bat",
    "cmd",
    "mk",
    "dockerfile",
];

/// The syntax of a file, from its name.
pub fn syntax_of(path: &str) -> Syntax {
    let name = file_name(path).to_ascii_lowercase();
    if name == "dockerfile"
        || name.starts_with("dockerfile.")
        || name == "makefile"
        || name == "gnumakefile"
        || name == ".env"
        || name.starts_with(".env.")
        || name.ends_with(".env")
        || name == ".envrc"
        || name == "procfile"
        || name.starts_with(".bash")
        || name.starts_with(".zsh")
        || name == ".profile"
    {
        return Syntax::Shell;
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if CODE.contains(&ext) {
        Syntax::Code
    } else if SHELL.contains(&ext) {
        Syntax::Shell
    } else {
        Syntax::Line
    }
}

/// A value read from a text: its byte range (inside the quotes, if any)
/// and its content with escapes resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

fn skip_blank(text: &str, mut pos: usize) -> usize {
    let b = text.as_bytes();
    while pos < b.len() && (b[pos] == b' ' || b[pos] == b'\t') {
        pos += 1;
    }
    pos
}

/// The quote a position sits inside on its line, if any: a naive scan
/// that toggles on unescaped quotes, enough to tell `"--password=x"` (a
/// key inside a string) from `password = "x"`.
pub fn enclosing_quote(text: &str, pos: usize) -> Option<char> {
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let mut open: Option<char> = None;
    let mut escaped = false;
    for c in text[start..pos].chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match (open, c) {
            (_, '\\') => escaped = true,
            (None, '"' | '\'' | '`') => open = Some(c),
            (Some(q), c) if c == q => open = None,
            _ => {}
        }
    }
    open
}

/// Reads a quoted string starting at `pos` (after blanks and a Python
/// string prefix such as `r` or `f`). `None` when there is no quote, the
/// string does not close on its line, or it is a triple-quoted block.
pub fn quoted(text: &str, pos: usize, syntax: Syntax) -> Option<Value> {
    let mut p = skip_blank(text, pos);
    let b = text.as_bytes();
    // Python/JS string prefixes: r"", b'', f"", rb"".
    let mut k = p;
    while k < b.len()
        && k - p < 2
        && matches!(b[k], b'r' | b'R' | b'b' | b'B' | b'u' | b'U' | b'f' | b'F')
    {
        k += 1;
    }
    if k > p && k < b.len() && matches!(b[k], b'"' | b'\'') {
        p = k;
    } else if b.get(p) == Some(&b'N') && b.get(p + 1) == Some(&b'\'') {
        // T-SQL Unicode literals: N'...'.
        p += 1;
    }
    let q = *b.get(p)?;
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    if b.get(p + 1) == Some(&q) && b.get(p + 2) == Some(&q) {
        return None;
    }
    let mut out = String::new();
    let mut i = p + 1;
    let body = &text[i..];
    let mut chars = body.char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        if c == '\n' {
            return None;
        }
        if c == '\\' && !(syntax == Syntax::Line && q == b'\'') {
            if let Some((_, n)) = chars.next() {
                match n {
                    '"' | '\'' | '`' | '\\' => out.push(n),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            continue;
        }
        if c as u32 == u32::from(q) {
            // YAML and SQL escape a single quote by doubling it.
            if q == b'\'' && syntax != Syntax::Code && chars.peek().map(|x| x.1) == Some('\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            i += off;
            return Some(Value {
                start: p + 1,
                end: i,
                text: out,
            });
        }
        out.push(c);
    }
    None
}

/// A shell word at `pos` (no blanks skipped): a quoted string or the bare
/// run up to whitespace or a shell operator.
pub fn word(text: &str, pos: usize) -> Option<Value> {
    if let Some(v) = quoted(text, pos, Syntax::Shell)
        && text[pos..].starts_with(['"', '\''])
    {
        return Some(v);
    }
    let end = text[pos..]
        .find(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '"' | '\'' | '`'))
        .map_or(text.len(), |i| pos + i);
    (end > pos).then(|| Value {
        start: pos,
        end,
        text: text[pos..end].to_string(),
    })
}

/// Reads the value of an assignment starting at `pos`: a string literal
/// in any syntax, or a bare value where the syntax makes bare values
/// literals. `enclosing` is the quote the key itself sits inside
/// (`"--password=x"`): then the value ends at that quote.
pub fn literal(text: &str, pos: usize, syntax: Syntax, enclosing: Option<char>) -> Option<Value> {
    let p = skip_blank(text, pos);
    let rest = &text[p..];
    if rest.starts_with('=') {
        // `password == "x"` compares; it does not assign.
        return None;
    }
    if enclosing.is_some()
        && let Some(e) = ["\\\"", "\\'"].into_iter().find(|e| rest.starts_with(e))
    {
        // A string quoted with escaped quotes inside another string (a
        // notebook cell's `password=\"x\"` in JSON).
        let inner = &rest[2..];
        let len = inner.find(e).filter(|i| !inner[..*i].contains('\n'))?;
        return Some(Value {
            start: p + 2,
            end: p + 2 + len,
            text: inner[..len].to_string(),
        });
    }
    if let Some(q) = enclosing
        && !rest.starts_with(['"', '\'', '`'])
    {
        // The key's string spells whitespace as an escape (`"password: %s\n"`,
        // a notebook line's trailing `\n`), and an escaped newline ends the
        // value as a real one would; so does an escaped closing quote.
        let escaped_end = |i: usize| {
            rest.as_bytes()[i] == b'\\'
                && rest
                    .as_bytes()
                    .get(i + 1)
                    .is_some_and(|&n| matches!(n, b'n' | b'r' | b't') || char::from(n) == q)
        };
        let end = rest
            .char_indices()
            .find(|&(i, c)| {
                c == q || c.is_whitespace() || matches!(c, ';' | '&' | ',') || escaped_end(i)
            })
            .map_or(text.len(), |(i, _)| p + i);
        // A backslash that ends the value starts an escape (`x)\\n` in a
        // string that is itself escaped, as in source code quoting a notebook).
        let end = p + text[p..end].trim_end_matches('\\').len();
        return (end > p).then(|| Value {
            start: p,
            end,
            text: text[p..end].to_string(),
        });
    }
    if enclosing.is_some_and(|q| rest.starts_with(q)) {
        return None; // the key's own string ends: `"--password=" + pw`
    }
    if let Some(v) = quoted(text, p, syntax) {
        return Some(v);
    }
    let first = rest.chars().next()?;
    if matches!(first, '"' | '\'' | '`' | '\n' | '\r') || syntax == Syntax::Code {
        return None;
    }
    let line_end = rest.find(['\n', '\r']).map_or(text.len(), |i| p + i);
    let mut end = line_end;
    match syntax {
        Syntax::Shell => {
            if let Some(i) =
                text[p..line_end].find(|c: char| c.is_whitespace() || matches!(c, ';' | '`'))
            {
                end = p + i;
            }
        }
        Syntax::Line | Syntax::Code => {
            let seg = &text[p..line_end];
            if let Some(i) = seg.find(" #").or_else(|| seg.find("\t#")) {
                end = p + i;
            }
            // Inside a YAML/JSON flow mapping the value ends at `,` or `}`.
            let line_start = text[..p].rfind('\n').map_or(0, |i| i + 1);
            let before = &text[line_start..p];
            if (before.contains('{') || before.contains('['))
                && let Some(i) = text[p..end].find([',', '}', ']'])
            {
                end = p + i;
            }
        }
    }
    let raw = text[p..end].trim_end();
    let end = p + raw.len();
    (end > p).then(|| Value {
        start: p,
        end,
        text: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str, syntax: Syntax) -> Option<String> {
        literal(s, 0, syntax, None).map(|v| v.text)
    }

    #[test]
    fn syntaxes_by_name() {
        assert_eq!(syntax_of("app/settings.py"), Syntax::Code);
        assert_eq!(syntax_of("infra/main.tf"), Syntax::Code);
        assert_eq!(syntax_of("appsettings.json"), Syntax::Code);
        assert_eq!(syntax_of(".env"), Syntax::Shell);
        assert_eq!(syntax_of("deploy/.env.production"), Syntax::Shell);
        assert_eq!(syntax_of("Dockerfile"), Syntax::Shell);
        assert_eq!(syntax_of("scripts/backup.sh"), Syntax::Shell);
        assert_eq!(syntax_of("docker-compose.yml"), Syntax::Line);
        assert_eq!(syntax_of("alembic.ini"), Syntax::Line);
        assert_eq!(syntax_of("README.md"), Syntax::Line);
    }

    #[test]
    fn literals_by_syntax() {
        assert_eq!(lit(" \"a b\" # c", Syntax::Code).as_deref(), Some("a b"));
        assert_eq!(lit("'it''s'", Syntax::Line).as_deref(), Some("it's"));
        assert_eq!(lit(r#""a\"b""#, Syntax::Code).as_deref(), Some("a\"b"));
        assert_eq!(lit("f'{x}'", Syntax::Code).as_deref(), Some("{x}"));
        assert_eq!(lit("db_password", Syntax::Code), None);
        assert_eq!(lit("= 'x'", Syntax::Code), None);
        assert_eq!(lit("'''x'''", Syntax::Code), None);
        assert_eq!(lit("'unterminated\n'", Syntax::Code), None);
        assert_eq!(
            lit("s3cr3t psql -h x", Syntax::Shell).as_deref(),
            Some("s3cr3t")
        );
        assert_eq!(
            lit("my pass # note", Syntax::Line).as_deref(),
            Some("my pass")
        );
        assert_eq!(lit("", Syntax::Line), None);
        let t = "{user: a, password: b1 }";
        let p = t.find("b1").unwrap();
        assert_eq!(literal(t, p, Syntax::Line, None).unwrap().text, "b1");
        let t = format!("\"--password={} --x\"", "hun2");
        let t = t.as_str();
        let p = t.find("hun2").unwrap();
        assert_eq!(enclosing_quote(t, p), Some('"'));
        assert_eq!(literal(t, p, Syntax::Code, Some('"')).unwrap().text, "hun2");
        // An escaped newline inside the key's string ends the value.
        let t = r#"s = "password: %s\nhost: db" % pw"#;
        let p = t.find("%s").unwrap();
        assert_eq!(literal(t, p, Syntax::Code, Some('"')).unwrap().text, "%s");
    }

    #[test]
    fn notebook_strings_and_tsql_literals() {
        let pw = format!("Nb7-{}", "x2Qk");
        let t = format!("    \"conn = connect(password=\\\"{pw}\\\")\\n\",");
        let p = t.find("password=").unwrap() + 9;
        assert_eq!(literal(&t, p, Syntax::Code, Some('"')).unwrap().text, pw);
        let t = "    \"conn = connect(password=getpass.getpass())\\n\",";
        let p = t.find("password=").unwrap() + 9;
        assert_eq!(
            literal(t, p, Syntax::Code, Some('"')).unwrap().text,
            "getpass.getpass())"
        );
        // The same cell quoted once more (in source code): `\\n` escapes.
        let t = r#"s = "    \"connect(password=getpass.getpass())\\n\",";"#;
        let p = t.find("password=").unwrap() + 9;
        assert_eq!(
            literal(t, p, Syntax::Code, Some('"')).unwrap().text,
            "getpass.getpass())"
        );
        // Escaped quotes inside a backtick-quoted snippet of prose.
        let t = r#"// a cell's `password=\"x\"`."#;
        let p = t.find("password=").unwrap() + 9;
        assert_eq!(literal(t, p, Syntax::Code, Some('`')).unwrap().text, "x");
        let t = format!("N'{pw}';");
        assert_eq!(quoted(&t, 0, Syntax::Code).unwrap().text, pw);
    }

    #[test]
    fn words() {
        assert_eq!(word("abc def", 0).unwrap().text, "abc");
        assert_eq!(word("'a b' c", 0).unwrap().text, "a b");
        assert_eq!(word(" x", 0), None);
    }
}
