//! `.dbguard.yaml`: which rules run, at what severity, on which paths.
//!
//! Every value is validated while it is deserialized (globs compile, rule
//! ids exist), so a mistake is reported with the file, line and key where
//! it was written, and the run stops with exit code 2 instead of silently
//! checking less than the user asked for.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use std::borrow::Cow;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::finding::Severity;
use crate::rules::RuleId;

/// The file name looked up at the repository root.
pub const DEFAULT_FILE: &str = ".dbguard.yaml";

/// What a user wrote in `.dbguard.yaml`. Unknown keys are errors: a typo
/// must not silently disable a rule.
///
/// The doc comments of these types are the descriptions editors show: the
/// JSON Schema `dbguard.schema.json` is generated from them (see
/// [`json_schema`]).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(
    title = "dbguard configuration (.dbguard.yaml)",
    description = "dbguard's configuration, at the repository root. Every key is optional; an unknown key is an error. `dbguard rules` lists the rule ids."
)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Only these rules run (all when empty).
    pub select: Vec<RuleId>,
    /// These rules never run.
    pub ignore: Vec<RuleId>,
    /// Per-rule severity: `error`, `warning` or `off`.
    pub severity: BTreeMap<RuleId, SeveritySetting>,
    /// Path globs that no rule reports on (fixtures, vendored code).
    pub allow: Vec<PathGlob>,
    /// A baseline file of accepted findings (see `--baseline`).
    pub baseline: Option<PathBuf>,
    /// Files larger than this many bytes are not read as text (content
    /// sniffing of database headers still happens).
    pub max_file_size: Option<u64>,
    /// Settings of the `credential` rule.
    pub credentials: CredentialsConfig,
    /// Alembic migration environments beyond those found from `alembic.ini`.
    pub migrations: MigrationsConfig,
    /// Where the SQLAlchemy models live.
    pub models: ModelsConfig,
    /// Settings of the `sql-injection` rule.
    pub sql_injection: SqlInjectionConfig,
}

/// Settings of the `sql-injection` rule.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SqlInjectionConfig {
    /// Names of the project's own functions whose result is safe to put in
    /// SQL text (quoting helpers such as `identifier` or `literal_string`),
    /// besides the built-in ones (`quote_ident`, `int`, ...).
    pub safe_calls: Vec<String>,
}

/// Settings of the `credential` rule.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialsConfig {
    /// Paths where credentials are expected (test fixtures).
    pub allow_paths: Vec<PathGlob>,
    /// Regexes of values that are known not to be secrets.
    pub allow_values: Vec<RegexPattern>,
    /// Severity of a credential that only opens a local development
    /// service (a docker-compose file, a CI service container, a
    /// Vagrantfile, a dev container, test settings or test code, a URL
    /// whose host is `localhost` or a compose service, a well-known
    /// default): `warning` (the default) reports it without failing the
    /// check; `error` treats it like any other credential.
    pub local_severity: LocalSeverity,
}

/// How a local development credential is reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LocalSeverity {
    /// Reported, and the check still passes.
    #[default]
    Warning,
    /// Fails the check like any other credential.
    Error,
}

/// Extra Alembic environments, for layouts discovery cannot see.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationsConfig {
    /// Environments added to those found from every `alembic.ini`.
    pub environments: Vec<EnvironmentConfig>,
    /// The database the migrations run on, for the rules whose verdict
    /// depends on it (`migration-blocking-index`, `migration-table-rewrite`);
    /// by default read from `sqlalchemy.url` or the drivers `env.py` imports.
    pub dialect: Option<crate::alembic::dialect::Dialect>,
}

/// One Alembic environment configured by hand.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EnvironmentConfig {
    /// The folder holding `env.py` (repository-relative).
    pub script_location: String,
    /// Folders holding revision files; default `<script_location>/versions`.
    pub version_locations: Vec<String>,
    /// Read the version locations' subfolders too (Alembic's
    /// `recursive_version_locations`).
    pub recursive_version_locations: bool,
    /// The file name template new revisions follow (Alembic's
    /// `file_template`, e.g. `%(rev)s_%(slug)s`).
    pub file_template: Option<String>,
}

