//! A reader for git's index file that keeps what libgit2 throws away: the
//! cache-tree (`TREE` extension).
//!
//! `git diff --cached` on a 60,000-file repository costs a few
//! milliseconds because the cache-tree records, per directory, the tree id
//! the index would produce; a directory whose id equals HEAD's is skipped
//! without reading it. libgit2 parses the cache-tree but does not expose
//! it, and it verifies the index checksum and builds a hash map of every
//! entry on each load, which costs ten times more than git's whole diff.
//! So staged mode reads the index itself, in this module.
//!
//! Anything this reader does not understand (split index, sparse index,
//! an unknown required extension, a version other than 2-4, a truncated
//! file) makes it return `None`, and the caller falls back to libgit2.
//! See <https://git-scm.com/docs/index-format>.

use std::collections::HashMap;
use std::path::Path;

use crate::changes::ObjectId;

/// One entry of the index, as stored. Its path stays in the
/// [`IndexFile`]'s bytes (see [`IndexFile::path`]): an allocation per path
/// was a third of the time to read a 60,000-entry index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry {
    path_start: u32,
    path_len: u32,
    pub mode: u32,
    pub oid: ObjectId,
    /// 0 for a normal entry, 1-3 for the sides of a conflict.
    pub stage: u8,
    /// `git add -N`: recorded, but not part of the next commit.
    pub intent_to_add: bool,
}

/// Where the entries' paths are: the mapped index itself (versions 2 and
/// 3 store each path whole), or a buffer the prefix-compressed paths of
/// version 4 were expanded into.
enum PathBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl PathBytes {
    fn bytes(&self) -> &[u8] {
        match self {
            PathBytes::Mapped(m) => m,
            PathBytes::Owned(v) => v,
        }
    }
}

impl std::fmt::Debug for PathBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PathBytes({} bytes)", self.bytes().len())
    }
}

/// The parsed index: its entries (sorted by path, then stage) and the
/// valid cache-tree nodes (directory path without trailing `/` -> tree id;
/// the root is the empty path).
#[derive(Debug)]
pub(crate) struct IndexFile {
    paths: PathBytes,
    pub entries: Vec<RawEntry>,
    pub cache_tree: HashMap<Vec<u8>, ObjectId>,
    /// Whether some entry is a side of a conflict or an intent-to-add
    /// (most indexes hold neither, and then every entry is staged as is).
    pub has_special: bool,
}

impl Default for IndexFile {
    fn default() -> IndexFile {
        IndexFile {
            paths: PathBytes::Owned(Vec::new()),
            entries: Vec::new(),
            cache_tree: HashMap::new(),
            has_special: false,
        }
    }
}

impl IndexFile {
    /// The path of `entry`, one of this index's entries.
    pub fn path(&self, entry: &RawEntry) -> &[u8] {
        let start = entry.path_start as usize;
        self.paths
            .bytes()
            .get(start..start + entry.path_len as usize)
            .unwrap_or_default()
    }
}

/// Reads the index at `path` with object ids of `oid_len` bytes. A missing
/// file is an empty index (a repository where nothing was ever staged).
/// `Ok(None)` means "not understood here, use libgit2".
pub(crate) fn read(path: &Path, oid_len: usize) -> std::io::Result<Option<IndexFile>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(IndexFile::default()));
        }
        Err(e) => return Err(e),
    };
    if file.metadata()?.len() == 0 {
        return Ok(parse(PathBytes::Owned(Vec::new()), oid_len));
    }
    // Mapped, as git reads it: the kernel maps the page cache sixteen
    // pages per fault, where reading a 7 MB index into a buffer faulted
    // on every page (a third of a staged check's time).
    // SAFETY: git replaces the index by renaming a new file over it and
    // never rewrites it in place, so the mapped bytes do not change
    // under us; a process that truncated it anyway would be breaking
    // git's own readers, which map it the same way.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(parse(PathBytes::Mapped(map), oid_len))
}

/// A cursor over the file's bytes; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Bytes up to (not including) the next NUL, which is consumed.
    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.pos..)?;
        let n = memchr::memchr(0, rest)?;
        let s = &rest[..n];
        self.pos += n + 1;
        Some(s)
    }

    /// git's offset-varint (index v4 path compression).
    fn varint(&mut self) -> Option<usize> {
        let mut b = *self.take(1)?.first()?;
        let mut value = usize::from(b & 0x7f);
        while b & 0x80 != 0 {
            b = *self.take(1)?.first()?;
            value = value.checked_add(1)?.checked_shl(7)? | usize::from(b & 0x7f);
        }
        Some(value)
    }
}

