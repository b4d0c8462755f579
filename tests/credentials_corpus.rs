//! Accuracy harness for the credential detectors (see
//! `tests/fixtures/credentials/README.md`): every credential planted under
//! `positives/` is listed in its `EXPECTED` file and must be found at that
//! line with that kind, nothing else there may be found, and nothing under
//! `negatives/` may be found at all.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dbguard::secrets::{redact, scan};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/credentials")
}

fn files(dir: &Path) -> Vec<(String, String)> {
    common::files_under(dir)
        .into_iter()
        .filter(|(rel, _)| rel != "EXPECTED")
        .map(|(rel, bytes)| (rel, String::from_utf8(bytes).expect("fixture is UTF-8")))
        .collect()
}

/// (path:line, kind) of every finding in a directory.
fn found(dir: &Path) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (rel, text) in files(dir) {
        for d in scan(&rel, &text) {
            // Whatever is found, its preview never holds the value.
            if d.secret.chars().count() >= 5 {
                assert!(!redact::preview(&d.secret).contains(&d.secret));
            }
            out.insert((format!("{rel}:{}", d.line), d.kind.to_string()));
        }
    }
    out
}

fn expected(dir: &Path) -> BTreeSet<(String, String)> {
    std::fs::read_to_string(dir.join("EXPECTED"))
        .expect("EXPECTED")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (loc, kind) = l.split_once(' ').expect("`path:line kind`");
            (loc.to_string(), kind.trim().to_string())
        })
        .collect()
}

fn check_positives(dir: &str) -> (usize, usize) {
    let dir = root().join(dir);
    let want = expected(&dir);
    let got = found(&dir);
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed (expected, not found): {missed:#?}\nunexpected (found, not expected): {extra:#?}"
    );
    (want.len(), files(&dir).len())
}

#[test]
fn every_planted_credential_is_found_at_its_line_with_its_kind() {
    let (planted, files) = check_positives("positives");
    assert!(planted >= 150 && files >= 40, "{planted} in {files} files");
}

#[test]
fn placeholders_references_and_prose_are_never_findings() {
    let dir = root().join("negatives");
    let got = found(&dir);
    assert!(got.is_empty(), "false alarms: {got:#?}");
    assert!(files(&dir).len() >= 30);
}

/// The held-out corpus was written after the detectors were finished, to
/// measure them on files they were not written against. Its `EXPECTED`
/// lists every planted credential, including the few forms dbguard does
/// not read (a Heroku `app.json` nested `{"value": ...}`), so this test
/// holds a recall threshold rather than an exact list.
#[test]
fn held_out_corpus_recall_and_false_alarms() {
    let dir = root().join("holdout/positives");
    let want = expected(&dir);
    let got: BTreeSet<String> = found(&dir).into_iter().map(|(loc, _)| loc).collect();
    let want_locs: BTreeSet<String> = want.iter().map(|(loc, _)| loc.clone()).collect();
    let hit = want_locs.intersection(&got).count();
    let extra: Vec<_> = got.difference(&want_locs).collect();
    assert!(
        hit * 100 >= want_locs.len() * 95,
        "recall {hit}/{}: missed {:#?}",
        want_locs.len(),
        want_locs.difference(&got).collect::<Vec<_>>()
    );
    assert!(extra.is_empty(), "unexpected: {extra:#?}");
    let negatives = found(&root().join("holdout/negatives"));
    assert!(negatives.is_empty(), "false alarms: {negatives:#?}");
}
