//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF
//! viewers.
//!
//! GitHub's ingestion wants, per rule, a short and a full description and
//! a help text (we embed each rule's documentation from `docs/rules/`), and
//! per result a repository-relative `uri`, a `region` with a `startLine`,
//! and `partialFingerprints` so an alert keeps its identity when lines move
//! or when a later commit touches the same file. The fingerprint hashes the
//! rule, the path, the finding's kind and its own fingerprint (for a
//! credential a hash of the secret, never the secret), plus an occurrence
//! number for repeats in one file, and never a line number.
//! `tests/integration/sarif.sh` checks the output with the SARIF multitool
//! and GitHub's ingestion rules.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Report;
use crate::finding::{Finding, Severity};
use crate::rules::{RULES, RuleId, RuleInfo};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key under which results carry dbguard's own stable fingerprint.
pub const FINGERPRINT_KEY: &str = "dbguardFindingHash/v1";
/// The uri base id results are relative to: the repository root.
const SRCROOT: &str = "%SRCROOT%";

/// Characters escaped in a path segment of a relative URI reference
/// (RFC 3986 `pchar` keeps letters, digits and `-._~!$&'()*+,;=:@`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<HashMap<&'static str, ArtifactLocation>>,
    /// Our columns count characters, not UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    invocations: [Invocation; 1],
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    full_name: String,
    information_uri: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    precision: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: HashMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties<'a>>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    /// The commit that introduced the finding (range mode).
    commit: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

/// Writes the report as one SARIF log. `root`, when known, is the absolute
/// repository root that `%SRCROOT%` stands for.
pub fn write(report: &Report<'_>, root: Option<&Path>, out: &mut dyn Write) -> io::Result<()> {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "dbguard",
                    full_name: format!("dbguard {}", env!("CARGO_PKG_VERSION")),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: RULES.iter().map(rule).collect(),
                },
            },
            original_uri_base_ids: root.map(|r| {
                HashMap::from([(
                    SRCROOT,
                    ArtifactLocation {
                        uri: directory_uri(r),
                        uri_base_id: None,
                    },
                )])
            }),
            column_kind: "unicodeCodePoints",
            results: results(report.findings),
            invocations: [Invocation {
                execution_successful: true,
            }],
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn rule(info: &'static RuleInfo) -> Rule {
    let id = info.id.as_str();
    let (tags, precision, security_severity) = metadata(info.id);
    Rule {
        id,
        name: rule_name(id),
        short_description: Text {
            text: sentence(info.summary),
        },
        full_description: Text {
            text: sentence(&full_description(info.doc).unwrap_or_else(|| info.summary.into())),
        },
        help: Help {
            text: help_text(info.doc),
            markdown: help_markdown(info.doc),
        },
        help_uri: format!(
            "{}/blob/main/docs/rules/{id}.md",
            env!("CARGO_PKG_REPOSITORY")
        ),
        default_configuration: Configuration {
            level: level(info.default_severity),
        },
        properties: RuleProperties {
            tags,
            precision,
            security_severity,
        },
    }
}

/// Tags, precision and (for security rules) GitHub's `security-severity`
/// score of each rule: SARIF-only metadata, kept next to the format.
fn metadata(id: RuleId) -> (Vec<&'static str>, &'static str, Option<&'static str>) {
    use RuleId::*;
    match id {
        Credential => (vec!["security", "secrets", "database"], "high", Some("9.0")),
        SqlInjection => (vec!["security", "sql", "database"], "medium", Some("8.0")),
        EnvFile => (vec!["security", "secrets"], "very-high", Some("7.5")),
        DbFile => (vec!["security", "database"], "very-high", Some("6.5")),
        DbGitignore => (vec!["maintainability", "database"], "very-high", None),
        ModelWithoutMigration => (
            vec!["correctness", "migrations", "sqlalchemy"],
            "high",
            None,
        ),
        DowngradeAsymmetric | MigrationUndocumentedDestructive => (
            vec!["maintainability", "migrations", "alembic"],
            "medium",
            None,
        ),
        MigrationFilename | MigrationEdited => (
            vec!["maintainability", "migrations", "alembic"],
            "high",
            None,
        ),
        DowngradeMissing
        | DowngradeEmpty
        | MigrationMultipleHeads
        | MigrationBrokenLink
        | MigrationDuplicateRevision
        | MigrationCycle
        | MigrationParseError => (
            vec!["correctness", "migrations", "alembic"],
            "very-high",
            None,
        ),
        MigrationNotNullWithoutDefault
        | MigrationBlockingIndex
        | MigrationTableRewrite
        | MigrationBreakingRename
        | MigrationDropStillMapped => (vec!["reliability", "migrations", "alembic"], "high", None),
    }
}

