//! A commit's Alembic environments from its parent's, when the commit
//! changed nothing that finding them reads (issue 26: on ckan's history,
//! finding them afresh for each of 28,440 commits was 7% of a check with
//! every rule on, and consecutive commits nearly always have the same).
//!
//! What [`super::discover::discover`] reads of a tree, exactly:
//! 1. the paths, modes and contents of the files [`kind`] names
//!    (`*alembic*.ini`, `pyproject.toml`, `env.py`, Python files whose name
//!    or folder says config or settings, Python files named like revisions);
//!    `snapshot.get` of an `env.py` or a `pyproject.toml`, whatever its mode;
//! 2. whether folders exist (`Snapshot::under(dir)` is empty or not), and
//!    which folders lie under a package name (`pkg.sub:path` locations):
//!    both follow from the set of folders that directly hold an entry;
//! 3. whether a probed folder ([`Discovered::probed_py_dirs`]) directly
//!    holds a `.py` file;
//! 4. the `.dbguard.yaml` migrations settings, the same for a whole run.
//!
//! A change set whose changes touch none of these leaves the result as it
//! was: every question discovery asks gets the same answer, so it takes
//! the same steps to the same environments (and probes the same folders).
//! A change of content or mode to any other file ([`Plan::Same`]) is such
//! a set, known from the change list alone; adding, removing or renaming
//! another file ([`Plan::Check`]) is one when each touched folder held an
//! entry before and still holds one after, and no probed folder gains or
//! loses a `.py` file, which the new tree tells.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use crate::changes::{Change, ContentReader, Snapshot, Status};
use crate::config::MigrationsConfig;

use super::discover::{Discovered, discover, kind, parent};

/// The environments of one tree, found once and shared by every change
/// set of a range whose tree has the same ones (sets on two threads may
/// ask at once; one finds them, the other waits).
#[derive(Debug, Default)]
pub struct Shared {
    found: OnceLock<Arc<Discovered>>,
}

impl Shared {
    /// The environments once found, if they were.
    pub fn get(&self) -> Option<&Arc<Discovered>> {
        self.found.get()
    }

    /// The environments of `snapshot` (the new tree of a set whose changes
    /// are `changes`): those of `before` (the set's old tree) when they
    /// are known and the changes cannot have changed them, else found
    /// afresh.
    pub fn get_or_find(
        &self,
        snapshot: &Snapshot,
        changes: &[Change],
        before: Option<&Shared>,
        reader: &dyn ContentReader,
        config: &MigrationsConfig,
    ) -> &Discovered {
        self.found.get_or_init(|| {
            if let Some(prev) = before.and_then(Shared::get)
                && unchanged(changes, snapshot, prev)
            {
                return Arc::clone(prev);
            }
            Arc::new(discover(snapshot, reader, config))
        })
    }
}

/// What the change list alone says about a set's environments, next to
/// its old tree's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Only contents and modes of files discovery never reads changed:
    /// the environments are the old tree's.
    Same,
    /// Files discovery never reads were added, removed or renamed: the
    /// old tree's environments hold if the folders they sit in did not
    /// appear or vanish ([`unchanged`], with the new tree).
    Check,
    /// A file discovery reads changed: find them afresh.
    Fresh,
}

/// [`Plan`] of a set with these changes.
pub fn plan(changes: &[Change]) -> Plan {
    let mut plan = Plan::Same;
    for c in changes {
        if read_by_discovery(&c.path) || c.old_path.as_deref().is_some_and(read_by_discovery) {
            return Plan::Fresh;
        }
        match c.status {
            Status::Modified | Status::TypeChanged => {}
            Status::Added | Status::Deleted | Status::Copied => plan = Plan::Check,
            Status::Renamed if c.old_path.is_some() => plan = Plan::Check,
            Status::Renamed | Status::Unchanged => return Plan::Fresh,
        }
    }
    plan
}

/// Whether discovery reads the file at `path` (by name; any mode).
fn read_by_discovery(path: &str) -> bool {
    kind(path).is_some()
}

