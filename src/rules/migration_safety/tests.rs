//! The cases behind each label cause on the real projects
//! (benches/real/migration_safety.tsv): what made a finding noise, and
//! what the rule must keep reporting.

use super::checks::{Input, check};
use crate::alembic::dialect::Dialect;
use crate::finding::Finding;
use crate::python::Module;
use crate::rules::RuleId;

fn run(src: &str, dialect: Option<Dialect>) -> Vec<Finding> {
    let m = Module::parse(src.as_bytes()).unwrap();
    let mut out = Vec::new();
    let input = Input {
        m: &m,
        path: "v/x.py",
        dialect,
    };
    check(&input, &|_| true, &mut out);
    out
}

fn rules(src: &str, dialect: Option<Dialect>) -> Vec<(RuleId, u32)> {
    run(src, dialect)
        .iter()
        .map(|f| (f.rule, f.line.unwrap_or(0)))
        .collect()
}

const PG: Option<Dialect> = Some(Dialect::Postgresql);

#[test]
fn drop_index_before_dropping_the_tables_columns_is_not_reported() {
    // dispatch 01aa49ca0470: the index goes with columns the same
    // migration drops; DROP COLUMN takes the same lock.
    let src = "def upgrade():\n    op.drop_index('r_search_idx', table_name='rule')\n    op.drop_column('rule', 'search_vector')\n    op.drop_index('ix_other', table_name='other')\n";
    assert_eq!(rules(src, PG), [(RuleId::MigrationBlockingIndex, 4)]);
}

#[test]
fn orm_backfill_before_set_not_null_counts() {
    // dispatch 479024506e05: rows fixed through a session query.
    let src = "def upgrade():\n    s = Session(bind=op.get_bind())\n    for i in s.query(Incident).filter(Incident.resolution == None):\n        i.resolution = 'x'\n    s.commit()\n    op.alter_column('incident', 'resolution', existing_type=sa.VARCHAR(), nullable=False)\n    op.alter_column('case', 'status', existing_type=sa.VARCHAR(), nullable=False)\n";
    assert_eq!(
        rules(src, None),
        [(RuleId::MigrationNotNullWithoutDefault, 7)]
    );
}

#[test]
fn batch_operations_and_renamed_tables_are_existing_tables() {
    // flaskbb 933bd7d807c4 (batch), ckan 047 (renamed table gains columns).
    let src = "def upgrade():\n    with op.batch_alter_table('topics', schema=None) as batch_op:\n        batch_op.alter_column('views', existing_type=sa.INTEGER(), nullable=False)\n        batch_op.add_column(sa.Column('x', sa.Integer(), nullable=False))\n    op.rename_table('package_group', 'member')\n    op.add_column('member', sa.Column('capacity', sa.UnicodeText, nullable=False))\n";
    assert_eq!(
        rules(src, None),
        [
            (RuleId::MigrationNotNullWithoutDefault, 3),
            (RuleId::MigrationNotNullWithoutDefault, 4),
            (RuleId::MigrationBreakingRename, 5),
            (RuleId::MigrationNotNullWithoutDefault, 6),
        ]
    );
}

