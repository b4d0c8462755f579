//! The rule's unit tests: findings, passes, and the text search and
//! prefilter checked against a walk of the whole tree.

use tree_sitter::Node;

use super::acknowledged::acknowledged_rows;
use super::prefilter::may_have_findings;
use super::sinks::{SINKS, sink_call_nodes};
use super::sql_text::{cannot_bind, identifier_context, only_identifiers};
use super::{check_module, check_source};
use crate::python::{Module, descendants};

fn kinds(src: &str) -> Vec<(u32, String)> {
    check_source("app.py", src.as_bytes())
        .into_iter()
        .map(|f| (f.line.unwrap_or(0), f.kind.unwrap_or_default()))
        .collect()
}

fn flagged(src: &str) -> bool {
    !kinds(src).is_empty()
}

/// Pieces of Python that make findings, calls that cannot be ones,
/// and the broken and odd code around them.
fn python_pieces() -> Vec<&'static str> {
    vec![
        "cursor.execute(",
        "db.session.query(",
        "text(",
        "sa.text(",
        "conn.fetch(",
        "execute",
        "query",
        "(",
        ")",
        ", ",
        "\n",
        "\n    ",
        "def f(v):\n    ",
        "f\"SELECT * FROM t WHERE id = {v}\"",
        "\"SELECT a FROM t WHERE b = %s\" % v",
        "\"DELETE FROM t WHERE id = \" + v",
        "\"UPDATE t SET a = {}\".format(v)",
        "sql = ",
        "sql",
        "sql += v",
        "model.Package",
        "User . id",
        "a.b.c",
        "None.x",
        "v",
        "# noqa: S608",
        "# nosec",
        "\"select 1\"",
        "'",
        "\"\"\"",
        "\\\n",
        "#",
        "x.update(d)",
        "from sqlalchemy import text\n",
        "é",
        "1",
        "(\n",
    ]
}

/// Whether `check_call` goes past its first test on `node`.
fn judged(m: &Module, node: Node<'_>) -> bool {
    m.call(node).is_some_and(|c| {
        c.short_name()
            .is_some_and(|s| SINKS.iter().any(|(n, _)| *n == s))
    })
}

/// The calls a walk over every node would judge.
fn sink_calls_by_walk(m: &Module) -> Vec<Node<'_>> {
    descendants(m.root()).filter(|n| judged(m, *n)).collect()
}

proptest::proptest! {
    /// The text search finds the calls a walk of the whole tree
    /// finds, in the walk's order.
    #[test]
    fn sink_calls_are_found_as_a_walk_finds_them(
        parts in proptest::collection::vec(proptest::sample::select(python_pieces()), 0..24),
    ) {
        let src = parts.concat();
        let m = Module::parse(src.as_bytes()).unwrap();
        // More may be found (`None.x.text()` has no dotted name), never
        // fewer, and only calls.
        let found = sink_call_nodes(&m);
        proptest::prop_assert!(found.iter().all(|n| n.kind() == "call"));
        let judged: Vec<Node<'_>> = found.into_iter().filter(|n| judged(&m, *n)).collect();
        proptest::prop_assert_eq!(judged, sink_calls_by_walk(&m), "{:?}", src);
    }

    /// A source the prefilter lets by has no findings, and the rows
    /// test for `# nosec` decides as the walk over comments did.
    #[test]
    fn the_prefilter_never_hides_a_finding(
        parts in proptest::collection::vec(proptest::sample::select(python_pieces()), 0..24),
    ) {
        let src = parts.concat();
        let m = Module::parse(src.as_bytes()).unwrap();
        let found = check_module("app.py", &m, &[]);
        proptest::prop_assert!(found.is_empty() || may_have_findings(src.as_bytes()), "{:?}", src);
        let rows = src.split('\n').count();
        for first in 0..rows {
            for last in first..rows {
                let walk = m.comments().into_iter()
                    .filter(|c| (first..=last).contains(&c.start_position().row))
                    .any(|c| {
                        let t = m.text(c).to_ascii_lowercase().replace(' ', "");
                        t.contains("nosec") || (t.contains("noqa:") && t.contains("s608"))
                    });
                proptest::prop_assert_eq!(acknowledged_rows(&m, first, last), walk);
            }
        }
    }
}

#[test]
fn calls_that_pass_a_dotted_name_need_no_parse() {
    assert!(!may_have_findings(
        b"session.query(model.Package)\nx.update(d)\n"
    ));
    assert!(!may_have_findings(
        b"query(User . id, User.name)\nwhere = 1\n"
    ));
    assert!(!may_have_findings(b"cursor.execute(stmt.sql)\n"));
    // A bare name, a keyword or a call may carry built SQL.
    assert!(may_have_findings(b"session.query(q)\nx.update(d)\n"));
    assert!(may_have_findings(b"cursor.execute(None.x if a else sql)\n"));
    assert!(may_have_findings(b"cursor.execute(a.b())\n"));
    assert!(may_have_findings(b"cursor.execute(a.b + c)\n"));
    assert!(may_have_findings(b"cursor.execute(a.\\\nb)\n"));
    // The rule indeed finds nothing there.
    let src =
        "def f(v):\n    sql = f\"SELECT * FROM t WHERE id = {v}\"\n    return q.query(sql.x)\n";
    let m = Module::parse(src.as_bytes()).unwrap();
    assert!(check_module("app.py", &m, &[]).is_empty());
    let named = src.replace("sql.x", "sql");
    assert!(flagged(&named));
}

