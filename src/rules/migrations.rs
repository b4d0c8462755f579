//! The Alembic family: `downgrade-missing`, `downgrade-empty`,
//! `migration-parse-error`, `migration-filename` (per migration file) and
//! `migration-multiple-heads`, `migration-broken-link`,
//! `migration-duplicate-revision`, `migration-cycle` (per revision graph).
//!
//! Everything runs once per change set, on the state being checked (the
//! index, the commit, the working tree). In `--all` every migration is
//! examined; otherwise the per-file rules look at the migrations the
//! change adds or modifies, and the graph rules look at the whole graph of
//! each environment the change touches (a revision file, its `env.py`, its
//! `alembic.ini`), so a commit that touches no environment costs nothing
//! beyond a look at its paths.

use std::collections::HashSet;

use regex::Regex;

use super::{Context, Rule, RuleId};
use crate::alembic::{self, Environment, History, LinkKind, Migration, MigrationFile, Value};
use crate::changes::{Change, EntryMode, Mode};
use crate::finding::Finding;

/// The migration rule family.
pub struct Migrations;

const FILE_RULES: &[RuleId] = &[
    RuleId::DowngradeMissing,
    RuleId::DowngradeEmpty,
    RuleId::MigrationParseError,
    RuleId::MigrationFilename,
];

const GRAPH_RULES: &[RuleId] = &[
    RuleId::MigrationMultipleHeads,
    RuleId::MigrationBrokenLink,
    RuleId::MigrationDuplicateRevision,
    RuleId::MigrationCycle,
];

impl Rule for Migrations {
    fn ids(&self) -> &'static [RuleId] {
        &[
            RuleId::DowngradeMissing,
            RuleId::DowngradeEmpty,
            RuleId::MigrationMultipleHeads,
            RuleId::MigrationBrokenLink,
            RuleId::MigrationDuplicateRevision,
            RuleId::MigrationCycle,
            RuleId::MigrationParseError,
            RuleId::MigrationFilename,
        ]
    }

    fn check_merges(&self) -> bool {
        true
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
        let all = ctx.set.mode == Mode::All;
        // Only Python, ini and pyproject.toml files can change an environment;
        // a commit of
        // other files never loads the tree.
        if !all && !ctx.set.changes.iter().any(could_matter) {
            return Ok(());
        }
        // A merge commit's files were checked in the commits that wrote
        // them; only its graph is new.
        let want_files = !ctx.set.is_merge && FILE_RULES.iter().any(|r| (ctx.enabled)(*r));
        let want_graph = GRAPH_RULES.iter().any(|r| (ctx.enabled)(*r));
        if !want_files && !want_graph {
            return Ok(());
        }
        let Some((snapshot, envs)) = ctx.environments_if_any()? else {
            return Ok(());
        };
        for env in envs {
            let changed: HashSet<&str> = ctx
                .set
                .changes
                .iter()
                .filter(|c| c.status.has_new_content() && env.is_migration_path(&c.path))
                .map(|c| c.path.as_str())
                .collect();
            let touched = all
                || ctx.set.changes.iter().any(|c| {
                    env.touches(&c.path) || c.old_path.as_deref().is_some_and(|p| env.touches(p))
                });
            if !touched {
                continue;
            }
            let history = if want_graph {
                Some(History::load(env, &snapshot, ctx.reader)?)
            } else {
                None
            };
            if all {
                match &history {
                    Some(h) => h.files.iter().for_each(|f| check_file(ctx, env, f, out)),
                    None => {
                        for entry in env.migration_entries(&snapshot) {
                            let migration =
                                alembic::read_migration(ctx.reader, entry.blob, entry.path)?;
                            let file = MigrationFile {
                                path: entry.path.to_string(),
                                migration,
                                node: None,
                            };
                            check_file(ctx, env, &file, out);
                        }
                    }
                }
            } else {
                // The changed migrations, read from the change itself: in
                // `check PATHS` a listed file may not be tracked yet.
                for c in ctx.set.changes.iter() {
                    let Some(blob) = &c.new else { continue };
                    if !changed.contains(c.path.as_str())
                        || matches!(c.mode, EntryMode::Symlink | EntryMode::Submodule)
                    {
                        continue;
                    }
                    let known = history
                        .as_ref()
                        .and_then(|h| h.files.iter().find(|f| f.path == c.path));
                    let file = match known {
                        Some(f) => f.clone(),
                        None => MigrationFile {
                            path: c.path.clone(),
                            migration: alembic::read_migration(ctx.reader, blob, &c.path)?,
                            node: None,
                        },
                    };
                    check_file(ctx, env, &file, out);
                }
            }
            if let Some(h) = &history {
                check_graph(env, h, &changed, out);
            }
        }
        Ok(())
    }
}

