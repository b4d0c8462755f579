//! Tests of [`super`]: replayed trees, and tree diffs and renames against
//! libgit2's.

use std::path::Path;

use crate::git::Repo;

/// A change list in full and in order, for comparing two of them.
fn in_order(changes: &[crate::changes::Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{:?} {} {:?} {:?} {:?} {:?}",
                c.status, c.path, c.old_path, c.mode, c.old, c.new
            )
        })
        .collect()
}

/// The changes of commit `rev` (against its first parent) from
/// [`super::renames`] (`None`: it leaves them to libgit2, or the
/// commit is not beyond `pair_renames`) and from libgit2's diff, and
/// the commit's adds x deletes.
fn ours_and_libgit2s(repo: &Repo, rev: git2::Oid) -> (Option<Vec<String>>, Vec<String>, usize) {
    let store = repo.store();
    store
        .with_repo(|r| {
            let c = r.find_commit(rev)?;
            let new = super::oid_to_id(c.tree_id());
            let old = match c.parent_ids().next() {
                Some(p) => Some(super::oid_to_id(r.find_commit(p)?.tree_id())),
                None => None,
            };
            let mut trees = super::TreeCache::new(store.packs());
            let mut sides = super::Sides::default();
            super::compare(r, &mut trees, &mut Vec::new(), old, Some(new), &mut sides)?;
            let pairs = sides.added.len() * sides.deleted.len();
            // `renames` itself, not libgit2's diff by the fallback.
            let limit = super::renames::rename_limit(r);
            let (a, d, m) = (sides.added, sides.deleted, sides.modified);
            let sigs = super::renames::Signatures::default();
            let ours = match super::renames::like_libgit2(r, store.packs(), &sigs, limit, a, d, m) {
                Some(ours) if pairs > super::MAX_SIMILARITY_PAIRS => Some(ours),
                _ => None,
            };
            let theirs = super::libgit2_diff(r, old, new)?;
            Ok((ours.map(|o| in_order(&o)), in_order(&theirs), pairs))
        })
        .unwrap()
}

/// A restructuring beyond `pair_renames`' 400 pairs is paired as
/// libgit2 pairs it: exact renames among several identical blobs,
/// renames with edits competing for the same source (ejections and a
/// second search), pairs below the threshold, sizes more than eight
/// times apart (not compared), empty and tiny files, executables,
/// symlinks (not candidates), whitespace libgit2 ignores, and a
/// `diff.renameLimit` that cuts the search short.
#[test]
fn large_restructurings_pair_renames_like_libgit2() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    git(p, &["init", "-q", "-b", "main"]);
    let body = |seed: usize, n: usize| -> String {
        (0..n)
            .map(|i| format!("def f{seed}_{i}(x):\n    return x * {}\n", seed * 31 + i))
            .collect()
    };
    for i in 0..30 {
        write(p, &format!("old/m{i:02}.py"), &body(i, 10 + i * 7));
    }
    for i in 0..4 {
        write(
            p,
            &format!("old/same{i}.txt"),
            "identical content\nin four files\n",
        );
        write(p, &format!("old/empty{i}"), "");
    }
    write(p, "old/big.txt", &body(99, 400));
    write(p, "old/tiny.txt", "a\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink("m00.py", p.join("old/link")).unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "base"]);
    let base = git(p, &["rev-parse", "HEAD"]);
    std::fs::remove_dir_all(p.join("old")).unwrap();
    for i in 0..30 {
        let mut text = body(i, 10 + i * 7);
        // Every third file edited a little, every fifth rewritten in
        // part, some so much that they are not renames at all.
        if i % 3 == 0 {
            text.push_str("# edited\n");
        }
        if i % 5 == 0 {
            text = format!("{}{}", &text[..text.len() / 2], body(i + 100, 6 + i));
        }
        if i % 7 == 0 {
            text = body(i + 200, 10 + i * 7);
        }
        // Two targets that both resemble one source.
        if i == 4 {
            write(p, "new/twin.py", &format!("{text}# twin\n"));
        }
        write(p, &format!("new/n{i:02}.py"), &text);
    }
    for i in 0..3 {
        write(
            p,
            &format!("new/same{i}.md"),
            "identical content\nin four files\n",
        );
        write(p, &format!("new/empty{i}.md"), "");
    }
    write(
        p,
        "new/indent.py",
        &body(12, 94).replace("    return", "\treturn"),
    );
    write(p, "new/big_cut.txt", &body(99, 40));
    write(p, "new/tiny.md", "a\nb\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        write(p, "new/run.sh", &body(20, 150));
        std::fs::set_permissions(p.join("new/run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::os::unix::fs::symlink("n00.py", p.join("new/link")).unwrap();
    }
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "restructure"]);
    let head = git2::Oid::from_str(git(p, &["rev-parse", "HEAD"]).trim()).unwrap();
    let repo = Repo::open(p).unwrap();
    let (ours, theirs, pairs) = ours_and_libgit2s(&repo, head);
    assert!(pairs > 400, "{pairs} pairs");
    let ours = ours.expect("no typechange, every blob readable");
    assert_eq!(ours, theirs);
    let renamed = ours.iter().filter(|c| c.starts_with("Renamed")).count();
    assert!(renamed > 20, "{ours:#?}");
    assert!(
        ours.iter().any(|c| c.starts_with("Added new/n00.py")),
        "{ours:#?}"
    );
    // With a limit of 5 sources per target, fewer renames are found,
    // and the same ones as libgit2's.
    git(p, &["config", "diff.renameLimit", "5"]);
    let repo = Repo::open(p).unwrap();
    let (limited, theirs, _) = ours_and_libgit2s(&repo, head);
    let limited = limited.unwrap();
    assert_eq!(limited, theirs);
    assert!(
        limited.iter().filter(|c| c.starts_with("Renamed")).count() < renamed,
        "{limited:#?}"
    );
    assert_ne!(base, "");
}