fn results(findings: &[Finding]) -> Vec<SarifResult<'_>> {
    // The n-th finding with the same rule, kind and fingerprint in one file
    // gets its own number, so two identical credentials stay two alerts.
    let mut seen: HashMap<(&str, RuleId, &str, &str), usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let kind = f.kind.as_deref().unwrap_or("");
            let own = f.fingerprint.as_deref().unwrap_or("");
            let n = seen.entry((&f.path, f.rule, kind, own)).or_insert(0);
            *n += 1;
            SarifResult {
                rule_id: f.rule.as_str(),
                rule_index: RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
                level: level(f.severity),
                message: Text { text: message(f) },
                locations: [Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: relative_uri(&f.path),
                            uri_base_id: Some(SRCROOT),
                        },
                        region: Region {
                            // GitHub requires a line: a whole-file finding
                            // points at the first.
                            start_line: f.line.unwrap_or(1).max(1),
                            start_column: f.line.and(f.column).filter(|c| *c >= 1),
                        },
                    },
                }],
                partial_fingerprints: HashMap::from([(FINGERPRINT_KEY, fingerprint(f, *n))]),
                properties: f
                    .commit
                    .as_deref()
                    .map(|commit| ResultProperties { commit }),
            }
        })
        .collect()
}

/// The result message: the finding's message and the way to fix it, as
/// sentences (SARIF viewers show it alone, without the rule's help).
fn message(f: &Finding) -> String {
    let hint = f.hint.as_deref().unwrap_or(f.rule.info().hint);
    let text = format!("{} Fix: {}", sentence(&f.message), sentence(hint));
    text.replace(['\r', '\n'], " ")
}