fn could_matter(c: &Change) -> bool {
    let py_or_ini = |p: &str| {
        let name = crate::changes::file_name(p).to_ascii_lowercase();
        name.ends_with(".py") || name.ends_with(".ini") || name == "pyproject.toml"
    };
    py_or_ini(&c.path) || c.old_path.as_deref().is_some_and(py_or_ini)
}

/// The per-file rules on one migration.
fn check_file(ctx: &Context<'_>, env: &Environment, file: &MigrationFile, out: &mut Vec<Finding>) {
    let m = &file.migration;
    let path = &file.path;
    let enabled = |r: RuleId| (ctx.enabled)(r);
    if enabled(RuleId::MigrationParseError) {
        parse_errors(m, path, out);
    }
    // A file that does not parse is migration-parse-error's: what its
    // functions look like may be an artefact of the error.
    if m.binary || m.syntax_error.is_some() {
        return;
    }
    let rev = m
        .revision
        .known()
        .map(String::as_str)
        .unwrap_or("this migration");
    if enabled(RuleId::DowngradeMissing) && m.downgrade.is_none() {
        let mut f = Finding::new(
            RuleId::DowngradeMissing,
            path,
            format!("migration {rev} has no downgrade(), so it cannot be rolled back"),
        );
        if let Some(up) = &m.upgrade {
            f = f.at_line(up.line);
        }
        out.push(f);
    }
    if enabled(RuleId::DowngradeEmpty)
        && let Some(down) = &m.downgrade
        && down.body == alembic::Body::Empty
        && !down.explained
        && m.upgrade.as_ref().is_some_and(|up| up.changes_schema)
    {
        out.push(
            Finding::new(
                RuleId::DowngradeEmpty,
                path,
                format!("downgrade() of {rev} is empty but upgrade() changes the schema"),
            )
            .at_line(down.line),
        );
    }
    if enabled(RuleId::MigrationFilename)
        && let Value::Known { value: rev, line } = &m.revision
        && let Some(problem) = filename_problem(env, path, rev)
    {
        let mut f = Finding::new(RuleId::MigrationFilename, path, problem);
        if let Some(l) = line {
            f = f.at_line(*l);
        }
        out.push(f);
    }
}

fn parse_errors(m: &Migration, path: &str, out: &mut Vec<Finding>) {
    let finding = |msg: String, line: Option<u32>| {
        let f = Finding::new(RuleId::MigrationParseError, path, msg);
        match line {
            Some(l) => f.at_line(l),
            None => f,
        }
    };
    if m.binary {
        out.push(finding(
            "the migration is a binary file, not Python source: Alembic cannot load it".into(),
            None,
        ));
        return;
    }
    match &m.revision {
        Value::Absent => out.push(finding(
            "no module-level `revision = \"...\"`: Alembic cannot tell which revision this file is"
                .into(),
            None,
        )),
        Value::Unreadable { line, reason } => out.push(finding(
            format!("cannot read `revision`: {reason}"),
            Some(*line),
        )),
        Value::Known { .. } => {}
    }
    let rev_line = m.revision.line();
    match &m.down_revisions {
        Value::Absent if !matches!(m.revision, Value::Absent) => out.push(finding(
            "no module-level `down_revision`: Alembic fails to load the history (use `down_revision = None` for a first revision)".into(),
            rev_line,
        )),
        Value::Unreadable { line, reason } => out.push(finding(
            format!("cannot read `down_revision`: {reason}"),
            Some(*line),
        )),
        _ => {}
    }
    for (name, value) in [
        ("branch_labels", &m.branch_labels),
        ("depends_on", &m.depends_on),
    ] {
        if let Value::Unreadable { line, reason } = value {
            out.push(finding(
                format!("cannot read `{name}`: {reason}"),
                Some(*line),
            ));
        }
    }
    if let Some(line) = m.syntax_error {
        out.push(finding(
            format!("syntax error at line {line}: Alembic cannot import this migration"),
            Some(line),
        ));
    }
}