#[test]
fn every_way_of_building_sql_from_a_value_is_found() {
    for src in [
        "def f(uid):\n    cursor.execute(f\"SELECT * FROM users WHERE id = {uid}\")\n",
        "def f(uid):\n    cursor.execute(\"SELECT * FROM users WHERE id = %s\" % uid)\n",
        "def f(uid):\n    cursor.execute(\"SELECT * FROM users WHERE id = {}\".format(uid))\n",
        "def f(name):\n    cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n",
        "def f(uid):\n    session.execute(text(f\"DELETE FROM users WHERE id = {uid}\"))\n",
        "def f(uid):\n    conn.exec_driver_sql(f\"UPDATE users SET x = 1 WHERE id = {uid}\")\n",
        "def f(uid):\n    pd.read_sql(f\"SELECT * FROM users WHERE id = {uid}\", con)\n",
        "def f(uid):\n    pd.read_sql_query(sql=f\"SELECT * FROM t WHERE id = {uid}\", con=c)\n",
        "def f(uid):\n    User.objects.raw(f\"SELECT * FROM users WHERE id = {uid}\")\n",
        "def f(uid):\n    await conn.fetch(f\"SELECT * FROM users WHERE id = {uid}\")\n",
        "def upgrade():\n    op.execute(f\"UPDATE users SET role = '{role}'\")\n",
        "def f(uid):\n    engine.execute(f\"{base} WHERE id = {uid}\")\n",
        "def f(uid):\n    a, b = uid, 1\n    cursor.execute(f\"SELECT * FROM t WHERE id = {a}\")\n",
        "def f(uid):\n    a, b = g(uid)\n    cursor.execute(f\"SELECT * FROM t WHERE id = {a}\")\n",
    ] {
        assert!(flagged(src), "{src}");
    }
}

#[test]
fn sql_built_into_a_variable_first_is_found_at_the_call() {
    let src = "def f(uid, name):\n    sql = \"SELECT * FROM users\"\n    if name:\n        sql += f\" WHERE name = '{name}'\"\n    cursor.execute(sql)\n";
    let found = check_source("app.py", src.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].line, found[0].column), (Some(5), Some(20)));
    assert!(
        found[0].message.contains("an f-string (built on line 4)"),
        "{}",
        found[0].message
    );
    assert!(flagged(
        "def f(uid):\n    q = f\"SELECT * FROM t WHERE id = {uid}\"\n    return db.session.execute(text(q))\n"
    ));
    assert!(flagged(
        "def f(v):\n    sql = 'DELETE FROM t WHERE id = '\n    sql += v\n    cur.execute(sql)\n"
    ));
}

#[test]
fn parameterized_and_literal_sql_passes() {
    for src in [
        "cursor.execute(\"SELECT * FROM users WHERE id = %s\", (uid,))\n",
        "session.execute(text(\"SELECT * FROM users WHERE id = :id\"), {\"id\": uid})\n",
        "cursor.execute(f\"SELECT * FROM users\")\n",
        "cursor.execute(\"SELECT * \" + \"FROM users\")\n",
        "cursor.execute(\"SELECT * FROM users WHERE id = %s\" % (\"1\",))\n",
        "def f(sql):\n    cursor.execute(sql)\n",
        "def f(x):\n    logger.info(f\"SELECT {x}\")\n",
        "def f(name):\n    st.text(f\"Hello {name}\")\n",
        "def f(q):\n    requests.get(f\"https://x/?q={q}\")\n",
        "def f(name):\n    self.query(f\"status {name}\")\n",
    ] {
        assert!(!flagged(src), "{src}");
    }
}

