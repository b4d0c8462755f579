//! Alembic environments that no `alembic.ini` or `env.py` announces:
//! configured in Python (Flask-Alembic's `ALEMBIC` setting, a `Config()`
//! given `set_main_option("script_location", ...)`), or only a folder of
//! revision files that a host application loads at run time (plugin
//! migrations).
//!
//! Python configuration is read as text, not run: a value counts when its
//! expression ends in a string literal (`os.path.join(basedir,
//! "app/migrations")`), which is then found below the configuring file's
//! folder or one of its ancestors. Only files whose name or folder says
//! they configure something are read, so a large repository does not pay
//! for reading every Python file.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::discover::{Environment, parent, read_text};
use crate::changes::{ContentReader, Entry, file_name};

/// What a Python file configures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The folder as written (the last string literal of the expression).
    pub script_location: String,
    /// The `file_template`, `%%` already unescaped.
    pub file_template: Option<String>,
    /// Flask-Alembic: the revision files sit in `script_location` itself.
    pub flask_alembic: bool,
}

/// Whether `path` may configure Alembic in Python: its file name or its
/// folder's name says config or settings.
pub fn may_configure(path: &str) -> bool {
    // Every Python path of every tree comes here: no allocation.
    let has = |s: &str, word: &str| {
        s.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    };
    let says = |s: &str| has(s, "config") || has(s, "setting");
    says(file_name(path)) || says(file_name(parent(path)))
}

/// Whether the name of `path` looks like a revision file's: a token
/// (between `_`, `-` and `.`) of 8 to 40 hexadecimal digits, as Alembic's
/// generated ids are.
pub fn may_be_revision(path: &str) -> bool {
    let name = file_name(path);
    let Some(stem) = name.strip_suffix(".py") else {
        return false;
    };
    !name.starts_with("__init__")
        && stem
            .split(['_', '-', '.'])
            .any(|t| (8..=40).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

static ALEMBIC_SETTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)(?:^\s*ALEMBIC\s*=|\[\s*["']ALEMBIC["']\s*\]\s*=)\s*(?:dict\s*\(|\{)"#)
        .expect("valid regex")
});
static SET_MAIN_OPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"set_main_option\(\s*["']script_location["']\s*,\s*([^)\n]*)"#)
        .expect("valid regex")
});
static STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"\\\n]*)"|'([^'\\\n]*)'"#).expect("valid regex"));

/// The environments a Python file configures.
pub fn configured(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for m in ALEMBIC_SETTING.find_iter(text) {
        let body = bracketed(&text[m.end()..]);
        if let Some(script) = key_value(body, "script_location") {
            out.push(Found {
                script_location: script,
                file_template: key_value(body, "file_template").map(|t| t.replace("%%", "%")),
                flask_alembic: true,
            });
        }
    }
    if text.contains("alembic") {
        for caps in SET_MAIN_OPTION.captures_iter(text) {
            if let Some(script) = last_string(&caps[1]) {
                out.push(Found {
                    script_location: script,
                    file_template: None,
                    flask_alembic: false,
                });
            }
        }
    }
    out.retain(|f| !f.script_location.trim().is_empty() && !f.script_location.contains(':'));
    out
}

/// The text up to the bracket that closes the one just opened (or to the
/// end). Brackets inside strings are rare enough in settings to ignore.
fn bracketed(text: &str) -> &str {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    text
}

/// The value of `key` in a dict literal (`"key": expr`) or a `dict(...)`
/// call (`key=expr`): the last string literal of its expression.
fn key_value(body: &str, key: &str) -> Option<String> {
    let re = Regex::new(&format!(
        r#"(?:["']{key}["']\s*:|\b{key}\s*=)\s*"#,
        key = regex::escape(key)
    ))
    .ok()?;
    let start = re.find(body)?.end();
    let rest = &body[start..];
    // The expression ends at the first comma outside brackets.
    let mut depth = 0i32;
    let mut end = rest.len();
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth <= 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    last_string(&rest[..end])
}

fn last_string(expr: &str) -> Option<String> {
    STRING
        .captures_iter(expr)
        .last()
        .and_then(|c| c.get(1).or(c.get(2)))
        .map(|m| m.as_str().to_string())
}

