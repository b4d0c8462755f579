//! Whole-tree snapshots: every file of one state of the repository.
//!
//! A snapshot of a large repository holds tens of thousands of paths and is
//! built on the critical path of a staged check (the migration rules need
//! the staged tree) and once per commit in range mode. One `String` per
//! path made building it 60,000 allocations and as many UTF-8 checks, and
//! made a range check hold ~20 MB per kept tree; here paths live in a few
//! shared buffers, checked for UTF-8 once, and an entry is a buffer number
//! and two offsets beside its blob. A snapshot edited from another
//! ([`Snapshot::edited`], a commit's tree from its parent's) shares the
//! other's buffers and adds one for its new paths only: range mode keeps
//! several trees of a history at once, and their paths are nearly all the
//! same.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{BlobRef, EntryMode};

/// A snapshot edited from one that shares more path buffers than this
/// copies its paths into one buffer, so that paths deleted long ago stop
/// being kept and lookups stay one indirection deep.
const MAX_BUFFERS: usize = 32;

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

/// Where one entry's path lies (which buffer, which bytes of it), and its
/// blob. 32-bit offsets keep a slot at 56 bytes; a buffer never grows past
/// them (see [`SnapshotBuilder::push`]).
#[derive(Clone, Debug)]
struct Slot {
    buffer: u32,
    start: u32,
    end: u32,
    blob: BlobRef,
    mode: EntryMode,
}

/// Every file of one state of the repository (HEAD, the index, a commit,
/// the tracked working tree), sorted by path, each path once. Cross-file
/// rules (the migration graph, model diffs, ignore rules) read from it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    buffers: Vec<Arc<String>>,
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

    /// All entries, sorted by path.
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            buffers: &self.buffers,
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
            buffers: &self.buffers,
            slots: &self.slots[start..start + len],
        }
    }

    /// This snapshot with the paths of `edits` replaced (`Some`) or
    /// removed (`None`), in one merge of two sorted lists. Paths this
    /// snapshot has are not copied: the result shares its buffers (up to
    /// [`MAX_BUFFERS`]) and stores only the new paths. `spare`, a
    /// snapshot no longer needed, lends its entry buffer (range mode edits
    /// a tree of several MB per commit; a fresh one faulted in new pages
    /// every time).
    pub fn edited(
        &self,
        edits: &BTreeMap<&str, Option<(&BlobRef, EntryMode)>>,
        spare: Option<Snapshot>,
    ) -> Snapshot {
        let share = self.buffers.len() < MAX_BUFFERS;
        let entries = self.slots.len() + edits.len();
        let mut new_bytes: usize = edits.keys().map(|p| p.len()).sum();
        if !share {
            new_bytes += self.buffers.iter().map(|b| b.len()).sum::<usize>();
        }
        let mut out = match spare {
            Some(old) => SnapshotBuilder::reusing(old, entries, new_bytes),
            None => SnapshotBuilder::with_capacity(entries, new_bytes),
        };
        if share {
            out.shared.clone_from(&self.buffers);
        }
        let all = self.entries();
        // An entry of this snapshot, under a new blob and mode.
        let keep = |out: &mut SnapshotBuilder, slot: &Slot, blob: BlobRef, mode| {
            if share {
                out.slots.push(Slot {
                    blob,
                    mode,
                    ..*slot
                });
            } else {
                out.push(all.path_of(slot).as_bytes(), blob, mode);
            }
        };
        let mut edits = edits.iter().peekable();
        for slot in &self.slots {
            let path = all.path_of(slot);
            while let Some((new, entry)) = edits.next_if(|(p, _)| **p < path) {
                if let Some((blob, mode)) = entry {
                    out.push(new.as_bytes(), (*blob).clone(), *mode);
                }
            }
            match edits.next_if(|(p, _)| **p == path) {
                Some((_, Some((blob, mode)))) => keep(&mut out, slot, (*blob).clone(), *mode),
                Some((_, None)) => {}
                None => keep(&mut out, slot, slot.blob.clone(), slot.mode),
            }
        }
        for (new, entry) in edits {
            if let Some((blob, mode)) = entry {
                out.push(new.as_bytes(), (*blob).clone(), *mode);
            }
        }
        out.finish()
    }
}

