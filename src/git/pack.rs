//! Trees and blobs read from pack files with positioned reads, instead of
//! through libgit2's mapped pack windows.
//!
//! libgit2 maps a pack in windows that overlap by half, and the kernel
//! maps the neighbours of every page it faults in: reading a history's
//! trees and blobs put the whole 80 MB benchmark pack into dbguard's
//! resident memory, twice over where windows overlapped (up to 115 MB of
//! file pages for `--range`). Read with `pread`, an object's bytes stay in
//! the page cache and only the inflated object is ours. Delta chains are
//! resolved here too, with a small cache of recently built bases, as
//! libgit2 does.
//!
//! Whatever this reader does not handle is `None`, and the caller asks
//! libgit2: loose objects (what `git add` just wrote), index versions
//! other than 2, SHA-256 repositories, and anything damaged (libgit2 then
//! says what is wrong). Packs of alternate object directories (`git clone
//! --shared` or `--reference`, common on CI) are read here like the
//! repository's own: libgit2 maps packs in small windows now (see
//! `tune_libgit2`), and a history read through them took five times as
//! long.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flate2::{Decompress, FlushDecompress, Status};
use memmap2::Mmap;

mod delta;
mod prefix;

/// The type of a stored object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
}

/// Bytes of delta bases kept for the next reads (libgit2 keeps 16 MB per
/// pack). Reading a file's history oldest first walks a chain that ends
/// at its newest version; each base built on the way serves the next one.
/// 16 MB held flaskbb's whole-history check at 99 MB peak, 4 MB at 82 MB
/// (ckan `--select db-file`: 122 MB against 111 MB); but 4 MB cost
/// dispatch's history 12% more user time (15.3 → 17.1 s), rebuilding
/// bases. 8 MB is between.
const BASE_CACHE_BYTES: usize = 8 << 20;

/// Bytes read at an entry's start: its header, and all of a small entry.
const HEAD_READ: u64 = 4096;

/// How deep alternates may name further alternates (git and libgit2 stop
/// at 5 too).
const MAX_ALTERNATE_DEPTH: usize = 5;

/// A chain longer than this is damage (git's deepest default is 50, and
/// `--depth` allows 4,095), or a loop.
const MAX_CHAIN: usize = 5_000;

/// The packs of one object directory.
pub(crate) struct Packs {
    packs: Vec<Pack>,
    bases: Mutex<BaseCache>,
}

struct Pack {
    /// The `.idx` file, mapped: a lookup touches a few of its pages.
    idx: Mmap,
    count: usize,
    data: File,
    /// Where the object data ends (before the trailing checksum).
    data_end: u64,
}

/// What the stored entry at an offset is.
enum Entry {
    Whole(Kind, Vec<u8>),
    /// Delta data against the object at this offset of the same pack.
    Delta(u64, Vec<u8>),
    /// An object larger than the reader wants, left stored.
    TooLarge,
}

impl Packs {
    /// The packs of each object directory in `objects` (the repository's
    /// own first) and of their alternates; none when there are none or
    /// the directories cannot be read (every read then goes to libgit2).
    pub(crate) fn open(objects: &[PathBuf]) -> Packs {
        let mut dirs = Vec::new();
        for dir in objects {
            object_dirs(dir, 0, &mut dirs);
        }
        let mut packs = Vec::new();
        for dir in &dirs {
            let mut idx_paths: Vec<_> = std::fs::read_dir(dir.join("pack"))
                .map(|dir| {
                    dir.filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                        .collect()
                })
                .unwrap_or_default();
            idx_paths.sort();
            packs.extend(idx_paths.iter().filter_map(|p| Pack::open(p)));
        }
        Packs {
            packs,
            bases: Mutex::new(BaseCache::default()),
        }
    }

