//! End-to-end tests of issue 25's reference: `model-without-migration`
//! compares the models with the schema the migration history builds
//! (replayed statically), so the causes of its false findings on real
//! histories are silent by construction, real missing migrations are
//! still errors, and `dbguard models --diff` shows the comparison.

mod common;

use common::{Run, TestRepo};

const MODELS: &str = "app/models.py";

const MODELS_PY: &str = "from sqlalchemy import Column, ForeignKey, Integer, String\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\nclass User(Base):\n    __tablename__ = \"users\"\n    id = Column(Integer, primary_key=True)\n    name = Column(String(50), nullable=False)\n\n\nclass Post(Base):\n    __tablename__ = \"posts\"\n    id = Column(Integer, primary_key=True)\n    author_id = Column(Integer, ForeignKey(\"users.id\"), nullable=False)\n";

fn with_email(models: &str) -> String {
    models.replace(
        "    name = Column(String(50), nullable=False)\n",
        "    name = Column(String(50), nullable=False)\n    email = Column(String(255))\n",
    )
}

fn migration(rev: &str, down: Option<&str>, upgrade: &str) -> String {
    let down = down.map_or("None".to_string(), |d| format!("'{d}'"));
    format!(
        "\"\"\"{rev}\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '{rev}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{upgrade}\n\ndef downgrade():\n    pass  # not needed by these tests\n"
    )
}

const INITIAL: &str = "migrations/versions/a1_initial.py";
const EMAIL: &str = "migrations/versions/b2_add_email.py";

fn initial() -> String {
    migration(
        "a1",
        None,
        "    op.create_table('users', sa.Column('id', sa.Integer(), nullable=False), sa.Column('name', sa.String(length=50), nullable=False), sa.PrimaryKeyConstraint('id'))\n    op.create_table('posts', sa.Column('id', sa.Integer(), nullable=False), sa.Column('author_id', sa.Integer(), nullable=False), sa.ForeignKeyConstraint(['author_id'], ['users.id']), sa.PrimaryKeyConstraint('id'))\n",
    )
}

fn email() -> String {
    migration(
        "b2",
        Some("a1"),
        "    op.add_column('users', sa.Column('email', sa.String(length=255), nullable=True))\n",
    )
}

/// A project with `alembic.ini`, the models and the initial migration.
fn project() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("alembic.ini", "[alembic]\nscript_location = migrations\n")
        .stage("migrations/env.py", "from alembic import context\n")
        .stage("app/__init__.py", "")
        .stage(MODELS, MODELS_PY)
        .stage(INITIAL, initial());
    repo.commit("initial schema");
    repo
}

/// `model-without-migration` findings as (commit, kind, message).
fn found(run: &Run) -> Vec<(String, String, String)> {
    run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "model-without-migration")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("commit"), s("kind"), s("message"))
        })
        .collect()
}

fn range(repo: &TestRepo, base: &str) -> Run {
    repo.check_json(&[
        "--range",
        &format!("{base}..HEAD"),
        "--select",
        "model-without-migration",
    ])
}

fn head(repo: &TestRepo) -> String {
    repo.git(&["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn a_model_catching_up_with_a_migration_that_landed_first_is_silent() {
    let repo = project();
    let base = head(&repo);
    repo.stage(EMAIL, email());
    repo.commit("the migration lands first");
    repo.stage(MODELS, with_email(MODELS_PY));
    let run = repo.check_json(&[]);
    assert_eq!(found(&run), [], "{}", run.stdout);
    repo.commit("the model catches up");
    let run = range(&repo, &base);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(found(&run), []);
}

#[test]
fn a_revert_that_deletes_its_own_migration_is_silent() {
    let repo = project();
    let base = head(&repo);
    repo.stage(MODELS, with_email(MODELS_PY))
        .stage(EMAIL, email());
    repo.commit("add users.email");
    repo.git(&["revert", "--no-edit", "HEAD"]);
    let run = range(&repo, &base);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(found(&run), []);
}

#[test]
fn a_table_moved_between_files_is_silent() {
    let repo = project();
    let base = head(&repo);
    // Post moves to a model file of its own...
    let (users, posts) = MODELS_PY.split_at(MODELS_PY.find("\n\nclass Post").unwrap());
    repo.stage(MODELS, users).stage(
        "app/models/posts.py",
        format!("from sqlalchemy import Column, ForeignKey, Integer\nfrom app.models import Base\n{posts}"),
    );
    repo.commit("posts in a file of their own");
    // ... and on to a module that is not a model file by name.
    repo.git(&["rm", "-q", "app/models/posts.py"]);
    repo.stage(
        "app/db/tables.py",
        format!("from sqlalchemy import Column, ForeignKey, Integer\nfrom app.models import Base\n{posts}"),
    );
    repo.commit("posts into the db package");
    let run = range(&repo, &base);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(found(&run), []);
}

#[test]
fn a_real_missing_migration_is_an_error_naming_the_column_and_the_command() {
    let repo = project();
    let base = head(&repo);
    repo.stage(MODELS, with_email(MODELS_PY));
    let sha = repo.commit("add users.email, forget the migration");
    let run = range(&repo, &base);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        found(&run),
        [(
            sha,
            "no-migration".to_string(),
            "users.email is not in the migrations, and this commit adds no migration; generate a migration with `alembic revision --autogenerate -m \"add users.email\"`".to_string()
        )]
    );
    // A later migration that adds it settles the head for later commits,
    // not for the commit that forgot it.
    repo.stage(EMAIL, email());
    repo.commit("the missing migration");
    repo.stage(
        MODELS,
        with_email(MODELS_PY).replace("String(255)", "String(255), index=True"),
    );
    repo.commit("index users.email without a migration");
    let run = range(&repo, &base);
    let messages: Vec<String> = found(&run).into_iter().map(|f| f.2).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("users index on (email) is not in the migrations")),
        "{messages:?}"
    );
}