#[test]
fn replacing_a_column_is_neither_a_rename_nor_a_drop() {
    // full-stack-fastapi-template d98dd8ec85a3.
    let src = "def upgrade():\n    op.add_column('user', sa.Column('new_id', postgresql.UUID(as_uuid=True)))\n    op.execute('UPDATE \"user\" SET new_id = uuid_generate_v4()')\n    op.alter_column('user', 'new_id', nullable=False)\n    op.drop_column('user', 'id')\n    op.alter_column('user', 'new_id', new_column_name='id')\n";
    let m = Module::parse(src.as_bytes()).unwrap();
    let mut out = Vec::new();
    let input = Input {
        m: &m,
        path: "v/x.py",
        dialect: PG,
    };
    let drops = check(&input, &|_| true, &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert!(drops.is_empty(), "{drops:?}");
}

#[test]
fn dialect_guards_and_the_migrations_own_imports_decide() {
    let src = "from sqlalchemy.dialects import postgresql\ndef upgrade():\n    op.create_index('ix_a', 'a', ['x'])\n    if op.get_bind().dialect.name == 'mysql':\n        op.create_index('ix_b', 'b', ['x'])\n";
    assert_eq!(rules(src, None), [(RuleId::MigrationBlockingIndex, 3)]);
    // The configured or environment dialect wins over the file's imports.
    assert!(rules(src, Some(Dialect::Sqlite)).is_empty());
}

#[test]
fn names_that_are_not_literals_say_nothing() {
    // CTFd 46a278193a94, ckan 016: tables and columns from a loop.
    let src = "def upgrade():\n    for t, c in cols:\n        op.alter_column(table_name=t, column_name=c, existing_type=sa.Integer(), type_=sa.BigInteger())\n        op.add_column(t, sa.Column('x', sa.Integer(), nullable=False))\n        op.create_index('ix', t, ['x'])\n";
    assert!(rules(src, PG).is_empty());
}

#[test]
fn concurrently_needs_the_autocommit_block_and_sql_renames_are_read() {
    let src = "def upgrade():\n    with op.get_context().autocommit_block():\n        op.create_index('ix_a', 'a', ['x'], postgresql_concurrently=True)\n    op.drop_index('ix_b', table_name='b', postgresql_concurrently=True)\n    op.execute('ALTER TABLE a RENAME TO b')\n    op.execute('alter table only public.c rename x to y')\n";
    let got: Vec<_> = run(src, PG)
        .into_iter()
        .map(|f| (f.rule, f.line.unwrap_or(0), f.kind.unwrap_or_default()))
        .collect();
    assert_eq!(
        got,
        [
            (
                RuleId::MigrationBlockingIndex,
                4,
                "concurrently-in-transaction".to_string()
            ),
            (RuleId::MigrationBreakingRename, 5, "sql".to_string()),
            (RuleId::MigrationBreakingRename, 6, "sql".to_string()),
        ]
    );
}

#[test]
fn not_null_restated_in_downgrade_was_not_null_before() {
    // dispatch 0a19c5a4c2ba: a rename that repeats nullable=False.
    let src = "def upgrade():\n    op.alter_column('entity_type', 'field', nullable=False, new_column_name='jpath')\n    op.alter_column('t', 'c', nullable=False)\n\ndef downgrade():\n    op.alter_column('entity_type', 'jpath', nullable=False, new_column_name='field')\n    op.alter_column('t', 'c', nullable=True)\n";
    assert_eq!(
        rules(src, None),
        [
            (RuleId::MigrationBreakingRename, 2),
            (RuleId::MigrationNotNullWithoutDefault, 3)
        ]
    );
}

#[test]
fn useful_causes_on_the_real_projects_stay_reported() {
    // dispatch 9fcf205ba6a5: an index on a column the migration adds
    // still scans the existing table; 928b725d64f6: operations under an
    // inspector check still run; its BOOLEAN to VARCHAR change rewrites.
    let src = "def upgrade():\n    op.add_column('feedback', sa.Column('search_vector', TSVectorType(), nullable=True))\n    op.create_index('feedback_search_vector_idx', 'feedback', ['search_vector'], postgresql_using='gin')\n    if index_exists:\n        op.drop_index('ix_entity_search_vector', table_name='entity', postgresql_using='gin')\n    op.alter_column('entity', 'source', existing_type=sa.BOOLEAN(), type_=sa.String(), existing_nullable=True)\n";
    assert_eq!(
        rules(src, PG),
        [
            (RuleId::MigrationBlockingIndex, 3),
            (RuleId::MigrationBlockingIndex, 5),
            (RuleId::MigrationTableRewrite, 6),
        ]
    );
    // full-stack-fastapi-template 9c0a54914c78: VARCHAR gains a length.
    let src = "def upgrade():\n    op.alter_column('user', 'email', existing_type=sa.String(), type_=sa.String(length=255), existing_nullable=False)\n";
    assert_eq!(rules(src, PG), [(RuleId::MigrationTableRewrite, 2)]);
    // ckan 028: a server_default at creation does not fill explicit NULLs.
    let src = "def upgrade():\n    op.alter_column('harvest_source', 'status', nullable=False)\n\ndef downgrade():\n    op.alter_column('harvest_source', 'status', nullable=True)\n";
    assert_eq!(
        rules(src, None),
        [(RuleId::MigrationNotNullWithoutDefault, 2)]
    );
}