/// Where the SQLAlchemy models live.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Globs of model files. When set they replace the default, which is
    /// every Python file outside tests that declares models.
    pub paths: Vec<PathGlob>,
}

/// A configured severity, where `off` disables the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeveritySetting {
    Error,
    Warning,
    Off,
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RuleId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// A repository path glob, checked when the config is read. A glob without
/// `/` matches a file name at any depth (like .gitignore); one with `/`
/// matches the path from the repository root. `**` crosses directories.
#[derive(Clone, Debug)]
pub struct PathGlob(pub String);

impl PathGlob {
    fn build(&self) -> Result<globset::Glob, globset::Error> {
        let pat = self.0.trim_start_matches("./");
        let pat = if pat.contains('/') {
            pat.trim_start_matches('/').to_string()
        } else {
            format!("**/{pat}")
        };
        let pat = if pat.ends_with('/') {
            format!("{pat}**")
        } else {
            pat
        };
        GlobBuilder::new(&pat).literal_separator(true).build()
    }
}

impl<'de> Deserialize<'de> for PathGlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PathGlob, D::Error> {
        let s = String::deserialize(d)?;
        let g = PathGlob(s);
        g.build()
            .map_err(|e| de::Error::custom(format!("invalid glob `{}`: {}", g.0, e.kind())))?;
        Ok(g)
    }
}

/// A rule id is one of the registry's ids (`dbguard rules` lists them).
impl JsonSchema for RuleId {
    fn schema_name() -> Cow<'static, str> {
        "RuleId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ids: Vec<&str> = RuleId::all().map(RuleId::as_str).collect();
        json_schema!({
            "type": "string",
            "description": "A dbguard rule id (`dbguard rules` lists them).",
            "enum": ids,
        })
    }
}

impl JsonSchema for PathGlob {
    fn schema_name() -> Cow<'static, str> {
        "PathGlob".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "description": "A path glob. Without `/` it matches a file name at any depth (like .gitignore); with `/` it matches from the repository root; `**` crosses directories; a trailing `/` means everything below.",
            "examples": ["tests/fixtures/**", "*.sql"],
        })
    }
}

impl JsonSchema for RegexPattern {
    fn schema_name() -> Cow<'static, str> {
        "RegexPattern".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "regex",
            "description": "A regular expression (Rust regex syntax).",
        })
    }
}