    fn locate(&self, id: &[u8]) -> Option<(usize, u64)> {
        let id: &[u8; 20] = id.try_into().ok()?;
        self.packs
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.find(id).map(|off| (i, off)))
    }

    /// A packed object's type and content.
    pub(crate) fn read(&self, id: &[u8]) -> Option<(Kind, Vec<u8>)> {
        self.read_within(id, u64::MAX)?
    }

    /// A packed object's type and content when it is at most `limit`
    /// bytes, `Some(None)` when it is larger: judged from the entry's
    /// header (a delta's, from the few bytes that give its result's size),
    /// so a large object is neither inflated nor rebuilt, and a small one
    /// costs no second read of its header.
    pub(crate) fn read_within(&self, id: &[u8], limit: u64) -> Option<Option<(Kind, Vec<u8>)>> {
        let (p, at) = self.locate(id)?;
        Some(
            self.read_at(p, at, limit)?
                .map(|(kind, data)| (kind, data.unwrap_or_else(|shared| shared.to_vec()))),
        )
    }

    /// The object at `at`, when it is at most `limit` bytes: its bytes are
    /// owned when built for this read, shared when they came from the base
    /// cache.
    #[allow(clippy::type_complexity)]
    fn read_at(
        &self,
        p: usize,
        at: u64,
        limit: u64,
    ) -> Option<Option<(Kind, Result<Vec<u8>, Arc<[u8]>>)>> {
        let pack = &self.packs[p];
        let mut deltas = Vec::new();
        let mut at = at;
        let (kind, mut data) = loop {
            if !deltas.is_empty()
                && let Some((kind, shared)) = self.cached(p, at)
            {
                break (kind, Err(shared));
            }
            // Only the object asked for has a limit, not its bases.
            let entry_limit = if deltas.is_empty() { limit } else { u64::MAX };
            match pack.entry(at, entry_limit)? {
                Entry::TooLarge => return Some(None),
                Entry::Whole(kind, bytes) => break (kind, Ok(bytes)),
                Entry::Delta(base, delta) => {
                    deltas.push((at, delta));
                    if deltas.len() > MAX_CHAIN {
                        return None;
                    }
                    at = base;
                }
            }
        };
        if data.is_ok() && !deltas.is_empty() {
            data = Err(self.keep(p, at, kind, data.ok()?));
        }
        while let Some((offset, delta)) = deltas.pop() {
            let base: &[u8] = match &data {
                Ok(v) => v,
                Err(shared) => shared,
            };
            let built = delta::apply_delta(base, &delta)?;
            data = if deltas.is_empty() {
                Ok(built)
            } else {
                Err(self.keep(p, offset, kind, built))
            };
        }
        Some(Some((kind, data)))
    }

    fn cached(&self, p: usize, at: u64) -> Option<(Kind, Arc<[u8]>)> {
        self.bases.lock().ok()?.get((p, at))
    }

    fn keep(&self, p: usize, at: u64, kind: Kind, bytes: Vec<u8>) -> Arc<[u8]> {
        let shared: Arc<[u8]> = bytes.into();
        if let Ok(mut cache) = self.bases.lock() {
            cache.insert((p, at), kind, Arc::clone(&shared));
        }
        shared
    }
}

/// `objects` and, depth first, the object directories its
/// `info/alternates` names (one per line, relative to `objects` unless
/// absolute; `#` starts a comment), each once.
fn object_dirs(objects: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(dir) = objects.canonicalize() else {
        return;
    };
    if out.contains(&dir) {
        return;
    }
    out.push(dir.clone());
    if depth >= MAX_ALTERNATE_DEPTH {
        return;
    }
    let Ok(list) = std::fs::read_to_string(dir.join("info").join("alternates")) else {
        return;
    };
    for line in list.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        object_dirs(&dir.join(line), depth + 1, out);
    }
}

impl Pack {
    fn open(idx_path: &Path) -> Option<Pack> {
        let file = File::open(idx_path).ok()?;
        // SAFETY: git writes pack indexes once and replaces them by rename,
        // never in place; a mapping of a file removed later stays valid.
        let idx = unsafe { Mmap::map(&file) }.ok()?;
        if idx.len() < 8 + 1024 || idx[..4] != [0xff, b't', b'O', b'c'] || be32(&idx, 4)? != 2 {
            return None;
        }
        let count = be32(&idx, 8 + 255 * 4)? as usize;
        // Fan-out, ids, CRCs, 32-bit offsets, two checksums.
        if idx.len() < 8 + 1024 + count.checked_mul(28)? + 40 {
            return None;
        }
        let data = File::open(idx_path.with_extension("pack")).ok()?;
        let len = data.metadata().ok()?.len();
        let mut head = [0u8; 12];
        read_exact_at(&data, &mut head, 0)?;
        // The index ends with its pack's checksum: the two belong together
        // (and an index of longer hashes fails here).
        let mut sum = [0u8; 20];
        read_exact_at(&data, &mut sum, len.checked_sub(20)?)?;
        if &head[..4] != b"PACK"
            || !matches!(be32(&head, 4)?, 2 | 3)
            || be32(&head, 8)? as usize != count
            || idx[idx.len() - 40..idx.len() - 20] != sum
        {
            return None;
        }
        Some(Pack {
            idx,
            count,
            data,
            data_end: len.checked_sub(20)?,
        })
    }

