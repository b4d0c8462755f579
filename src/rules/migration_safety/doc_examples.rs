//! Every example in the five rules' documentation is a test: each
//! ```python block of docs/rules/ID.md starts with `# reported`, `# not
//! reported` (optionally `(dialect: NAME)`) or `# models.py` (the models
//! the rule compares drops with), and the rule must agree.

use super::checks::{Input, check};
use super::mapped::declared;
use crate::alembic::dialect::Dialect;
use crate::models::extract::extract_source;
use crate::python::Module;
use crate::rules::RuleId;

/// The ```python blocks of a markdown text.
fn python_blocks(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in doc.lines() {
        match (&mut cur, line.trim_end()) {
            (None, "```python") => cur = Some(String::new()),
            (Some(_), "```") => out.extend(cur.take()),
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// How many findings of `rule` the migration `src` gets.
fn count(rule: RuleId, src: &str, dialect: Option<Dialect>, models: &str) -> usize {
    let m = Module::parse(src.as_bytes()).unwrap();
    assert!(!m.has_errors(), "example does not parse:\n{src}");
    let mut out = Vec::new();
    let input = Input {
        m: &m,
        path: "versions/a1_example.py",
        dialect,
    };
    let enabled = |r: RuleId| r == rule;
    let drops = check(&input, &enabled, &mut out);
    if rule == RuleId::MigrationDropStillMapped {
        let schema = extract_source("models.py", models.as_bytes()).unwrap();
        return drops
            .iter()
            .filter(|d| declared(&schema, d).is_some())
            .count();
    }
    out.iter().filter(|f| f.rule == rule).count()
}

#[test]
fn every_documented_example_is_what_the_rule_does() {
    for rule in [
        RuleId::MigrationNotNullWithoutDefault,
        RuleId::MigrationBlockingIndex,
        RuleId::MigrationTableRewrite,
        RuleId::MigrationBreakingRename,
        RuleId::MigrationDropStillMapped,
    ] {
        let blocks = python_blocks(rule.info().doc);
        let models: String = blocks
            .iter()
            .filter(|b| b.starts_with("# models.py"))
            .cloned()
            .collect();
        let (mut reported, mut clean) = (0, 0);
        for block in blocks.iter().filter(|b| !b.starts_with("# models.py")) {
            let first = block.lines().next().unwrap_or_default();
            let dialect = first
                .split_once("(dialect: ")
                .and_then(|(_, d)| Dialect::from_scheme(d.trim_end_matches(')')));
            let n = count(rule, block, dialect, &models);
            if first.starts_with("# reported") {
                assert_eq!(n, 1, "{rule}: expected one finding for\n{block}");
                reported += 1;
            } else if first.starts_with("# not reported") {
                assert_eq!(n, 0, "{rule}: expected no finding for\n{block}");
                clean += 1;
            } else {
                panic!(
                    "{rule}: a python example must start with `# reported`, `# not reported` or `# models.py`:\n{block}"
                );
            }
        }
        assert!(
            reported >= 1 && clean >= 1,
            "{rule}: the docs need both kinds of example"
        );
    }
}