/// Alembic's comparison lets `String` pass for `String(255)`; a commit
/// that makes exactly that change in the models still needs its migration
/// (real history: a template adding `max_length`). A `String` turned
/// `Enum` stays lenient: on SQLite autogenerate writes nothing for it.
#[test]
fn a_retyped_column_the_migrations_still_have_with_its_old_type_is_an_error() {
    let repo = project();
    let base = head(&repo);
    repo.stage(
        MODELS,
        MODELS_PY.replace("name = Column(String(50)", "name = Column(String"),
    );
    let unbounded = repo.commit("users.name loses its length, forget the migration");
    repo.stage(MODELS, MODELS_PY);
    repo.commit("back to what the migrations have: silent");
    repo.stage(
        MODELS,
        MODELS_PY
            .replace("import Column,", "import Column, Enum,")
            .replace("name = Column(String(50)", "name = Column(Enum(Kind)"),
    );
    // Alembic's compare_type reports VARCHAR(50) against an enum (its
    // values are shorter), on SQLite too (checked with alembic 1.20).
    let enumed = repo.commit("users.name becomes an enum");
    let run = range(&repo, &base);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let got: Vec<(String, String)> = found(&run).into_iter().map(|f| (f.0, f.2)).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    let message = |sha: &str| {
        got.iter()
            .find(|(c, _)| c == sha)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    };
    assert!(
        message(&unbounded).starts_with(
            "users.name type is String(length=50) in the migrations, String in the models"
        ),
        "{got:?}"
    );
    assert!(
        message(&enumed).starts_with(
            "users.name type is String(length=50) in the migrations, Enum(Kind) in the models"
        ),
        "{got:?}"
    );
    // Spelling the same type differently is still no change.
    let repo = project();
    let base = head(&repo);
    repo.stage(
        MODELS,
        MODELS_PY.replace(
            "name = Column(String(50)",
            "name = Column(VARCHAR(length=50)",
        ),
    );
    repo.commit("the same type, spelled the SQL way");
    let run = range(&repo, &base);
    assert_eq!(found(&run), [], "{}", run.stdout);
}

/// A change that deletes the migrations with the models (a project giving
/// up its database; on CTFd's history, a subtree squash whose tree is
/// another project) leaves nothing to migrate; deleting only the models
/// is still a drop without a migration.
#[test]
fn deleting_the_migrations_with_the_models_is_silent() {
    let repo = project();
    let base = head(&repo);
    repo.git(&["rm", "-q", "-r", "app", "migrations", "alembic.ini"]);
    repo.stage("README.md", "this project no longer has a database\n");
    repo.commit("drop the database layer");
    let run = range(&repo, &base);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(found(&run), []);

    let repo = project();
    let base = head(&repo);
    repo.stage(
        MODELS,
        "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n",
    );
    repo.git(&["rm", "-q", "alembic.ini"]);
    let sha = repo.commit("tables gone from the models, migrations folder kept");
    let run = range(&repo, &base);
    let commits: Vec<String> = found(&run).into_iter().map(|f| f.0).collect();
    assert!(commits.contains(&sha), "{}{}", run.stdout, run.stderr);
}