/// The JSON Schema of `.dbguard.yaml`, as committed in
/// `dbguard.schema.json` (draft-07, which editors' YAML support reads).
/// A test regenerates it and fails when the committed file differs.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Config>();
    schema.insert(
        "$id".into(),
        format!(
            "{}/raw/main/dbguard.schema.json",
            env!("CARGO_PKG_REPOSITORY")
        )
        .into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Compiles globs into one matcher; they were validated when read.
pub fn glob_set(globs: &[PathGlob]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = g.build() {
            b.add(glob);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// A regular expression, checked when the config is read.
#[derive(Clone, Debug)]
pub struct RegexPattern(pub regex::Regex);

impl<'de> Deserialize<'de> for RegexPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RegexPattern, D::Error> {
        let s = String::deserialize(d)?;
        regex::Regex::new(&s).map(RegexPattern).map_err(|e| {
            de::Error::custom(format!("invalid regex `{s}`: {}", one_line(&e.to_string())))
        })
    }
}

/// A configuration that cannot be used; the message names the file, the
/// line and the key, on one line.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Config {
    /// Parses configuration text; `file` is only used in error messages.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_norway::from_str::<Option<Config>>(text)
            .map(Option::unwrap_or_default)
            .map_err(|e| {
                let loc = e.location();
                let mut message = one_line(&e.to_string());
                // The location is reported in front; drop serde's copy of it.
                if let Some(i) = message.find(" at line ") {
                    message.truncate(i);
                }
                ConfigError {
                    file: file.to_path_buf(),
                    line: loc.as_ref().map(|l| l.line()),
                    column: loc.as_ref().map(|l| l.column()),
                    message: format!(
                        "{message} (see `dbguard rules` for rule ids and README.md for the keys)"
                    ),
                }
            })
    }

    /// Loads `explicit` (which must exist) or `.dbguard.yaml` under `root`
    /// (which may not).
    pub fn load(
        root: &Path,
        explicit: Option<&Path>,
    ) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (root.join(DEFAULT_FILE), false),
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| ConfigError {
                    file: path.clone(),
                    line: None,
                    column: None,
                    message: "the file is not UTF-8 text".into(),
                })?;
                Ok((Config::parse(&text, &path)?, Some(path)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok((Config::default(), None))
            }
            Err(e) => Err(ConfigError {
                file: path,
                line: None,
                column: None,
                message: format!("cannot read the config file: {e}"),
            }),
        }
    }

    /// The severity of `rule` after configuration, or `None` when off.
    pub fn severity_of(&self, rule: RuleId) -> Option<Severity> {
        match self.severity.get(&rule) {
            Some(SeveritySetting::Off) => None,
            Some(SeveritySetting::Error) => Some(Severity::Error),
            Some(SeveritySetting::Warning) => Some(Severity::Warning),
            None => Some(rule.default_severity()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, ConfigError> {
        Config::parse(s, Path::new(".dbguard.yaml"))
    }

    #[test]
    fn empty_file_is_the_default() {
        let c = parse("").unwrap();
        assert!(c.select.is_empty() && c.allow.is_empty());
        let c = parse("# only a comment\n").unwrap();
        assert!(c.ignore.is_empty());
    }

    #[test]
    fn full_config_parses() {
        let c = parse(
            "select: [db-file, credential]\nignore: [sql-injection]\nseverity:\n  migration-filename: off\n  db-gitignore: error\nallow:\n  - tests/fixtures/**\ncredentials:\n  allow_values: ['^test-']\nmodels:\n  paths: ['app/**/*.py']\n",
        )
        .unwrap();
        assert_eq!(c.select, [RuleId::DbFile, RuleId::Credential]);
        assert_eq!(c.severity_of(RuleId::MigrationFilename), None);
        assert_eq!(c.severity_of(RuleId::DbGitignore), Some(Severity::Error));
        assert_eq!(c.severity_of(RuleId::DbFile), Some(Severity::Error));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse("select: [db-file]\nignroe: [credential]\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(".dbguard.yaml:2:"), "{msg}");
        assert!(msg.contains("ignroe"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn unknown_rule_and_bad_glob_and_regex_are_errors_with_lines() {
        let e = parse("select:\n  - db-files\n").unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("db-files"), "{e}");
        let e = parse("allow:\n  - 'a/[b'\n").unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("invalid glob"), "{e}");
        let e = parse("credentials:\n  allow_values: ['(']\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:") && e.contains("invalid regex"), "{e}");
    }

    #[test]
    fn wrong_type_and_syntax_error_are_errors() {
        let e = parse("select: db-file\n").unwrap_err().to_string();
        assert!(e.contains("select") || e.contains("sequence"), "{e}");
        let e = parse("select: [db-file\n").unwrap_err().to_string();
        assert!(e.contains(".dbguard.yaml:"), "{e}");
        let e = parse("severity:\n  db-file: fatal\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:") && e.contains("fatal"), "{e}");
    }

    #[test]
    fn globs_without_slash_match_at_any_depth() {
        let set = glob_set(&[PathGlob("*.sql".into()), PathGlob("tests/fixtures/".into())]);
        assert!(set.is_match("a/b/c.sql"));
        assert!(set.is_match("c.sql"));
        assert!(set.is_match("tests/fixtures/x/y.db"));
        assert!(!set.is_match("src/tests/fixtures/y.db"));
        let set = glob_set(&[PathGlob("src/*.py".into())]);
        assert!(set.is_match("src/a.py"));
        assert!(!set.is_match("src/x/a.py"));
    }
}
