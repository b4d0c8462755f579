//! `chunked.rs` against a whole parse: over a history of versions, the
//! findings that come from the cached chunks and the partial parses are
//! the findings of a whole parse of each version, in the same order.

use proptest::prelude::*;

use super::check_module;
use super::chunked;
use super::prefilter::may_have_findings;
use crate::finding::Finding;
use crate::python::Module;

fn whole(src: &str, safe: &[String]) -> Vec<Finding> {
    if !may_have_findings(src.as_bytes()) {
        return Vec::new();
    }
    Module::parse(src.as_bytes()).map_or_else(Vec::new, |m| check_module("app.py", &m, safe))
}

/// What the rule gives in range mode: the chunked check, or a whole
/// parse when it declines.
fn by_chunks(src: &str, safe: &[String]) -> Vec<Finding> {
    if !may_have_findings(src.as_bytes()) {
        return Vec::new();
    }
    chunked::check("app.py", src, safe).unwrap_or_else(|| whole(src, safe))
}

fn same(src: &str, safe: &[String]) {
    assert_eq!(by_chunks(src, safe), whole(src, safe), "source:\n{src}");
}

/// Top-level statements, and broken or odd text, that versions of a
/// module are made of.
fn statements() -> Vec<&'static str> {
    vec![
        "from sqlalchemy import text\n",
        "import sqlalchemy as sa\n",
        "TABLE = 'users'\n",
        "table = 'users'\n",
        "prefix = request.args['p']\n",
        "BASE = f\"SELECT * FROM {table}\"\n",
        "base = \"SELECT * FROM t WHERE a = \" + prefix  # nosec\n",
        "for col in ['a', 'b']:\n    pass\n",
        "if TYPE_CHECKING:\n    cond = 'x'\nelse:\n    cond = request.args['c']\n",
        "def f(v):\n    cursor.execute(f\"SELECT * FROM t WHERE id = {v}\")\n",
        "def g(v):\n    sql = \"SELECT a FROM t WHERE b = %s\" % v\n    return db.execute(sql)\n",
        "def h():\n    return db.execute(text(\"SELECT * FROM t WHERE c = '\" + cond + \"'\"))\n",
        "def k():\n    q = base + \" AND x = 1\"\n    conn.execute(q)\n",
        "def k2():\n    conn.execute(BASE + \" WHERE id = \" + prefix)\n",
        "def k3():\n    session.query(\"select * from x where y = %s\" % table)\n",
        "def k4(v):\n    return text(f\"DELETE FROM t WHERE id = {v}\")\n",
        "\n\n# a comment\n",
        "@app.route('/x')\n@login_required\ndef view(v):\n    cursor.execute(\"UPDATE t SET a = {}\".format(v))  # noqa: S608\n",
        "class Repo:\n    def get(self, v):\n        return self.db.execute(f\"SELECT {v}\")\n    sql = 'x'\n",
        "class Other(Base):\n    __tablename__ = 'o'\n    execute(f\"SELECT * FROM o WHERE a = {prefix}\")\n",
        "async def a(v):\n    await conn.fetch(f\"SELECT * FROM t WHERE id = {v}\")\n",
        "def s():\n    doc = \"\"\"\ndef fake(v):\n    execute(f'SELECT {v}')\n\"\"\"\n    execute(f\"SELECT * FROM t WHERE {doc}\")\n",
        "def broken(:\n    execute(f\"SELECT {x}\")\n",
        "def missing_colon()\n    execute(f\"SELECT {x}\")\n",
        "x = (\n",
        "s = '''\n",
        "def n(v):\n    execute(\"SELECT \" + \\\n        v)\n",
        "def fs(v):\n    execute(f\"SELECT {v[\"a\"]} FROM {t:>{w}}\")\n",
        "def walrus():\n    execute(f\"SELECT * FROM t WHERE a = {(y := prefix)}\")\n",
        "@decorate(z := 1)\ndef w():\n    execute(f\"SELECT {z}\")\n",
        "z = request.args['z']\n",
        "def e():\n    é = 1\n    execute(f\"SELECT {é}\")\n",
        "try:\n    import x\nexcept ImportError:\n    table = input()\n",
        "\tbad_indent = 1\n",
        "def crlf(v):\r\n    execute(f\"SELECT {v}\")\r\n",
        "def lone_cr(v):\r    execute(f\"SELECT {v}\")\n",
        "class Repo:\n    \"\"\"doc\"\"\"\n    def get(self, v):\n        return self.db.execute(f\"SELECT {v}\")\n\n    @staticmethod\n    def put(v):\n        execute(\"INSERT INTO t VALUES (\" + v + \")\")\n",
        "class Repo:\n    def get(self, v):\n        return self.db.execute(f\"SELECT {v}\")\n    sql = execute(BASE + prefix)\n    def other(self):\n        execute(base)\n",
        "class Repo:\n    def get(self, v):\n        return self.db.execute(f\"SELECT {v}\")\n    def broken(self:\n        pass\n",
        "class Repo:\n    def get(self, v):\n        return self.db.execute(f\"SELECT {v}\")\n# trailing\n    def after_comment(self, v):\n        execute(\"DELETE FROM t WHERE a = %s\" % v)\n",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A history: a module, then versions made by replacing, inserting
    /// and removing statements; each version's findings by chunks are
    /// its findings by a whole parse (the caches warm from the versions
    /// before, and from the other cases).
    #[test]
    fn chunked_findings_are_the_whole_parse_findings(
        first in proptest::collection::vec(0usize..64, 1..12),
        edits in proptest::collection::vec((0usize..3, 0usize..16, 0usize..64), 1..8),
        safe_helper in any::<bool>(),
    ) {
        let pieces = statements();
        let pick = |i: usize| pieces[i % pieces.len()];
        let safe: Vec<String> = if safe_helper { vec!["request".into()] } else { Vec::new() };
        let mut module: Vec<&str> = first.iter().map(|i| pick(*i)).collect();
        same(&module.concat(), &safe);
        for (op, at, piece) in edits {
            let at = at % (module.len() + 1);
            match op {
                0 if at < module.len() => module[at] = pick(piece),
                1 if at < module.len() && module.len() > 1 => {
                    module.remove(at);
                }
                _ => module.insert(at, pick(piece)),
            }
            same(&module.concat(), &safe);
        }
    }
}

