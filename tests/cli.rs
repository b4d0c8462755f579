//! End-to-end tests of how dbguard fits the tools around it: `--help`,
//! `--version`, `rules`, `completions`, `init`, the SARIF and GitHub
//! formats, and a quiet stderr when nobody watches. CLI output is
//! snapshotted with insta (stdout, stderr and exit code together, temp
//! paths filtered). After a deliberate change, refresh the snapshots with
//! `INSTA_UPDATE=always cargo test --test cli` and review the diff.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Run, TestRepo};
use dbguard::rules::RULES;

/// A fixed terminal width, so clap wraps help the same everywhere.
const ENV: &[(&str, &str)] = &[("COLUMNS", "100")];

fn run(repo: &TestRepo, args: &[&str]) -> Run {
    repo.dbguard_in(repo.path(), args, ENV)
}

/// Stdout, stderr and exit code together, as one snapshot.
fn transcript(r: &Run) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        r.code, r.stdout, r.stderr
    )
}

/// insta settings that hide the temporary repository's path.
fn settings(repo: &TestRepo) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let root = repo.path().canonicalize().unwrap();
    s.add_filter(&regex_escape(&root.to_string_lossy()), "[REPO]");
    s.add_filter(&regex_escape(&repo.path().to_string_lossy()), "[REPO]");
    s.add_filter(env!("CARGO_PKG_VERSION"), "[VERSION]");
    s.add_filter(r"\x1b\[[0-9;]*m", "");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

#[test]
fn top_level_help_has_examples() {
    let repo = TestRepo::new();
    let r = run(&repo, &["--help"]);
    assert_eq!(r.code, 0);
    settings(&repo).bind(|| insta::assert_snapshot!("help", transcript(&r)));
}

#[test]
fn check_help_has_examples() {
    let repo = TestRepo::new();
    let r = run(&repo, &["check", "--help"]);
    assert_eq!(r.code, 0);
    settings(&repo).bind(|| insta::assert_snapshot!("check_help", transcript(&r)));
}

#[test]
fn version_is_the_package_version() {
    let repo = TestRepo::new();
    let r = run(&repo, &["--version"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            format!("dbguard {}\n", env!("CARGO_PKG_VERSION")).as_str()
        )
    );
}

#[test]
fn rules_lists_every_rule() {
    let repo = TestRepo::new();
    let r = run(&repo, &["rules"]);
    assert_eq!(r.code, 0);
    for info in RULES {
        assert!(r.stdout.contains(info.id.as_str()), "{}", info.id);
    }
    settings(&repo).bind(|| insta::assert_snapshot!("rules", transcript(&r)));
}

#[test]
fn a_rule_is_explained_as_markdown_when_piped() {
    let repo = TestRepo::new();
    for info in RULES {
        let r = run(&repo, &["rules", info.id.as_str()]);
        assert_eq!(r.code, 0, "{}", info.id);
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/rules")
            .join(format!("{}.md", info.id));
        let doc = std::fs::read_to_string(file).unwrap();
        assert_eq!(r.stdout.trim_end(), doc.trim_end(), "{}", info.id);
        assert!(r.stderr.is_empty());
    }
}

#[test]
fn a_rule_is_rendered_for_a_terminal() {
    let repo = TestRepo::new();
    let r = run(&repo, &["--color", "always", "rules", "db-file"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("\x1b["), "styled");
    assert!(!r.stdout.contains("```") && !r.stdout.contains("## "));
    settings(&repo).bind(|| insta::assert_snapshot!("rules_db_file", transcript(&r)));
}

#[test]
fn an_unknown_rule_is_exit_2_with_one_line_naming_the_way_out() {
    let repo = TestRepo::new();
    let r = run(&repo, &["rules", "db-files"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("`dbguard rules`"), "{}", r.stderr);
}

/// The README's rule table is the registry: same ids, severities and
/// summaries, in the same order.
#[test]
fn readme_rule_table_is_the_registry() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme
        .find("\n## Rules")
        .expect("README has a Rules section")..];
    let rows: Vec<(String, String, String)> = section
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "README row `{l}`");
            (
                cells[0].trim_matches('`').to_string(),
                cells[1].to_string(),
                cells[2].to_string(),
            )
        })
        .collect();
    let registry: Vec<(String, String, String)> = RULES
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                r.default_severity.as_str().to_string(),
                r.summary.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, registry,
        "README.md's rule table must list exactly src/rules/mod.rs's registry"
    );
}