/// Whether the environments of `new` (a tree reached by `changes` from a
/// tree whose discovery gave `before`) are `before`'s: see the module
/// documentation for why these questions are enough.
pub fn unchanged(changes: &[Change], new: &Snapshot, before: &Discovered) -> bool {
    let plan = plan(changes);
    if plan != Plan::Check {
        return plan == Plan::Same;
    }
    let mut added: HashSet<&str> = HashSet::new();
    let mut removed: Vec<&str> = Vec::new();
    for c in changes {
        match c.status {
            Status::Added | Status::Copied => {
                added.insert(&c.path);
            }
            Status::Deleted => removed.push(&c.path),
            Status::Renamed => {
                added.insert(&c.path);
                removed.extend(c.old_path.as_deref());
            }
            _ => {}
        }
    }
    let probed = |p: &str| {
        p.ends_with(".py")
            && before
                .probed_py_dirs
                .binary_search_by(|d| d.as_str().cmp(parent(p)))
                .is_ok()
    };
    if added.iter().chain(&removed).any(|p| probed(p)) {
        return false;
    }
    // The set of folders that directly hold an entry is the same before
    // and after: a removed path's folder still holds one, and an added
    // path's folder held one before (one not added here, or one removed
    // here).
    let removed_dirs: HashSet<&str> = removed.iter().map(|p| parent(p)).collect();
    removed_dirs
        .iter()
        .all(|d| holds_directly(new, d, &|_| true))
        && added.iter().all(|p| {
            let dir = parent(p);
            removed_dirs.contains(dir) || holds_directly(new, dir, &|q| !added.contains(q))
        })
}

