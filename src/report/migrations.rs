//! `dbguard migrations`: the revision graph of every Alembic environment,
//! as JSON (the contract in docs/output.md) or as a readable history in the
//! spirit of `alembic history`.
//!
//! Ordering is deterministic: environments by `script_location`;
//! revisions, heads and bases in Alembic's load order (version locations
//! in configured order, files sorted by name, subfolders after their
//! parent's files); the text history newest first (children before their
//! parents, ties broken by load order).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use colored::Colorize;
use serde::Serialize;

use crate::alembic::{Environment, History, Value};

/// One environment with its loaded history.
pub struct EnvHistory {
    pub env: Environment,
    pub history: History,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    version: u32,
    environments: Vec<JsonEnv<'a>>,
}

#[derive(Serialize)]
struct JsonEnv<'a> {
    script_location: &'a str,
    /// How the environment was found (`from alembic.ini`, ...).
    found_by: String,
    directories: &'a [String],
    revisions: Vec<JsonRevision<'a>>,
    heads: Vec<&'a str>,
    bases: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonRevision<'a> {
    revision: &'a str,
    down_revisions: &'a [String],
    depends_on: &'a [String],
    branch_labels: &'a [String],
    path: &'a str,
    message: &'a str,
    downgrade: &'static str,
}

fn known_or_empty(v: &Value<Vec<String>>) -> &[String] {
    v.known().map(Vec::as_slice).unwrap_or(&[])
}

/// Writes the JSON document of docs/output.md (docs/schema/migrations.schema.json).
pub fn write_json(envs: &[EnvHistory], out: &mut dyn Write) -> io::Result<()> {
    let doc = JsonDoc {
        version: 1,
        environments: envs
            .iter()
            .map(|e| {
                let h = &e.history;
                let rev = |n: &usize| h.nodes[*n].revision.as_str();
                JsonEnv {
                    script_location: e.env.display_location(),
                    found_by: e.env.origin.describe(),
                    directories: &e.env.version_locations,
                    revisions: h
                        .files
                        .iter()
                        .filter_map(|f| {
                            let m = &f.migration;
                            Some(JsonRevision {
                                revision: m.revision.known()?,
                                down_revisions: known_or_empty(&m.down_revisions),
                                depends_on: known_or_empty(&m.depends_on),
                                branch_labels: known_or_empty(&m.branch_labels),
                                path: &f.path,
                                message: m.message.as_deref().unwrap_or(""),
                                downgrade: m.downgrade_status().as_str(),
                            })
                        })
                        .collect(),
                    heads: h.graph.heads.iter().map(rev).collect(),
                    bases: h.graph.bases.iter().map(rev).collect(),
                }
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// The graph nodes newest first: a node comes after every node that names
/// it as `down_revision`; ties go to the later-loaded node. Nodes on a
/// cycle come last.
fn newest_first(h: &History) -> Vec<usize> {
    let n = h.nodes.len();
    let mut parents = vec![0usize; n];
    for kids in &h.graph.children {
        for &c in kids {
            parents[c] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| parents[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        placed[i] = true;
        for &c in &h.graph.children[i] {
            parents[c] -= 1;
            if parents[c] == 0 {
                ready.push(Reverse(c));
            }
        }
    }
    order.reverse();
    order.extend((0..n).filter(|&i| !placed[i]));
    order
}

/// Writes a readable history per environment.
pub fn write_text(envs: &[EnvHistory], out: &mut dyn Write) -> io::Result<()> {
    if envs.is_empty() {
        writeln!(
            out,
            "no Alembic environment found (no alembic.ini, no env.py beside a versions/ folder; see `migrations.environments` in .dbguard.yaml)"
        )?;
    }
    for (k, e) in envs.iter().enumerate() {
        if k > 0 {
            writeln!(out)?;
        }
        let h = &e.history;
        let g = &h.graph;
        let from = format!(" ({})", e.env.origin.describe());
        writeln!(
            out,
            "{}{from}",
            format!("Environment {}", e.env.display_location()).bold()
        )?;
        writeln!(out, "  versions: {}", e.env.version_locations.join(", "))?;
        let names = |list: &[usize]| -> String {
            let v: Vec<String> = list
                .iter()
                .map(|&i| {
                    let labels = g.labels_of_head(i).filter(|l| !l.is_empty());
                    match labels {
                        Some(l) => format!(
                            "{} ({})",
                            h.nodes[i].revision,
                            l.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
                        ),
                        None => h.nodes[i].revision.clone(),
                    }
                })
                .collect();
            if v.is_empty() {
                "none".into()
            } else {
                v.join(", ")
            }
        };
        writeln!(
            out,
            "  {} revisions, heads: {}; bases: {}",
            h.nodes.len(),
            names(&g.heads),
            names(&g.bases)
        )?;
        writeln!(out)?;
        for i in newest_first(h) {
            let node = &h.nodes[i];
            let m = &h.file_of(i).migration;
            let down = match &node.down_revisions {
                Some(d) if d.is_empty() => "<base>".to_string(),
                Some(d) if d.len() == 1 => d[0].clone(),
                Some(d) => format!("({})", d.join(", ")),
                None => "<unreadable>".to_string(),
            };
            let mut marks = String::new();
            if g.heads.contains(&i) {
                marks.push_str(" (head)");
            }
            if g.branch_points.contains(&i) {
                marks.push_str(" (branchpoint)");
            }
            if g.merge_points.contains(&i) {
                marks.push_str(" (mergepoint)");
            }
            if !node.branch_labels.is_empty() {
                marks.push_str(&format!(" [{}]", node.branch_labels.join(", ")));
            }
            if !node.depends_on.is_empty() {
                marks.push_str(&format!(" (depends on {})", node.depends_on.join(", ")));
            }
            let status = m.downgrade_status().as_str();
            let status = match status {
                "ok" => format!("{status:<12}").green(),
                "irreversible" => format!("{status:<12}").yellow(),
                _ => format!("{status:<12}").red(),
            };
            writeln!(
                out,
                "  {status}  {down} -> {}{marks}, {}",
                node.revision,
                m.message.as_deref().unwrap_or("")
            )?;
        }
        for f in h.files.iter().filter(|f| f.node.is_none()) {
            let why = match &f.migration.revision {
                Value::Unreadable { reason, .. } => reason.as_str(),
                _ => "no `revision` assignment",
            };
            writeln!(out, "  {:<12}  {}: {why}", "unreadable".red(), f.path)?;
        }
    }
    Ok(())
}
