//! Keeps a long scan's resident memory near what it has live (issue 26).
//!
//! What a history check keeps alive is bounded by the batch in flight
//! (ckan's whole history, every rule: at most 70–73 MB of live heap, 57 of
//! it Rust's and 13–18 tree-sitter's), yet its resident memory was twice
//! that: 155 MB, 124–129 MB of it anonymous. Session 16 had Rust on
//! mimalloc and tree-sitter and libgit2 on glibc's malloc; at the peak
//! mimalloc held 96 MB resident and glibc's two thread arenas 29 MB, freed
//! blocks both kept for reuse (mimalloc's purge delays, `mi_collect` and
//! `malloc_trim` between batches notwithstanding; tree-sitter and libgit2
//! moved onto mimalloc: 142–147 MB).
//!
//! jemalloc, built unprefixed, is now the allocator of the whole process,
//! Rust's and the C libraries': one allocator, whose freed pages go back
//! to the system as soon as they are free when the decay times are 0
//! (ckan, every rule, peak RSS: 103–107 MB with decay 0, 114 MB with 100
//! ms, 121 MB with jemalloc's default 10 s). Returning pages at once costs
//! system time (ckan: 3.4 s → 7.5 s), not user time, and only long scans
//! pay it: a staged check keeps jemalloc's defaults.
//!
//! The rest of the peak is file pages: the binary, and each pack index
//! mapped twice, by libgit2 and by `git::pack` (7.6 MB each on ckan).
//! libgit2 reads every commit of the range through its mapping when the
//! range is listed, and little after; [`release_freed`] lets its pages go.

/// Gives freed memory back to the system at once for the rest of the
/// process. Call it first thing in `main`, for `--all` and `--range`.
pub fn for_long_scans() {
    #[cfg(unix)]
    jemalloc::decay_at_once();
}

/// Returns memory that a finished batch of a `--range` freed: every
/// thread's cache of freed blocks, the allocator's free pages, and the
/// pages of the pack indexes' mappings (read again from the page cache
/// when needed). Costs a few milliseconds; call it between batches, never
/// per file.
pub fn release_freed() {
    #[cfg(unix)]
    {
        rayon::broadcast(|_| jemalloc::flush_this_thread());
        jemalloc::flush_this_thread();
        jemalloc::purge();
    }
    #[cfg(target_os = "linux")]
    index_pages::release();
}

#[cfg(unix)]
mod jemalloc {
    use tikv_jemalloc_ctl::raw;

    /// `MALLCTL_ARENAS_ALL` of jemalloc.h: an arena index that names them
    /// all.
    const ALL_ARENAS: usize = 4096;

    /// Sets the dirty and muzzy decay times of every arena, and of those
    /// made later, to 0: a freed page goes back to the system at once.
    /// (Muzzy pages, given back with `MADV_FREE`, stay resident until the
    /// system needs them: they must go at once too.)
    pub(super) fn decay_at_once() {
        // SAFETY: these controls take an `isize` (`ssize_t`), which is
        // what is written.
        unsafe {
            let _ = raw::write(b"arenas.dirty_decay_ms\0", 0isize);
            let _ = raw::write(b"arenas.muzzy_decay_ms\0", 0isize);
        }
        // SAFETY: `arenas.narenas` is an `unsigned`.
        let arenas: u32 = unsafe { raw::read(b"arenas.narenas\0") }.unwrap_or(0);
        for i in 0..arenas {
            for what in ["dirty", "muzzy"] {
                let name = format!("arena.{i}.{what}_decay_ms\0");
                // SAFETY: as above; an arena not made yet is an error,
                // ignored (it will take the defaults set above).
                let _ = unsafe { raw::write(name.as_bytes(), 0isize) };
            }
        }
    }

    /// Returns the calling thread's cache of freed blocks to its arena.
    pub(super) fn flush_this_thread() {
        // SAFETY: `thread.tcache.flush` takes no value.
        let _ = unsafe { raw::write(b"thread.tcache.flush\0", ()) };
    }

    /// Gives every arena's free pages back to the system.
    pub(super) fn purge() {
        let name = format!("arena.{ALL_ARENAS}.purge\0");
        // SAFETY: `arena.<i>.purge` takes no value.
        let _ = unsafe { raw::write(name.as_bytes(), ()) };
    }
}

#[cfg(target_os = "linux")]
mod index_pages {
    /// Drops this process's resident pages of every pack index mapping
    /// (`objects/pack/*.idx`), libgit2's and `git::pack`'s: read-only
    /// shared file mappings, whose content stays in the page cache and
    /// is mapped again by the next read that needs it. libgit2 maps a
    /// pack's index whole and gives no handle on it, hence the search of
    /// `/proc/self/maps`.
    pub(super) fn release() {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return;
        };
        for (start, end) in maps.lines().filter_map(index_mapping) {
            // SAFETY: the range is a whole mapping of a file opened
            // read-only and never written (`r--s` or `r--p`, checked by
            // `index_mapping`): MADV_DONTNEED leaves its content as it
            // was, read again from the file on the next access.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }

    /// The address range of a `/proc/self/maps` line when it maps a pack
    /// index read-only.
    pub(super) fn index_mapping(line: &str) -> Option<(usize, usize)> {
        let mut fields = line.split_ascii_whitespace();
        let range = fields.next()?;
        let perms = fields.next()?;
        let path = fields.nth(3)?;
        if !(perms.starts_with("r-") && path.ends_with(".idx") && path.contains("/pack/")) {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        (start < end).then_some((start, end))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn only_read_only_pack_index_mappings_are_dropped() {
            let idx = "7f061ce00000-7f061ed00000 r--s 00000000 fd:01 123 /r/.git/objects/pack/pack-3b5c.idx";
            assert_eq!(
                index_mapping(idx),
                Some((0x7f06_1ce0_0000, 0x7f06_1ed0_0000))
            );
            let private = idx.replace("r--s", "r--p");
            assert!(index_mapping(&private).is_some());
            for other in [
                idx.replace("r--s", "rw-s"),
                idx.replace(".idx", ".pack"),
                idx.replace("/pack/", "/other/"),
                "7f0610000000-7f0611170000 rw-p 00000000 00:00 0 ".to_string(),
                "55f4cf32e000-55f4cf8d8000 r-xp 002cf000 fd:01 9 /bin/dbguard".to_string(),
            ] {
                assert_eq!(index_mapping(&other), None, "{other}");
            }
        }

        /// A mapping of an index, its pages dropped, reads as before.
        #[test]
        fn a_dropped_index_reads_the_same() {
            let d = tempfile::tempdir().unwrap();
            let dir = d.path().join("objects/pack");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("pack-1.idx");
            let bytes: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            // SAFETY: the file is not changed while mapped.
            let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
            assert_eq!(&map[..], &bytes[..]);
            let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
            let line = maps
                .lines()
                .find(|l| l.ends_with("/pack/pack-1.idx"))
                .unwrap();
            assert!(index_mapping(line).is_some(), "{line}");
            release();
            assert_eq!(&map[..], &bytes[..]);
        }
    }
}
