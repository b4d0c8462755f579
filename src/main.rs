//! Parses the command line, runs it, and maps the outcome to an exit code:
//! 0 nothing at error severity, 1 error findings, 2 the run itself failed
//! (then one line on stderr says why and what to do).

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use dbguard::cli::Cli;

/// jemalloc, built unprefixed: it is also the `malloc` of tree-sitter,
/// libgit2 and zlib, so one allocator holds the process's memory and
/// hands freed pages back (see `dbguard::memory` for why and the figures).
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Whether the command line asks for a long scan (`--all`, `--range`),
/// read before anything else runs: the allocator is tuned for it first.
fn long_scan() -> bool {
    std::env::args_os().skip(1).any(|a| {
        let a = a.as_encoded_bytes();
        a == b"--all" || a == b"--range" || a.starts_with(b"--range=")
    })
}

fn main() -> ExitCode {
    if long_scan() {
        dbguard::memory::for_long_scans();
    }
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
