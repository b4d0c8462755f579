//! End-to-end tests of the `credential` rule on real git repositories:
//! staged content from the index, only what a change adds, `--range`
//! history, renames, merges, suppression, allowlists and redaction.
//!
//! Secrets are assembled at run time so that none sits in this file.

mod common;

use common::TestRepo;

/// A made-up password, different for each `n`.
fn pw(n: u32) -> String {
    format!("Zx{}-{}q9{}", n * 7 + 3, "kL", n)
}

fn url(n: u32) -> String {
    format!("postgresql://app:{}@db.internal:5432/app", pw(n))
}

/// (path, line, kind, commit) of every credential finding.
fn creds(run: &common::Run) -> Vec<(String, u64, String, Option<String>)> {
    run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "credential")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["kind"].as_str().unwrap_or_default().to_string(),
                f["commit"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn no_secret_in(run: &common::Run, secrets: &[String]) {
    for s in secrets {
        assert!(
            !run.stdout.contains(s.as_str()),
            "stdout leaks a secret:\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(s.as_str()),
            "stderr leaks a secret:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_staged_secret_is_found_from_the_index_even_after_the_file_was_cleaned() {
    let repo = TestRepo::new();
    repo.stage("app/config.py", format!("DATABASE_URL = \"{}\"\n", url(1)));
    // The working copy is cleaned, but the index still holds the secret:
    // that is what the commit will contain.
    repo.write(
        "app/config.py",
        "import os\nDATABASE_URL = os.environ['DATABASE_URL']\n",
    );
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        creds(&run),
        [("app/config.py".into(), 1, "db-url-password".into(), None)]
    );
    no_secret_in(&run, &[pw(1)]);
    // And the other way round: a secret only in the working tree is not staged.
    let repo = TestRepo::new();
    repo.stage("app/config.py", "import os\n");
    repo.write("app/config.py", format!("DATABASE_URL = \"{}\"\n", url(2)));
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn a_modification_reports_new_secrets_only() {
    let repo = TestRepo::new();
    repo.stage(".env.production", format!("DB_PASSWORD={}\nA=1\n", pw(1)));
    repo.commit("initial");
    // Keeping the old secret (moved, surrounded by edits) is not new...
    repo.stage(
        ".env.production",
        format!("# db\nA=2\nDB_PASSWORD={}\n", pw(1)),
    );
    let run = repo.check_json(&["--select", "credential"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // ...adding one is.
    repo.stage(
        ".env.production",
        format!(
            "# db\nA=2\nDB_PASSWORD={}\nREDIS_PASSWORD={}\n",
            pw(1),
            pw(2)
        ),
    );
    let run = repo.check_json(&["--select", "credential"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        creds(&run),
        [(
            ".env.production".into(),
            4,
            "password-assignment".into(),
            None
        )]
    );
    // --all reports both.
    repo.commit("more");
    let run = repo.check_json(&["--all", "--select", "credential"]);
    assert_eq!(creds(&run).len(), 2, "{}", run.stdout);
}

#[test]
fn a_rename_that_keeps_the_secret_is_not_new_but_range_mode_still_finds_it() {
    let repo = TestRepo::new();
    let body = format!(
        "[alembic]\nscript_location = m\nsqlalchemy.url = {}\n",
        url(3)
    );
    repo.stage("alembic.ini", &body);
    let first = repo.commit("add alembic.ini");
    std::fs::create_dir_all(repo.path().join("backend")).expect("mkdir");
    repo.git(&["mv", "alembic.ini", "backend/alembic.ini"]);
    let run = repo.check_json(&["--select", "credential"]);
    assert_eq!(run.code, 0, "rename of an old secret: {}", run.stdout);
    repo.commit("move");
    let run = repo.check_json(&["--range", "HEAD", "--select", "credential"]);
    // A single revision checks its whole history: the blob is examined
    // once, at the commit that added it.
    assert_eq!(
        creds(&run),
        [(
            "alembic.ini".into(),
            3,
            "alembic-sqlalchemy-url".into(),
            Some(first)
        )]
    );
}

#[test]
fn range_mode_finds_a_secret_added_then_deleted_with_the_commit_that_added_it() {
    let repo = TestRepo::new();
    repo.stage("README.md", "# app\n");
    let base = repo.commit("base");
    repo.stage(
        "deploy/settings.py",
        format!("DATABASES = {{'default': {{'PASSWORD': '{}'}}}}\n", pw(4)),
    );
    let added = repo.commit("add settings");
    repo.stage(
        "deploy/settings.py",
        "DATABASES = {'default': {'PASSWORD': os.environ['PW']}}\n",
    );
    repo.commit("oops, use the environment");
    repo.git(&["rm", "-q", "deploy/settings.py"]);
    repo.commit("remove");
    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        creds(&run),
        [(
            "deploy/settings.py".into(),
            1,
            "django-database-password".into(),
            Some(added)
        )]
    );
    no_secret_in(&run, &[pw(4)]);
    // The tip of the branch is clean.
    let run = repo.check_json(&["--all"]);
    assert_eq!(run.code, 0);
}

/// dbguard reads packed trees and blobs itself (`src/git/pack.rs`): a
/// history gives the same findings loose, packed by `git gc` (offset
/// deltas), repacked with deltas that name their base by id, and in a
/// clone that borrows those packs through its alternates.
#[test]
fn range_mode_finds_the_same_in_loose_packed_and_borrowed_histories() {
    let repo = TestRepo::new();
    let mut settings = String::from("import os\n");
    let mut commits = Vec::new();
    for round in 0..12u32 {
        // A growing file, so later versions are stored as deltas.
        for i in 0..40 {
            settings.push_str(&format!("OPTION_{round}_{i} = {}\n", i * round));
        }
        let secret = match round {
            3 => format!("DATABASE_URL = '{}'\n", url(round)),
            7 => format!(
                "DATABASES = {{'default': {{'PASSWORD': '{}'}}}}\n",
                pw(round)
            ),
            _ => String::new(),
        };
        repo.stage("app/settings.py", format!("{settings}{secret}"));
        repo.stage(
            &format!("app/module{}.py", round % 3),
            &settings[settings.len() / 3..],
        );
        commits.push(repo.commit(&format!("round {round}")));
    }
    let loose = repo.check_json(&["--range", "HEAD"]);
    assert_eq!(loose.code, 1, "{}{}", loose.stdout, loose.stderr);
    let found = creds(&loose);
    assert_eq!(
        found.iter().map(|f| f.3.clone()).collect::<Vec<_>>(),
        [Some(commits[3].clone()), Some(commits[7].clone())],
        "{found:?}"
    );
    no_secret_in(&loose, &[pw(3), pw(7)]);
    for pack in [
        &["gc", "-q", "--aggressive"][..],
        &[
            "-c",
            "repack.useDeltaBaseOffset=false",
            "repack",
            "-q",
            "-a",
            "-d",
            "-f",
        ],
    ] {
        repo.git(pack);
        let objects = repo.git(&["count-objects", "-v"]);
        assert!(objects.starts_with("count: 0\n"), "all packed: {objects}");
        let idx = std::fs::read_dir(repo.path().join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap();
        let listing = repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
        assert!(listing.contains("chain length = "), "deltas: {listing}");
        let packed = repo.check_json(&["--range", "HEAD"]);
        assert_eq!(packed.stdout, loose.stdout, "after git {pack:?}");
    }
    // A clone that borrows the packed objects through
    // objects/info/alternates (`git clone --shared`, as CI systems do).
    let shared = tempfile::tempdir().unwrap();
    let to = shared.path().join("clone");
    repo.git(&[
        "clone",
        "-q",
        "--shared",
        repo.path().to_str().unwrap(),
        to.to_str().unwrap(),
    ]);
    assert!(to.join(".git/objects/info/alternates").is_file());
    let borrowed = repo.dbguard_in(&to, &["check", "--format", "json", "--range", "HEAD"], &[]);
    assert_eq!(borrowed.stdout, loose.stdout, "in a --shared clone");
    // The same objects named by the environment instead, as `git
    // receive-pack` names them for its hooks.
    std::fs::remove_file(to.join(".git/objects/info/alternates")).unwrap();
    let theirs = repo.path().join(".git/objects");
    let from_env = repo.dbguard_in(
        &to,
        &["check", "--format", "json", "--range", "HEAD"],
        &[("GIT_ALTERNATE_OBJECT_DIRECTORIES", theirs.to_str().unwrap())],
    );
    assert_eq!(from_env.stdout, loose.stdout, "{}", from_env.stderr);
    let without = repo.dbguard_in(&to, &["check", "--format", "json", "--range", "HEAD"], &[]);
    assert_eq!(without.code, 2, "the objects are gone: {}", without.stdout);
}

#[test]
fn merge_commits_do_not_report_twice_and_a_secret_from_a_merged_branch_is_found() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "a\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage(
        "docker-compose.yml",
        format!(
            "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {}\n",
            pw(5)
        ),
    );
    let feature = repo.commit("compose");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("b.txt", "b\n");
    repo.commit("main work");
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(
        creds(&run),
        [(
            "docker-compose.yml".into(),
            4,
            "password-assignment".into(),
            Some(feature)
        )]
    );
}

#[test]
fn suppression_comments_and_config_allowlists() {
    let repo = TestRepo::new();
    repo.stage(
        "conf/a.py",
        format!(
            "A = \"{}\"  # dbguard: allow\n# dbguard: allow credential\nB = \"{}\"\nC = \"{}\"  # dbguard: allow sql-injection\nD = \"{}\"\n",
            url(1), url(2), url(3), url(4)
        ),
    );
    let run = repo.check_json(&[]);
    let lines: Vec<u64> = creds(&run).iter().map(|c| c.1).collect();
    assert_eq!(lines, [4, 5], "{}", run.stdout);

    let repo = TestRepo::new();
    repo.stage(
        ".dbguard.yaml",
        "credentials:\n  allow_paths: ['examples/**']\n  allow_values: ['^Zx10-']\n",
    );
    repo.stage("examples/x.env", format!("DB_PASSWORD={}\n", pw(2)));
    repo.stage(
        "y.env",
        format!("DB_PASSWORD={}\nDB_PASS={}\n", pw(1), pw(5)),
    );
    let run = repo.check_json(&[]);
    assert_eq!(
        creds(&run),
        [("y.env".into(), 2, "password-assignment".into(), None)]
    );
}

#[test]
fn no_output_format_ever_contains_the_secret() {
    let repo = TestRepo::new();
    let secrets = [pw(1), pw(2), "Lk93-longer-Secret-Value-Zq".to_string()];
    repo.stage(
        "settings.yml",
        format!(
            "database:\n  url: {}\n  password: \"{}\"\n  replica: \"Server=h;Database=d;User Id=u;Password={};\"\n",
            url(1),
            secrets[1],
            secrets[2]
        ),
    );
    for format in ["text", "json"] {
        let run = repo.dbguard(&["check", "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}{}", run.stdout, run.stderr);
        no_secret_in(&run, &secrets);
    }
    let run = repo.check_json(&[]);
    let v = run.json();
    let previews: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(previews, ["Z****1", "Z****2", "Lk****Zq"]);
    let text = repo.dbguard(&["check", "--color", "never"]).stdout;
    assert!(
        text.contains(
            "settings.yml:2:25: error[credential] database URL with an inline password (Z****1)"
        ),
        "{text}"
    );
}

/// In a packed history the pack reader judges a blob's size from its
/// entry's header (a delta's, from its first stored bytes) and leaves an
/// oversized one unread, whole or stored as a delta.
#[test]
fn oversized_files_are_skipped_in_a_packed_history() {
    let repo = TestRepo::new();
    repo.stage(".dbguard.yaml", "max_file_size: 300\n");
    let filler: String = (0..40).map(|i| format!("# line {i}\n")).collect();
    for round in 1..=3 {
        repo.stage(
            "big.env",
            format!("{filler}DB_PASSWORD={}\nROUND={round}\n", pw(2)),
        );
        repo.stage("small.env", format!("DB_PASSWORD={}\n", pw(3)));
        repo.commit(&format!("round {round}"));
    }
    repo.git(&["gc", "-q", "--aggressive"]);
    let objects = repo.git(&["count-objects", "-v"]);
    assert!(objects.starts_with("count: 0\n"), "all packed: {objects}");
    let run = repo.check_json(&["--range", "HEAD", "--select", "credential"]);
    assert_eq!(
        run.findings(),
        [("credential".to_string(), "small.env".to_string())],
        "{}",
        run.stdout
    );
}

#[test]
fn binary_and_oversized_files_are_skipped() {
    let repo = TestRepo::new();
    let mut bin = format!("DB_PASSWORD={}\n", pw(1)).into_bytes();
    bin.insert(0, 0);
    repo.stage("blob.dat", bin);
    repo.stage(".dbguard.yaml", "max_file_size: 64\n");
    repo.stage(
        "big.env",
        format!("{}\nDB_PASSWORD={}\n", "#".repeat(100), pw(2)),
    );
    let run = repo.check_json(&["--select", "credential"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// Working-tree files are opened relative to the directory dbguard runs in
/// when they lie below it, by absolute path otherwise (`src/git/store.rs`):
/// `--all` finds the same secrets, at the same paths, started at the root,
/// in a subdirectory (files inside and outside it) and from outside the
/// repository with `-C`.
#[test]
fn all_mode_reads_the_same_files_from_any_starting_directory() {
    let repo = TestRepo::new();
    repo.stage("top.py", format!("DATABASE_URL = '{}'\n", url(1)));
    repo.stage(
        "app/deep/config.py",
        format!("DATABASE_URL = '{}'\n", url(2)),
    );
    repo.commit("two secrets");
    let expected = [
        (
            "app/deep/config.py".to_string(),
            1,
            "db-url-password".to_string(),
            None,
        ),
        ("top.py".to_string(), 1, "db-url-password".to_string(), None),
    ];
    let at_root = repo.check_json(&["--all"]);
    assert_eq!(creds(&at_root), expected, "{}", at_root.stderr);
    let sub = repo.path().join("app");
    let in_sub = repo.dbguard_in(&sub, &["check", "--all", "--format", "json"], &[]);
    assert_eq!(creds(&in_sub), expected, "{}", in_sub.stderr);
    let outside = tempfile::tempdir().unwrap();
    let dash_c = repo.dbguard_in(
        outside.path(),
        &[
            "-C",
            repo.path().to_str().unwrap(),
            "check",
            "--all",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(creds(&dash_c), expected, "{}", dash_c.stderr);
    no_secret_in(&dash_c, &[pw(1), pw(2)]);
}

/// A staged check reads HEAD's commit and trees from the pack itself when
/// they are packed (`src/git/staged.rs`), through libgit2 when loose: the
/// same findings either way, for an edit deep in a packed tree, a new file
/// and a rename.
#[test]
fn a_staged_check_finds_the_same_with_head_loose_or_packed() {
    let repo = TestRepo::new();
    for i in 0..20 {
        repo.stage(&format!("app/mod{i}/views.py"), format!("X = {i}\n"));
    }
    repo.stage("app/old_name.py", "import os\nPASSWORD = os.environ['P']\n");
    // Committed before: not part of the staged change, so never reported
    // unless HEAD's tree were misread.
    repo.stage("legacy/creds.py", format!("DATABASE_URL = '{}'\n", url(5)));
    repo.commit("base");
    repo.stage(
        "app/mod7/views.py",
        format!("X = 7\nDATABASE_URL = '{}'\n", url(3)),
    );
    repo.stage(
        "new/settings.py",
        format!("DATABASES = {{'default': {{'PASSWORD': '{}'}}}}\n", pw(4)),
    );
    repo.git(&["mv", "app/old_name.py", "app/new_name.py"]);
    let loose = repo.check_json(&[]);
    assert_eq!(loose.code, 1, "{}{}", loose.stdout, loose.stderr);
    assert_eq!(
        creds(&loose)
            .iter()
            .map(|f| f.0.as_str())
            .collect::<Vec<_>>(),
        ["app/mod7/views.py", "new/settings.py"],
    );
    repo.git(&["gc", "-q"]);
    let objects = repo.git(&["count-objects", "-v"]);
    assert!(objects.contains("\nin-pack: "), "packed: {objects}");
    let packed = repo.check_json(&[]);
    assert_eq!(packed.stdout, loose.stdout);
    no_secret_in(&packed, &[pw(3), pw(4), pw(5)]);
}

/// A commit that moves 30 files and edits them (900 add x delete pairs,
/// beyond the 400 dbguard compares one by one) pairs the renames as git
/// and libgit2 do: the moved settings keep their old secret and are not
/// reported again, a file new in that commit is.
#[test]
fn a_large_restructuring_with_edits_keeps_its_renamed_secrets_old() {
    let repo = TestRepo::new();
    let module = |i: usize| -> String {
        (0..12)
            .map(|j| {
                format!(
                    "def handler_{i}_{j}(request):\n    return {}\n",
                    i * 100 + j
                )
            })
            .collect()
    };
    for i in 0..29 {
        repo.write(&format!("app/m{i:02}.py"), module(i));
    }
    let settings = format!("{}DB_PASSWORD = \"{}\"\n", module(99), pw(5));
    repo.write("app/settings.py", &settings);
    repo.add(&["."]);
    let first = repo.commit("app");
    repo.git(&["mv", "app", "src"]);
    for i in 0..29 {
        repo.write(
            &format!("src/m{i:02}.py"),
            format!("# moved\n{}", module(i)),
        );
    }
    repo.write("src/settings.py", format!("# moved\n{settings}"));
    repo.write("src/local.py", format!("DB_PASSWORD = \"{}\"\n", pw(6)));
    repo.add(&["."]);
    let moved = repo.commit("move app to src, with a header in every file");
    let run = repo.check_json(&["--range", "HEAD", "--select", "credential"]);
    let found: Vec<(String, Option<String>)> = creds(&run)
        .into_iter()
        .map(|(path, _, _, commit)| (path, commit))
        .collect();
    assert_eq!(
        found,
        [
            ("app/settings.py".to_string(), Some(first)),
            ("src/local.py".to_string(), Some(moved)),
        ],
        "{}",
        run.stdout
    );
}