/// Whether Python source declares a module-level `revision` and
/// `down_revision`, as every Alembic revision file does.
pub fn declares_revision(text: &str) -> bool {
    let assigns = |name: &str| {
        text.lines().any(|l| {
            l.strip_prefix(name).is_some_and(|rest| {
                let rest = rest.trim_start();
                (rest.starts_with('=') && !rest.starts_with("==")) || rest.starts_with(':')
            })
        })
    };
    assigns("revision") && assigns("down_revision")
}

/// Folders of revision files that no environment in `envs` covers: a
/// folder holding a candidate (see [`may_be_revision`]) that declares
/// `revision` and `down_revision`. Folders inside a known environment's
/// script folder or version locations are left to it.
pub fn revision_folders(
    reader: &dyn ContentReader,
    candidates: &[Entry<'_>],
    envs: &[Environment],
) -> Vec<String> {
    let inside = |dir: &str, root: &str| {
        root.is_empty() || dir == root || dir.starts_with(&format!("{root}/"))
    };
    let mut by_dir: BTreeMap<&str, Vec<&Entry<'_>>> = BTreeMap::new();
    for e in candidates {
        let dir = parent(e.path);
        let covered = envs.iter().any(|env| {
            inside(dir, &env.script_location)
                || env.version_locations.iter().any(|l| inside(dir, l))
        });
        if !covered {
            by_dir.entry(dir).or_default().push(e);
        }
    }
    by_dir
        .into_iter()
        .filter(|(_, files)| {
            files
                .iter()
                .take(3)
                .any(|e| read_text(reader, e).is_some_and(|t| declares_revision(&t)))
        })
        .map(|(dir, _)| dir.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flask_alembic_setting_in_a_dict_and_a_dict_call() {
        let found = configured(
            "import os\nclass Default:\n    ALEMBIC = {\n        \"script_location\": os.path.join(basedir, \"app/migrations\"),\n        \"version_locations\": \"\",\n        \"file_template\": \"%%(year)d_%%(rev)s_%%(slug)s\",\n    }\n",
        );
        assert_eq!(
            found,
            [Found {
                script_location: "app/migrations".into(),
                file_template: Some("%(year)d_%(rev)s_%(slug)s".into()),
                flask_alembic: true,
            }]
        );
        let found = configured("app.config['ALEMBIC'] = dict(script_location='db/revs')\n");
        assert_eq!(found[0].script_location, "db/revs");
        assert!(configured("ALEMBIC_CONTEXT = {'render_as_batch': True}\n").is_empty());
    }

    #[test]
    fn set_main_option_with_a_literal_only() {
        let found = configured(
            "from alembic.config import Config\nc = Config()\nc.set_main_option(\"script_location\", os.path.join(here, \"migrations\"))\n",
        );
        assert_eq!(found[0].script_location, "migrations");
        assert!(!found[0].flask_alembic);
        assert!(
            configured("import alembic\nc.set_main_option('script_location', path)\n").is_empty()
        );
        assert!(
            configured("import alembic\nc.set_main_option('script_location', 'pkg:db')\n")
                .is_empty(),
            "package locations are resolved by ini discovery, not here"
        );
    }

    #[test]
    fn candidate_names_and_declarations() {
        assert!(may_be_revision("p/migrations/eb68f277ab61_add_func.py"));
        assert!(may_be_revision("m/201501082314_8ad96e49dc6_init.py"));
        assert!(!may_be_revision("p/migrations/__init__.py"));
        assert!(!may_be_revision("app/models.py"));
        assert!(may_configure("app/configs/default.py"));
        assert!(may_configure("app/settings.py"));
        assert!(!may_configure("app/models.py"));
        assert!(may_configure("app/AppConfig.py"));
        assert!(may_configure("app/SETTINGS/base.py"));
        assert!(!may_configure("settings/app/base.py"));
        assert!(!may_configure("conf.py"));
        assert!(declares_revision(
            "revision = \"abc\"\ndown_revision: str | None = None\n"
        ));
        assert!(!declares_revision("revision = 'abc'\n"));
        assert!(!declares_revision(
            "def f():\n    revision = 1\n    down_revision = 2\n"
        ));
    }
}