    /// The offset of object `id` in this pack.
    fn find(&self, id: &[u8; 20]) -> Option<u64> {
        let fan = |b: usize| be32(&self.idx, 8 + b * 4).map(|n| n as usize);
        let mut lo = match id[0] {
            0 => 0,
            b => fan(b as usize - 1)?,
        };
        let mut hi = fan(id[0] as usize)?.min(self.count);
        let ids = &self.idx[8 + 1024..];
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match ids[mid * 20..mid * 20 + 20].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset(mid),
            }
        }
        None
    }

    fn offset(&self, i: usize) -> Option<u64> {
        let small = be32(&self.idx, 8 + 1024 + self.count * 24 + i * 4)?;
        if small & 0x8000_0000 == 0 {
            return Some(u64::from(small));
        }
        let at = 8 + 1024 + self.count * 28 + (small & 0x7fff_ffff) as usize * 8;
        Some(u64::from_be_bytes(
            self.idx.get(at..at + 8)?.try_into().ok()?,
        ))
    }

    /// The entry at `at`, inflated, unless the object it stores (for a
    /// delta, the object it builds) is larger than `limit`.
    fn entry(&self, at: u64, limit: u64) -> Option<Entry> {
        SCRATCH.with_borrow_mut(|(stored, z)| {
            let head = self.head_at(at, stored)?;
            let size = match head.base {
                None => head.size as u64,
                Some(_) if limit < u64::MAX => delta_result_size(z, &stored[head.len..])?,
                Some(_) => 0,
            };
            if size > limit {
                return Some(Entry::TooLarge);
            }
            // Deflate never makes data longer than zlib's bound: read up
            // to it in one go (small entries came whole with the header).
            let want = (head.len + deflate_bound(head.size)) as u64;
            let end = self.data_end.min(at.checked_add(want)?);
            let have = stored.len();
            if (have as u64) < end - at {
                stored.resize(usize::try_from(end - at).ok()?, 0);
                read_exact_at(&self.data, &mut stored[have..], at + have as u64)?;
            }
            let data = inflate(z, &stored[head.len..], head.size)?;
            Some(match head.base {
                None => Entry::Whole(head.kind?, data),
                Some(base) => Entry::Delta(self.base_offset(base)?, data),
            })
        })
    }

    fn base_offset(&self, base: Base) -> Option<u64> {
        match base {
            Base::Offset(o) => Some(o),
            Base::Id(id) => self.find(&id),
        }
    }

    /// The header of the entry at `at`; its first stored bytes are left
    /// in `stored`.
    fn head_at(&self, at: u64, stored: &mut Vec<u8>) -> Option<Header> {
        let end = self.data_end.min(at.checked_add(HEAD_READ)?);
        if end <= at {
            return None;
        }
        stored.clear();
        stored.resize(usize::try_from(end - at).ok()?, 0);
        read_exact_at(&self.data, stored, at)?;
        Header::parse(stored, at)
    }
}

thread_local! {
    /// Each thread's read buffer and zlib state, reused from entry to
    /// entry: a fresh 4 KB buffer and zlib state per entry made `--range`
    /// fault in five times the pages it did with libgit2.
    static SCRATCH: RefCell<(Vec<u8>, Decompress)> =
        RefCell::new((Vec::new(), Decompress::new(true)));
}

/// Where a delta's base is.
enum Base {
    Offset(u64),
    Id([u8; 20]),
}

/// The header of a stored entry.
struct Header {
    /// `None` for a delta: its kind is its base's.
    kind: Option<Kind>,
    /// Inflated size of the entry's data.
    size: usize,
    base: Option<Base>,
    /// Bytes of header before the deflated data.
    len: usize,
}

