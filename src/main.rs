//! Parses the command line, runs it, and maps the outcome to an exit code:
//! 0 nothing at error severity, 1 error findings, 2 the run itself failed
//! (then one line on stderr says why and what to do).

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use dbguard::cli::Cli;

/// A check allocates a path per file of a tree (60,000 on a large
/// repository) from several threads; mimalloc serves that with a
/// fraction of the system allocator's page faults (a staged check on
/// that repository: 4,700 faults and 60 ms before, 1,000 and 41 ms after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc commits its arenas whole by default, which is what makes a
/// staged check fault so few pages; a whole-tree or history scan would
/// keep ~100 MB of arena resident for ~50 MB of live data (peak memory
/// of `--all` on the benchmark repository: 101 MB eager, 63 MB lazy).
/// So the long scans commit arena memory as they touch it. mimalloc reads
/// the option when it creates its first arena, on the first allocation,
/// before `main`: the choice is made in a constructor, from the raw
/// arguments glibc hands to constructors.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod lazy_commit {
    use std::ffi::{CStr, c_char, c_int};

    /// `mi_option_arena_eager_commit`, fifth in `mi_option_e` of
    /// mimalloc.h (v2 and v3); libmimalloc-sys names only some options.
    const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

    /// `mi_option_purge_delay`, sixteenth in `mi_option_e` of mimalloc.h
    /// (v3, which libmimalloc-sys builds by default).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

    /// Milliseconds before freed arena memory goes back to the system.
    /// mimalloc v3 waits 1,000: `--range` frees a 5–7 MB tree snapshot per
    /// commit, and a second's worth of them stayed resident (peak 156–168
    /// MB on the benchmark history, 131–145 MB with 10 ms; wall time within
    /// noise back to back, but more system time: the harness measured
    /// 0.98× `git log -p` before and 1.06× after).
    const PURGE_DELAY_MS: std::ffi::c_long = 10;

    /// `mi_option_arena_max_object_size`, forty-sixth in `mi_option_e`
    /// (v3), in KiB.
    const MI_OPTION_ARENA_MAX_OBJECT_SIZE: libmimalloc_sys::mi_option_t = 45;

    /// Blocks larger than this come from the system and go back to it
    /// when freed. `--range` frees tree snapshots (two blocks of 3–4 MB
    /// each) and commits' changes many times a second, and freed arena
    /// blocks stayed resident for a while (peak of six interleaved runs of
    /// `--range HEAD` on the benchmark: median 95 MB, at most 101; with
    /// 512 KiB: median 88, at most 100; `--all` unchanged). Each fresh
    /// block is faulted in anew: that cost ~0.3 s of system time until
    /// range mode reused its snapshots' buffers (`RangeTrees::spare`),
    /// nothing measurable since.
    const ARENA_MAX_OBJECT_KIB: std::ffi::c_long = 512;

    #[used]
    #[unsafe(link_section = ".init_array")]
    static SET: extern "C" fn(c_int, *const *const c_char, *const *const c_char) = set;

    extern "C" fn set(argc: c_int, argv: *const *const c_char, _env: *const *const c_char) {
        if argv.is_null() {
            return;
        }
        let long = (1..usize::try_from(argc).unwrap_or(0)).any(|i| {
            // SAFETY: glibc passes main's argc and argv to constructors:
            // `argc` valid NUL-terminated strings.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes();
            arg == b"--all" || arg == b"--range" || arg.starts_with(b"--range=")
        });
        if long {
            // SAFETY: sets global options before any thread starts.
            unsafe {
                libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
                libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
                libmimalloc_sys::mi_option_set(
                    MI_OPTION_ARENA_MAX_OBJECT_SIZE,
                    ARENA_MAX_OBJECT_KIB,
                );
            }
        }
    }
}

fn main() -> ExitCode {
    // SAFETY: no thread has started and libgit2 has not been used yet.
    unsafe { dbguard::git::tune_libgit2() };
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(2)
                }
                _ => {
                    // clap's first line says what is wrong; the rest is usage.
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or("invalid arguments");
                    let first = first.trim_start_matches("error: ");
                    eprintln!("dbguard: error: {first} (see `dbguard --help`)");
                    ExitCode::from(2)
                }
            };
        }
    };
    match dbguard::run::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let msg = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("dbguard: error: {msg}");
            ExitCode::from(2)
        }
    }
}