/// Whether folder `dir` (`""`: the root) of `snapshot` directly holds an
/// entry that `counts`. Subfolders are skipped whole, so the cost is the
/// folder's own entries, not everything below it.
fn holds_directly(snapshot: &Snapshot, dir: &str, counts: &dyn Fn(&str) -> bool) -> bool {
    let below = snapshot.under(dir);
    let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
    let mut entries = below.iter();
    while let Some(e) = entries.next() {
        let rest = &e.path[skip.min(e.path.len())..];
        match rest.find('/') {
            None if counts(e.path) => return true,
            None => {}
            Some(i) => {
                // Everything in this subfolder sorts together: jump past it.
                let inside = snapshot.under(&e.path[..skip + i]).len();
                if inside > 1 {
                    entries.nth(inside - 2);
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alembic::discover::tests::snap;
    use crate::changes::{BlobRef, EntryMode, MemoryReader};

    fn found(s: &Snapshot) -> Discovered {
        discover(s, &MemoryReader, &MigrationsConfig::default())
    }

    /// The changes from `old` to `new` as a range lists them (`renames`:
    /// (old path, new path) pairs to pair up).
    fn diff(old: &[(&str, &str)], new: &[(&str, &str)], renames: &[(&str, &str)]) -> Vec<Change> {
        let blob = |c: &str| Some(BlobRef::Memory(Arc::from(c.as_bytes())));
        let mut out = Vec::new();
        for (p, c) in new {
            if let Some((o, _)) = renames.iter().find(|(_, n)| n == p) {
                let before = old.iter().find(|(q, _)| q == o).map(|(_, c)| *c);
                out.push(Change {
                    path: p.to_string(),
                    old_path: Some(o.to_string()),
                    status: Status::Renamed,
                    mode: EntryMode::File,
                    old: before.and_then(blob),
                    new: blob(c),
                });
                continue;
            }
            match old.iter().find(|(q, _)| q == p) {
                Some((_, o)) if o == c => {}
                Some((_, o)) => out.push(Change {
                    path: p.to_string(),
                    old_path: None,
                    status: Status::Modified,
                    mode: EntryMode::File,
                    old: blob(o),
                    new: blob(c),
                }),
                None => out.push(Change {
                    path: p.to_string(),
                    old_path: None,
                    status: Status::Added,
                    mode: EntryMode::File,
                    old: None,
                    new: blob(c),
                }),
            }
        }
        for (p, c) in old {
            if !new.iter().any(|(q, _)| q == p) && !renames.iter().any(|(o, _)| o == p) {
                out.push(Change {
                    path: p.to_string(),
                    old_path: None,
                    status: Status::Deleted,
                    mode: EntryMode::File,
                    old: blob(c),
                    new: None,
                });
            }
        }
        out
    }

    const ENV_PY: &str = "from alembic import context\n";

    /// A tree with an environment of every kind discovery finds.
    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("README.md", "hi\n"),
            (
                "backend/alembic.ini",
                "[alembic]\nscript_location = %(here)s/migrations\n",
            ),
            ("backend/app/models.py", "x = 1\n"),
            ("backend/app/util.py", "x = 1\n"),
            ("backend/migrations/env.py", ENV_PY),
            ("backend/migrations/versions/1a2b3c4d5e6f_init.py", ""),
            ("flask/migrations/env.py", ENV_PY),
            ("flask/migrations/versions/a_x.py", ""),
            ("pkg/alembic.ini", "[alembic]\nscript_location = mypkg:db\n"),
            ("src/mypkg/db/env.py", ENV_PY),
            ("src/mypkg/other.py", ""),
            (
                "fa/config.py",
                "ALEMBIC = {\"script_location\": \"revs\"}\n",
            ),
            ("fa/revs/rev_one.py", ""),
            (
                "plugin/versions/0123456789ab_add.py",
                "revision = '0123456789ab'\ndown_revision = None\n",
            ),
        ]
    }

    /// The claim the module rests on: whenever [`unchanged`] says so, a
    /// discovery of the new tree finds what the old one found.
    fn check(new: &[(&str, &str)], renames: &[(&str, &str)]) -> bool {
        let old = base();
        let changes = diff(&old, new, renames);
        let (old_s, new_s) = (snap(&old), snap(new));
        let before = found(&old_s);
        let same = unchanged(&changes, &new_s, &before);
        if same {
            assert_eq!(found(&new_s), before, "reused wrongly: {changes:?}");
        }
        same
    }

    fn edit(
        f: impl FnOnce(&mut Vec<(&'static str, &'static str)>),
    ) -> Vec<(&'static str, &'static str)> {
        let mut files = base();
        f(&mut files);
        files.sort();
        files
    }

    fn set(files: &mut [(&'static str, &'static str)], path: &str, content: &'static str) {
        files.iter_mut().find(|(p, _)| *p == path).unwrap().1 = content;
    }

    #[test]
    fn the_base_tree_has_every_kind_of_environment() {
        let f = found(&snap(&base()));
        let locs: Vec<&str> = f
            .environments
            .iter()
            .map(|e| e.script_location.as_str())
            .collect();
        assert_eq!(
            locs,
            [
                "backend/migrations",
                "fa/revs",
                "flask/migrations",
                "plugin/versions",
                "src/mypkg/db"
            ]
        );
        assert_eq!(f.probed_py_dirs, ["fa/revs"]);
    }

    #[test]
    fn changes_to_files_discovery_never_reads_reuse_the_environments() {
        let new = edit(|f| set(f, "backend/app/models.py", "x = 2\n"));
        assert_eq!(plan(&diff(&base(), &new, &[])), Plan::Same);
        assert!(check(&new, &[]));
        // A file added beside others, one removed from a folder that
        // keeps others, a rename between folders that stay.
        assert!(check(&edit(|f| f.push(("backend/app/views.py", ""))), &[]));
        assert!(check(
            &edit(|f| f.retain(|(p, _)| *p != "backend/app/util.py")),
            &[]
        ));
        assert!(check(
            &edit(|f| {
                f.retain(|(p, _)| *p != "backend/app/util.py");
                f.push(("src/mypkg/util.py", "x = 1\n"));
            }),
            &[("backend/app/util.py", "src/mypkg/util.py")]
        ));
        // A file added to the root, which holds README.md.
        assert!(check(&edit(|f| f.push(("setup.py", ""))), &[]));
    }

    #[test]
    fn a_change_to_each_file_discovery_reads_finds_them_afresh() {
        for (path, content) in [
            ("backend/alembic.ini", "[alembic]\nscript_location = x\n"),
            ("backend/migrations/env.py", "import os\n"),
            (
                "fa/config.py",
                "ALEMBIC = {\"script_location\": \"revs2\"}\n",
            ),
            ("plugin/versions/0123456789ab_add.py", "x = 1\n"),
        ] {
            let new = edit(|f| set(f, path, content));
            assert_eq!(plan(&diff(&base(), &new, &[])), Plan::Fresh, "{path}");
            assert!(!check(&new, &[]), "{path}");
        }
        for added in [
            "svc/alembic.ini",
            "svc/pyproject.toml",
            "svc/env.py",
            "svc/settings.py",
            "svc/settings/base.py",
            "svc/deadbeef0123_x.py",
        ] {
            let new = edit(|f| f.push((added, "")));
            assert_eq!(plan(&diff(&base(), &new, &[])), Plan::Fresh, "{added}");
        }
        // Renamed away from such a name, or onto one.
        let new = edit(|f| {
            f.retain(|(p, _)| *p != "fa/config.py");
            f.push(("fa/conf.py", "ALEMBIC = {\"script_location\": \"revs\"}\n"));
        });
        assert!(!check(&new, &[("fa/config.py", "fa/conf.py")]));
    }

    #[test]
    fn a_folder_that_appears_or_vanishes_finds_them_afresh() {
        // flask/migrations/versions/ emptied: no longer an environment.
        let new = edit(|f| f.retain(|(p, _)| *p != "flask/migrations/versions/a_x.py"));
        assert_eq!(plan(&diff(&base(), &new, &[])), Plan::Check);
        assert!(!check(&new, &[]));
        assert_ne!(found(&snap(&new)), found(&snap(&base())));
        // A versions/ folder appears beside an env.py.
        let mut with = base();
        with.retain(|(p, _)| *p != "flask/migrations/versions/a_x.py");
        let changes = diff(&with, &base(), &[]);
        let before = found(&snap(&with));
        assert!(!unchanged(&changes, &snap(&base()), &before));
        // A package folder moves: `mypkg:db` is found elsewhere.
        assert!(!check(
            &edit(|f| {
                f.retain(|(p, _)| *p != "src/mypkg/other.py");
                f.push(("lib/mypkg/other.py", ""));
            }),
            &[("src/mypkg/other.py", "lib/mypkg/other.py")]
        ));
    }

    #[test]
    fn python_files_in_a_probed_folder_find_them_afresh() {
        // Flask-Alembic's folder `fa/revs` holds revision files only
        // while a `.py` file sits directly in it.
        let new = edit(|f| f.retain(|(p, _)| !p.starts_with("fa/revs/")));
        assert!(!check(&new, &[]));
        let new = edit(|f| f.push(("fa/revs/rev_two.py", "")));
        assert!(!check(&new, &[]));
        // Elsewhere, one more Python file changes nothing.
        assert!(check(&edit(|f| f.push(("fa/helpers.py", ""))), &[]));
    }

    #[test]
    fn shared_environments_come_from_the_old_tree_only_when_unchanged() {
        let old = snap(&base());
        let config = MigrationsConfig::default();
        let first = Shared::default();
        let before = first.get_or_find(&old, &[], None, &MemoryReader, &config);
        assert_eq!(before.environments.len(), 5);
        // An unrelated edit: the very same result, not found again.
        let new_files = edit(|f| set(f, "README.md", "bye\n"));
        let second = Shared::default();
        second.get_or_find(
            &snap(&new_files),
            &diff(&base(), &new_files, &[]),
            Some(&first),
            &MemoryReader,
            &config,
        );
        assert!(Arc::ptr_eq(first.get().unwrap(), second.get().unwrap()));
        // An edit of the ini: found afresh, and different.
        let new_files = edit(|f| f.retain(|(p, _)| *p != "backend/alembic.ini"));
        let third = Shared::default();
        let after = third.get_or_find(
            &snap(&new_files),
            &diff(&base(), &new_files, &[]),
            Some(&first),
            &MemoryReader,
            &config,
        );
        assert!(!Arc::ptr_eq(first.get().unwrap(), third.get().unwrap()));
        // backend/migrations is still one (env.py beside versions/), now
        // found as a folder.
        assert_eq!(after, &found(&snap(&new_files)));
        assert_eq!(after.environments[0].origin, super::super::Origin::Folder);
    }

    #[test]
    fn holds_directly_skips_subfolders() {
        let s = snap(&[
            ("a/b/c/d.txt", ""),
            ("a/b/e.txt", ""),
            ("a/z.txt", ""),
            ("top.txt", ""),
        ]);
        assert!(holds_directly(&s, "a", &|_| true));
        assert!(!holds_directly(&s, "a", &|p| p != "a/z.txt"));
        assert!(holds_directly(&s, "a/b", &|_| true));
        assert!(!holds_directly(&s, "a/b/c/d.txt", &|_| true));
        assert!(holds_directly(&s, "", &|_| true));
        assert!(!holds_directly(&s, "", &|p| p != "top.txt"));
        assert!(!holds_directly(&s, "x", &|_| true));
    }
}