/// Every version of real files, oldest first, by chunks and whole (real
/// projects' code is never committed, so this reads a clone named by
/// `DBGUARD_REAL_REPO`, with the files in `DBGUARD_REAL_FILES`,
/// space-separated): `cargo test --lib real_histories -- --ignored`.
#[test]
#[ignore = "needs a clone of a real project"]
fn real_histories_by_chunks_are_the_whole_parse() {
    let repo = std::env::var("DBGUARD_REAL_REPO").expect("DBGUARD_REAL_REPO");
    let files = std::env::var("DBGUARD_REAL_FILES").expect("DBGUARD_REAL_FILES");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| o.stdout)
    };
    let (mut versions, mut with_findings, mut by_chunks_only) = (0, 0, 0);
    for file in files.split_whitespace() {
        let log = git(&["log", "--reverse", "--format=%H", "--", file]).expect("git log");
        for commit in String::from_utf8_lossy(&log).lines() {
            // Not there at a commit that deletes it.
            let Some(src) = git(&["show", &format!("{commit}:{file}")]) else {
                continue;
            };
            let src = String::from_utf8_lossy(&src);
            versions += 1;
            let expected = whole(&src, &[]);
            with_findings += usize::from(!expected.is_empty());
            let got = if !may_have_findings(src.as_bytes()) {
                Vec::new()
            } else if let Some(found) = chunked::check("app.py", &src, &[]) {
                by_chunks_only += 1;
                found
            } else {
                whole(&src, &[])
            };
            assert_eq!(got, expected, "{file} at {commit}");
        }
    }
    eprintln!("{versions} versions, {with_findings} with findings, {by_chunks_only} by chunks");
    assert!(versions > 0);
}

/// A function's findings kept from an earlier version move with it, and
/// a module-level constant it reads is looked at again when it changes.
#[test]
fn kept_findings_move_and_follow_the_module_level_bindings() {
    let f = "def only_here_f(v):\n    q = BASE_UNIQUE + v\n    execute(qq)\n    execute(f\"SELECT * FROM t WHERE a = {v}\")\n    execute(q2)\n";
    let v1 = format!("q2 = 'SELECT 1'\n\n{f}");
    let v2 = format!("import os\nq2 = 'SELECT 1'\n\n\n{f}");
    let v3 = format!("import os\nq2 = \"SELECT * FROM t WHERE a = \" + os.environ['x']\n\n\n{f}");
    let v4 = format!(
        "import os\nq2 = (\n    \"SELECT * FROM t WHERE a = \" + os.environ['x']\n)\n\n\n{f}"
    );
    for v in [&v1, &v2, &v3, &v4, &v1] {
        same(v, &[]);
        // Not by a whole parse: the split was sure and the parse clean.
        assert!(chunked::check("app.py", v, &[]).is_some());
    }
    let lines = |v: &str| {
        by_chunks(v, &[])
            .iter()
            .map(|f| (f.line, f.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&v1).len(), 1);
    assert_eq!(lines(&v2)[0].0, Some(8));
    assert_eq!(lines(&v3).len(), 2);
    assert!(
        lines(&v4)[1].1.contains("built on line 3"),
        "{:?}",
        lines(&v4)
    );
}
