//! Unit tests of [`super`]: what `upgrade()` bodies read as.

use super::*;

fn steps(upgrade: &str) -> Vec<Step> {
    let src = format!("import sqlalchemy as sa\nfrom alembic import op\n\n{upgrade}");
    read(src.as_bytes(), "v/a.py")
}

#[test]
fn create_table_reads_columns_through_the_model_extractor() {
    let s = steps(
        "def upgrade():\n    op.create_table('users',\n        sa.Column('id', sa.Integer(), nullable=False),\n        sa.Column('email', sa.String(length=255), nullable=True),\n        sa.Column('org_id', sa.Integer(), sa.ForeignKey('orgs.id')),\n        sa.PrimaryKeyConstraint('id'),\n        sa.UniqueConstraint('email'),\n    )\n",
    );
    let [Step::CreateTable(t)] = s.as_slice() else {
        panic!("{s:?}")
    };
    assert_eq!(t.name, "users");
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "email", "org_id"]);
    assert!(!t.column("id").unwrap().nullable);
    assert!(t.column("email").unwrap().nullable);
    assert_eq!(t.primary_key, ["id"]);
    assert_eq!(t.uniques[0].columns, ["email"]);
    assert_eq!(
        t.column("org_id").unwrap().foreign_keys[0].target,
        "orgs.id"
    );
}

#[test]
fn batch_and_plain_column_operations() {
    let s = steps(
        "def upgrade():\n    op.add_column('users', sa.Column('bio', sa.Text(), nullable=True), schema='auth')\n    with op.batch_alter_table('users') as b:\n        b.alter_column('name', new_column_name='full_name', nullable=False, type_=sa.String(100))\n        b.drop_column('legacy')\n        b.create_index('ix_users_email', ['email'], unique=True)\n",
    );
    let got: Vec<String> = s.iter().map(|s| format!("{s:?}")).collect();
    assert!(
        matches!(&s[0], Step::AddColumn { table, column } if table == "auth.users" && column.name == "bio"),
        "{got:?}"
    );
    assert!(
        matches!(&s[1], Step::AlterColumn { table, column, type_: Some(t), nullable: Some(false), new_name: Some(n) }
            if table == "users" && column == "name" && t == "String(100)" && n == "full_name"),
        "{got:?}"
    );
    assert!(matches!(&s[2], Step::DropColumn { column, .. } if column == "legacy"));
    assert!(
        matches!(&s[3], Step::CreateIndex { table, columns, unique: true, .. } if table == "users" && columns == &["email"])
    );
}

