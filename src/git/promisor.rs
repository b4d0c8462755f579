//! Partial clones (`git clone --filter=blob:none`, the `filter:` option of
//! actions/checkout) hold commits and trees but leave blobs on the
//! server. git fetches a missing object from the "promisor" remote when
//! something needs it; libgit2 does not, so dbguard does what git does:
//! it asks `git fetch` for the ids it needs, in one batch for a range
//! (git's own prefetch, `promisor_remote_get_direct`, runs the same
//! command), and one at a time for a blob found missing later.
//!
//! A fetch that fails is reported once and not retried: the blobs stay
//! missing, and the engine names each file it could not read.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{anyhow, bail};
use git2::{Oid, Repository};

use crate::changes::ObjectId;

/// The remote a partial clone fetches its missing objects from.
pub(super) struct Promisor {
    git_dir: PathBuf,
    remote: String,
    /// Set after a fetch failed: the remote cannot help, and asking again
    /// for each missing blob of a long history would take minutes.
    failed: AtomicBool,
    /// One fetch at a time: two threads missing the same blob would
    /// download it twice.
    fetching: Mutex<()>,
}

impl Promisor {
    /// The promisor remote of the repository at `git_dir`, when it is a
    /// partial clone: `extensions.partialClone` names it (git before 2.2x
    /// wrote only that), or a `remote.<name>.promisor = true`.
    pub(super) fn of(repo: &Repository, git_dir: &Path) -> Option<Promisor> {
        let config = repo.config().ok()?.snapshot().ok()?;
        let mut remote = config.get_string("extensions.partialclone").ok();
        if remote.is_none()
            && let Ok(entries) = config.entries(Some(r"remote\..*\.promisor"))
        {
            let mut entries = entries;
            while let Some(Ok(e)) = entries.next() {
                if e.value().is_ok_and(is_true)
                    && let Some(name) = e.name().ok().and_then(|n| {
                        n.strip_prefix("remote.")
                            .and_then(|n| n.strip_suffix(".promisor"))
                    })
                {
                    remote = Some(name.to_string());
                    break;
                }
            }
        }
        Some(Promisor {
            git_dir: git_dir.to_path_buf(),
            remote: remote.filter(|r| !r.is_empty())?,
            failed: AtomicBool::new(false),
            fetching: Mutex::new(()),
        })
    }

    /// Fetches `ids` from the promisor remote; `false` when it could not
    /// (the first failure is explained on stderr, later calls do nothing).
    pub(super) fn fetch(&self, ids: &[ObjectId]) -> bool {
        if ids.is_empty() {
            return true;
        }
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        let _one_at_a_time = self.fetching.lock();
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        match fetch_objects(&self.git_dir, &self.remote, ids) {
            Ok(()) => true,
            Err(e) => {
                self.failed.store(true, Ordering::Relaxed);
                eprintln!(
                    "dbguard: warning: cannot fetch missing objects from the promisor remote `{}` of this partial clone: {e:#}",
                    self.remote
                );
                false
            }
        }
    }

    /// The blobs of the commits `tips` minus those reachable from
    /// `hidden` that this clone does not hold, and, when `base` is given,
    /// those of `base`'s tree (the state a range starts from): what a
    /// `--range` check will read. `git rev-list --missing=print` lists
    /// them without fetching anything.
    pub(super) fn missing_in(
        &self,
        tips: &[Oid],
        hidden: &[Oid],
        base: Option<Oid>,
    ) -> anyhow::Result<Vec<ObjectId>> {
        let mut args: Vec<String> = tips.iter().map(Oid::to_string).collect();
        args.extend(hidden.iter().map(|h| format!("^{h}")));
        let mut missing = rev_list_missing(&self.git_dir, &args)?;
        if let Some(b) = base {
            missing.extend(rev_list_missing(
                &self.git_dir,
                &["--no-walk".to_string(), b.to_string()],
            )?);
        }
        missing.sort();
        missing.dedup();
        Ok(missing)
    }
}

fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
}

/// git, run on the repository at `git_dir` whatever the environment
/// says (a hook's `GIT_INDEX_FILE` has nothing to do with fetching).
fn git(git_dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(git_dir)
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null());
    cmd
}

/// The ids `git rev-list --objects --missing=print ARGS` marks missing.
fn rev_list_missing(git_dir: &Path, args: &[String]) -> anyhow::Result<Vec<ObjectId>> {
    let out = git(git_dir)
        .args([
            "rev-list",
            "--objects",
            "--missing=print",
            "--no-object-names",
        ])
        .args(args)
        .env("GIT_NO_LAZY_FETCH", "1")
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| anyhow!("cannot run git: {e}"))?;
    if !out.status.success() {
        bail!("git rev-list: {}", last_line(&out.stderr));
    }
    Ok(out
        .stdout
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(b"?"))
        .filter_map(|hex| std::str::from_utf8(hex).ok())
        .filter_map(|hex| Oid::from_str(hex.trim()).ok())
        .map(|oid| ObjectId::from_bytes(oid.as_bytes()))
        .collect())
}

/// `git fetch REMOTE --stdin` of exactly `ids`, as git's promisor code
/// runs it: no tags, no FETCH_HEAD, no submodules, no other blobs.
fn fetch_objects(git_dir: &Path, remote: &str, ids: &[ObjectId]) -> anyhow::Result<()> {
    let mut child = git(git_dir)
        .args([
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            remote,
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--quiet",
            "--stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run git: {e}"))?;
    let mut list = String::with_capacity(ids.len() * 41);
    for id in ids {
        list.push_str(&id.to_string());
        list.push('\n');
    }
    // Written on another thread: git may fill its stderr pipe before it
    // has read all of stdin.
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(mut s) = stdin {
            let _ = s.write_all(list.as_bytes());
        }
    });
    let out = child
        .wait_with_output()
        .map_err(|e| anyhow!("cannot run git: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        bail!("git fetch: {}", last_line(&out.stderr));
    }
    Ok(())
}

/// The line of git's error output that says why: its first `fatal:` or
/// `error:` line (git explains over several lines), else its last line.
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or_else(|| lines().next_back())
        .unwrap_or("failed")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_booleans_are_read_as_git_reads_them() {
        for v in ["true", "TRUE", "yes", "on", "1"] {
            assert!(is_true(v), "{v}");
        }
        for v in ["false", "0", "no", ""] {
            assert!(!is_true(v), "{v}");
        }
    }

    #[test]
    fn the_last_line_of_git_errors_says_why() {
        assert_eq!(
            last_line(b"remote: x\nfatal: could not read from remote\n\nPlease make sure\n"),
            "fatal: could not read from remote"
        );
        assert_eq!(last_line(b"one\ntwo\n"), "two");
        assert_eq!(last_line(b""), "failed");
    }
}
