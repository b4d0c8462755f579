//! `dbguard install`: the git pre-commit hook that runs `dbguard check`.
//!
//! The hook goes where git really looks for it (`core.hooksPath`, else the
//! common git directory's `hooks/`, shared by linked worktrees; see
//! [`Repo::hooks_dir`]). It is a POSIX sh script marked with [`MARKER`], so
//! that dbguard recognises its own hook: re-installing it is idempotent,
//! `--uninstall` removes only it, and a hook somebody else wrote is never
//! overwritten without `--force` (and even then it is kept as
//! `pre-commit.dbguard-backup`, which `--uninstall` puts back).

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::git::Repo;

/// The line that marks a hook written by `dbguard install`.
pub const MARKER: &str = "# dbguard:install-hook";

/// Where a foreign hook is kept by `--force`.
const BACKUP: &str = "pre-commit.dbguard-backup";

/// How `dbguard install` was asked to run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Replace a hook dbguard did not write (keeping it as a backup).
    pub force: bool,
    /// Remove the hook dbguard wrote.
    pub uninstall: bool,
}

/// Quotes bytes for a POSIX shell: `'...'` with `'` written as `'\''`.
fn sh_quote(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'\''];
    for &b in bytes {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().replace('\\', "/").into_bytes()
}

/// The hook script for the dbguard binary at `exe`. When that file is
/// gone (upgraded, moved), the hook falls back to `dbguard` on `PATH`; when
/// there is none either, it refuses the commit with a line that says why.
pub fn hook_script(exe: &Path) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(b"#!/bin/sh\n");
    s.extend_from_slice(MARKER.as_bytes());
    s.extend_from_slice(
        b"\n# Written by `dbguard install`: refuses a commit that stages database files,\n\
          # .env files or credentials (`dbguard check`). Remove it with\n\
          # `dbguard install --uninstall`; skip it once with `git commit --no-verify`.\n",
    );
    s.extend_from_slice(b"dbguard=");
    s.extend_from_slice(&sh_quote(&path_bytes(exe)));
    s.extend_from_slice(
        b"\nif [ ! -x \"$dbguard\" ]; then\n\
          \x20   if command -v dbguard >/dev/null 2>&1; then\n\
          \x20       dbguard=dbguard\n\
          \x20   else\n\
          \x20       echo \"dbguard pre-commit hook: cannot find dbguard (not at $dbguard, not on PATH); install it, or remove this hook with 'dbguard install --uninstall'\" >&2\n\
          \x20       exit 2\n\
          \x20   fi\n\
          fi\n\
          exec \"$dbguard\" check\n",
    );
    s
}

/// Shows a path relative to the working tree when it lies inside it.
fn shown(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

/// Writes the hook atomically and makes it executable.
fn write_hook(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_file_name("pre-commit.dbguard-new");
    let written = (|| -> std::io::Result<()> {
        fs::write(&tmp, content)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
        }
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        bail!("cannot write the hook {}: {e}", path.display());
    }
    Ok(())
}

/// What is at the hook's path now.
enum Existing {
    None,
    Ours(Vec<u8>),
    Foreign { content: Vec<u8>, symlink: bool },
}

fn existing(path: &Path) -> anyhow::Result<Existing> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Existing::None),
        Err(e) => bail!("cannot read {}: {e}", path.display()),
    };
    if meta.is_dir() {
        bail!(
            "{} is a directory, not a hook; move it away and run dbguard install again",
            path.display()
        );
    }
    let symlink = meta.file_type().is_symlink();
    // A dangling symlink reads as empty: it is still somebody's hook.
    let content = fs::read(path).unwrap_or_default();
    let ours = !symlink
        && content
            .split(|&b| b == b'\n')
            .any(|l| l == MARKER.as_bytes());
    Ok(if ours {
        Existing::Ours(content)
    } else {
        Existing::Foreign { content, symlink }
    })
}