#[test]
fn raw_ddl_makes_its_table_unknown_and_data_changes_nothing() {
    let s = steps(
        "def upgrade():\n    op.execute('ALTER TABLE users ADD COLUMN x int')\n    op.execute(\"UPDATE users SET x = 1\")\n    op.execute(sa.text('CREATE INDEX ix_a ON orders (a)'))\n",
    );
    let got: Vec<String> = s
        .iter()
        .map(|s| match s {
            Step::Unknown(t) => t.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(got, ["users", "orders"]);
}

#[test]
fn what_cannot_be_read_is_opaque() {
    for body in [
        "    for t in TABLES:\n        op.drop_table(t)\n",
        "    create_all_tables(op)\n",
        "    op.execute(build_sql())\n",
        "    op.execute(f'ALTER TABLE {name} ADD x int')\n",
    ] {
        let s = steps(&format!("def upgrade():\n{body}"));
        assert!(
            s.iter().any(|s| matches!(s, Step::Opaque(_))),
            "{body}: {s:?}"
        );
    }
    assert!(matches!(
        read(b"def upgrade(:\n", "x.py").as_slice(),
        [Step::Opaque(_)]
    ));
}

#[test]
fn a_loop_over_literal_table_names_is_one_step_per_name() {
    let s = steps(
        "TABLES = ('a', 'b')\n\ndef upgrade():\n    for t in TABLES:\n        op.drop_column(t, 'x')\n    for t in ['c']:\n        with op.batch_alter_table(t) as b:\n            b.drop_column('y')\n    connection.execute(users.update().where(users.c.id == 1).values(x=2))\n    session.query(User).all()\n    roles[1].append(2)\n",
    );
    let got: Vec<String> = s
        .iter()
        .map(|s| match s {
            Step::DropColumn { table, column } => format!("{table}.{column}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(got, ["a.x", "b.x", "c.y"]);
    // ckan's `for column in _columns: op.add_column('package', ...)`.
    let s = steps(
        "_columns = ('author', 'maintainer')\n\ndef upgrade():\n    for column in _columns:\n        op.add_column('package', sa.Column(column, sa.UnicodeText))\n",
    );
    let got: Vec<String> = s
        .iter()
        .map(|s| match s {
            Step::AddColumn { table, column } => format!(
                "{table}.{} {}",
                column.name,
                column.type_.as_deref().unwrap_or("?")
            ),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "package.author UnicodeText",
            "package.maintainer UnicodeText"
        ]
    );
    // ckan's `for name, table, columns in indexes: op.create_index(...)`.
    let s = steps(
        "INDEXES = (('ix_a', 'a', ['x']), ('ix_b', 'b', ['y', 'z']))\n\ndef upgrade():\n    for name, table, columns in INDEXES:\n        op.create_index(name, table, columns)\n",
    );
    let got: Vec<String> = s
        .iter()
        .map(|s| match s {
            Step::CreateIndex {
                table,
                name,
                columns,
                ..
            } => {
                format!(
                    "{table}:{}:{}",
                    name.as_deref().unwrap_or("?"),
                    columns.join("+")
                )
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(got, ["a:ix_a:x", "b:ix_b:y+z"]);
    let s = steps(
        "KEYS = [('a', 'x_id'), ('b', 'y_id')]\n\ndef upgrade():\n    for table, column in KEYS:\n        op.drop_column(table, column)\n        op.add_column(table, sa.Column(column, sa.Text))\n",
    );
    let got: Vec<String> = s
        .iter()
        .map(|s| match s {
            Step::AddColumn { table, column } => format!("add {table}.{}", column.name),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "DropColumn { table: \"a\", column: \"x_id\" }",
            "DropColumn { table: \"b\", column: \"y_id\" }",
            "add a.x_id",
            "add b.y_id"
        ]
    );
}

#[test]
fn helpers_defined_in_the_file_are_read() {
    let s = steps(
        "def _add(table):\n    op.add_column('users', sa.Column('a', sa.Integer()))\n\ndef upgrade():\n    _add('users')\n    print('done')\n",
    );
    assert!(
        matches!(s.as_slice(), [Step::AddColumn { column, .. }] if column.name == "a"),
        "{s:?}"
    );
}

#[test]
fn foreign_keys_and_constraints() {
    let s = steps(
        "def upgrade():\n    op.create_foreign_key('fk_a_b', 'a', 'b', ['b_id'], ['id'], referent_schema='s')\n    op.create_unique_constraint('uq_a_x', 'a', ['x', 'y'])\n    op.drop_constraint('fk_old', 'a', type_='foreignkey')\n",
    );
    assert!(
        matches!(&s[0], Step::CreateForeignKey { targets, columns, .. } if targets == &["s.b.id"] && columns == &["b_id"])
    );
    assert!(matches!(&s[1], Step::CreateUnique { columns, .. } if columns.len() == 2));
    assert!(matches!(&s[2], Step::DropConstraint { name, .. } if name == "fk_old"));
}

#[test]
fn a_helper_parameter_takes_the_tables_its_callers_pass() {
    let s = steps(
        "TABLES = ('tokens', 'codes')\n\ndef add_if_exists(table, column):\n    if table not in sa.inspect(op.get_bind()).get_table_names():\n        return\n    op.add_column(table, column)\n\ndef upgrade():\n    for table in TABLES:\n        add_if_exists(table, sa.Column('session_id', sa.Unicode(255)))\n    add_if_exists('users', sa.Column('bio', sa.Text()))\n",
    );
    let got: Vec<String> = s
        .iter()
        .map(|s| match s {
            Step::AddColumn { table, column } => format!("{table}.{}", column.name),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(got, ["tokens.session_id", "codes.session_id", "users.bio"]);
}

#[test]
fn a_helper_parameter_no_caller_names_stays_unreadable() {
    let s = steps(
        "def helper(table):\n    op.drop_column(table, 'x')\n\ndef upgrade():\n    helper(compute())\n",
    );
    assert!(s.iter().any(|s| matches!(s, Step::Opaque(_))), "{s:?}");
}

#[test]
fn exit_and_builtins_change_nothing_and_bound_text_is_data() {
    let s = steps(
        "def upgrade():\n    try:\n        op.add_column('q', sa.Column('d', sa.Boolean()))\n    except Exception:\n        print('stamp it')\n        exit()\n    session.execute(sa.text(f\"UPDATE {T.__tablename__} SET a=:a\").bindparams(a=1))\n",
    );
    assert!(
        matches!(s.as_slice(), [Step::AddColumn { table, .. }] if table == "q"),
        "{s:?}"
    );
}

#[test]
fn creating_an_enum_type_and_searchable_functions_touch_no_table() {
    let s = steps(
        "from sqlalchemy_searchable import sql_expressions\n\nmethod = sa.Enum('A', 'B', name='method')\n\ndef upgrade():\n    op.execute(sql_expressions)\n    method.create(op.get_bind())\n    kind = postgresql.ENUM('x', name='kind')\n    kind.create(op.get_bind(), checkfirst=True)\n    op.add_column('users', sa.Column('method', method, nullable=False))\n",
    );
    assert!(
        matches!(s.as_slice(), [Step::AddColumn { table, .. }] if table == "users"),
        "{s:?}"
    );
    // Anything else imported and executed stays unreadable.
    let s = steps("from app.sql import ddl\n\ndef upgrade():\n    op.execute(ddl)\n");
    assert!(matches!(s.as_slice(), [Step::Opaque(_)]), "{s:?}");
    let s = steps("def upgrade():\n    metadata.create(op.get_bind())\n");
    assert!(matches!(s.as_slice(), [Step::Opaque(_)]), "{s:?}");
}

#[test]
fn a_loop_over_helpers_of_the_file_reads_the_helpers() {
    let s = steps(
        "def fix_a(session):\n    session.execute(sa.text('DELETE FROM a'))\n\ndef fix_b(session):\n    op.drop_column('b', 'old')\n\ndef upgrade():\n    for name, fix in [('a', fix_a), ('b', fix_b)]:\n        fix(session)\n",
    );
    assert!(
        matches!(s.as_slice(), [Step::DropColumn { table, column }] if table == "b" && column == "old"),
        "{s:?}"
    );
    let s = steps("def upgrade():\n    for fix in HOOKS:\n        fix(session)\n");
    assert!(matches!(s.as_slice(), [Step::Opaque(_)]), "{s:?}");
}

#[test]
fn sql_built_in_branches_is_read_from_every_branch() {
    let s = steps(
        "def upgrade():\n    if pg():\n        q = dedent(\"\"\"\n        INSERT INTO r (a) VALUES (:a) ON CONFLICT DO NOTHING;\n        \"\"\")\n    else:\n        q = dedent(\"\"\"INSERT OR IGNORE INTO r (a) VALUES (:a)\"\"\")\n    for row in rows:\n        session.execute(sa.text(q), row)\n    q = (\n        f\"SELECT {cols} FROM r\"\n    )\n    session.execute(sa.text(q))\n",
    );
    assert!(s.is_empty(), "{s:?}");
    let s = steps(
        "def upgrade():\n    if pg():\n        q = 'UPDATE r SET a = 1'\n    else:\n        q = 'ALTER TABLE r ADD COLUMN a int'\n    conn.execute(sa.text(q))\n",
    );
    assert!(
        matches!(s.as_slice(), [Step::Unknown(t)] if t == "r"),
        "{s:?}"
    );
}
