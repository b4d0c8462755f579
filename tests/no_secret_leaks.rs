//! Property: whatever the secret, no output format ever contains it whole,
//! and dbguard finds it in every form it is planted in.

use std::path::Path;

use dbguard::changes::{MemoryReader, Mode, memory_change_set};
use dbguard::config::Config;
use dbguard::engine::{self, Selection};
use dbguard::report::{self, Format, Report};
use proptest::prelude::*;

/// Files that plant `secret` in the forms projects write credentials.
fn planted(secret: &str) -> Vec<(String, String)> {
    vec![
        (".env".into(), format!("DATABASE_PASSWORD={secret}\n")),
        (
            "app/settings.py".into(),
            format!("DATABASE_URL = \"postgresql://app:{secret}@db.internal:5432/app\"\n"),
        ),
        (
            "deploy/values.yaml".into(),
            format!("database:\n  password: \"{secret}\"\n"),
        ),
        (
            "appsettings.json".into(),
            format!("{{\"Default\": \"Server=sql;Database=x;User Id=app;Password={secret};\"}}\n"),
        ),
        (
            "crlf.env".into(),
            format!("A=1\r\nPOSTGRES_PASSWORD={secret}\r\n"),
        ),
    ]
}

fn outputs(files: &[(String, String)]) -> (usize, Vec<String>) {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_bytes()))
        .collect();
    let set = memory_change_set(Mode::Staged, &[], &refs);
    let config = Config::default();
    let selection = Selection::new(&config, &[], &[]);
    let outcome = engine::run(&[set], &config, &MemoryReader, &selection).expect("engine runs");
    let report = Report {
        findings: &outcome.findings,
        files_scanned: outcome.files_scanned,
        unread: 0,
    };
    let mut rendered = Vec::new();
    for format in [
        Format::Text { verbose: true },
        Format::Quiet,
        Format::Statistics,
        Format::Json,
        Format::Sarif {
            root: Some(Path::new("/repo")),
        },
        Format::Github,
    ] {
        let mut buf = Vec::new();
        report::write(&report, format, &mut buf).expect("report renders");
        rendered.push(String::from_utf8_lossy(&buf).into_owned());
    }
    rendered.push(format!("{:?}", outcome.findings));
    let credentials = outcome
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == "credential")
        .count();
    (credentials, rendered)
}

/// Strong passwords: letters, digits and the symbols people put in them,
/// with at least one letter and one digit so no placeholder rule applies.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9!#%^*_+=.~-]{6,38}[0-9]".prop_filter("mixed", |s| {
        s.chars().any(|c| c.is_ascii_lowercase()) && s.chars().any(|c| c.is_ascii_uppercase())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_output_format_contains_a_planted_secret(secret in secret()) {
        let files = planted(&secret);
        let (found, rendered) = outputs(&files);
        prop_assert_eq!(found, files.len(), "every planted form is found");
        for out in &rendered {
            prop_assert!(!out.contains(&secret), "output leaks the secret:\n{}", out);
        }
    }
}

/// The first credential finding in one in-memory staged file.
fn first_credential(path: &str, content: &[u8]) -> dbguard::finding::Finding {
    let set = memory_change_set(Mode::Staged, &[], &[(path, content)]);
    let config = Config::default();
    let selection = Selection::new(&config, &[], &[]);
    let out = engine::run(&[set], &config, &MemoryReader, &selection).expect("engine runs");
    out.findings
        .into_iter()
        .find(|f| f.rule.as_str() == "credential")
        .expect("a credential is found")
}

#[test]
fn crlf_files_report_the_right_line() {
    let s = ["Zq", "8rT", "!w3", "Lm9x"].concat();
    let content = format!("A=1\r\nB=2\r\n\r\nPOSTGRES_PASSWORD={s}\r\n");
    let f = first_credential("crlf.env", content.as_bytes());
    assert_eq!((f.line, f.column), (Some(4), Some(19)));
}

#[test]
fn invalid_utf8_around_a_secret_does_not_hide_it() {
    let s = ["Zq", "8rT", "!w3", "Lm9x"].concat();
    let mut content = b"\xff\xfe garbage \xc3\x28\n".to_vec();
    content.extend_from_slice(format!("DB_PASSWORD={s}\n").as_bytes());
    content.extend_from_slice(b"\x80\x81\n");
    assert_eq!(first_credential(".env.local", &content).line, Some(2));
}
