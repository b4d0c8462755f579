//! End-to-end tests of issue 28: `dbguard fix --clean` moves databases to
//! the trash in the git directory and never destroys one; `--restore`,
//! `--list-trash` and `--empty-trash`. Databases are real SQLite files
//! written by Python's sqlite3, including WAL mode with a reader open.
//!
//! Linux only: it is where dbguard can see which files other processes
//! hold open (`/proc`); elsewhere `--clean` is conservative and moves no
//! database, which `elsewhere_clean_leaves_every_database_in_place` pins.

mod common;

#[cfg(not(target_os = "linux"))]
#[test]
fn elsewhere_clean_leaves_every_database_in_place() {
    let repo = common::TestRepo::new();
    repo.write("app.db", "x");
    let run = repo.dbguard(&["fix", "--clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "note: left app.db alone: it is in use: dbguard cannot tell on this system whether another program holds it open"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(repo.read("app.db"), b"x");
}

#[cfg(target_os = "linux")]
mod linux {
    use super::common;

    use std::io::{BufRead, BufReader, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdin, Command, Stdio};

    use common::{Run, TestRepo};

    /// Runs a Python script with `args` and returns its stdout; panics when
    /// it fails.
    fn python(script: &str, args: &[&Path]) -> String {
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes a real SQLite database (rollback journal mode) with `rows` rows.
    fn write_db(path: &Path, rows: u32) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        python(
            "import sqlite3, sys\n\
         c = sqlite3.connect(sys.argv[1])\n\
         c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')\n\
         c.executemany('INSERT INTO t (v) VALUES (?)', [('row %d' % i,) for i in range(int(sys.argv[2]))])\n\
         c.commit(); c.close()",
            &[path, Path::new(&rows.to_string())],
        );
    }

    /// The rows SQLite reads from a database (and that it passes its
    /// integrity check).
    fn count_rows(path: &Path) -> u32 {
        python(
            "import sqlite3, sys\n\
         c = sqlite3.connect(sys.argv[1])\n\
         assert c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'\n\
         print(c.execute('SELECT count(*) FROM t').fetchone()[0])",
            &[path],
        )
        .trim()
        .parse()
        .unwrap()
    }

    /// A Python process holding a database open until its stdin closes.
    struct Holder {
        child: Child,
        stdin: Option<ChildStdin>,
    }

    impl Holder {
        /// Starts `script` on `path` and waits until it prints `ready`.
        fn start(script: &str, path: &Path) -> Holder {
            let mut child = Command::new("python3")
                .arg("-c")
                .arg(script)
                .arg(path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            let mut line = String::new();
            BufReader::new(child.stdout.as_mut().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line.trim(), "ready", "the holder started");
            let stdin = child.stdin.take();
            Holder { child, stdin }
        }

        /// Lets it close its connections the normal way and waits for it.
        fn close(mut self) {
            let mut stdin = self.stdin.take().unwrap();
            let _ = stdin.write_all(b"bye\n");
            drop(stdin);
            let status = self.child.wait().unwrap();
            assert!(status.success(), "the holder closed cleanly");
        }
    }

    impl Drop for Holder {
        fn drop(&mut self) {
            if self.stdin.is_some() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }

    /// A writer and a reader on one database in WAL mode: 500 rows committed
    /// to the WAL, the reader inside a read transaction.
    const WAL_HOLDER: &str = "import sqlite3, sys\n\
w = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
w.execute('PRAGMA journal_mode=WAL')\n\
w.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')\n\
w.executemany('INSERT INTO t (v) VALUES (?)', [('row %d' % i,) for i in range(500)])\n\
r = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
r.execute('BEGIN'); r.execute('SELECT count(*) FROM t').fetchone()\n\
print('ready', flush=True)\n\
sys.stdin.read()\n\
r.execute('COMMIT'); r.close(); w.close()\n";

    /// One connection that has read the database and keeps it open.
    const READER: &str = "import sqlite3, sys\n\
c = sqlite3.connect(sys.argv[1])\n\
c.execute('SELECT count(*) FROM t').fetchone()\n\
print('ready', flush=True)\n\
sys.stdin.read()\n\
c.close()\n";

    /// The run named in `put them back with: dbguard fix --restore RUN`.
    fn run_name(run: &Run) -> String {
        let marker = "put them back with: dbguard fix --restore ";
        let at = run
            .stdout
            .find(marker)
            .unwrap_or_else(|| panic!("no restore command in:\n{}", run.stdout));
        run.stdout[at + marker.len()..]
            .lines()
            .next()
            .unwrap()
            .to_string()
    }

    fn trash_dir(repo: &TestRepo) -> PathBuf {
        repo.path().join(".git/dbguard-trash")
    }

    fn ok(run: &Run) {
        assert_eq!(
            run.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
    }

    /// A FastAPI-style project: `backend/app.db` ignored, code tracked.
    fn project() -> TestRepo {
        let repo = TestRepo::new();
        repo.stage(".gitignore", "*.db\n__pycache__/\n")
            .stage("backend/app/main.py", "app = None\n");
        repo.commit("base");
        repo
    }

    #[test]
    fn issue_28_an_ignored_local_database_survives_clean_and_comes_back_byte_for_byte() {
        let repo = project();
        let db = repo.path().join("backend/app.db");
        write_db(&db, 1000);
        let bytes = std::fs::read(&db).unwrap();

        let dry = repo.dbguard(&["fix", "--clean", "--dry-run"]);
        ok(&dry);
        assert!(
            dry.stdout.contains(
                "would move backend/app.db (untracked SQLite database file) to the trash"
            ),
            "{}",
            dry.stdout
        );
        assert!(
            db.exists() && !trash_dir(&repo).exists(),
            "a dry run moves nothing"
        );

        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        assert!(
            run.stdout
                .contains("moved backend/app.db (untracked SQLite database file) to the trash"),
            "{}",
            run.stdout
        );
        let name = run_name(&run);
        assert!(
            run.stdout.contains(&format!(
                "moved 1 file ({:.1} KiB) to .git/dbguard-trash/{name}; put them back with",
                bytes.len() as f64 / 1024.0
            )),
            "{}",
            run.stdout
        );
        assert!(!db.exists());
        let stored = trash_dir(&repo).join(&name).join("files/backend/app.db");
        assert_eq!(std::fs::read(&stored).unwrap(), bytes);
        // A second run changes nothing; git clean never reaches the trash.
        let again = repo.dbguard(&["fix", "--clean"]);
        assert_eq!(again.stdout, "nothing to fix\n");
        repo.git(&["clean", "-fdxq"]);
        assert!(stored.exists());

        let listed = repo.dbguard(&["fix", "--list-trash"]);
        ok(&listed);
        let row = listed
            .stdout
            .lines()
            .find(|l| l.starts_with(&name))
            .unwrap_or_else(|| panic!("{}", listed.stdout));
        assert!(row.contains(" 1 ") && row.contains("KiB") && row.ends_with("this working tree"));

        let dry = repo.dbguard(&["fix", "--restore", "--dry-run"]);
        ok(&dry);
        assert!(
            dry.stdout.starts_with("would restore backend/app.db (")
                && dry.stdout.ends_with("dry run: nothing was changed\n"),
            "{}",
            dry.stdout
        );
        assert!(!db.exists() && stored.exists());
        let restored = repo.dbguard(&["fix", "--restore"]);
        ok(&restored);
        assert!(
            restored.stdout.contains("restored backend/app.db"),
            "{}",
            restored.stdout
        );
        assert_eq!(std::fs::read(&db).unwrap(), bytes, "byte for byte");
        assert_eq!(count_rows(&db), 1000);
        assert!(!trash_dir(&repo).join(&name).exists());
        let nothing = repo.dbguard(&["fix", "--restore"]);
        assert_eq!(nothing.code, 2);
        assert_eq!(nothing.stderr.lines().count(), 1, "{}", nothing.stderr);
        assert!(
            nothing.stderr.contains("holds nothing"),
            "{}",
            nothing.stderr
        );
    }

    #[test]
    fn a_database_recognised_by_content_moves_whatever_its_name() {
        let repo = project();
        write_db(&repo.path().join("data/cache"), 7);
        write_db(&repo.path().join("tracked/blob.bin"), 2);
        repo.add(&["tracked/blob.bin"]);
        repo.write("data/notes.txt", "SQLite is nice\n");
        // A named pipe called like a database is no file to move (nor to
        // open: that would block).
        #[cfg(unix)]
        {
            let fifo =
                std::ffi::CString::new(repo.path().join("data/pipe.db").to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        }
        let bytes = repo.read("data/cache");
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        assert!(
            run.stdout.contains(
                "moved data/cache (untracked SQLite database, recognised by content) to the trash"
            ),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("moved 1 file "), "{}", run.stdout);
        assert!(repo.path().join("tracked/blob.bin").exists());
        assert!(repo.path().join("data/notes.txt").exists());
        #[cfg(unix)]
        assert!(std::fs::symlink_metadata(repo.path().join("data/pipe.db")).is_ok());
        ok(&repo.dbguard(&["fix", "--restore"]));
        assert_eq!(repo.read("data/cache"), bytes);
        assert_eq!(count_rows(&repo.path().join("data/cache")), 7);
    }

    #[test]
    fn a_wal_database_with_a_reader_open_stays_and_moves_once_closed() {
        let repo = project();
        let db = repo.path().join("data/live.db");
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        let holder = Holder::start(WAL_HOLDER, &db);
        let wal = repo.path().join("data/live.db-wal");
        let shm = repo.path().join("data/live.db-shm");
        let db_bytes = std::fs::read(&db).unwrap();
        let wal_bytes = std::fs::read(&wal).unwrap();
        assert!(!wal_bytes.is_empty() && shm.exists());

        for args in [
            &["fix", "--clean", "--dry-run"][..],
            &["fix", "--clean"][..],
        ] {
            let run = repo.dbguard(args);
            ok(&run);
            assert!(
            run.stdout.contains(
                "note: left data/live.db alone: it is in use: its write-ahead log data/live.db-wal is not empty"
            ),
            "{}",
            run.stdout
        );
            for companion in ["data/live.db-wal", "data/live.db-shm"] {
                assert!(
                    run.stdout.contains(&format!(
                        "note: left {companion} alone: it belongs to data/live.db, which is in use"
                    )),
                    "{}",
                    run.stdout
                );
            }
            assert!(!run.stdout.contains("move data/"), "{}", run.stdout);
            assert!(!run.stdout.contains("moved data/"), "{}", run.stdout);
        }
        assert_eq!(std::fs::read(&db).unwrap(), db_bytes);
        assert_eq!(std::fs::read(&wal).unwrap(), wal_bytes);
        assert!(shm.exists());

        // Closed the normal way, SQLite checkpoints and removes the WAL: the
        // database is no longer in use and moves, WAL mode and all.
        holder.close();
        assert!(!wal.exists());
        let bytes = std::fs::read(&db).unwrap();
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        assert!(run.stdout.contains("moved data/live.db"), "{}", run.stdout);
        assert!(!db.exists());
        ok(&repo.dbguard(&["fix", "--restore", &run_name(&run)]));
        assert_eq!(std::fs::read(&db).unwrap(), bytes);
        assert_eq!(count_rows(&db), 500);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_database_another_process_holds_open_is_left_alone_and_named() {
        let repo = project();
        let db = repo.path().join("backend/app.db");
        write_db(&db, 10);
        repo.write("backend/old.db.bak", "a backup");
        let holder = Holder::start(READER, &db);
        let pid = holder.child.id();
        let bytes = std::fs::read(&db).unwrap();

        let dry = repo.dbguard(&["fix", "--clean", "--dry-run"]);
        ok(&dry);
        let expected = format!(
            "note: left backend/app.db alone: it is in use: process {pid} (python3) holds it open"
        );
        assert!(dry.stdout.contains(&expected), "{}", dry.stdout);
        assert!(
            dry.stdout
                .contains("would move backend/old.db.bak (untracked database backup) to the trash"),
            "{}",
            dry.stdout
        );
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        assert!(run.stdout.contains(&expected), "{}", run.stdout);
        assert!(run.stdout.contains("moved 1 file "), "{}", run.stdout);
        assert_eq!(std::fs::read(&db).unwrap(), bytes);

        holder.close();
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        assert!(
            run.stdout.contains("moved backend/app.db"),
            "{}",
            run.stdout
        );
        assert!(!db.exists());
        // Two runs now; the last one comes back first.
        ok(&repo.dbguard(&["fix", "--restore"]));
        assert_eq!(std::fs::read(&db).unwrap(), bytes);
        assert!(!repo.path().join("backend/old.db.bak").exists());
        ok(&repo.dbguard(&["fix", "--restore"]));
        assert_eq!(repo.read("backend/old.db.bak"), b"a backup");
    }

    #[test]
    fn a_hot_journal_keeps_its_database_in_place() {
        let repo = project();
        let db = repo.path().join("app.db");
        write_db(&db, 5);
        repo.write("app.db-journal", common::sqlite_journal_bytes());
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        assert!(
            run.stdout
                .contains("note: left app.db alone: it is in use: app.db-journal is a hot journal"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("note: left app.db-journal alone: it belongs to app.db, which is in use"),
            "{}",
            run.stdout
        );
        assert!(db.exists() && repo.path().join("app.db-journal").exists());
        assert!(!trash_dir(&repo).exists());
    }

    #[test]
    fn restore_refuses_to_overwrite_a_file_that_exists_again() {
        let repo = project();
        let db = repo.path().join("app.db");
        write_db(&db, 3);
        repo.write("app.db-shm", "shared memory");
        let bytes = std::fs::read(&db).unwrap();
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        let name = run_name(&run);
        repo.write("app.db", "a new database");

        let refused = repo.dbguard(&["fix", "--restore", &name]);
        assert_eq!(refused.code, 2, "{}", refused.stdout);
        assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
        assert!(
            refused.stderr.contains("app.db exists again")
                && refused.stderr.contains("nothing was restored"),
            "{}",
            refused.stderr
        );
        assert_eq!(repo.read("app.db"), b"a new database");
        assert!(!repo.path().join("app.db-shm").exists(), "all or nothing");

        std::fs::rename(&db, repo.path().join("new.txt")).unwrap();
        ok(&repo.dbguard(&["fix", "--restore", &name]));
        assert_eq!(std::fs::read(&db).unwrap(), bytes);
        assert_eq!(repo.read("app.db-shm"), b"shared memory");
    }

    #[test]
    fn restore_refuses_when_a_file_stands_where_a_folder_was_and_skips_what_is_gone() {
        let repo = project();
        write_db(&repo.path().join("data/x/a.db"), 3);
        repo.write("b.sqlite", "b");
        let run = repo.dbguard(&["fix", "--clean"]);
        ok(&run);
        let name = run_name(&run);
        std::fs::remove_dir_all(repo.path().join("data")).unwrap();
        repo.write("data/x", "a file now");
        let refused = repo.dbguard(&["fix", "--restore"]);
        assert_eq!(refused.code, 2, "{}", refused.stdout);
        assert!(
            refused
                .stderr
                .contains("a file now stands where the folder of data/x/a.db was"),
            "{}",
            refused.stderr
        );
        assert!(
            !repo.path().join("b.sqlite").exists(),
            "nothing was restored"
        );
        // Taken out of the trash by hand: the rest still comes back.
        std::fs::remove_file(repo.path().join("data/x")).unwrap();
        std::fs::remove_file(trash_dir(&repo).join(&name).join("files/b.sqlite")).unwrap();
        let restored = repo.dbguard(&["fix", "--restore"]);
        ok(&restored);
        assert!(
            restored
                .stdout
                .contains(&format!("note: b.sqlite is not in run {name}")),
            "{}",
            restored.stdout
        );
        assert_eq!(count_rows(&repo.path().join("data/x/a.db")), 3);
    }

    #[test]
    fn bad_trash_requests_fail_with_one_line() {
        let repo = project();
        for args in [
            &["fix", "--restore", "no-such-run"][..],
            &["fix", "--restore", "../x"][..],
            &["fix", "--restore"][..],
        ] {
            let run = repo.dbguard(args);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
            assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        }
        let run = repo.dbguard(&["fix", "--clean", "--restore"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(
            repo.dbguard(&["fix", "--list-trash"]).stdout,
            "the trash is empty\n"
        );
    }

    #[test]
    fn empty_trash_is_the_only_command_that_deletes() {
        let repo = project();
        write_db(&repo.path().join("a.db"), 3);
        ok(&repo.dbguard(&["fix", "--clean"]));
        repo.write("sub/b.sqlite3", "b");
        ok(&repo.dbguard(&["fix", "--clean"]));
        let listed = repo.dbguard(&["fix", "--list-trash"]);
        ok(&listed);
        let lines: Vec<&str> = listed.stdout.lines().collect();
        assert_eq!(lines.len(), 4, "{}", listed.stdout);
        assert!(lines[0].starts_with("RUN"));
        assert!(
            lines[3].starts_with("2 runs, 2 files,"),
            "{}",
            listed.stdout
        );

        let dry = repo.dbguard(&["fix", "--empty-trash", "--dry-run"]);
        ok(&dry);
        assert_eq!(
            dry.stdout.matches("would delete run ").count(),
            2,
            "{}",
            dry.stdout
        );
        assert_eq!(std::fs::read_dir(trash_dir(&repo)).unwrap().count(), 2);

        // A damaged manifest is reported, and does not keep the trash full.
        std::fs::create_dir_all(trash_dir(&repo).join("broken")).unwrap();
        std::fs::write(trash_dir(&repo).join("broken/manifest.json"), "{").unwrap();
        let damaged = repo.dbguard(&["fix", "--list-trash"]);
        assert_eq!(damaged.code, 2);
        assert!(
            damaged.stderr.contains("is not a dbguard trash manifest"),
            "{}",
            damaged.stderr
        );
        let emptied = repo.dbguard(&["fix", "--empty-trash"]);
        ok(&emptied);
        assert!(
            emptied
                .stdout
                .contains("emptied the trash (.git/dbguard-trash): 2 files"),
            "{}",
            emptied.stdout
        );
        assert!(!trash_dir(&repo).exists());
        assert_eq!(
            repo.dbguard(&["fix", "--list-trash"]).stdout,
            "the trash is empty\n"
        );
        assert!(!repo.path().join("a.db").exists());
    }

    /// A linked worktree on another file system where there is one (a tmpfs
    /// at /dev/shm): the trash is the common git directory's, the moves copy,
    /// verify and remove, and the run is restored only from its worktree.
    #[test]
    fn a_linked_worktree_trashes_into_the_common_git_dir_across_file_systems() {
        let repo = project();
        let place = tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .unwrap();
        let wt = place.path().join("wt");
        repo.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
        let db = wt.join("backend/app.db");
        write_db(&db, 200);
        let bytes = std::fs::read(&db).unwrap();

        let run = repo.dbguard_in(&wt, &["fix", "--clean"], &[]);
        ok(&run);
        let name = run_name(&run);
        assert!(!db.exists());
        let stored = trash_dir(&repo).join(&name).join("files/backend/app.db");
        assert_eq!(std::fs::read(&stored).unwrap(), bytes);
        let leftovers: Vec<_> = std::fs::read_dir(stored.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no partial copy: {leftovers:?}");

        let elsewhere = repo.dbguard(&["fix", "--restore", &name]);
        assert_eq!(elsewhere.code, 2);
        assert!(
            elsewhere.stderr.contains("fix --restore"),
            "{}",
            elsewhere.stderr
        );
        assert!(
            elsewhere
                .stderr
                .contains(&format!("-C {}", wt.canonicalize().unwrap().display()))
        );
        ok(&repo.dbguard_in(&wt, &["fix", "--restore"], &[]));
        assert_eq!(std::fs::read(&db).unwrap(), bytes);
        assert_eq!(count_rows(&db), 200);
    }

    /// `DBGUARD_TEST_ABORT_AFTER` (debug builds) aborts the process right
    /// after a file reached the trash and before its source is removed.
    #[cfg(debug_assertions)]
    #[test]
    fn a_crash_halfway_leaves_every_file_in_one_of_its_two_places() {
        for force_copy in ["0", "1"] {
            let repo = project();
            let paths = ["a.db", "b/c.sqlite", "d.sqlite3"];
            let mut bytes = Vec::new();
            for p in paths {
                write_db(&repo.path().join(p), 20);
                bytes.push(repo.read(p));
            }
            let crashed = repo.dbguard_in(
                repo.path(),
                &["fix", "--clean"],
                &[
                    ("DBGUARD_TEST_ABORT_AFTER", "2"),
                    ("DBGUARD_TEST_FORCE_COPY", force_copy),
                ],
            );
            assert_ne!(crashed.code, 0, "it crashed");
            let runs: Vec<PathBuf> = std::fs::read_dir(trash_dir(&repo))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert_eq!(runs.len(), 1);
            let mut places = Vec::new();
            for (p, b) in paths.iter().zip(&bytes) {
                let here = std::fs::read(repo.path().join(p)).ok();
                let there = std::fs::read(runs[0].join("files").join(p)).ok();
                assert!(here.is_some() || there.is_some(), "{p} is in neither place");
                for copy in [&here, &there].into_iter().flatten() {
                    assert_eq!(copy, b, "{p}");
                }
                places.push((here.is_some(), there.is_some()));
            }
            // Sorted by name: a.db moved, b/c.sqlite in both places (the crash
            // came before its source was removed), d.sqlite3 never moved.
            assert_eq!(
                places,
                [(false, true), (true, true), (true, false)],
                "copy={force_copy}"
            );
            assert!(
                !std::fs::read_dir(runs[0].join("files/b"))
                    .unwrap()
                    .any(|e| e.unwrap().file_name().to_string_lossy().contains("partial"))
            );

            let restored = repo.dbguard(&["fix", "--restore"]);
            ok(&restored);
            assert!(
                restored.stdout.contains("restored a.db"),
                "{}",
                restored.stdout
            );
            assert!(
                restored
                    .stdout
                    .contains("b/c.sqlite is already in place with the same bytes"),
                "{}",
                restored.stdout
            );
            assert!(
                restored.stdout.contains("note: d.sqlite3 was never moved"),
                "{}",
                restored.stdout
            );
            for (p, b) in paths.iter().zip(&bytes) {
                assert_eq!(&repo.read(p), b, "{p}");
            }
            assert!(!runs[0].exists(), "the run is gone once everything is back");
        }
    }
}
