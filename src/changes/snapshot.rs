//! Whole-tree snapshots: every file of one state of the repository.
//!
//! A snapshot of a large repository holds tens of thousands of paths and is
//! built on the critical path of a staged check (the migration rules need
//! the staged tree) and once per commit in range mode. One `String` per
//! path made building it 60,000 allocations and as many UTF-8 checks, and
//! made a range check hold ~20 MB per kept tree; here every path lives in
//! one buffer, checked for UTF-8 once, and an entry is two offsets beside
//! its blob.

use super::{BlobRef, EntryMode};

/// One file to build a snapshot from (the working tree, `init`, tests).
#[derive(Clone, Debug)]
pub struct SnapshotEntry {
    pub path: String,
    pub blob: BlobRef,
    pub mode: EntryMode,
}

/// One file of a [`Snapshot`], borrowed from it.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub path: &'a str,
    pub blob: &'a BlobRef,
    pub mode: EntryMode,
}

/// Where one entry's path lies in the snapshot's buffer, and its blob.
#[derive(Clone, Debug)]
struct Slot {
    start: usize,
    end: usize,
    blob: BlobRef,
    mode: EntryMode,
}

/// Every file of one state of the repository (HEAD, the index, a commit,
/// the tracked working tree), sorted by path, each path once. Cross-file
/// rules (the migration graph, model diffs, ignore rules) read from it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    paths: String,
    slots: Vec<Slot>,
}

impl Snapshot {
    /// Builds a snapshot from owned entries; the first of several entries
    /// with one path is kept.
    pub fn new(entries: Vec<SnapshotEntry>) -> Snapshot {
        let bytes = entries.iter().map(|e| e.path.len()).sum();
        let mut b = SnapshotBuilder::with_capacity(entries.len(), bytes);
        for e in entries {
            b.push(e.path.as_bytes(), e.blob, e.mode);
        }
        b.finish()
    }

    /// The bytes of all paths together (to size a snapshot built from
    /// this one).
    pub fn path_bytes(&self) -> usize {
        self.paths.len()
    }

    /// All entries, sorted by path.
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            paths: &self.paths,
            slots: &self.slots,
        }
    }

    /// The entry at exactly `path`.
    pub fn get(&self, path: &str) -> Option<Entry<'_>> {
        let all = self.entries();
        self.slots
            .binary_search_by(|s| all.path_of(s).cmp(path))
            .ok()
            .map(|i| all.entry(&self.slots[i]))
    }

    /// Every entry below directory `dir` (recursively); `""` means all.
    pub fn under(&self, dir: &str) -> Entries<'_> {
        let all = self.entries();
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return all;
        }
        let prefix = format!("{dir}/");
        let start = self
            .slots
            .partition_point(|s| all.path_of(s) < prefix.as_str());
        let len = self.slots[start..].partition_point(|s| all.path_of(s).starts_with(&prefix));
        Entries {
            paths: &self.paths,
            slots: &self.slots[start..start + len],
        }
    }
}

/// A run of consecutive entries of a [`Snapshot`] (all of them, or those
/// below one directory).
#[derive(Clone, Copy, Debug)]
pub struct Entries<'a> {
    paths: &'a str,
    slots: &'a [Slot],
}

impl<'a> Entries<'a> {
    /// How many entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The entries in path order.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            entries: *self,
            slots: self.slots.iter(),
        }
    }

    fn path_of(&self, slot: &Slot) -> &'a str {
        // The builder only records offsets at path boundaries of a `String`.
        self.paths.get(slot.start..slot.end).unwrap_or_default()
    }

    fn entry(&self, slot: &'a Slot) -> Entry<'a> {
        Entry {
            path: self.path_of(slot),
            blob: &slot.blob,
            mode: slot.mode,
        }
    }
}

impl<'a> IntoIterator for Entries<'a> {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The entries of [`Entries`], in path order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    entries: Entries<'a>,
    slots: std::slice::Iter<'a, Slot>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        self.slots.next().map(|s| self.entries.entry(s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.slots.next_back().map(|s| self.entries.entry(s))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Collects the entries of a snapshot as raw path bytes (git paths need
/// not be UTF-8) into one buffer.
pub struct SnapshotBuilder {
    paths: Vec<u8>,
    slots: Vec<Slot>,
}

impl SnapshotBuilder {
    /// A builder for about `entries` entries whose paths take about
    /// `path_bytes` bytes together (a buffer that grows copies itself).
    pub fn with_capacity(entries: usize, path_bytes: usize) -> SnapshotBuilder {
        SnapshotBuilder {
            paths: Vec::with_capacity(path_bytes),
            slots: Vec::with_capacity(entries),
        }
    }

    /// A builder like [`SnapshotBuilder::with_capacity`] that keeps the
    /// buffers of `old`, a snapshot no longer needed (range mode builds a
    /// tree per commit).
    pub fn reusing(old: Snapshot, entries: usize, path_bytes: usize) -> SnapshotBuilder {
        let Snapshot { paths, mut slots } = old;
        let mut paths = paths.into_bytes();
        paths.clear();
        paths.reserve(path_bytes);
        slots.clear();
        slots.reserve(entries);
        SnapshotBuilder { paths, slots }
    }

