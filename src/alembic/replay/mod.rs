//! The schema an environment's migration history produces at its head(s),
//! replayed statically: the reference `model-without-migration` compares
//! the models with, as `alembic check` compares them with a database
//! upgraded to head.
//!
//! Revisions are applied from the bases up in dependency order (a merge
//! after all its parents, several heads together), each revision's
//! `upgrade()` read into [`steps::Step`]s once per blob. What cannot be
//! read makes a table, or the whole head, unknown ([`Head::knows`]);
//! unknown is never a difference. A graph that Alembic itself would
//! refuse (cycles, broken links, duplicate revisions, unreadable
//! revisions) gives an unknown head.
//!
//! This lives under `alembic/` because it reads migrations; it builds a
//! [`crate::models::schema::Schema`] (models never import alembic).

pub mod apply;
pub mod sql;
pub mod steps;

pub use apply::{Head, Knows};

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::{Environment, History, MAX_MIGRATION_SIZE};
use crate::changes::{ContentReader, ObjectId, Snapshot};
use crate::models::schema::Loc;
use steps::Step;

/// Steps by migration blob id: a `--range` replays the same files in
/// every commit.
fn steps_cache() -> &'static Mutex<HashMap<ObjectId, Arc<Vec<Step>>>> {
    static CELL: OnceLock<Mutex<HashMap<ObjectId, Arc<Vec<Step>>>>> = OnceLock::new();
    CELL.get_or_init(Default::default)
}

/// Heads kept, keyed by the (path, blob) list of the revision files they
/// were replayed from: a history's commits mostly share their migrations.
const HEADS_KEPT: usize = 8;

type HeadKey = Vec<(String, ObjectId)>;

type Heads = Mutex<VecDeque<(HeadKey, Arc<Head>)>>;

fn heads_cache() -> &'static Heads {
    static CELL: OnceLock<Heads> = OnceLock::new();
    CELL.get_or_init(Default::default)
}

/// The steps of one revision file.
fn steps_of(
    reader: &dyn ContentReader,
    blob: &crate::changes::BlobRef,
    path: &str,
) -> anyhow::Result<Arc<Vec<Step>>> {
    let id = blob.object_id();
    if let Some(id) = id
        && let Ok(map) = steps_cache().lock()
        && let Some(s) = map.get(&id)
    {
        return Ok(Arc::clone(s));
    }
    let steps = match reader.read(blob, MAX_MIGRATION_SIZE)? {
        Some(bytes) => steps::read(&bytes, path),
        None => vec![Step::Opaque(format!("{path} is too large to read"))],
    };
    let steps = Arc::new(steps);
    if let Some(id) = id
        && let Ok(mut map) = steps_cache().lock()
    {
        map.insert(id, Arc::clone(&steps));
    }
    Ok(steps)
}

/// The head schema of `env` in `snapshot`.
pub fn head(
    env: &Environment,
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
) -> anyhow::Result<Arc<Head>> {
    let entries = env.migration_entries(snapshot);
    let key: Option<HeadKey> = entries
        .iter()
        .map(|e| e.blob.object_id().map(|id| (e.path.to_string(), id)))
        .collect();
    if let Some(key) = &key
        && let Ok(kept) = heads_cache().lock()
        && let Some((_, h)) = kept.iter().find(|(k, _)| k == key)
    {
        return Ok(Arc::clone(h));
    }
    let history = History::load(env, snapshot, reader)?;
    let blobs: HashMap<&str, &crate::changes::BlobRef> =
        entries.iter().map(|e| (e.path, e.blob)).collect();
    let steps: Vec<anyhow::Result<Option<Arc<Vec<Step>>>>> = history
        .files
        .par_iter()
        .map(|f| match blobs.get(f.path.as_str()) {
            Some(b) => steps_of(reader, b, &f.path).map(Some),
            None => Ok(None),
        })
        .collect();
    let mut by_file = Vec::with_capacity(steps.len());
    for s in steps {
        by_file.push(s?);
    }
    let head = Arc::new(replay(&history, &by_file));
    if let Some(key) = key
        && let Ok(mut kept) = heads_cache().lock()
    {
        kept.push_back((key, Arc::clone(&head)));
        while kept.len() > HEADS_KEPT {
            kept.pop_front();
        }
    }
    Ok(head)
}