/// Every commit of the repository at `DBGUARD_RENAMES_REPO` whose adds
/// x deletes go past `pair_renames`' limit is listed with libgit2's
/// changes, in libgit2's order. By hand, on a real history (ckan
/// takes minutes: libgit2's search is what `renames` replaces):
/// `DBGUARD_RENAMES_REPO=/work/real/ckan cargo test --release --lib
/// renames_match -- --ignored --nocapture`
#[test]
#[ignore]
fn renames_match_libgit2_on_a_real_history() {
    let dir = std::env::var("DBGUARD_RENAMES_REPO").expect("DBGUARD_RENAMES_REPO");
    let repo = Repo::open(Path::new(&dir)).unwrap();
    let oids: Vec<git2::Oid> = crate::git::test_git(Path::new(&dir), &["rev-list", "HEAD"])
        .lines()
        .map(|l| git2::Oid::from_str(l).unwrap())
        .collect();
    let (mut large, mut renamed, mut left) = (0, 0, 0);
    for oid in oids {
        let store = repo.store();
        let pairs = store
            .with_repo(|r| {
                let c = r.find_commit(oid)?;
                let mut trees = super::TreeCache::new(store.packs());
                let mut sides = super::Sides::default();
                let old = match c.parent_ids().next() {
                    Some(p) => Some(super::oid_to_id(r.find_commit(p)?.tree_id())),
                    None => None,
                };
                let new = Some(super::oid_to_id(c.tree_id()));
                super::compare(r, &mut trees, &mut Vec::new(), old, new, &mut sides)?;
                Ok(sides.added.len() * sides.deleted.len())
            })
            .unwrap();
        if pairs <= super::MAX_SIMILARITY_PAIRS {
            continue;
        }
        let (ours, theirs, _) = ours_and_libgit2s(&repo, oid);
        let Some(ours) = ours else {
            left += 1;
            continue;
        };
        assert_eq!(ours, theirs, "commit {oid}");
        large += 1;
        renamed += ours.iter().filter(|c| c.starts_with("Renamed")).count();
    }
    eprintln!("{large} large commits, {renamed} renames, all as libgit2's; {left} left to libgit2");
    assert!(large > 0);
}

fn git(dir: &Path, args: &[&str]) -> String {
    crate::git::test_git(dir, args)
}