impl Header {
    fn parse(b: &[u8], at: u64) -> Option<Header> {
        let mut p = 0;
        let first = *b.first()?;
        p += 1;
        let code = (first >> 4) & 7;
        let mut size = usize::from(first & 15);
        let mut shift = 4;
        let mut c = first;
        while c & 0x80 != 0 {
            c = *b.get(p)?;
            p += 1;
            size |= usize::from(c & 0x7f).checked_shl(shift)?;
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
        let (kind, base) = match code {
            1 => (Some(Kind::Commit), None),
            2 => (Some(Kind::Tree), None),
            3 => (Some(Kind::Blob), None),
            4 => (Some(Kind::Tag), None),
            6 => {
                // Offset back to the base, big-endian base 128 with each
                // continuation adding one (git's encoding).
                let mut c = *b.get(p)?;
                p += 1;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = *b.get(p)?;
                    p += 1;
                    back = back.checked_add(1)?.checked_mul(128)? | u64::from(c & 0x7f);
                }
                (None, Some(Base::Offset(at.checked_sub(back)?)))
            }
            7 => {
                let id: [u8; 20] = b.get(p..p + 20)?.try_into().ok()?;
                p += 20;
                (None, Some(Base::Id(id)))
            }
            _ => return None,
        };
        Some(Header {
            kind,
            size,
            base,
            len: p,
        })
    }
}

/// The most bytes zlib's deflate writes for `n` bytes (`compressBound`).
fn deflate_bound(n: usize) -> usize {
    n.saturating_add((n >> 12) + (n >> 14) + (n >> 25) + 13)
}

/// Deflate expands data at most 1,032 times (a 258-byte match per bit or
/// two): a size beyond that of its stored bytes is a damaged header, and
/// allocating it would abort the process.
const MAX_INFLATE_RATIO: usize = 1032;

/// Inflates a zlib stream that must hold exactly `size` bytes.
fn inflate(z: &mut Decompress, stored: &[u8], size: usize) -> Option<Vec<u8>> {
    if size
        > stored
            .len()
            .saturating_mul(MAX_INFLATE_RATIO)
            .saturating_add(64)
    {
        return None;
    }
    // One spare byte: zlib needs room to see that the stream has ended.
    let mut out = Vec::with_capacity(size + 1);
    z.reset(true);
    match z.decompress_vec(stored, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) if out.len() == size => Some(out),
        _ => None,
    }
}

/// The size of the object a delta builds, from the first bytes of its
/// stored (deflated) data: a delta starts with its base's size, then its
/// result's, two varints of at most 10 bytes each.
fn delta_result_size(z: &mut Decompress, stored: &[u8]) -> Option<u64> {
    z.reset(true);
    let mut sizes = Vec::with_capacity(20);
    z.decompress_vec(stored, &mut sizes, FlushDecompress::None)
        .ok()?;
    let mut p = 0;
    varint(&sizes, &mut p)?;
    varint(&sizes, &mut p).map(|n| n as u64)
}

/// A little-endian base-128 number (delta sizes).
fn varint(b: &[u8], p: &mut usize) -> Option<usize> {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let c = *b.get(*p)?;
        *p += 1;
        n |= usize::from(c & 0x7f).checked_shl(shift)?;
        if c & 0x80 == 0 {
            return Some(n);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Whether a tree entry's mode is a directory's.
pub(crate) fn is_tree(mode: u32) -> bool {
    mode & 0o170000 == 0o040000
}

/// The entries of a tree object: name, id, mode; `None` where the tree is
/// damaged (the caller then asks libgit2).
pub(crate) fn tree_entries(data: &[u8]) -> impl Iterator<Item = Option<(&[u8], &[u8], u32)>> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let entry = (|| {
            let space = memchr::memchr(b' ', rest)?;
            let mode = rest[..space].iter().try_fold(0u32, |m, &c| {
                (b'0'..=b'7')
                    .contains(&c)
                    .then(|| (m << 3) | u32::from(c - b'0'))
            })?;
            let nul = space + 1 + memchr::memchr(0, &rest[space + 1..])?;
            let id = rest.get(nul + 1..nul + 21)?;
            let name = &rest[space + 1..nul];
            rest = &rest[nul + 21..];
            Some((name, id, mode))
        })();
        if entry.is_none() {
            rest = &[];
        }
        Some(entry)
    })
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> Option<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, at).ok()
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> Option<()> {
    use std::io::{Read, Seek, SeekFrom};
    // One shared cursor: serialise, as positioned reads need not.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().ok()?;
    let mut f = file;
    f.seek(SeekFrom::Start(at)).ok()?;
    f.read_exact(buf).ok()
}

type CacheKey = (usize, u64);