/// Parses index bytes; `None` when the format is not one this reader
/// handles or the data is inconsistent.
fn parse(file: PathBytes, oid_len: usize) -> Option<IndexFile> {
    let bytes = file.bytes();
    // The trailing checksum is the hash of everything before it.
    let body_len = bytes.len().checked_sub(oid_len)?;
    let body = &bytes[..body_len];
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    if r.take(4)? != b"DIRC" {
        return None;
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = r.u32()? as usize;
    let mut entries = Vec::with_capacity(count.min(body.len() / 62));
    // Version 4's expanded paths, one after the other.
    let mut expanded: Vec<u8> = Vec::new();
    let mut previous = 0..0;
    let mut has_special = false;
    for _ in 0..count {
        let start = r.pos;
        // ctime, mtime (8 each), dev, ino: not needed.
        r.take(24)?;
        let mode = r.u32()?;
        // uid, gid, size.
        r.take(12)?;
        let oid = ObjectId::from_bytes(r.take(oid_len)?);
        let flags = r.u16()?;
        let mut intent_to_add = false;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return None;
            }
            let extended = r.u16()?;
            intent_to_add = extended & 0x2000 != 0;
        }
        let path = if version == 4 {
            let strip = r.varint()?;
            let keep = previous.len().checked_sub(strip)?;
            let at = expanded.len();
            expanded.extend_from_within(previous.start..previous.start + keep);
            expanded.extend_from_slice(r.until_nul()?);
            previous = at..expanded.len();
            previous.clone()
        } else {
            let at = r.pos;
            // The flags hold the path's length when it is below 0xFFF;
            // trusting it (after checking the NUL that must follow) saves
            // searching every path for its end.
            let short = usize::from(flags & 0xfff);
            let p = if short < 0xfff && body.get(at + short) == Some(&0) {
                r.take(short + 1)?;
                &body[at..at + short]
            } else {
                r.until_nul()?
            };
            // Entries are padded with NULs to a multiple of 8 bytes; the
            // terminating NUL is part of the padding.
            let len = r.pos - start;
            let padded = (len + 7) & !7;
            r.take(padded - len)?;
            at..at + p.len()
        };
        // A sparse-index directory entry stands for a whole subtree.
        if mode & 0o170000 == 0o040000 {
            return None;
        }
        let stage = ((flags >> 12) & 0x3) as u8;
        has_special |= stage != 0 || intent_to_add;
        entries.push(RawEntry {
            path_start: u32::try_from(path.start).ok()?,
            path_len: u32::try_from(path.len()).ok()?,
            mode,
            oid,
            stage,
            intent_to_add,
        });
    }
    let mut cache_tree = HashMap::new();
    while r.pos < body.len() {
        let signature = r.take(4)?;
        let size = r.u32()? as usize;
        let data = r.take(size)?;
        match signature {
            b"TREE" => cache_tree = parse_cache_tree(data, oid_len)?,
            // Split index: the entries live in another file.
            b"link" => return None,
            // Sparse index marker.
            b"sdir" => return None,
            // Optional extensions (uppercase first letter) can be ignored.
            s if s[0].is_ascii_uppercase() => {}
            _ => return None,
        }
    }
    Some(IndexFile {
        paths: if version == 4 {
            PathBytes::Owned(expanded)
        } else {
            file
        },
        entries,
        cache_tree,
        has_special,
    })
}