/// Replays `history` given each file's steps (same order as its files).
pub fn replay(history: &History, steps: &[Option<Arc<Vec<Step>>>]) -> Head {
    let mut head = Head::default();
    let g = &history.graph;
    head.no_revisions = history.files.is_empty();
    let opaque = if history.files.is_empty() {
        // Nothing to compare with yet: the first migration is still to
        // be written, which the change itself says.
        Some("the environment has no revisions".to_string())
    } else if let Some(f) = history.files.iter().find(|f| f.node.is_none()) {
        Some(format!("the revision of {} cannot be read", f.path))
    } else if !g.cycles.is_empty() {
        Some("the revision graph has a cycle".to_string())
    } else if !g.broken_links.is_empty() {
        Some("a down_revision names no revision".to_string())
    } else if !g.duplicates.is_empty() {
        Some("two files declare the same revision".to_string())
    } else if history.nodes.iter().any(|n| n.down_revisions.is_none()) {
        Some("a down_revision cannot be read".to_string())
    } else {
        None
    };
    if let Some(why) = opaque {
        head.opaque = Some(why);
        return head;
    }
    head.revisions = g
        .heads
        .iter()
        .map(|&i| history.nodes[i].revision.clone())
        .collect();
    // Kahn's order over down_revision links, lowest load index first.
    let n = history.nodes.len();
    let mut parents = vec![0usize; n];
    for children in &g.children {
        for &c in children {
            parents[c] += 1;
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| parents[i] == 0).collect();
    let mut done = 0;
    while let Some(i) = ready.pop_first() {
        done += 1;
        let file = history.node_files[i];
        if let Some(Some(s)) = steps.get(file) {
            let loc = Loc {
                path: history.files[file].path.clone(),
                line: 0,
            };
            head.apply(s, &loc);
        }
        for &c in &g.children[i] {
            parents[c] -= 1;
            if parents[c] == 0 {
                ready.insert(c);
            }
        }
    }
    head.finish();
    if done < n && head.opaque.is_none() {
        head.opaque = Some("the revision graph cannot be ordered".to_string());
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alembic::{MigrationFile, graph, parse::Migration};

    /// A history of `(revision, down_revisions, upgrade body)`.
    fn history(revs: &[(&str, &[&str], &str)]) -> (History, Vec<Option<Arc<Vec<Step>>>>) {
        let mut files = Vec::new();
        let mut nodes = Vec::new();
        let mut node_files = Vec::new();
        let mut steps = Vec::new();
        for (i, (rev, down, body)) in revs.iter().enumerate() {
            let down_text = match down {
                [] => "None".to_string(),
                [one] => format!("'{one}'"),
                many => format!(
                    "({})",
                    many.iter()
                        .map(|d| format!("'{d}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let src = format!(
                "import sqlalchemy as sa\nfrom alembic import op\nrevision = '{rev}'\ndown_revision = {down_text}\n\ndef upgrade():\n{body}\n"
            );
            let path = format!("v/{rev}.py");
            let migration = Arc::new(Migration::parse(src.as_bytes(), &format!("{rev}.py")));
            nodes.push(graph::Node {
                revision: rev.to_string(),
                down_revisions: Some(down.iter().map(|d| d.to_string()).collect()),
                depends_on: Vec::new(),
                branch_labels: Vec::new(),
            });
            node_files.push(i);
            steps.push(Some(Arc::new(steps::read(src.as_bytes(), &path))));
            files.push(MigrationFile {
                path,
                migration,
                node: Some(i),
            });
        }
        let graph = graph::Graph::build(&nodes);
        (
            History {
                files,
                node_files,
                nodes,
                graph,
            },
            steps,
        )
    }

    fn render(h: &Head) -> String {
        let mut tables: Vec<String> = h
            .schema
            .tables
            .iter()
            .map(|t| {
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}{}",
                            c.name,
                            c.type_.as_deref().unwrap_or("?"),
                            if c.nullable { "" } else { " NOT NULL" }
                        )
                    })
                    .collect();
                format!("{}({})", t.name, cols.join(", "))
            })
            .collect();
        tables.sort();
        tables.join("; ")
    }

    #[test]
    fn a_linear_history_in_revision_order_not_file_order() {
        // Files load in name order; the graph decides the order applied.
        let (h, s) = history(&[
            (
                "b",
                &["a"],
                "    op.add_column('users', sa.Column('email', sa.String(255), nullable=False))\n    op.alter_column('users', 'name', new_column_name='full_name', type_=sa.Text())",
            ),
            (
                "a",
                &[],
                "    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(50)))",
            ),
        ]);
        let head = replay(&h, &s);
        assert_eq!(
            render(&head),
            "users(id Integer NOT NULL, full_name Text, email String(255) NOT NULL)"
        );
        assert_eq!(head.revisions, ["b"]);
    }

    #[test]
    fn branches_and_merges_are_a_union() {
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.create_table('t', sa.Column('id', sa.Integer()))",
            ),
            (
                "b1",
                &["a"],
                "    op.add_column('t', sa.Column('x', sa.Integer()))",
            ),
            (
                "b2",
                &["a"],
                "    op.add_column('t', sa.Column('y', sa.Integer()))",
            ),
            ("m", &["b1", "b2"], "    pass"),
            ("c", &["m"], "    op.drop_column('t', 'x')"),
            (
                "other",
                &["a"],
                "    op.create_table('u', sa.Column('id', sa.Integer()))",
            ),
        ]);
        let head = replay(&h, &s);
        assert_eq!(render(&head), "t(id Integer, y Integer); u(id Integer)");
        assert_eq!(head.revisions.len(), 2);
    }

    #[test]
    fn renames_and_drops() {
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.create_table('old', sa.Column('id', sa.Integer()))\n    op.create_table('gone', sa.Column('id', sa.Integer()))\n    op.create_table('ref', sa.Column('o', sa.Integer(), sa.ForeignKey('old.id')))",
            ),
            (
                "b",
                &["a"],
                "    op.rename_table('old', 'new')\n    op.drop_table('gone')",
            ),
        ]);
        let head = replay(&h, &s);
        assert_eq!(render(&head), "new(id Integer); ref(o Integer)");
        let Knows::Table(r) = head.knows("ref") else {
            panic!()
        };
        assert_eq!(r.columns[0].foreign_keys[0].target, "new.id");
    }

    #[test]
    fn raw_sql_makes_a_table_unknown_and_an_opaque_call_everything() {
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.create_table('t', sa.Column('id', sa.Integer()))\n    op.create_table('u', sa.Column('id', sa.Integer()))",
            ),
            (
                "b",
                &["a"],
                "    op.execute('ALTER TABLE t ADD COLUMN x int')",
            ),
        ]);
        let head = replay(&h, &s);
        assert!(matches!(head.knows("t"), Knows::Unknown));
        assert!(matches!(head.knows("u"), Knows::Table(_)));
        assert!(matches!(head.knows("v"), Knows::Absent));
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.create_table('t', sa.Column('id', sa.Integer()))",
            ),
            ("b", &["a"], "    helpers.make_everything(op)"),
        ]);
        let head = replay(&h, &s);
        assert!(matches!(head.knows("t"), Knows::Unknown));
        assert!(head.opaque.is_some());
    }

    #[test]
    fn a_branch_that_alters_a_table_another_branch_creates() {
        // Two bases: "b" (on the base "a0") adds to a table that "c" (on
        // the other base) creates; the order between branches is free.
        let (h, s) = history(&[
            ("a0", &[], "    pass"),
            (
                "b",
                &["a0"],
                "    op.add_column('t', sa.Column('x', sa.Integer()))",
            ),
            (
                "c",
                &[],
                "    op.create_table('t', sa.Column('id', sa.Integer()))",
            ),
        ]);
        let head = replay(&h, &s);
        assert_eq!(render(&head), "t(id Integer, x Integer)");
        assert!(!head.preexisting);
    }

    #[test]
    fn adding_to_a_table_no_migration_created_makes_it_unknown() {
        let (h, s) = history(&[(
            "a",
            &[],
            "    op.add_column('legacy', sa.Column('x', sa.Integer()))",
        )]);
        let head = replay(&h, &s);
        assert!(matches!(head.knows("legacy"), Knows::Unknown));
        // The history starts from a schema made elsewhere: a table it does
        // not create may exist.
        assert!(head.preexisting);
        assert!(matches!(head.knows("other"), Knows::Maybe));
        // The history acts on it: the database has it.
        assert!(head.acts_on_existing("Legacy"));
        assert!(!head.acts_on_existing("other"));
    }

    #[test]
    fn a_table_acted_on_then_dropped_or_created_is_not_foreign() {
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.add_column('gone', sa.Column('x', sa.Integer()))\n    op.add_column('made', sa.Column('x', sa.Integer()))",
            ),
            (
                "b",
                &["a"],
                "    op.drop_table('gone')\n    op.create_table('made', sa.Column('id', sa.Integer()))",
            ),
        ]);
        let head = replay(&h, &s);
        assert!(!head.acts_on_existing("gone"));
        assert!(!head.acts_on_existing("made"));
        assert!(matches!(head.knows("made"), Knows::Table(_)));
        let (h, s) = history(&[]);
        let head = replay(&h, &s);
        assert!(head.no_revisions && head.opaque.is_some());
    }

    #[test]
    fn a_table_the_history_drops_is_gone_even_when_it_starts_elsewhere() {
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.add_column('legacy', sa.Column('x', sa.Integer()))\n    op.drop_table('old_tags')",
            ),
            (
                "b",
                &["a"],
                "    op.drop_table('tags')\n    op.create_table('tags', sa.Column('id', sa.Integer()))",
            ),
        ]);
        let head = replay(&h, &s);
        assert!(head.preexisting);
        assert!(matches!(head.knows("old_tags"), Knows::Absent));
        assert!(matches!(head.knows("tags"), Knows::Table(_)));
        assert!(matches!(head.knows("other"), Knows::Maybe));
    }

    #[test]
    fn dropping_an_unnamed_constraint_by_its_database_name() {
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.create_table('t', sa.Column('id', sa.Integer()), sa.Column('u_id', sa.Integer(), sa.ForeignKey('u.id')), sa.UniqueConstraint('id'))",
            ),
            (
                "b",
                &["a"],
                "    op.drop_constraint('t_u_id_fkey', 't', type_='foreignkey')\n    op.drop_constraint('t_id_key', 't', type_='unique')",
            ),
        ]);
        let head = replay(&h, &s);
        let Knows::Table(t) = head.knows("t") else {
            panic!("{:?}", head.unknown)
        };
        assert!(t.uniques.is_empty());
        assert!(t.column("u_id").unwrap().foreign_keys.is_empty());
        // A name nothing answers to: the table's constraints are unknown,
        // its columns still known.
        let (h, s) = history(&[
            (
                "a",
                &[],
                "    op.create_table('t', sa.Column('id', sa.Integer()))",
            ),
            (
                "b",
                &["a"],
                "    op.drop_constraint('mystery', 't', type_='unique')",
            ),
        ]);
        let head = replay(&h, &s);
        assert!(matches!(head.knows("t"), Knows::Table(_)));
        assert!(!head.constraints_known("t"));
    }
}