/// Recently built delta bases, within [`BASE_CACHE_BYTES`]: two
/// generations, the older dropped whole when the newer fills (an
/// approximation of least-recently-used with no bookkeeping per hit).
#[derive(Default)]
struct BaseCache {
    current: HashMap<CacheKey, (Kind, Arc<[u8]>)>,
    previous: HashMap<CacheKey, (Kind, Arc<[u8]>)>,
    current_bytes: usize,
}

impl BaseCache {
    fn get(&mut self, key: CacheKey) -> Option<(Kind, Arc<[u8]>)> {
        if let Some((kind, bytes)) = self.current.get(&key) {
            return Some((*kind, Arc::clone(bytes)));
        }
        let (kind, bytes) = self.previous.remove(&key)?;
        self.insert(key, kind, Arc::clone(&bytes));
        Some((kind, bytes))
    }

    fn insert(&mut self, key: CacheKey, kind: Kind, bytes: Arc<[u8]>) {
        let half = BASE_CACHE_BYTES / 2;
        if bytes.len() > half / 2 || self.current.contains_key(&key) {
            return;
        }
        if self.current_bytes + bytes.len() > half {
            self.previous = std::mem::take(&mut self.current);
            self.current_bytes = 0;
        }
        self.current_bytes += bytes.len();
        self.current.insert(key, (kind, bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        crate::git::test_git(dir, args)
    }

    /// Every object of a repository with deep delta chains (trees and
    /// blobs, offset and reference deltas) reads as libgit2 reads it, and
    /// is refused by a limit one byte below libgit2's size.
    #[test]
    fn every_packed_object_reads_as_libgit2_reads_it() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        git(p, &["init", "-q", "-b", "main"]);
        let mut text = String::new();
        for round in 0..40 {
            for i in 0..60 {
                text.push_str(&format!(
                    "line {i} of round {round}: {}\n",
                    "x".repeat(i % 17)
                ));
            }
            std::fs::create_dir_all(p.join("dir/sub")).unwrap();
            std::fs::write(p.join("dir/sub/settings.py"), &text).unwrap();
            std::fs::write(
                p.join(format!("dir/file{}.txt", round % 7)),
                &text[text.len() / 2..],
            )
            .unwrap();
            // A large blob: copies need more than one 64 KB instruction.
            let big: String = (0..9000).map(|i| format!("{i} {round}\n")).collect();
            std::fs::write(p.join("big.txt"), big).unwrap();
            git(p, &["add", "-A"]);
            git(p, &["commit", "-q", "-m", &format!("round {round}")]);
        }
        for (extra, by_base_id) in [
            (&["gc", "-q", "--aggressive"][..], false),
            (
                &[
                    "-c",
                    "repack.useDeltaBaseOffset=false",
                    "repack",
                    "-q",
                    "-a",
                    "-d",
                    "-f",
                ],
                true,
            ),
        ] {
            git(p, extra);
            let objects = p.join(".git/objects");
            let packs = Packs::open(&[objects]);
            assert_eq!(packs.packs.len(), 1);
            let repo = git2::Repository::open(p).unwrap();
            let odb = repo.odb().unwrap();
            let mut ids = Vec::new();
            odb.foreach(|id| {
                ids.push(*id);
                true
            })
            .unwrap();
            assert!(ids.len() > 200, "{}", ids.len());
            // First bytes alone (`prefix`), before any base is cached and
            // after: the start of what a whole read gives, and nothing for
            // an object over the limit.
            let cold = Packs::open(&[p.join(".git/objects")]);
            for (round, packs) in [&cold, &cold].into_iter().enumerate() {
                for id in &ids {
                    let theirs = odb.read(*id).unwrap();
                    let len = theirs.len() as u64;
                    for n in [1, 16, 100, 5000, 70_000, 1 << 20] {
                        let head = packs.read_prefix(id.as_bytes(), n, len).unwrap();
                        let want = &theirs.data()[..n.min(theirs.len())];
                        assert_eq!(head.as_deref(), Some(want), "{id} {n} {round}");
                    }
                    if len > 0 {
                        assert_eq!(packs.read_prefix(id.as_bytes(), 16, len - 1), Some(None));
                    }
                }
                // The second round finds bases cached by whole reads.
                for id in &ids {
                    packs.read(id.as_bytes()).unwrap();
                }
            }
            let (mut by_offset, mut by_id) = (0, 0);
            for id in &ids {
                let theirs = odb.read(*id).unwrap();
                let (kind, data) = packs.read(id.as_bytes()).expect("packed object reads");
                assert_eq!(data, theirs.data(), "{id}");
                let kind_theirs = match theirs.kind() {
                    git2::ObjectType::Commit => Kind::Commit,
                    git2::ObjectType::Tree => Kind::Tree,
                    git2::ObjectType::Blob => Kind::Blob,
                    _ => Kind::Tag,
                };
                assert_eq!(kind, kind_theirs, "{id}");
                // Exactly its size fits the limit; one byte less does not
                // (judged from the header, or a delta's first bytes).
                let len = theirs.len() as u64;
                let within = packs.read_within(id.as_bytes(), len).unwrap();
                assert_eq!(within.map(|(_, d)| d).as_deref(), Some(theirs.data()));
                if len > 0 {
                    assert!(
                        packs.read_within(id.as_bytes(), len - 1) == Some(None),
                        "{id}"
                    );
                }
                let (pi, at) = packs.locate(id.as_bytes()).unwrap();
                match packs.packs[pi].head_at(at, &mut Vec::new()).unwrap().base {
                    Some(Base::Offset(_)) => by_offset += 1,
                    Some(Base::Id(_)) => by_id += 1,
                    None => {}
                }
            }
            // gc writes offset deltas; the repack, deltas by base id.
            let (used, unused) = if by_base_id {
                (by_id, by_offset)
            } else {
                (by_offset, by_id)
            };
            assert!(used > 100 && unused == 0, "deltas: {by_offset} {by_id}");
            // Not in any pack: libgit2's business.
            assert!(packs.read(&[0u8; 20]).is_none());
        }
    }

    /// The packs of alternate object directories are read too: a
    /// relative entry, a chain of two, comments, blank lines, and a loop
    /// back to the directory itself.
    #[test]
    fn packs_of_alternates_are_read() {
        let d = tempfile::tempdir().unwrap();
        let repo = |name: &str, file: &str| {
            let p = d.path().join(name);
            std::fs::create_dir_all(&p).unwrap();
            git(&p, &["init", "-q", "-b", "main"]);
            std::fs::write(p.join(file), format!("{name}\n")).unwrap();
            git(&p, &["add", "-A"]);
            git(&p, &["commit", "-q", "-m", name]);
            git(&p, &["gc", "-q"]);
            let blob = git(&p, &["rev-parse", &format!("HEAD:{file}")]);
            (p, hex::decode(blob.trim()).unwrap())
        };
        let (a, in_a) = repo("a", "a.txt");
        let (b, in_b) = repo("b", "b.txt");
        let c = d.path().join("c");
        std::fs::create_dir_all(&c).unwrap();
        git(&c, &["init", "-q", "-b", "main"]);
        let info = |p: &Path| p.join(".git/objects/info");
        std::fs::create_dir_all(info(&b)).unwrap();
        std::fs::write(
            info(&b).join("alternates"),
            "# borrowed\n\n../../../a/.git/objects\n",
        )
        .unwrap();
        std::fs::create_dir_all(info(&c)).unwrap();
        std::fs::write(
            info(&c).join("alternates"),
            format!(
                "{}\n{}\n",
                b.join(".git/objects").display(),
                c.join(".git/objects").display()
            ),
        )
        .unwrap();
        let packs = Packs::open(&[c.join(".git/objects")]);
        assert_eq!(packs.packs.len(), 2);
        let (kind, data) = packs.read(&in_a).expect("read through b's alternates");
        assert_eq!((kind, data), (Kind::Blob, b"a\n".to_vec()));
        assert_eq!(packs.read(&in_b).unwrap().1, b"b\n");
        assert!(a.join(".git/objects/info/alternates").metadata().is_err());
    }

    /// A damaged header's size never reaches the allocator: inflating
    /// refuses sizes no stream of that length can hold.
    #[test]
    fn impossible_sizes_are_refused() {
        let mut z = Decompress::new(true);
        let mut stream = Vec::with_capacity(64);
        let mut c = flate2::Compress::new(flate2::Compression::default(), true);
        c.compress_vec(b"hello", &mut stream, flate2::FlushCompress::Finish)
            .unwrap();
        assert_eq!(inflate(&mut z, &stream, 5).unwrap(), b"hello");
        assert!(inflate(&mut z, &stream, 4).is_none());
        assert!(inflate(&mut z, &stream, usize::MAX).is_none());
        assert!(inflate(&mut z, &stream, 1 << 40).is_none());
        assert_eq!(deflate_bound(usize::MAX), usize::MAX);
    }
}