/// A run of consecutive entries of a [`Snapshot`] (all of them, or those
/// below one directory).
#[derive(Clone, Copy, Debug)]
pub struct Entries<'a> {
    buffers: &'a [Arc<String>],
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
        path_in(self.buffers, slot)
    }

    fn entry(&self, slot: &'a Slot) -> Entry<'a> {
        Entry {
            path: self.path_of(slot),
            blob: &slot.blob,
            mode: slot.mode,
        }
    }
}

/// The path of `slot` among `buffers`.
fn path_in<'a>(buffers: &'a [Arc<String>], slot: &Slot) -> &'a str {
    // The builder only records offsets at path boundaries of a `String`.
    buffers
        .get(slot.buffer as usize)
        .and_then(|b| b.get(slot.start as usize..slot.end as usize))
        .unwrap_or_default()
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

    /// Skips in constant time (a caller can jump past a whole folder).
    fn nth(&mut self, n: usize) -> Option<Entry<'a>> {
        self.slots.nth(n).map(|s| self.entries.entry(s))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.slots.next_back().map(|s| self.entries.entry(s))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Collects the entries of a snapshot as raw path bytes (git paths need
/// not be UTF-8), appended to one buffer at a time.
pub struct SnapshotBuilder {
    /// Finished buffers (shared with the snapshot edited, or filled).
    shared: Vec<Arc<String>>,
    /// The buffer being filled: the next of `shared` once finished.
    paths: Vec<u8>,
    slots: Vec<Slot>,
    /// The first slot pushed since the last buffer was finished.
    since: usize,
}

impl SnapshotBuilder {
    /// A builder for about `entries` entries whose paths take about
    /// `path_bytes` bytes together (a buffer that grows copies itself).
    pub fn with_capacity(entries: usize, path_bytes: usize) -> SnapshotBuilder {
        SnapshotBuilder {
            shared: Vec::new(),
            paths: Vec::with_capacity(path_bytes),
            slots: Vec::with_capacity(entries),
            since: 0,
        }
    }

    /// A builder like [`SnapshotBuilder::with_capacity`] that keeps the
    /// entry buffer of `old`, a snapshot no longer needed (range mode
    /// builds a tree per commit).
    pub fn reusing(old: Snapshot, entries: usize, path_bytes: usize) -> SnapshotBuilder {
        let Snapshot { buffers, mut slots } = old;
        drop(buffers);
        slots.clear();
        slots.reserve(entries);
        SnapshotBuilder {
            shared: Vec::new(),
            paths: Vec::with_capacity(path_bytes),
            slots,
            since: 0,
        }
    }

    /// Adds an entry; `path` is `/`-separated and repository-relative.
    pub fn push(&mut self, path: &[u8], blob: BlobRef, mode: EntryMode) {
        if u32::try_from(self.paths.len() + path.len()).is_err() {
            // Past 4 GiB of paths: the next ones go to a buffer of their own.
            self.seal();
        }
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        self.slots.push(Slot {
            // Less than 4 GiB of paths (checked above) means far fewer
            // than 2^32 buffers, and `path` itself fits a slice's length.
            buffer: u32::try_from(self.shared.len()).unwrap_or(u32::MAX),
            start: start as u32,
            end: self.paths.len() as u32,
            blob,
            mode,
        });
    }

    /// Finishes the buffer being filled: paths that are not UTF-8 are
    /// converted lossily (as everywhere rules see paths).
    fn seal(&mut self) {
        let raw = std::mem::take(&mut self.paths);
        if raw.is_empty() {
            return;
        }
        let current = self.shared.len() as u32;
        // One check of the whole buffer; only a repository with a path
        // that is not UTF-8 pays for converting path by path.
        let paths = match String::from_utf8(raw) {
            Ok(paths) => paths,
            Err(e) => {
                let raw = e.into_bytes();
                let mut paths = String::with_capacity(raw.len());
                for s in self.slots[self.since..]
                    .iter_mut()
                    .filter(|s| s.buffer == current)
                {
                    let start = paths.len();
                    paths.push_str(&crate::text::lossy(&raw[s.start as usize..s.end as usize]));
                    s.start = start as u32;
                    s.end = paths.len() as u32;
                }
                paths
            }
        };
        self.shared.push(Arc::new(paths));
        self.since = self.slots.len();
    }

    /// The snapshot: entries sorted by path, and the first entry of each
    /// path kept.
    pub fn finish(mut self) -> Snapshot {
        self.seal();
        let SnapshotBuilder {
            shared: buffers,
            mut slots,
            ..
        } = self;
        let path = |s: &Slot| path_in(&buffers, s);
        // Trees and the index list their paths sorted and once each
        // already (one pass checks both); a stable sort would still
        // allocate half their size.
        if !slots.is_sorted_by(|a, b| path(a) < path(b)) {
            slots.sort_by(|a, b| path(a).cmp(path(b)));
            slots.dedup_by(|a, b| path(a) == path(b));
        }
        Snapshot { buffers, slots }
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

    /// A chain of edits (adds, replacements, mode changes, removals, and
    /// paths that come back after removal) gives at every step the
    /// snapshot built from scratch, whether the buffers are shared or
    /// copied into one; the shared ones stay at most [`MAX_BUFFERS`] and
    /// hold only new paths.
    #[test]
    fn edited_snapshots_are_the_snapshots_built_from_scratch() {
        use std::collections::BTreeMap;
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut model: BTreeMap<String, (String, EntryMode)> = (0..50)
            .map(|i| {
                (
                    format!("d{}/f{i}.py", i % 7),
                    (format!("v{i}"), EntryMode::File),
                )
            })
            .collect();
        let from_scratch = |model: &BTreeMap<String, (String, EntryMode)>| {
            Snapshot::new(
                model
                    .iter()
                    .map(|(p, (c, m))| SnapshotEntry {
                        path: p.clone(),
                        blob: blob(c),
                        mode: *m,
                    })
                    .collect(),
            )
        };
        let listing = |s: &Snapshot| -> Vec<(String, BlobRef, EntryMode)> {
            s.entries()
                .iter()
                .map(|e| (e.path.to_string(), e.blob.clone(), e.mode))
                .collect()
        };
        let mut snapshot = from_scratch(&model);
        let mut spare = None;
        let mut copied = false;
        for step in 0..3 * MAX_BUFFERS {
            let mut edits: Vec<(String, Option<(BlobRef, EntryMode)>)> = Vec::new();
            for _ in 0..next(6) {
                let path = format!("d{}/f{}.py", next(9), next(80));
                let edit = match next(4) {
                    0 => None,
                    1 => Some((blob(&format!("s{step}")), EntryMode::Executable)),
                    _ => Some((blob(&format!("s{step}")), EntryMode::File)),
                };
                edits.retain(|(p, _)| *p != path);
                edits.push((path, edit));
            }
            for (path, edit) in &edits {
                match edit {
                    Some((BlobRef::Memory(c), mode)) => {
                        let c = String::from_utf8(c.to_vec()).unwrap();
                        model.insert(path.clone(), (c, *mode));
                    }
                    _ => {
                        model.remove(path);
                    }
                }
            }
            let map: BTreeMap<&str, Option<(&BlobRef, EntryMode)>> = edits
                .iter()
                .map(|(p, e)| (p.as_str(), e.as_ref().map(|(b, m)| (b, *m))))
                .collect();
            let shared_before = snapshot.buffers.len();
            let edited = snapshot.edited(&map, spare.take());
            assert_eq!(
                listing(&edited),
                listing(&from_scratch(&model)),
                "step {step}"
            );
            assert!(edited.buffers.len() <= MAX_BUFFERS, "step {step}");
            if edited.buffers.len() == 1 && shared_before == MAX_BUFFERS {
                copied = true;
            } else {
                let new_bytes: usize = map.keys().map(|p| p.len()).sum();
                let (kept, added) = edited.buffers.split_at(shared_before);
                assert!(
                    kept.iter()
                        .zip(&snapshot.buffers)
                        .all(|(a, b)| Arc::ptr_eq(a, b)),
                    "step {step}: the buffers are shared"
                );
                assert!(
                    added.len() <= 1 && added.iter().all(|b| b.len() <= new_bytes),
                    "step {step}: only new paths are stored"
                );
            }
            spare = Some(std::mem::replace(&mut snapshot, edited));
        }
        assert!(copied, "the buffers were copied into one at the limit");
    }
}