    /// Adds an entry; `path` is `/`-separated and repository-relative.
    pub fn push(&mut self, path: &[u8], blob: BlobRef, mode: EntryMode) {
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        self.slots.push(Slot {
            start,
            end: self.paths.len(),
            blob,
            mode,
        });
    }

    /// The snapshot: paths that are not UTF-8 are converted lossily (as
    /// everywhere rules see paths), entries sorted by path, and the first
    /// entry of each path kept.
    pub fn finish(self) -> Snapshot {
        let SnapshotBuilder { paths, mut slots } = self;
        // One check of the whole buffer; only a repository with a path
        // that is not UTF-8 pays for converting path by path.
        let paths = match String::from_utf8(paths) {
            Ok(paths) => paths,
            Err(e) => {
                let raw = e.into_bytes();
                let mut paths = String::with_capacity(raw.len());
                for s in &mut slots {
                    let start = paths.len();
                    paths.push_str(&crate::text::lossy(&raw[s.start..s.end]));
                    s.start = start;
                    s.end = paths.len();
                }
                paths
            }
        };
        let path = |s: &Slot| &paths[s.start..s.end];
        // Trees and the index list their paths sorted and once each
        // already (one pass checks both); a stable sort would still
        // allocate half their size.
        if !slots.is_sorted_by(|a, b| path(a) < path(b)) {
            slots.sort_by(|a, b| path(a).cmp(path(b)));
            slots.dedup_by(|a, b| path(a) == path(b));
        }
        Snapshot { paths, slots }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn blob(content: &str) -> BlobRef {
        BlobRef::Memory(Arc::from(content.as_bytes()))
    }

    fn entry(path: &str) -> SnapshotEntry {
        SnapshotEntry {
            path: path.into(),
            blob: blob(""),
            mode: EntryMode::File,
        }
    }

    /// A snapshot built from raw paths, each with its own content and mode.
    fn built(files: &[(&[u8], &str, EntryMode)]) -> Snapshot {
        let mut b = SnapshotBuilder::with_capacity(files.len(), 0);
        for (path, content, mode) in files {
            b.push(path, blob(content), *mode);
        }
        b.finish()
    }

    fn paths(entries: Entries<'_>) -> Vec<&str> {
        entries.iter().map(|e| e.path).collect()
    }

    #[test]
    fn under_finds_exactly_the_directory() {
        let s = Snapshot::new(vec![
            entry("a/b.py"),
            entry("a/versions/x.py"),
            entry("a/versions/y.py"),
            entry("a/versionsX/z.py"),
            entry("b.py"),
        ]);
        assert_eq!(
            paths(s.under("a/versions")),
            ["a/versions/x.py", "a/versions/y.py"]
        );
        assert_eq!(paths(s.under("a/versions/")), paths(s.under("a/versions")));
        assert_eq!(s.under("").len(), 5);
        assert!(s.under("nothing").is_empty());
        assert!(s.get("b.py").is_some());
        assert!(s.get("a").is_none());
        assert_eq!(
            s.under("a").iter().next_back().unwrap().path,
            "a/versionsX/z.py"
        );
    }

    #[test]
    fn entries_are_sorted_and_the_first_of_a_path_is_kept() {
        let s = built(&[
            (b"z.py", "1", EntryMode::File),
            (b"a.py", "2", EntryMode::Executable),
            (b"z.py", "3", EntryMode::File),
            (b"m/n.py", "4", EntryMode::Symlink),
        ]);
        assert_eq!(paths(s.entries()), ["a.py", "m/n.py", "z.py"]);
        assert_eq!(s.get("z.py").unwrap().blob, &blob("1"));
        assert_eq!(s.get("a.py").unwrap().mode, EntryMode::Executable);
        assert_eq!(s.get("m/n.py").unwrap().blob, &blob("4"));
        // Sorted already, with a path twice (an index with a conflict).
        let s = built(&[
            (b"a", "1", EntryMode::File),
            (b"a", "2", EntryMode::File),
            (b"b", "3", EntryMode::File),
        ]);
        assert_eq!(paths(s.entries()), ["a", "b"]);
        assert_eq!(s.get("a").unwrap().blob, &blob("1"));
    }

    #[test]
    fn paths_that_are_not_utf8_are_converted_and_keep_their_entries() {
        let s = built(&[
            (b"a.py", "1", EntryMode::File),
            (b"caf\xe9/x.py", "2", EntryMode::File),
            (b"d.py", "3", EntryMode::File),
        ]);
        assert_eq!(paths(s.entries()), ["a.py", "caf\u{fffd}/x.py", "d.py"]);
        assert_eq!(s.get("caf\u{fffd}/x.py").unwrap().blob, &blob("2"));
        assert_eq!(s.get("d.py").unwrap().blob, &blob("3"));
    }
}
