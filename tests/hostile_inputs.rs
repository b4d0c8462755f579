//! Hostile or odd files where the Python readers run: huge migrations,
//! deeply nested expressions, binary garbage. dbguard answers or reports;
//! it never crashes or overflows its stack.

mod common;

use common::TestRepo;

const INI: &str = "[alembic]\nscript_location = migrations\n";

fn alembic_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("alembic.ini", INI)
        .stage("migrations/env.py", "from alembic import context\n")
        .stage(
            "migrations/versions/a1_init.py",
            "\"\"\"init\"\"\"\nrevision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer))\n\ndef downgrade():\n    op.drop_table('users')\n",
        )
        .stage(
            "app/models.py",
            "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n",
        );
    repo.commit("init");
    repo
}

fn assert_no_crash(run: &common::Run) {
    assert!(
        run.code == 0 || run.code == 1,
        "code {}: {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("overflow"), "{}", run.stderr);
}

#[test]
fn a_five_megabyte_migration_is_read() {
    let repo = alembic_repo();
    let mut body = String::from(
        "\"\"\"bulk data\"\"\"\nrevision = 'b2'\ndown_revision = 'a1'\n\ndef upgrade():\n",
    );
    let mut i = 0;
    while body.len() < 5 << 20 {
        body.push_str(&format!(
            "    op.execute(\"INSERT INTO users (id) VALUES ({i})\")  # seed row {i}\n"
        ));
        i += 1;
    }
    // Seeding rows alone may keep an empty downgrade; a schema change at
    // the end of upgrade() may not.
    body.push_str("    op.add_column(\"users\", sa.Column(\"seeded\", sa.Boolean()))\n");
    body.push_str("\ndef downgrade():\n    pass\n");
    repo.stage("migrations/versions/b2_bulk.py", &body);
    let run = repo.check_json(&[]);
    assert_no_crash(&run);
    // Read whole: its empty downgrade is seen at the end of the file.
    let rules: Vec<String> = run.findings().into_iter().map(|(r, _)| r).collect();
    assert!(rules.contains(&"downgrade-empty".to_string()), "{rules:?}");
    let m = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    assert!(m.stdout.contains("\"b2\""));
}

#[test]
fn deeply_nested_python_in_migrations_and_models_does_not_overflow() {
    let repo = alembic_repo();
    let depth = 20_000;
    let nested = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let calls = format!("{}x{}", "f(".repeat(depth), ")".repeat(depth));
    repo.stage(
        "migrations/versions/c3_deep.py",
        format!(
            "revision = 'c3'\ndown_revision = 'a1'\nX = {nested}\n\ndef upgrade():\n    op.execute({calls})\n\ndef downgrade():\n    op.execute({calls})\n"
        ),
    );
    repo.stage(
        "app/models.py",
        format!(
            "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True, default={nested})\n    name = Column(String({calls}))\n"
        ),
    );
    let run = repo.check_json(&[]);
    assert_no_crash(&run);
    let run = repo.check_json(&["--all"]);
    assert_no_crash(&run);
    let m = repo.dbguard(&["migrations"]);
    assert_eq!(m.code, 0, "{}", m.stderr);
}

#[test]
fn binary_and_invalid_utf8_where_python_is_expected() {
    let repo = alembic_repo();
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    repo.stage("migrations/versions/d4_garbage.py", &garbage);
    let mut model = b"class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    # \xff\xfe\xc3\x28 not utf-8\n    note = Column(String(\"\xe9t\xe9\"))\n".to_vec();
    model.extend_from_slice(&garbage[..1000]);
    repo.stage("app/models.py", &model);
    let run = repo.check_json(&[]);
    assert_no_crash(&run);
    let m = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(m.code, 0, "{}", m.stderr);
}