/// Why the file name does not follow the environment's template, if it
/// does not.
fn filename_problem(env: &Environment, path: &str, rev: &str) -> Option<String> {
    let name = crate::changes::file_name(path);
    // Whatever the template, a name that holds its own revision id as a
    // token (`NNN_<rev>_<slug>.py`, `<date>_<rev>.py`) lets a reader find
    // the file of a revision: that is what the convention is for.
    if names_revision(name, rev) {
        return None;
    }
    let stem = name.strip_suffix(".py").unwrap_or(name);
    if let Some(other) = stem.split(|c: char| !c.is_alphanumeric()).find(|t| {
        // A date (`20240131`) is all digits; a revision id rarely is.
        (8..=40).contains(&t.len())
            && t.bytes().all(|b| b.is_ascii_hexdigit())
            && t.bytes().any(|b| b.is_ascii_alphabetic())
    }) {
        return Some(format!(
            "file name `{name}` names revision {other}, but the file is revision {rev}: a reader looking for either is misled"
        ));
    }
    match &env.file_template {
        Some(template) => {
            // A template may contain folders; match the path below the
            // version location.
            let rel = env
                .version_locations
                .iter()
                .find_map(|loc| {
                    if loc.is_empty() {
                        Some(path)
                    } else {
                        path.strip_prefix(loc.as_str())?.strip_prefix('/')
                    }
                })
                .unwrap_or(name);
            let re = template_regex(template, rev)?;
            if re.is_match(rel) || re.is_match(name) {
                None
            } else {
                Some(format!(
                    "file name `{name}` does not follow the file_template `{template}` for revision {rev}"
                ))
            }
        }
        None => {
            let stem = name.strip_suffix(".py").unwrap_or(name);
            if stem == rev || stem.strip_prefix(rev).is_some_and(|s| s.starts_with('_')) {
                None
            } else {
                Some(format!(
                    "file name `{name}` does not start with its revision {rev} (expected `{rev}_<slug>.py`)"
                ))
            }
        }
    }
}