fn write(dir: &Path, path: &str, content: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn listing(s: &crate::changes::Snapshot) -> Vec<String> {
    s.entries()
        .iter()
        .map(|e| format!("{} {:?} {:?}", e.path, e.blob, e.mode))
        .collect()
}

/// Every commit's tree, replayed from its parents' changes, is the
/// tree git stores: adds, edits, deletions, renames with and without
/// edits, mode and type changes, a file that becomes a directory, a
/// submodule, and a merge.
#[test]
fn replayed_trees_are_the_stored_trees() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    git(p, &["init", "-q", "-b", "main"]);
    let commit = |msg: &str| {
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "--allow-empty", "-m", msg]);
    };
    let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
    write(p, "a.txt", "a\n");
    write(p, "dir/b.py", &long);
    write(p, "dir/sub/c.md", "c\n");
    write(p, "becomes_dir", "file\n");
    commit("one");
    std::fs::create_dir_all(p.join("moved")).unwrap();
    git(p, &["mv", "dir/b.py", "moved/b.py"]);
    write(p, "moved/b.py", &format!("{long}one more\n"));
    write(p, "a.txt", "a2\n");
    std::fs::remove_file(p.join("dir/sub/c.md")).unwrap();
    commit("two");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join("a.txt"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("a.txt", p.join("ln")).unwrap();
    }
    std::fs::remove_file(p.join("becomes_dir")).unwrap();
    write(p, "becomes_dir/inner.txt", "inner\n");
    commit("three");
    let head = git(p, &["rev-parse", "HEAD"]);
    git(
        p,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{},vendor/lib", head.trim()),
        ],
    );
    git(p, &["commit", "-q", "-m", "submodule"]);
    git(p, &["checkout", "-q", "-b", "side", "HEAD~2"]);
    write(p, "side.txt", "side\n");
    commit("side");
    git(p, &["checkout", "-q", "main"]);
    git(p, &["merge", "-q", "--no-edit", "side"]);
    #[cfg(unix)]
    {
        std::fs::remove_file(p.join("ln")).unwrap();
        write(p, "ln", "now a file\n");
    }
    commit("after merge");

    let repo = Repo::open(p).unwrap();
    let sets = repo.range("HEAD").unwrap();
    assert_eq!(sets.len(), 7);
    // The tree diff says what libgit2's says.
    let tree_of = |rev: &str| {
        let out = git(p, &["rev-parse", &format!("{rev}^{{tree}}")]);
        crate::changes::ObjectId::from_bytes(&hex::decode(out.trim()).unwrap())
    };
    use crate::git::staged::tests::summary;
    let mut renamed = false;
    for set in &sets {
        let commit = set.commit.as_deref().unwrap();
        let parent = git(p, &["rev-list", "--parents", "-n1", commit]);
        let parent = parent.split_whitespace().nth(1).map(tree_of);
        let ours = &set.changes;
        let theirs = repo
            .store()
            .with_repo(|r| Ok(super::libgit2_diff(r, parent, tree_of(commit)).unwrap()))
            .unwrap();
        assert_eq!(summary(ours), summary(&theirs), "commit {commit}");
        renamed |= ours
            .iter()
            .any(|c| c.status == crate::changes::Status::Renamed);
    }
    assert!(renamed, "the history has a rename with edits");
    let store = repo.store();
    // In every order: backwards (nothing kept yet) and forwards.
    for order in [
        (0..sets.len()).rev().collect::<Vec<_>>(),
        (0..sets.len()).collect(),
    ] {
        let sets = repo.range("HEAD").unwrap();
        for i in order {
            let set = &sets[i];
            let commit = set.commit.as_deref().unwrap();
            let tree = git(p, &["rev-parse", &format!("{commit}^{{tree}}")]);
            let id = crate::changes::ObjectId::from_bytes(&hex::decode(tree.trim()).unwrap());
            let stored = super::store::list_tree(&store, &id).unwrap();
            assert_eq!(
                listing(&set.new_tree.get().unwrap()),
                listing(&stored),
                "commit {i}"
            );
        }
    }
}