/// The `TREE` extension: nodes in pre-order, each `name NUL entry_count SP
/// subtree_count LF [oid]`; an invalidated node has entry_count -1 and no
/// id.
fn parse_cache_tree(data: &[u8], oid_len: usize) -> Option<HashMap<Vec<u8>, ObjectId>> {
    let mut r = Reader {
        bytes: data,
        pos: 0,
    };
    // Sized for the whole extension up front (a node takes at least a
    // name, counts and an id): growing rehashed every path a dozen times.
    let mut out = HashMap::with_capacity(data.len() / (oid_len + 6));
    // The current directory's path, and per open directory the length of
    // its path and the children still to read below it.
    let mut path: Vec<u8> = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    while r.pos < data.len() {
        let name = r.until_nul()?;
        let rest = r.bytes.get(r.pos..)?;
        let line_end = memchr::memchr(b'\n', rest)?;
        let line = std::str::from_utf8(&rest[..line_end]).ok()?;
        r.pos += line_end + 1;
        let (entry_count, subtrees) = line.split_once(' ')?;
        let entry_count: i64 = entry_count.parse().ok()?;
        let subtrees: usize = subtrees.parse().ok()?;
        match stack.last_mut() {
            None => {
                path.clear();
                path.extend_from_slice(name);
            }
            Some((parent, remaining)) => {
                *remaining = remaining.checked_sub(1)?;
                path.truncate(*parent);
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(name);
            }
        }
        if entry_count >= 0 {
            out.insert(path.clone(), ObjectId::from_bytes(r.take(oid_len)?));
        }
        stack.push((path.len(), subtrees));
        while stack.last().is_some_and(|(_, remaining)| *remaining == 0) {
            stack.pop();
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_bytes(bytes: &[u8], oid_len: usize) -> Option<IndexFile> {
        parse(PathBytes::Owned(bytes.to_vec()), oid_len)
    }

    fn entry_bytes(version: u32, path: &[u8], oid: u8, flags_stage: u16, prev: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 24];
        b.extend_from_slice(&0o100644u32.to_be_bytes());
        b.extend_from_slice(&[0u8; 12]);
        b.extend_from_slice(&[oid; 20]);
        let name_len = path.len().min(0xfff) as u16;
        b.extend_from_slice(&((flags_stage << 12) | name_len).to_be_bytes());
        if version == 4 {
            let common = prev.iter().zip(path).take_while(|(a, b)| a == b).count();
            b.push((prev.len() - common) as u8);
            b.extend_from_slice(&path[common..]);
            b.push(0);
        } else {
            b.extend_from_slice(path);
            let len = b.len() + 1;
            let padded = (len + 7) & !7;
            b.resize(padded, 0);
        }
        b
    }

    fn index_bytes(version: u32, paths: &[&[u8]], tree: Option<&[u8]>) -> Vec<u8> {
        let mut b = b"DIRC".to_vec();
        b.extend_from_slice(&version.to_be_bytes());
        b.extend_from_slice(&(paths.len() as u32).to_be_bytes());
        let mut prev: &[u8] = b"";
        for (i, p) in paths.iter().enumerate() {
            b.extend(entry_bytes(version, p, i as u8 + 1, 0, prev));
            prev = p;
        }
        if let Some(t) = tree {
            b.extend_from_slice(b"TREE");
            b.extend_from_slice(&(t.len() as u32).to_be_bytes());
            b.extend_from_slice(t);
        }
        b.extend_from_slice(&[0u8; 20]);
        b
    }

    #[test]
    fn parses_entries_in_every_version() {
        for version in [2, 3, 4] {
            let paths: &[&[u8]] = &[b"a.txt", b"dir/b.py", b"dir/c.py", b"z"];
            let idx = parse_bytes(&index_bytes(version, paths, None), 20).unwrap();
            let got: Vec<_> = idx.entries.iter().map(|e| idx.path(e)).collect();
            assert_eq!(got, paths, "version {version}");
            assert_eq!(idx.entries[1].oid, ObjectId::from_bytes(&[2; 20]));
            assert_eq!(idx.entries[1].mode, 0o100644);
            assert!(!idx.has_special);
        }
    }

    #[test]
    fn paths_longer_than_the_flags_can_say_and_wrong_lengths_are_read_whole() {
        let long = vec![b'x'; 5000];
        // (Version 4 stores lengths differently; the helper writes its
        // prefix lengths as one byte.)
        for version in [2, 3] {
            let paths: &[&[u8]] = &[b"a.txt", &long, b"y.py"];
            let idx = parse_bytes(&index_bytes(version, paths, None), 20).unwrap();
            let got: Vec<_> = idx.entries.iter().map(|e| idx.path(e)).collect();
            assert!(got == paths, "version {version}");
        }
        // A length in the flags that does not end at the NUL is ignored.
        let mut b = index_bytes(2, &[b"abcdef", b"g"], None);
        let flags_at = 12 + 24 + 4 + 12 + 20;
        b[flags_at + 1] = 3;
        let idx = parse_bytes(&b, 20).unwrap();
        let got: Vec<_> = idx.entries.iter().map(|e| idx.path(e)).collect();
        assert_eq!(got, [b"abcdef".as_slice(), b"g"]);
    }

    #[test]
    fn a_conflict_stage_marks_the_index_special() {
        for version in [2u32, 3, 4] {
            let mut b = b"DIRC".to_vec();
            b.extend_from_slice(&version.to_be_bytes());
            b.extend_from_slice(&2u32.to_be_bytes());
            b.extend(entry_bytes(version, b"a.txt", 1, 0, b""));
            b.extend(entry_bytes(version, b"b.txt", 2, 2, b"a.txt"));
            b.extend_from_slice(&[0u8; 20]);
            let idx = parse_bytes(&b, 20).unwrap();
            assert_eq!(idx.entries[1].stage, 2, "version {version}");
            assert!(idx.has_special, "version {version}");
        }
    }

    #[test]
    fn parses_the_cache_tree_with_invalid_nodes() {
        let mut t = Vec::new();
        t.extend_from_slice(b"\x003 2\n");
        t.extend_from_slice(&[9; 20]);
        t.extend_from_slice(b"dir\x00-1 1\n");
        t.extend_from_slice(b"sub\x001 0\n");
        t.extend_from_slice(&[7; 20]);
        t.extend_from_slice(b"other\x001 0\n");
        t.extend_from_slice(&[5; 20]);
        let idx = parse_bytes(&index_bytes(2, &[b"a"], Some(&t)), 20).unwrap();
        assert_eq!(
            idx.cache_tree.get(b"".as_slice()),
            Some(&ObjectId::from_bytes(&[9; 20]))
        );
        assert!(!idx.cache_tree.contains_key(b"dir".as_slice()));
        assert_eq!(
            idx.cache_tree.get(b"dir/sub".as_slice()),
            Some(&ObjectId::from_bytes(&[7; 20]))
        );
        assert_eq!(
            idx.cache_tree.get(b"other".as_slice()),
            Some(&ObjectId::from_bytes(&[5; 20]))
        );
    }

    #[test]
    fn cache_tree_paths_climb_back_out_of_nested_directories() {
        let mut t = Vec::new();
        let node = |t: &mut Vec<u8>, name: &str, subtrees: u8, id: u8| {
            t.extend_from_slice(format!("{name}\x001 {subtrees}\n").as_bytes());
            t.extend_from_slice(&[id; 20]);
        };
        node(&mut t, "", 2, 1);
        node(&mut t, "dir", 2, 2);
        node(&mut t, "sub", 1, 3);
        node(&mut t, "deep", 0, 4);
        node(&mut t, "next", 0, 5);
        node(&mut t, "other", 0, 6);
        let idx = parse_bytes(&index_bytes(2, &[b"a"], Some(&t)), 20).unwrap();
        let mut got: Vec<(String, u8)> = idx
            .cache_tree
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.as_bytes()[0]))
            .collect();
        got.sort();
        let want = [
            ("", 1),
            ("dir", 2),
            ("dir/next", 5),
            ("dir/sub", 3),
            ("dir/sub/deep", 4),
            ("other", 6),
        ];
        let want: Vec<(String, u8)> = want.iter().map(|(p, i)| (p.to_string(), *i)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn unknown_or_broken_input_is_declined_not_misread() {
        assert!(parse_bytes(b"", 20).is_none());
        assert!(parse_bytes(b"DIRC\0\0\0\x05\0\0\0\0aaaaaaaaaaaaaaaaaaaa", 20).is_none());
        let mut b = index_bytes(2, &[b"a", b"b"], None);
        b.truncate(40);
        assert!(parse_bytes(&b, 20).is_none());
        let mut b = index_bytes(2, &[b"a"], None);
        let at = b.len() - 20;
        b.splice(at..at, b"link\0\0\0\x00".iter().copied());
        assert!(parse_bytes(&b, 20).is_none());
        // Arbitrary garbage never panics.
        for seed in 0..200u32 {
            let junk: Vec<u8> = (0..seed * 3)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect();
            let mut b = b"DIRC\0\0\0\x02".to_vec();
            b.extend(junk);
            let _ = parse_bytes(&b, 20);
        }
    }
}