#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let repo = TestRepo::new();
    let r = run(&repo, &["completions", "bash"]);
    assert_eq!(r.code, 0);
    let script = repo.path().join("dbguard.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    let complete = |words: &str| -> String {
        let cmd = format!(
            "source '{}' && COMP_WORDS=({words}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && \
             COMP_LINE='{words}' && COMP_POINT=${{#COMP_LINE}} && _dbguard dbguard \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\" \
             && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Command::new("bash")
            .args(["--norc", "-c", &cmd])
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let subcommands = complete("dbguard c");
    assert!(subcommands.lines().any(|l| l == "check"), "{subcommands}");
    assert!(
        subcommands.lines().any(|l| l == "completions"),
        "{subcommands}"
    );
    let flags = complete("dbguard check --fo");
    assert!(flags.lines().any(|l| l == "--format"), "{flags}");
    let formats = complete("dbguard check --format ''");
    for f in ["text", "json", "sarif", "github"] {
        assert!(formats.lines().any(|l| l == f), "{formats}");
    }
}

#[test]
fn completions_exist_for_every_shell() {
    let repo = TestRepo::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(&repo, &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for word in ["check", "rules", "init", "format"] {
            assert!(r.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    let r = run(&repo, &["completions", "tcsh"]);
    assert_eq!(r.code, 2);
}

#[test]
fn init_writes_a_config_the_loader_accepts_and_never_overwrites_silently() {
    let repo = TestRepo::new();
    repo.write(
        "backend/alembic.ini",
        "[alembic]\nscript_location = migrations\n",
    )
    .write("backend/migrations/env.py", "from alembic import context\n")
    .write(
        "backend/migrations/versions/0001_init.py",
        "revision = '0001'\n",
    )
    .write(
        "backend/app/models.py",
        "class User(Base):\n    __tablename__ = 'users'\n",
    )
    .write("tests/fixtures/sample.txt", "x");
    std::fs::create_dir_all(repo.path().join("backend/app/deep")).unwrap();
    let sub = repo.path().join("backend/app/deep");

    // From a subfolder, the file goes to the repository root.
    let r = repo.dbguard_in(&sub, &["init"], ENV);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = String::from_utf8(repo.read(".dbguard.yaml")).unwrap();
    assert!(
        text.contains("#   backend/migrations (from backend/alembic.ini)"),
        "{text}"
    );
    assert!(text.contains("backend/app/models.py"), "{text}");
    assert!(text.contains("allow:\n  - 'tests/fixtures/**'\n"), "{text}");
    settings(&repo).bind(|| insta::assert_snapshot!("init", text));

    // The real loader reads it: a check with it runs and honours `allow`.
    repo.stage("tests/fixtures/sample.db", "fixture");
    let r = repo.check_json(&["--all", "--select", "db-file"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.findings(), vec![]);

    // A second init refuses, in one line, and changes nothing.
    std::fs::write(repo.path().join(".dbguard.yaml"), "select: [db-file]\n").unwrap();
    let r = run(&repo, &["init"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(repo.read(".dbguard.yaml"), b"select: [db-file]\n");

    let r = run(&repo, &["init", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(String::from_utf8(repo.read(".dbguard.yaml")).unwrap(), text);
}

/// A repository with a database file and a `.env` file staged.
fn repo_with_findings() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("app.py", "print('hi')\n");
    repo.commit("initial");
    repo.stage("data/app.db", "not a real database")
        .stage("odd, name:1.sqlite3", "other bytes")
        .stage(".env", "DEBUG=1\n");
    repo
}

#[test]
fn sarif_output_shape() {
    let repo = repo_with_findings();
    let r = run(&repo, &["check", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // Every rule is described; the docs themselves are tested elsewhere and
    // would make this snapshot change with every doc edit.
    let rules = v["runs"][0]["tool"]["driver"]["rules"].take();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for (rule, info) in rules.iter().zip(RULES) {
        assert_eq!(rule["id"], info.id.as_str());
        assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty());
    }
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    settings(&repo).bind(|| insta::assert_snapshot!("sarif", pretty));
}

#[test]
fn github_annotations_are_the_default_inside_github_actions() {
    let repo = repo_with_findings();
    let r = repo.dbguard_in(repo.path(), &["check"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    settings(&repo).bind(|| insta::assert_snapshot!("github", transcript(&r)));

    let explicit = run(&repo, &["check", "--format", "github"]);
    assert_eq!(explicit.stdout, r.stdout);

    // An explicit format wins over the environment.
    let text = repo.dbguard_in(
        repo.path(),
        &["check", "--format", "text"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(text.stdout.contains("error[db-file]"), "{}", text.stdout);
    assert!(!text.stdout.contains("::error"));
}

#[test]
fn nothing_is_printed_on_stderr_when_nobody_watches() {
    // Not a terminal (a pipe), and neither CI nor PRE_COMMIT set: the
    // progress indicator stays off whatever the size of the run.
    let repo = TestRepo::new();
    for i in 0..300 {
        repo.write(&format!("src/m{i}/f.py"), format!("x = {i}\n"));
    }
    repo.git(&["add", "."]);
    repo.commit("many files");
    for i in 0..30 {
        repo.stage(&format!("c{i}.txt"), "c");
        repo.commit(&format!("c{i}"));
    }
    for args in [
        vec!["check", "--all"],
        vec!["check", "--all", "-v"],
        vec!["check", "--range", "HEAD~30..HEAD"],
    ] {
        let r = repo.dbguard_in(repo.path(), &args, &[("CI", ""), ("PRE_COMMIT", "")]);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, "", "{args:?}");
    }
}

#[test]
fn range_mode_reports_the_same_bytes_under_two_names() {
    let repo = TestRepo::new();
    repo.stage("README", "r");
    repo.commit("initial");
    repo.stage("a.db", "same").stage("b/c.db", "same");
    repo.commit("two copies");
    let r = repo.check_json(&["--range", "HEAD~1..HEAD", "--select", "db-file"]);
    assert_eq!(
        r.findings(),
        vec![
            ("db-file".to_string(), "a.db".to_string()),
            ("db-file".to_string(), "b/c.db".to_string())
        ]
    );
}

#[test]
fn sarif_fingerprints_are_the_same_whatever_the_mode_and_commit() {
    let repo = TestRepo::new();
    repo.stage("README", "r");
    repo.commit("initial");
    repo.stage("data/app.db", "bytes");
    let fingerprints = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--format", "sarif", "--select", "db-file"];
        all.extend_from_slice(args);
        let r = run(&repo, &all);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["dbguardFindingHash/v1"].to_string())
            .collect()
    };
    let staged = fingerprints(&[]);
    assert_eq!(staged.len(), 1);
    repo.commit("add a database");
    assert_eq!(fingerprints(&["--all"]), staged);
    assert_eq!(fingerprints(&["--range", "HEAD~1..HEAD"]), staged);
    // A later commit that moves nothing keeps the alert.
    repo.stage("other.txt", "o");
    repo.commit("unrelated");
    assert_eq!(fingerprints(&["--all"]), staged);
}
