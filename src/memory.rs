//! Hands back to the system the memory a finished batch of a `--range`
//! freed (issue 26).
//!
//! What a history check keeps alive is bounded by the batch in flight
//! (massif over 2,900 of ckan's commits, every rule: 40–55 MB of live heap
//! from start to end), yet its resident memory grew with the history
//! (anonymous memory 57 MB after the listing, 130 MB at the end of ckan's
//! 28,440 commits): freed blocks stay with the allocators. mimalloc keeps
//! each thread's freed pages in that thread's heap until the thread
//! collects them, and glibc (libgit2's and tree-sitter's allocations)
//! keeps freed chunks in its arenas. Between batches nothing is in flight,
//! so every thread collects then.

/// Returns freed memory to the system, on every thread of rayon's pool
/// and on this one. Costs a few milliseconds; call it between batches,
/// never per file.
pub fn release_freed() {
    rayon::broadcast(|_| collect_this_thread());
    collect_this_thread();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of glibc's arenas to
    // the system; it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// mimalloc's collection of the calling thread's heap: free pages go back
/// at once instead of after the purge delay.
fn collect_this_thread() {
    // SAFETY: mi_collect takes no pointers and may run on any thread.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