/// A history that starts from `create_all` (it alters tables it never
/// creates) cannot say which other tables exist, but a table it drops is
/// gone: a model removing it later catches up (dispatch's history).
#[test]
fn a_model_dropping_a_table_the_migrations_dropped_is_silent() {
    let repo = TestRepo::new();
    repo.stage("alembic.ini", "[alembic]\nscript_location = migrations\n")
        .stage("migrations/env.py", "from alembic import context\n")
        .stage("app/__init__.py", "")
        .stage(MODELS, MODELS_PY)
        .stage(
            INITIAL,
            migration(
                "a1",
                None,
                "    op.add_column('users', sa.Column('bio', sa.Text(), nullable=True))\n    op.drop_table('posts')\n",
            ),
        );
    repo.commit("a history that starts from create_all; posts dropped");
    let base = head(&repo);
    let (users, _) = MODELS_PY.split_at(MODELS_PY.find("\n\nclass Post").unwrap());
    repo.stage(MODELS, format!("{users}\n"));
    repo.commit("the model drops posts too");
    let run = range(&repo, &base);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(found(&run), []);
}

#[test]
fn raw_sql_makes_the_table_unknown_and_the_check_falls_back() {
    let repo = project();
    repo.stage(
        EMAIL,
        migration(
            "b2",
            Some("a1"),
            "    op.execute('ALTER TABLE users ADD COLUMN email varchar(255)')\n",
        ),
    );
    repo.commit("email by hand");
    // The history cannot say what users looks like: a model change on it
    // is judged as before, by whether the change brings a migration.
    repo.stage(MODELS, with_email(MODELS_PY));
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let f = found(&run);
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert!(
        f[0].2
            .starts_with("users.email added, but no new migration is staged"),
        "{f:?}"
    );
    // A change on a table the history knows is still compared with it.
    repo.stage(MODELS, MODELS_PY.replace("ForeignKey(\"users.id\"), ", ""));
    let run = repo.check_json(&[]);
    let f = found(&run);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].2.starts_with(
            "posts foreign key (author_id) -> (users.id) is in the migrations but not in the models"
        ),
        "{f:?}"
    );
}

#[test]
fn check_all_is_a_static_alembic_check() {
    let repo = project();
    let all = |repo: &TestRepo| repo.check_json(&["--all", "--select", "model-without-migration"]);
    let run = all(&repo);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(found(&run), []);
    // Out of sync: the model file has a column no migration adds.
    repo.write(MODELS, with_email(MODELS_PY));
    let run = all(&repo);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let f = found(&run);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].2.starts_with("users.email is not in the migrations;"),
        "{f:?}"
    );
    // A table only the migrations create is not reported (the models read
    // may not be all of them); a model table no migration creates is.
    repo.write(EMAIL, email());
    repo.write(
        MODELS,
        format!(
            "{}\n\nclass Tag(Base):\n    __tablename__ = \"tags\"\n    id = Column(Integer, primary_key=True)\n",
            with_email(MODELS_PY)
        ),
    );
    repo.git(&["add", "-A"]);
    let run = all(&repo);
    let f = found(&run);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].2
            .starts_with("tags table is not created by any migration;"),
        "{f:?}"
    );
}

#[test]
fn models_prints_the_schema_and_diff_compares_it_with_the_head() {
    let repo = project();
    let run = repo.dbguard(&["models"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("table users"), "{}", run.stdout);
    assert!(
        run.stdout.contains("name String(50) NOT NULL"),
        "{}",
        run.stdout
    );

    let run = repo.dbguard(&["models", "--diff"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("migrations: head a1"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("0 differences between the models (2 tables) and the migrations"),
        "{}",
        run.stdout
    );

    repo.write(MODELS, with_email(MODELS_PY));
    let run = repo.dbguard(&["models", "--diff"]);
    assert_eq!(run.code, 1, "like alembic check: {}", run.stdout);
    assert!(
        run.stdout.contains("users.email is not in the migrations"),
        "{}",
        run.stdout
    );
    let run = repo.dbguard(&["models", "--diff", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v = run.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tables"][0]["name"], "users");
    assert_eq!(v["diff"]["environments"][0]["heads"][0], "a1");
    assert_eq!(v["diff"]["differences"][0]["table"], "users");
    assert_eq!(v["diff"]["differences"][0]["path"], MODELS);

    // Bad input: one line on stderr, exit 2.
    let run = repo.dbguard(&["models", "--config", "missing.yaml"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}