#[test]
fn values_that_cannot_carry_input_are_safe() {
    for src in [
        "TABLE = 'users'\ndef f():\n    cursor.execute(f\"SELECT * FROM {TABLE}\")\n",
        "def f():\n    cursor.execute(f\"SELECT * FROM {settings.SCHEMA}.users\")\n",
        "def f():\n    cursor.execute(f\"SELECT * FROM {User.__tablename__}\")\n",
        "def f(limit):\n    cursor.execute(f\"SELECT * FROM t LIMIT {int(limit)}\")\n",
        "def f(ids):\n    placeholders = ', '.join('?' * len(ids))\n    cursor.execute(f\"SELECT * FROM t WHERE id IN ({placeholders})\", ids)\n",
        "def f(ids):\n    ph = ','.join(['%s'] * len(ids))\n    cursor.execute('SELECT * FROM t WHERE id IN (%s)' % ph, ids)\n",
        "def upgrade():\n    for table in ('users', 'orders'):\n        op.execute(f\"ALTER TABLE {table} ADD COLUMN x int\")\n",
        "def f(key):\n    cursor.execute(f\"SELECT * FROM t ORDER BY {ORDER_COLUMNS[key]}\")\n",
        "def f(name):\n    cur.execute(sql.SQL(\"SELECT * FROM {}\").format(sql.Identifier(name)))\n",
        "def f(cols):\n    marks = ', '.join('?' for _ in cols)\n    cur.execute(f\"INSERT INTO t VALUES ({marks})\", cols)\n",
        "def f(db, t):\n    name, tpl = q.quote(db), q.quote(t)\n    conn.execute(text(f\"CREATE DATABASE {name} TEMPLATE {tpl}\"))\n",
        "def f(s):\n    ms = max(1, ceil(s * 1000))\n    conn.exec_driver_sql(f\"SET LOCAL lock_timeout = '{ms}ms'\")\n",
        "def f(t):\n    cursor.execute(f\"SELECT * FROM {t}\")  # noqa: S608 (t is an internal name)\n",
        "def f(t):\n    cursor.execute(\n        f\"SELECT * FROM {t}\"  # nosec B608\n    )\n",
    ] {
        assert!(!flagged(src), "{src}");
    }
}

#[test]
fn dynamic_column_names_from_input_are_found() {
    assert!(flagged(
        "def f(data):\n    sets = ', '.join(f\"{k} = ?\" for k in data)\n    cur.execute(f\"UPDATE t SET {sets}\", list(data.values()))\n"
    ));
}

#[test]
fn broken_and_deep_input_does_not_panic() {
    let _ = kinds("def f(:\n    cursor.execute(f\"SELECT {x\"\n");
    let deep = format!(
        "def f(x):\n    cursor.execute({}\"SELECT \" + x{})\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let _ = kinds(&deep);
    let chain = format!(
        "def f(x):\n    s0 = x\n{}    cursor.execute(f\"SELECT {{s199}}\")\n",
        (1..200)
            .map(|i| format!("    s{i} = s{} + 'SELECT'\n", i - 1))
            .collect::<String>()
    );
    let _ = kinds(&chain);
    let doubling = format!(
        "def f(x):\n    s0 = x\n{}    cursor.execute(f\"SELECT {{s59}}\")\n",
        (1..60)
            .map(|i| format!("    s{i} = s{} + s{}\n", i - 1, i - 1))
            .collect::<String>()
    );
    let _ = kinds(&doubling);
}

#[test]
fn identifiers_and_statements_without_parameters() {
    for before in [
        "SELECT * FROM ",
        "select * from \"",
        "INSERT INTO ",
        "x JOIN ",
        "DROP TABLE ",
        "CREATE VIEW \"",
        "FROM \"schema\".\"",
    ] {
        assert!(identifier_context(before), "{before}");
    }
    for before in [
        "WHERE id = ",
        "WHERE name = \"",
        "VALUES (",
        "LIMIT ",
        "ON ",
    ] {
        assert!(!identifier_context(before), "{before}");
    }
    assert!(only_identifiers("SELECT * FROM \"{0}\" WHERE 1 = 1", '{'));
    assert!(!only_identifiers("SELECT * FROM \"{0}\" LIMIT {1}", '{'));
    assert!(!only_identifiers("SELECT 1", '{'));
    assert!(only_identifiers("SELECT * FROM %s", '%'));
    assert!(cannot_bind("DROP TABLE x; CREATE INDEX i ON x (a)"));
    assert!(cannot_bind("SET LOCAL statement_timeout TO 5"));
    assert!(!cannot_bind("DROP TABLE x; SELECT * FROM y WHERE a = 1"));
    assert!(!cannot_bind(""));
}

#[test]
fn placeholders_numbered_from_a_range_are_safe() {
    let src = "import sqlalchemy as sa\n\ndef f(conn, names):\n    sql = \"INSERT INTO t VALUES ({v})\".format(v=\", \".join([f\":val_{i}\" for i in range(len(names))]))\n    conn.execute(sa.text(sql))\n";
    assert!(check_source("app.py", src.as_bytes()).is_empty());
}

/// tree-sitter lexes `1text(` as a number and a call of `text` (error
/// recovery in a broken file), so the prefilter must not take the digit
/// for part of the name; found by `the_prefilter_never_hides_a_finding`.
#[test]
fn a_sink_right_after_a_number_is_not_hidden_by_the_prefilter() {
    let src = "\"SELECT a FROM t WHERE b = %s\" % v\"\"\"\"\"\"1text(f\"SELECT * FROM t WHERE id = {v}\")";
    let m = Module::parse(src.as_bytes()).unwrap();
    assert_eq!(check_module("app.py", &m, &[]).len(), 1);
    assert!(may_have_findings(src.as_bytes()));
    // The tail of a longer name is still no call of a sink.
    assert!(!may_have_findings(b"context(\"SELECT 1\" + v)\n"));
}