/// Whether the file name holds `rev` as a token: between the start, the
/// end, `.py` or any character that is not a letter or a digit.
fn names_revision(name: &str, rev: &str) -> bool {
    let stem = name.strip_suffix(".py").unwrap_or(name);
    !rev.is_empty()
        && stem.match_indices(rev).any(|(i, _)| {
            let before = stem[..i].chars().next_back();
            let after = stem[i + rev.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
}

/// A regex for the file names `template` produces for revision `rev`:
/// `%(rev)s` is the revision, `%(slug)s` a slug, date fields digits.
fn template_regex(template: &str, rev: &str) -> Option<Regex> {
    let token = Regex::new(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]").ok()?;
    let mut pattern = String::from("^");
    let mut last = 0;
    for caps in token.captures_iter(template) {
        let whole = caps.get(0)?;
        pattern.push_str(&regex::escape(&template[last..whole.start()]));
        pattern.push_str(match &caps[1] {
            "rev" => "",
            "slug" => r"\w*",
            "year" | "month" | "day" | "hour" | "minute" | "second" | "epoch" => r"\d+",
            _ => ".*?",
        });
        if &caps[1] == "rev" {
            pattern.push_str(&regex::escape(rev));
        }
        last = whole.end();
    }
    pattern.push_str(&regex::escape(&template[last..]));
    pattern.push_str(r"\.py$");
    Regex::new(&pattern).ok()
}

/// The graph rules on one environment's history.
fn check_graph(env: &Environment, h: &History, changed: &HashSet<&str>, out: &mut Vec<Finding>) {
    let g = &h.graph;
    let file = |node: usize| h.file_of(node);
    let rev = |node: usize| h.nodes[node].revision.as_str();
    let location = env.display_location();

    for (id, nodes) in &g.duplicates {
        for &n in nodes {
            let others: Vec<&str> = nodes
                .iter()
                .filter(|&&o| o != n)
                .map(|&o| file(o).path.as_str())
                .collect();
            let mut f = Finding::new(
                RuleId::MigrationDuplicateRevision,
                &file(n).path,
                format!("revision {id} is also defined in {}", others.join(", ")),
            )
            .kind("revision");
            if let Some(l) = file(n).migration.revision.line() {
                f = f.at_line(l);
            }
            out.push(f);
        }
    }
    for (label, nodes) in &g.duplicate_labels {
        let first = nodes[0];
        for &n in &nodes[1..] {
            let mut f = Finding::new(
                RuleId::MigrationDuplicateRevision,
                &file(n).path,
                format!(
                    "branch label `{label}` of {} is already used by revision {} ({})",
                    rev(n),
                    rev(first),
                    file(first).path
                ),
            )
            .kind("branch-label");
            if let Some(l) = file(n).migration.branch_labels.line() {
                f = f.at_line(l);
            }
            out.push(f);
        }
    }

    let unreadable: Vec<&str> = h
        .files
        .iter()
        .filter(|f| f.node.is_none())
        .map(|f| f.path.as_str())
        .collect();
    for link in &g.broken_links {
        let m = &file(link.from).migration;
        let (what, line) = match link.kind {
            LinkKind::DownRevision => ("revises", m.down_revisions.line()),
            LinkKind::DependsOn => ("depends on", m.depends_on.line()),
        };
        let mut msg = format!(
            "{} {what} {}, which is not a revision in {location}",
            rev(link.from),
            link.target
        );
        if link.kind == LinkKind::DependsOn {
            msg.push_str(" (nor a branch label)");
        }
        if !unreadable.is_empty() {
            msg.push_str(&format!(
                "; it may be in {}, whose revision could not be read",
                unreadable.join(", ")
            ));
        }
        let mut f = Finding::new(RuleId::MigrationBrokenLink, &file(link.from).path, msg);
        if let Some(l) = line {
            f = f.at_line(l);
        }
        out.push(f);
    }

    for cycle in &g.cycles {
        let mut names: Vec<&str> = cycle.iter().map(|&n| rev(n)).collect();
        names.push(rev(cycle[0]));
        let mut f = Finding::new(
            RuleId::MigrationCycle,
            &file(cycle[0]).path,
            format!("revision cycle: {}", names.join(" -> ")),
        );
        if let Some(l) = file(cycle[0]).migration.down_revisions.line() {
            f = f.at_line(l);
        }
        out.push(f);
    }

    // A down_revision that names nothing cuts the history in two and makes
    // a head of the revision it should have followed: report the link,
    // not the heads it fakes. Heads in two pieces of a cut history are
    // such fakes; a piece that has several heads of its own still forks.
    let cut = g
        .broken_links
        .iter()
        .any(|l| l.kind == LinkKind::DownRevision);
    let groups: Vec<Vec<usize>> = if cut {
        let piece = pieces(&g.children);
        g.conflicting_heads
            .iter()
            .flat_map(|group| {
                let mut by_piece: Vec<(usize, Vec<usize>)> = Vec::new();
                for &n in group {
                    match by_piece.iter_mut().find(|(p, _)| *p == piece[n]) {
                        Some((_, v)) => v.push(n),
                        None => by_piece.push((piece[n], vec![n])),
                    }
                }
                by_piece.into_iter().map(|(_, v)| v)
            })
            .filter(|g| g.len() > 1)
            .collect()
    } else {
        g.conflicting_heads.clone()
    };
    for group in &groups {
        // Point at the last-loaded head the change brings, else the last
        // head loaded.
        let at = group
            .iter()
            .rev()
            .copied()
            .find(|&n| changed.contains(file(n).path.as_str()))
            .unwrap_or(group[group.len() - 1]);
        let names: Vec<&str> = group.iter().map(|&n| rev(n)).collect();
        let labels = g
            .labels_of_head(group[0])
            .filter(|l| !l.is_empty())
            .map(|l| {
                format!(
                    " on branch {}",
                    l.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
                )
            })
            .unwrap_or_default();
        let mut f = Finding::new(
            RuleId::MigrationMultipleHeads,
            &file(at).path,
            format!(
                "{} heads{labels} in {location} that no branch label tells apart: {}",
                group.len(),
                names.join(", ")
            ),
        )
        .hint(format!(
            "merge them with `alembic merge -m \"merge heads\" {}` and stage the new revision",
            names.join(" ")
        ));
        if let Some(l) = file(at).migration.revision.line() {
            f = f.at_line(l);
        }
        out.push(f);
    }
}

/// For each node, a representative of its piece of the history: the
/// nodes connected through `down_revision` links either way.
fn pieces(children: &[Vec<usize>]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..children.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (n, kids) in children.iter().enumerate() {
        for &k in kids {
            let (a, b) = (find(&mut parent, n), find(&mut parent, k));
            if a != b {
                parent[a] = b;
            }
        }
    }
    (0..children.len()).map(|n| find(&mut parent, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{MemoryReader, memory_change_set};
    use crate::config::Config;

    const INI: &str = "[alembic]\nscript_location = migrations\n";
    const ENV: &str = "from alembic import context\n";

    fn migration(rev: &str, down: &str, downgrade: &str) -> String {
        format!(
            "\"\"\"msg {rev}\"\"\"\nrevision = '{rev}'\ndown_revision = {down}\n\ndef upgrade():\n    op.add_column('t', sa.Column('c'))\n\ndef downgrade():\n    {downgrade}\n"
        )
    }

    fn run(mode: Mode, old: &[(&str, &str)], new: &[(&str, &str)]) -> Vec<(RuleId, String)> {
        let to = |f: &[(&str, &str)]| -> Vec<(String, Vec<u8>)> {
            f.iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                .collect()
        };
        let (old, new) = (to(old), to(new));
        let old: Vec<(&str, &[u8])> = old
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_slice()))
            .collect();
        let new: Vec<(&str, &[u8])> = new
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_slice()))
            .collect();
        let set = memory_change_set(mode, &old, &new);
        let config = Config::default();
        let ctx = Context::new(&config, &set, &MemoryReader, &|_| true);
        let mut out = Vec::new();
        Migrations.check_set(&ctx, &mut out).unwrap();
        let mut got: Vec<_> = out.into_iter().map(|f| (f.rule, f.path)).collect();
        got.sort();
        got
    }

    #[test]
    fn healthy_history_is_silent() {
        let a = migration("a1", "None", "op.drop_column('t', 'c')");
        let b = migration("b2", "'a1'", "op.drop_column('t', 'c')");
        let files = [
            ("alembic.ini", INI),
            ("migrations/env.py", ENV),
            ("migrations/versions/a1_init.py", a.as_str()),
            ("migrations/versions/b2_next.py", b.as_str()),
        ];
        assert_eq!(run(Mode::All, &[], &files), []);
    }

    #[test]
    fn downgrade_rules_in_staged_mode_report_only_changed_files() {
        let a = migration("a1", "None", "pass");
        let b = migration("b2", "'a1'", "pass");
        let old = [
            ("alembic.ini", INI),
            ("migrations/env.py", ENV),
            ("migrations/versions/a1_init.py", a.as_str()),
        ];
        let mut new = old.to_vec();
        new.push(("migrations/versions/b2_next.py", b.as_str()));
        assert_eq!(
            run(Mode::Staged, &old, &new),
            [(
                RuleId::DowngradeEmpty,
                "migrations/versions/b2_next.py".into()
            )]
        );
        let got = run(Mode::All, &[], &new);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn irreversible_and_merge_migrations_are_not_empty_downgrades() {
        let a = migration("a1", "None", "raise NotImplementedError('irreversible')");
        let m = "revision = 'm1'\ndown_revision = ('a1', 'b1')\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n";
        let b = migration("b1", "None", "op.drop_column('t', 'c')");
        let files = [
            ("alembic.ini", INI),
            ("migrations/env.py", ENV),
            ("migrations/versions/a1_x.py", a.as_str()),
            ("migrations/versions/b1_x.py", b.as_str()),
            ("migrations/versions/m1_merge.py", m),
        ];
        assert_eq!(run(Mode::All, &[], &files), []);
    }

    #[test]
    fn graph_rules_only_when_the_change_touches_the_environment() {
        let a = migration("a1", "None", "op.drop_column('t', 'c')");
        let b = migration("b2", "'a1'", "op.drop_column('t', 'c')");
        let c = migration("c3", "'a1'", "op.drop_column('t', 'c')");
        let old = [
            ("alembic.ini", INI),
            ("migrations/env.py", ENV),
            ("migrations/versions/a1_x.py", a.as_str()),
            ("migrations/versions/b2_x.py", b.as_str()),
            ("migrations/versions/c3_x.py", c.as_str()),
        ];
        let mut new = old.to_vec();
        new.push(("app/views.py", "x = 1\n"));
        assert_eq!(run(Mode::Staged, &old, &new), []);
        let mut new = old.to_vec();
        new.push((
            "migrations/env.py",
            "from alembic import context\n# changed\n",
        ));
        new.remove(1);
        assert_eq!(
            run(Mode::Staged, &old, &new),
            [(
                RuleId::MigrationMultipleHeads,
                "migrations/versions/c3_x.py".into()
            )]
        );
    }

    #[test]
    fn parse_errors_broken_links_duplicates_and_cycles() {
        let files = [
            ("alembic.ini", INI.to_string()),
            ("migrations/env.py", ENV.to_string()),
            (
                "migrations/versions/a1_x.py",
                migration("a1", "'c3'", "op.x()"),
            ),
            (
                "migrations/versions/b2_x.py",
                migration("b2", "'a1'", "op.x()"),
            ),
            (
                "migrations/versions/c3_x.py",
                migration("c3", "'b2'", "op.x()"),
            ),
            (
                "migrations/versions/d4_x.py",
                migration("d4", "'zz'", "op.x()"),
            ),
            (
                "migrations/versions/d4_y.py",
                migration("d4", "None", "op.x()"),
            ),
            (
                "migrations/versions/e5_x.py",
                "revision = compute()\n".to_string(),
            ),
            (
                "migrations/versions/f6_x.py",
                migration("f6", "'d4'", "op.x()"),
            ),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
        let got = run(Mode::All, &[], &files);
        let rules: Vec<RuleId> = got.iter().map(|(r, _)| *r).collect();
        assert!(rules.contains(&RuleId::MigrationCycle), "{got:?}");
        assert!(rules.contains(&RuleId::MigrationParseError), "{got:?}");
        assert_eq!(
            rules
                .iter()
                .filter(|r| **r == RuleId::MigrationDuplicateRevision)
                .count(),
            2
        );
        assert!(!got.contains(&(
            RuleId::MigrationFilename,
            "migrations/versions/d4_y.py".into()
        )));
        // The second d4 replaces the first (as in Alembic), so `zz` is not
        // followed and f6's link to d4 resolves.
        assert!(!rules.contains(&RuleId::MigrationBrokenLink), "{got:?}");
    }

    #[test]
    fn a_fork_is_reported_beside_a_cut_and_a_broken_file_only_once() {
        let files = [
            ("alembic.ini", INI.to_string()),
            ("migrations/env.py", ENV.to_string()),
            (
                "migrations/versions/a1_x.py",
                migration("a1", "None", "op.x()"),
            ),
            // A genuine fork: b2 and c3 both follow a1.
            (
                "migrations/versions/b2_x.py",
                migration("b2", "'a1'", "op.x()"),
            ),
            (
                "migrations/versions/c3_x.py",
                migration("c3", "'a1'", "op.x()"),
            ),
            // A cut: d4 names a revision that does not exist.
            (
                "migrations/versions/d4_x.py",
                migration("d4", "'zz'", "op.x()"),
            ),
            // A file that does not parse, with its downgrade lost in it.
            (
                "migrations/versions/e5_x.py",
                "revision = 'e5'\ndown_revision = 'd4'\n\ndef upgrade(:\n    op.x()\n".to_string(),
            ),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
        let got = run(Mode::All, &[], &files);
        let of = |r: RuleId| got.iter().filter(|(x, _)| *x == r).count();
        assert_eq!(of(RuleId::MigrationBrokenLink), 1, "{got:?}");
        assert_eq!(of(RuleId::MigrationMultipleHeads), 1, "{got:?}");
        assert!(
            got.iter()
                .any(|(r, p)| *r == RuleId::MigrationParseError && p.contains("e5"))
        );
        assert!(
            !got.iter()
                .any(|(r, p)| *r == RuleId::DowngradeMissing && p.contains("e5")),
            "{got:?}"
        );
    }

    #[test]
    fn filename_templates() {
        let env = |t: Option<&str>| Environment {
            script_location: "m".into(),
            version_locations: vec!["m/versions".into()],
            recursive: false,
            file_template: t.map(String::from),
            origin: alembic::Origin::Folder,
        };
        let default = env(None);
        assert!(filename_problem(&default, "m/versions/abc_add_x.py", "abc").is_none());
        assert!(filename_problem(&default, "m/versions/abc.py", "abc").is_none());
        assert!(filename_problem(&default, "m/versions/abcd_x.py", "abc").is_some());
        assert!(filename_problem(&default, "m/versions/new.py", "abc").is_some());
        let dated = env(Some(
            "%(year)d_%(month).2d_%(day).2d_%(hour).2d%(minute).2d-%(rev)s_%(slug)s",
        ));
        assert!(filename_problem(&dated, "m/versions/2024_01_31_1200-abc_add.py", "abc").is_none());
        // Any name holding the revision as a token is fine, template or
        // not (ckan's `NNN_<rev>_<slug>.py`, dispatch's `<date>_<rev>.py`).
        assert!(filename_problem(&dated, "m/versions/abc_add.py", "abc").is_none());
        assert!(filename_problem(&default, "m/versions/026_abc_add.py", "abc").is_none());
        assert!(filename_problem(&default, "m/versions/2021-06-02_abc.py", "abc").is_none());
        assert!(
            filename_problem(&dated, "m/versions/2024_01_31_1200-xabc_add.py", "abc").is_some()
        );
        assert!(filename_problem(&default, "m/versions/026_abcd_add.py", "abc").is_some());
        let other = filename_problem(&default, "m/versions/093_7f70d7d1_drop.py", "d4d9be91");
        assert!(other.is_some_and(|p| p.contains("names revision 7f70d7d1")));
        let superset = env(Some(
            "%(year)d-%(month).2d-%(day).2d_%(hour).2d-%(minute).2d_%(rev)s_%(slug)s",
        ));
        assert!(
            filename_problem(
                &superset,
                "m/versions/2015-09-21_17-30_4e6a06bad7a8_init.py",
                "4e6a06bad7a8"
            )
            .is_none()
        );
        let epoch = env(Some("%(epoch)s_%(rev)s"));
        assert!(filename_problem(&epoch, "m/versions/1700000000_abc.py", "abc").is_none());
    }
}
