//! End-to-end tests of issue 24: environments real projects configure
//! without a plain `[alembic]` section or `env.py` (named ini sections,
//! Python configuration, folders of revision files), and the causes of
//! noise found by labelling the migration rules on real projects. Each
//! fixture is written for this test, after the shape of the real layout.

mod common;

use common::TestRepo;
use serde_json::Value;

/// A revision file; `upgrade` and `downgrade` are function bodies.
fn rev_file(rev: &str, down: &str, upgrade: &str, downgrade: &str) -> String {
    format!(
        "\"\"\"change {rev}\n\nRevision ID: {rev}\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = \"{rev}\"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{upgrade}\n\n\ndef downgrade():\n{downgrade}\n"
    )
}

const ADD: &str = "    op.add_column(\"t\", sa.Column(\"c\", sa.Integer()))";
const DROP: &str = "    op.drop_column(\"t\", \"c\")";

/// `(script_location, found_by, revisions)` of every environment.
fn environments(repo: &TestRepo) -> Vec<(String, String, Vec<String>)> {
    let r = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: Value = r.json();
    doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["script_location"].as_str().unwrap().to_string(),
                e["found_by"].as_str().unwrap().to_string(),
                e["revisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["revision"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// `(rule, path)` of the findings of `rule`.
fn of(r: &common::Run, rule: &str) -> Vec<String> {
    r.findings()
        .into_iter()
        .filter(|(x, _)| x == rule)
        .map(|(_, p)| p)
        .collect()
}

/// The slug of a revision file name (`db/versions/<rev>_<slug>.py`).
fn slug(path: &str) -> String {
    path.rsplit('_')
        .next()
        .unwrap()
        .trim_end_matches(".py")
        .to_string()
}

/// Stages a chain of revisions under `db/versions/`, one per
/// (slug, file text for a revision and its down_revision) case, with ids
/// counted from `base`.
fn stage_chain<'c, T: 'c>(
    repo: &TestRepo,
    base: usize,
    cases: impl IntoIterator<Item = &'c T>,
    file: impl Fn(&'c T, &str, &str) -> (String, String),
) {
    let mut down = "None".to_string();
    for (k, case) in cases.into_iter().enumerate() {
        let rev = format!("{:012x}", base + k);
        let (name, text) = file(case, &rev, &down);
        repo.stage(&format!("db/versions/{rev}_{name}.py"), text);
        down = format!("\"{rev}\"");
    }
}

/// (slug, message) of every finding of `rule`.
fn slug_messages(r: &common::Run, rule: &str) -> Vec<(String, String)> {
    let doc: Value = r.json();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                slug(f["path"].as_str().unwrap()),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn named_ini_sections_with_package_locations_apply_alembics_file_template() {
    let repo = TestRepo::new();
    repo.stage(
        "src/shop/alembic.ini",
        "[alembic]\nfile_template = %%(year)d-%%(month).2d-%%(day).2d_%%(rev)s\n\n[main]\nscript_location = shop:db/revisions/main\n\n[accounts]\nscript_location = shop:db/revisions/accounts\n\n[loggers]\nkeys = root\n",
    );
    repo.stage("src/shop/__init__.py", "");
    for env in ["main", "accounts"] {
        let dir = format!("src/shop/db/revisions/{env}");
        repo.stage(&format!("{dir}/env.py"), "from alembic import context\n");
        repo.stage(
            &format!("{dir}/versions/2024-01-02_a1b2c3d4e5f6.py"),
            rev_file("a1b2c3d4e5f6", "None", ADD, DROP),
        );
    }
    let envs = environments(&repo);
    assert_eq!(
        envs.iter()
            .map(|(l, f, _)| (l.as_str(), f.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "src/shop/db/revisions/accounts",
                "from [accounts] of src/shop/alembic.ini"
            ),
            (
                "src/shop/db/revisions/main",
                "from [main] of src/shop/alembic.ini"
            ),
        ]
    );
    let r = repo.check_json(&["--all"]);
    assert_eq!(
        of(&r, "migration-filename"),
        Vec::<String>::new(),
        "{}",
        r.stdout
    );
    let text = repo.dbguard(&["migrations"]).stdout;
    assert!(
        text.contains("(from [main] of src/shop/alembic.ini)"),
        "{text}"
    );
}

#[test]
fn flask_alembic_configuration_in_python() {
    let repo = TestRepo::new();
    repo.stage(
        "forum/configs/base.py",
        "import os\nbasedir = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))\n\n\nclass Base:\n    ALEMBIC = {\n        \"script_location\": os.path.join(basedir, \"forum/schema\"),\n        \"file_template\": \"%%(year)d%%(month).2d_%%(rev)s_%%(slug)s\",\n    }\n    ALEMBIC_CONTEXT = {\"render_as_batch\": True}\n",
    );
    repo.stage(
        "forum/schema/202401_0a1b2c3d4e5f_init.py",
        rev_file("0a1b2c3d4e5f", "None", ADD, DROP),
    );
    repo.stage(
        "forum/schema/202402_1b2c3d4e5f60_next.py",
        rev_file("1b2c3d4e5f60", "\"0a1b2c3d4e5f\"", ADD, DROP),
    );
    repo.stage("forum/schema/__init__.py", "");
    let envs = environments(&repo);
    assert_eq!(
        envs,
        [(
            "forum/schema".to_string(),
            "configured in forum/configs/base.py".to_string(),
            vec!["0a1b2c3d4e5f".to_string(), "1b2c3d4e5f60".to_string()]
        )]
    );
}

#[test]
fn a_folder_of_plugin_revision_files_without_env_py() {
    let repo = TestRepo::new();
    repo.stage("migrations/env.py", "from alembic import context\n");
    repo.stage(
        "migrations/versions/aaaaaaaaaaaa_init.py",
        rev_file("aaaaaaaaaaaa", "None", ADD, DROP),
    );
    // Loaded at run time by the host application: nothing configures it.
    repo.stage(
        "app/plugins/scores/migrations/0c1d2e3f4a5b_add_scores.py",
        rev_file("0c1d2e3f4a5b", "None", ADD, "    pass"),
    );
    // Python files with hexadecimal names that are not revisions.
    repo.stage("app/assets/cafebabe1234_icons.py", "ICONS = {}\n");
    let envs = environments(&repo);
    let locs: Vec<(&str, &str)> = envs
        .iter()
        .map(|(l, f, _)| (l.as_str(), f.as_str()))
        .collect();
    assert_eq!(
        locs,
        [
            (
                "app/plugins/scores/migrations",
                "a folder of revision files"
            ),
            ("migrations", "env.py beside versions/"),
        ]
    );
    // The plugin's migrations are checked like any other.
    let r = repo.check_json(&["--all"]);
    assert_eq!(
        of(&r, "downgrade-empty"),
        ["app/plugins/scores/migrations/0c1d2e3f4a5b_add_scores.py"]
    );
}

#[test]
fn filename_with_its_revision_as_a_token_is_fine_another_revision_is_not() {
    let repo = TestRepo::new();
    repo.stage("db/env.py", "from alembic import context\n");
    repo.stage(
        "db/versions/001_a1a1a1a1a1a1_init.py",
        rev_file("a1a1a1a1a1a1", "None", ADD, DROP),
    );
    // Copied from another migration: the name carries the old id.
    repo.stage(
        "db/versions/002_a1a1a1a1a1a1_copy.py",
        rev_file("b2b2b2b2b2b2", "\"a1a1a1a1a1a1\"", ADD, DROP),
    );
    let r = repo.check_json(&["--all"]);
    assert_eq!(
        of(&r, "migration-filename"),
        ["db/versions/002_a1a1a1a1a1a1_copy.py"]
    );
    assert!(
        r.stdout.contains("names revision a1a1a1a1a1a1"),
        "{}",
        r.stdout
    );
}

#[test]
fn downgrade_empty_only_where_upgrade_changes_the_schema() {
    let repo = TestRepo::new();
    repo.stage("db/env.py", "from alembic import context\n");
    let cases: &[(&str, &str, &str)] = &[
        // Reported: schema changes with a bare `pass`.
        ("schema", ADD, "    pass"),
        (
            "ddltext",
            "    conn = op.get_bind()\n    conn.execute(sa.text(\"CREATE INDEX ix_t_c ON t (c)\"))",
            "    # ### commands auto generated by Alembic - please adjust! ###\n    pass",
        ),
        (
            "helper",
            "    _rebuild()\n\n\ndef _rebuild():\n    op.drop_table(\"old\")",
            "    pass",
        ),
        // Not reported.
        (
            "dataupdate",
            "    op.execute(\"UPDATE t SET c = 0 WHERE c IS NULL\")",
            "    pass",
        ),
        (
            "session",
            "    session = Session(bind=op.get_bind())\n    for row in session.query(Row):\n        row.flag = True\n    session.commit()",
            "    pass",
        ),
        (
            "earlyreturn",
            "    if skip_on_legacy(op):\n        return\n    pass",
            "    pass",
        ),
        (
            "extension",
            "    op.execute(\"CREATE EXTENSION IF NOT EXISTS pg_trgm\")",
            "    pass",
        ),
        (
            "enumvalue",
            "    op.execute(\"ALTER TYPE status ADD VALUE 'archived'\")",
            "    pass",
        ),
        (
            "explained",
            "    op.execute(\"DROP TABLE IF EXISTS legacy_versions\")",
            "    \"\"\"The legacy table is not coming back.\"\"\"\n    pass",
        ),
    ];
    stage_chain(&repo, 0xabc000, cases, |(name, up, dn), rev, down| {
        (name.to_string(), rev_file(rev, down, up, dn))
    });
    let r = repo.check_json(&["--all"]);
    let reported: Vec<String> = of(&r, "downgrade-empty").iter().map(|p| slug(p)).collect();
    assert_eq!(reported, ["schema", "ddltext", "helper"], "{}", r.stdout);
    assert!(r.stdout.contains("changes the schema"));
}

#[test]
fn destructive_once_per_migration_and_documented_by_code_or_message() {
    let repo = TestRepo::new();
    repo.stage("db/env.py", "from alembic import context\n");
    let cases: &[(&str, &str, &str)] = &[
        // Reported once, at the first drop, naming both.
        (
            "cleanup",
            "Tidy up",
            "    op.drop_table(\"drafts\")\n    op.drop_column(\"users\", \"bio\")",
        ),
        // Narrowing.
        (
            "narrow",
            "Shorter names",
            "    op.alter_column(\"users\", \"name\", existing_type=sa.String(200), type_=sa.String(20))",
        ),
        // Not reported: widening, backfill, copy, heading comment, message.
        (
            "widen",
            "Longer names",
            "    op.alter_column(\"users\", \"name\", existing_type=sa.TEXT(), type_=sa.String())",
        ),
        (
            "backfill",
            "Flags",
            "    op.add_column(\"users\", sa.Column(\"flag\", sa.Boolean(), nullable=True))\n    op.execute(\"UPDATE users SET flag = false\")\n    op.alter_column(\"users\", \"flag\", nullable=False)",
        ),
        (
            "copy",
            "Move notes",
            "    op.execute(\"UPDATE orders SET comment = note\")\n    op.drop_column(\"orders\", \"note\")",
        ),
        (
            "heading",
            "Tags",
            "    # tags were never shown; nothing reads them\n    with op.batch_alter_table(\"posts\") as batch_op:\n        batch_op.drop_column(\"tags\")",
        ),
        (
            "message",
            "Remove the audit tables",
            "    op.drop_table(\"audit\")\n    op.drop_table(\"audit_log\")",
        ),
    ];
    stage_chain(&repo, 0xdef000, cases, |(name, message, up), rev, down| {
        let text = rev_file(rev, down, up, "    raise NotImplementedError()")
            .replace(&format!("change {rev}"), message);
        (name.to_string(), text)
    });
    let r = repo.check_json(&["--all"]);
    let found = slug_messages(&r, "migration-undocumented-destructive");
    assert_eq!(
        found,
        [
            (
                "cleanup".to_string(),
                "upgrade() drops table drafts, drops column users.bio without a comment or docstring that explains it".to_string()
            ),
            (
                "narrow".to_string(),
                "upgrade() changes the type of users.name without a comment or docstring that explains it".to_string()
            ),
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn asymmetric_follows_conventions_columns_renames_and_reports_unnamed_drops() {
    let repo = TestRepo::new();
    repo.stage("db/env.py", "from alembic import context\n");
    let cases: &[(&str, &str, &str)] = &[
        // Silent: the convention's name, a dropped column's FK, a FK
        // recreated under another name, a column replaced through a rename.
        (
            "convention",
            "    op.create_check_constraint(\"positive\", \"orders\", \"total > 0\")",
            "    op.drop_constraint(\"ck_orders_positive\", \"orders\", type_=\"check\")",
        ),
        (
            "columnfk",
            "    op.add_column(\"orders\", sa.Column(\"buyer\", sa.Integer()))\n    op.create_foreign_key(None, \"orders\", \"users\", [\"buyer\"], [\"id\"])",
            "    op.drop_column(\"orders\", \"buyer\")",
        ),
        (
            "renamedfk",
            "    op.drop_constraint(\"orders_ibfk_1\", \"orders\", type_=\"foreignkey\")\n    op.create_foreign_key(\"fk_orders_buyer_users\", \"orders\", \"users\", [\"buyer\"], [\"id\"], ondelete=\"CASCADE\")",
            "    op.drop_constraint(\"fk_orders_buyer_users\", \"orders\", type_=\"foreignkey\")\n    op.create_foreign_key(\"fk_orders_buyer_users\", \"orders\", \"users\", [\"buyer\"], [\"id\"])",
        ),
        (
            "replaced",
            "    op.add_column(\"orders\", sa.Column(\"_owner\", sa.Integer()))\n    op.drop_column(\"orders\", \"owner\")\n    op.alter_column(\"orders\", \"_owner\", new_column_name=\"owner\")",
            "    op.alter_column(\"orders\", \"owner\", nullable=True)",
        ),
        (
            "scratch",
            "    op.create_table(\"tmp\", sa.Column(\"id\", sa.Integer()))\n    op.execute(\"INSERT INTO orders (id) SELECT id FROM tmp\")\n    op.drop_table(\"tmp\")",
            "    op.execute(\"DELETE FROM orders\")",
        ),
        (
            "renamedcol",
            "    op.add_column(\"orders\", sa.Column(\"tmp_total\", sa.Integer()))\n    op.alter_column(\"orders\", \"tmp_total\", new_column_name=\"total\")",
            "    op.drop_column(\"orders\", \"total\")",
        ),
        // Reported: an unnamed drop cannot run; a column left behind.
        (
            "unnamed",
            "    op.add_column(\"orders\", sa.Column(\"shop\", sa.Integer()))\n    op.create_foreign_key(None, \"orders\", \"shops\", [\"shop\"], [\"id\"])",
            "    op.drop_constraint(None, \"orders\", type_=\"foreignkey\")\n    op.drop_column(\"orders\", \"shop\")",
        ),
        (
            "leftover",
            "    op.add_column(\"orders\", sa.Column(\"a\", sa.Integer()))\n    op.add_column(\"orders\", sa.Column(\"b\", sa.Integer()))",
            "    op.drop_column(\"orders\", \"a\")",
        ),
    ];
    stage_chain(&repo, 0xfed000, cases, |(name, up, dn), rev, down| {
        (name.to_string(), rev_file(rev, down, up, dn))
    });
    let r = repo.check_json(&["--all"]);
    let found = slug_messages(&r, "downgrade-asymmetric");
    assert_eq!(
        found,
        [
            (
                "unnamed".to_string(),
                "downgrade() calls drop_constraint(None, \"orders\"), which cannot run: Alembic needs the constraint's name".to_string()
            ),
            (
                "leftover".to_string(),
                "upgrade() adds column orders.b but downgrade() does not drop it".to_string()
            ),
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn sql_injection_leaves_ddl_identifiers_and_acknowledged_builders_alone() {
    let repo = TestRepo::new();
    repo.stage(
        "app/store.py",
        "import sqlalchemy as sa\n\n\ndef drop(conn, table):\n    conn.execute(sa.text('DROP TABLE \"{0}\" CASCADE'.format(table)))\n\n\ndef timeout(conn, seconds):\n    conn.execute(sa.text(f\"SET LOCAL statement_timeout TO {seconds}\"))\n\n\ndef reset(conn, table):\n    query = \"SELECT setval('{t}_id_seq', 1) FROM {t}\".format(  # noqa: S608\n        t=table\n    )\n    conn.execute(query)\n\n\ndef find(conn, name):\n    return conn.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n",
    );
    let r = repo.check_json(&["--all"]);
    let doc: Value = r.json();
    let lines: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "sql-injection")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("app/store.py".to_string(), 20)], "{}", r.stdout);
}

#[test]
fn sql_injection_honours_the_projects_own_quoting_helpers() {
    let repo = TestRepo::new();
    // A helper named like a quoting function (`literal_string`,
    // `identifier`, `quote_*`, `escape_*`) is known by its name; one
    // named otherwise is listed in the configuration.
    let src = "import sqlalchemy as sa\n\n\ndef size(conn, rid):\n    return conn.execute(sa.text(f\"SELECT pg_relation_size({clean_rid(rid)})\"))\n";
    repo.stage("app/meta.py", src);
    let r = repo.check_json(&["--all"]);
    assert_eq!(of(&r, "sql-injection"), ["app/meta.py"], "{}", r.stdout);
    repo.stage(
        ".dbguard.yaml",
        "sql_injection:\n  safe_calls: [clean_rid]\n",
    );
    let r = repo.check_json(&["--all"]);
    assert_eq!(
        of(&r, "sql-injection"),
        Vec::<String>::new(),
        "{}",
        r.stdout
    );
}

/// Causes of sql-injection noise on real code, each a case: quoting
/// helpers known by their names, bound parameters' placeholders built
/// by code, SQL text put into a larger statement, arithmetic on numbers,
/// `.format(**dict(...))`. A value from a function parameter is still a
/// finding.
#[test]
fn sql_injection_knows_placeholders_quoting_helpers_sql_text_and_numbers() {
    let repo = TestRepo::new();
    let src = r#"import sqlalchemy as sa


def upsert(conn, table, fields, record, include):
    names = [f"val_{next(counter)}" for _ in fields]
    values = [":" + n for n in names]
    casts = ", ".join([f"cast(:{n} as jsonb)" for n in names])
    params = dict(
        table=identifier(table),
        columns=", ".join([quote_ident(f) for f in fields]),
        values=", ".join(values),
        casts=casts,
    )
    sql_string = "INSERT INTO {table} ({columns}) VALUES ({values}), ({casts})".format(**params)
    conn.execute(sa.text(sql_string), record)


def search(conn, sql, rows_max):
    sql = "SELECT * FROM ({0}) AS q LIMIT {1}".format(sql, rows_max + 1)
    return conn.execute(sa.text(sql))


def explain(conn, sql):
    return conn.scalar(sa.text(f"EXPLAIN (FORMAT JSON) {sql}"))


def size(conn, rid):
    return conn.execute(sa.text(f"SELECT count(*) FROM t WHERE id = {literal_string(rid)}"))


def by_name(conn, name):
    return conn.execute(sa.text(f"SELECT * FROM users WHERE name = '{name}'"))


def copy_rows(conn, table, columns, rows):
    template = "INSERT INTO {table} ({columns}) VALUES ({marks})".format(
        table=table,
        columns=", ".join(columns),
        marks=",".join(["?"] * len(columns)),
    )
    for row in rows:
        conn.execute(template, row)


def extension(con, name):
    con.execute(f"INSTALL {name}")
    con.execute(f"LOAD {name}")


def count(conn, inner):
    total = f"""SELECT COUNT(*) FROM (
        {inner}
    ) AS c"""  # noqa: S608
    return conn.execute(total)
"#;
    repo.stage("app/store.py", src);
    let r = repo.check_json(&["--all"]);
    let lines: Vec<u64> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "sql-injection")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [32], "{}", r.stdout);
}