/// A stable hash of what the finding is and where (file): the rule, the
/// path, the kind and the finding's own fingerprint (a hash for
/// credentials), with the occurrence number. Never the line, the commit,
/// the mode-dependent message or a secret, so the alert is the same for a
/// pull request's range and for `--all` on the default branch.
fn fingerprint(f: &Finding, occurrence: usize) -> String {
    let mut h = Sha256::new();
    for part in [
        f.rule.as_str(),
        &f.path,
        f.kind.as_deref().unwrap_or(""),
        f.fingerprint.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = hex::encode(h.finalize());
    format!("{}:{occurrence}", &digest[..32])
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// SARIF's `name`, an identifier-like name that must differ from the id
/// (even in case): `db-file` → `DbFile`, `credential` →
/// `CommittedCredential`.
fn rule_name(id: &str) -> String {
    let name = pascal_case(id);
    if name.eq_ignore_ascii_case(id) {
        format!("Committed{name}")
    } else {
        name
    }
}

/// `db-file` → `DbFile`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// Ends text with a period (SARIF viewers print messages as sentences).
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// A repository path as a relative URI reference with `/` separators.
fn relative_uri(path: &str) -> String {
    path.split(['/', '\\'])
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// An absolute directory as a `file:` URI ending with `/`.
fn directory_uri(dir: &Path) -> String {
    let s = dir.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file://");
    if !s.starts_with('/') {
        // A Windows drive path: file:///C:/...
        uri.push('/');
    }
    uri.push_str(&relative_uri(&s));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The doc without its `# id` title line: the markdown GitHub renders.
fn help_markdown(doc: &str) -> String {
    let body = match doc.split_once('\n') {
        Some((first, rest)) if first.starts_with("# ") => rest,
        _ => doc,
    };
    body.trim().to_string()
}

/// The doc as plain text: headings without `#`, code fences dropped.
fn help_text(doc: &str) -> String {
    let mut out = String::new();
    for line in help_markdown(doc).lines() {
        if line.starts_with("```") {
            continue;
        }
        out.push_str(line.trim_start_matches('#').trim_start_matches(' '));
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The "What it checks" section, flattened into one paragraph.
fn full_description(doc: &str) -> Option<String> {
    let start = doc.find("## What it checks")?;
    let section = &doc[start..];
    let section = section.split_once('\n')?.1;
    let end = section.find("\n## ").unwrap_or(section.len());
    let words: Vec<&str> = section[..end].split_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(findings: &[Finding], root: Option<&Path>) -> serde_json::Value {
        let mut buf = Vec::new();
        write(
            &Report {
                findings,
                files_scanned: 2,
                unread: 0,
            },
            root,
            &mut buf,
        )
        .unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    fn index(id: RuleId) -> usize {
        RULES.iter().position(|r| r.id == id).unwrap()
    }

    fn sample() -> Vec<Finding> {
        let mut cred = Finding::new(
            RuleId::Credential,
            "config/settings.py",
            "database URL with an inline password (s3****et)",
        )
        .at(12, 18)
        .kind("db-url-password")
        .fingerprint("hash-of-the-secret");
        cred.secret = Some("s3****et".into());
        vec![
            Finding::new(
                RuleId::DbFile,
                "data dir/app.db",
                "SQLite database file (by its name) is staged for commit",
            )
            .kind("sqlite"),
            cred,
        ]
    }

    #[test]
    fn log_has_the_shape_github_wants() {
        let v = render(&sample(), Some(Path::new("/work/my repo")));
        assert_eq!(v["version"], "2.1.0");
        assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
        let run = &v["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///work/my%20repo/"
        );
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "dbguard");
        assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), RULES.len());
        for (r, info) in rules.iter().zip(RULES) {
            assert_eq!(r["id"], info.id.as_str());
            for key in ["shortDescription", "fullDescription"] {
                let text = r[key]["text"].as_str().unwrap();
                assert!(text.ends_with('.') && text.len() > 10, "{key}: {text}");
            }
            assert!(r["help"]["markdown"].as_str().unwrap().contains("## Why"));
            assert!(!r["help"]["text"].as_str().unwrap().contains("```"));
            assert_eq!(
                r["defaultConfiguration"]["level"],
                info.default_severity.as_str()
            );
        }
        assert_eq!(rules[0]["name"], "DbFile");
        assert_eq!(
            rules[RULES.len() - 1]["name"],
            "MigrationDropStillMapped",
            "the last rule is migration-drop-still-mapped"
        );
        let cred_rule = &rules[index(RuleId::Credential)];
        assert_eq!(cred_rule["properties"]["security-severity"], "9.0");
    }

    #[test]
    fn results_point_at_relative_uris_with_a_region() {
        let v = render(&sample(), None);
        let run = &v["runs"][0];
        assert!(run.get("originalUriBaseIds").is_none());
        let results = run["results"].as_array().unwrap();
        let db = &results[0];
        assert_eq!(db["ruleId"], "db-file");
        assert_eq!(db["ruleIndex"], 0);
        assert_eq!(db["level"], "error");
        let loc = &db["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "data%20dir/app.db");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"], serde_json::json!({"startLine": 1}));
        let cred = &results[1];
        assert_eq!(cred["ruleIndex"], index(RuleId::Credential));
        assert_eq!(
            cred["locations"][0]["physicalLocation"]["region"],
            serde_json::json!({"startLine": 12, "startColumn": 18})
        );
        let text = cred["message"]["text"].as_str().unwrap();
        assert!(text.starts_with("database URL with an inline password (s3****et). Fix: "));
        assert!(text.ends_with('.'));
    }

    #[test]
    fn fingerprints_ignore_lines_and_commits_but_not_paths_or_secrets() {
        let fp = |f: &Finding| {
            render(std::slice::from_ref(f), None)["runs"][0]["results"][0]["partialFingerprints"]
                [FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .to_string()
        };
        let base = sample().remove(1);
        let mut moved = base.clone().at(40, 2);
        moved.commit = Some("abc".into());
        assert_eq!(fp(&base), fp(&moved));
        let mut elsewhere = base.clone();
        elsewhere.path = "other.py".into();
        assert_ne!(fp(&base), fp(&elsewhere));
        let other_secret = base.clone().fingerprint("another-secret-hash");
        assert_ne!(fp(&base), fp(&other_secret));
        let mut other_mode = base.clone();
        other_mode.message = "database URL with an inline password was committed".into();
        assert_eq!(fp(&base), fp(&other_mode));
        assert!(!fp(&base).contains("s3"));
    }

    #[test]
    fn repeats_in_one_file_get_distinct_fingerprints() {
        let f = sample().remove(1);
        let v = render(&[f.clone(), f.at(30, 1)], None);
        let results = v["runs"][0]["results"].as_array().unwrap();
        let a = &results[0]["partialFingerprints"][FINGERPRINT_KEY];
        let b = &results[1]["partialFingerprints"][FINGERPRINT_KEY];
        assert_ne!(a, b);
    }

    #[test]
    fn commit_is_a_result_property_in_range_mode() {
        let mut f = sample().remove(0);
        f.commit = Some("0123abcd".into());
        let v = render(&[f], None);
        assert_eq!(
            v["runs"][0]["results"][0]["properties"]["commit"],
            "0123abcd"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(
            pascal_case("migration-undocumented-destructive"),
            "MigrationUndocumentedDestructive"
        );
        assert_eq!(rule_name("credential"), "CommittedCredential");
        assert_eq!(rule_name("env-file"), "EnvFile");
        assert_eq!(sentence("done"), "done.");
        assert_eq!(sentence("done. "), "done.");
        assert_eq!(relative_uri("a b/c#d%.db"), "a%20b/c%23d%25.db");
        assert_eq!(directory_uri(Path::new("/x/y")), "file:///x/y/");
        assert_eq!(directory_uri(Path::new("C:\\x")), "file:///C:/x/");
    }

    #[test]
    fn no_secret_leaks_into_the_log() {
        let secret = String::from("hunter") + "2-very-secret";
        let mut f = Finding::new(RuleId::Credential, "a.py", "password (hu****et)")
            .fingerprint(hex::encode(Sha256::digest(secret.as_bytes())));
        f.secret = Some("hu****et".into());
        let v = render(&[f], None).to_string();
        assert!(!v.contains(&secret));
    }
}