/// Runs `dbguard install`, writing what it did to `out`.
pub fn run(repo: &Repo, opts: Options, out: &mut dyn Write) -> anyhow::Result<()> {
    let dir = repo.hooks_dir()?;
    let hook = dir.join("pre-commit");
    let backup = dir.join(BACKUP);
    let root = repo.root();
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
    };

    if opts.uninstall {
        match existing(&hook)? {
            Existing::None => say(format!(
                "no pre-commit hook at {}: nothing to remove",
                shown(root, &hook)
            )),
            Existing::Foreign { .. } => say(format!(
                "left {} alone: dbguard did not write it (remove any `dbguard check` line from it yourself)",
                shown(root, &hook)
            )),
            Existing::Ours(_) => {
                fs::remove_file(&hook)
                    .with_context(|| format!("cannot remove {}", hook.display()))?;
                say(format!(
                    "removed the pre-commit hook {}",
                    shown(root, &hook)
                ));
                if fs::symlink_metadata(&backup).is_ok() {
                    fs::rename(&backup, &hook).with_context(|| {
                        format!("cannot restore {} to {}", backup.display(), hook.display())
                    })?;
                    say(format!(
                        "restored the previous hook from {}",
                        shown(root, &backup)
                    ));
                }
            }
        }
        return Ok(());
    }

    let exe = std::env::current_exe()
        .context("cannot tell where the dbguard binary is (needed by the hook)")?;
    let script = hook_script(&exe);
    match existing(&hook)? {
        Existing::Ours(content) if content == script => {
            say(format!(
                "the pre-commit hook is already installed: {}",
                shown(root, &hook)
            ));
            return Ok(());
        }
        Existing::Ours(_) => {
            write_hook(&hook, &script)?;
            say(format!(
                "updated the pre-commit hook {} (runs dbguard check)",
                shown(root, &hook)
            ));
            return Ok(());
        }
        Existing::Foreign { content, symlink } if !opts.force => {
            let text = String::from_utf8_lossy(&content);
            if !symlink && text.contains("dbguard check") {
                say(format!(
                    "the pre-commit hook {} already runs dbguard check; left it as it is",
                    shown(root, &hook)
                ));
                return Ok(());
            }
            if text.contains("pre-commit.com") || text.contains("File generated by pre-commit") {
                bail!(
                    "{} is managed by the pre-commit framework: add the dbguard hook to .pre-commit-config.yaml instead \
                     (or run `dbguard install --force` to replace it, keeping it as {BACKUP})",
                    shown(root, &hook)
                );
            }
            bail!(
                "a pre-commit hook that dbguard did not write exists at {}: add the line `dbguard check || exit 1` to it, \
                 or run `dbguard install --force` to replace it (it is kept as {BACKUP})",
                shown(root, &hook)
            );
        }
        Existing::Foreign { .. } => {
            if fs::symlink_metadata(&backup).is_ok() {
                bail!(
                    "{} already exists: move it away before replacing another hook with --force",
                    shown(root, &backup)
                );
            }
            fs::rename(&hook, &backup).with_context(|| {
                format!("cannot move {} to {}", hook.display(), backup.display())
            })?;
            say(format!(
                "moved the existing pre-commit hook to {} (it no longer runs; `dbguard install --uninstall` puts it back)",
                shown(root, &backup)
            ));
        }
        Existing::None => {}
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_hook(&hook, &script)?;
    say(format!(
        "installed the pre-commit hook {} (runs dbguard check)",
        shown(root, &hook)
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote(b"/a b/it's"), b"'/a b/it'\\''s'".to_vec());
    }

    #[test]
    fn the_script_is_marked_and_runs_the_binary_with_a_fallback() {
        let s = String::from_utf8(hook_script(Path::new("/opt/x/dbguard"))).unwrap();
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.lines().any(|l| l == MARKER));
        assert!(s.contains("dbguard='/opt/x/dbguard'\n"));
        assert!(s.contains("command -v dbguard"));
        assert!(s.ends_with("exec \"$dbguard\" check\n"));
    }
}
