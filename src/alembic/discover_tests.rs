//! Tests of `discover.rs`, kept apart so the module stays readable.

use super::*;
use crate::changes::{BlobRef, MemoryReader, SnapshotEntry};
use crate::config::EnvironmentConfig;
use std::sync::Arc;

/// A tree of in-memory files, for tests of discovery and of its reuse.
pub(crate) fn snap(files: &[(&str, &str)]) -> Snapshot {
    Snapshot::new(
        files
            .iter()
            .map(|(p, c)| SnapshotEntry {
                path: p.to_string(),
                blob: BlobRef::Memory(Arc::from(c.as_bytes())),
                mode: EntryMode::File,
            })
            .collect(),
    )
}

fn envs(files: &[(&str, &str)]) -> Vec<Environment> {
    environments(&snap(files), &MemoryReader, &MigrationsConfig::default())
}

const ENV_PY: &str = "from alembic import context\n";

#[test]
fn ini_with_here_and_relative_script_locations() {
    let e = envs(&[
        (
            "backend/alembic.ini",
            "[alembic]\nscript_location = %(here)s/migrations\n",
        ),
        ("backend/migrations/env.py", ENV_PY),
        ("backend/migrations/versions/a_x.py", ""),
        ("svc/alembic.ini", "[alembic]\nscript_location = alembic\n"),
        ("svc/alembic/env.py", ENV_PY),
        ("root.ini", "[alembic]\nscript_location = nowhere\n"),
    ]);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].script_location, "backend/migrations");
    assert_eq!(e[0].version_locations, ["backend/migrations/versions"]);
    assert_eq!(e[0].origin, Origin::Ini("backend/alembic.ini".into()));
    assert_eq!(e[1].script_location, "svc/alembic");
}

#[test]
fn script_location_relative_to_the_repository_root() {
    let e = envs(&[
        (
            "deploy/alembic.ini",
            "[alembic]\nscript_location = app/db\n",
        ),
        ("app/db/env.py", ENV_PY),
    ]);
    assert_eq!(e[0].script_location, "app/db");
}

#[test]
fn version_locations_recursive_and_file_template() {
    let e = envs(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = %(here)s/alembic\nversion_locations = %(here)s/alembic/versions_gxy %(here)s/alembic/versions_tsi\nversion_path_separator = space\nrecursive_version_locations = true\nfile_template = %%(year)d_%%(rev)s_%%(slug)s\n",
        ),
        ("alembic/env.py", ENV_PY),
    ]);
    assert_eq!(
        e[0].version_locations,
        ["alembic/versions_gxy", "alembic/versions_tsi"]
    );
    assert!(e[0].recursive);
    assert_eq!(
        e[0].file_template.as_deref(),
        Some("%(year)d_%(rev)s_%(slug)s")
    );
}

#[test]
fn flask_migrate_layouts_with_and_without_ini() {
    let e = envs(&[
        (
            "app/migrations/alembic.ini",
            "[alembic]\n# file_template = %%(rev)s_%%(slug)s\n",
        ),
        ("app/migrations/env.py", ENV_PY),
        ("app/migrations/versions/a_x.py", ""),
        ("other/migrations/env.py", ENV_PY),
        ("other/migrations/versions/b_y.py", ""),
        ("notalembic/env.py", "import os\n"),
        ("notalembic/versions/c.py", ""),
        ("lonely/versions/d.py", ""),
    ]);
    let locs: Vec<_> = e.iter().map(|e| e.script_location.as_str()).collect();
    assert_eq!(locs, ["app/migrations", "other/migrations"]);
    assert_eq!(e[1].origin, Origin::Folder);
}

#[test]
fn pyproject_tool_alembic_alone_and_behind_an_ini() {
    let e = envs(&[
        (
            "pyproject.toml",
            "[project]\nname = 'x'\n\n[tool.alembic]\nscript_location = \"%(here)s/alembic\"\nversion_locations = [\"%(here)s/alembic/v1\", \"%(here)s/alembic/v2\"]\nrecursive_version_locations = true\nfile_template = \"%%(rev)s_%%(slug)s\"\n",
        ),
        ("alembic/env.py", ENV_PY),
        ("svc/alembic.ini", "[alembic]\nsqlalchemy.url = x\n"),
        (
            "svc/pyproject.toml",
            "[tool.alembic]\nscript_location = \"db\"\n",
        ),
        ("svc/db/env.py", ENV_PY),
        ("other/pyproject.toml", "[tool.black]\nline-length = 100\n"),
    ]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[0].script_location, "alembic");
    assert_eq!(e[0].version_locations, ["alembic/v1", "alembic/v2"]);
    assert!(e[0].recursive);
    assert_eq!(e[0].file_template.as_deref(), Some("%(rev)s_%(slug)s"));
    assert_eq!(e[0].origin, Origin::Ini("pyproject.toml".into()));
    assert_eq!(e[1].script_location, "svc/db");
    assert_eq!(e[1].origin, Origin::Ini("svc/alembic.ini".into()));
    assert!(e[1].touches("svc/pyproject.toml"));
}

#[test]
fn package_locations_and_foreign_absolute_paths() {
    let e = envs(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = myapp.db:migrations\n",
        ),
        ("src/myapp/db/migrations/env.py", ENV_PY),
        (
            "docker/alembic.ini",
            "[alembic]\nscript_location = /srv/app/other\n",
        ),
        ("other/env.py", ENV_PY),
    ]);
    let locs: Vec<_> = e.iter().map(|e| e.script_location.as_str()).collect();
    assert_eq!(locs, ["other", "src/myapp/db/migrations"]);
}

#[test]
fn config_environments_replace_discovered_ones() {
    let config = MigrationsConfig {
        environments: vec![EnvironmentConfig {
            script_location: "db".into(),
            version_locations: vec!["db/v1".into(), "./db/v2/".into()],
            ..EnvironmentConfig::default()
        }],
        ..MigrationsConfig::default()
    };
    let s = snap(&[("db/env.py", ENV_PY), ("db/versions/a.py", "")]);
    let e = environments(&s, &MemoryReader, &config);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].version_locations, ["db/v1", "db/v2"]);
    assert_eq!(e[0].origin, Origin::Config);
}

#[test]
fn loads_exactly_the_files_alembic_loads_in_its_order() {
    let s = snap(&[
        ("m/env.py", ENV_PY),
        ("m/versions/b_two.py", ""),
        ("m/versions/a_one.py", ""),
        ("m/versions/__init__.py", ""),
        ("m/versions/__init__x.py", ""),
        ("m/versions/.#a_one.py", ""),
        ("m/versions/notes.txt", ""),
        ("m/versions/a_one.pyc", ""),
        ("m/versions/sub/c_three.py", ""),
        ("m/versions/sub/__pycache__/d.py", ""),
        ("m/versions/a/z.py", ""),
    ]);
    let mut env = envs(&[("m/env.py", ENV_PY), ("m/versions/x.py", "")]).remove(0);
    let names = |env: &Environment| -> Vec<String> {
        env.migration_entries(&s)
            .iter()
            .map(|e| e.path.to_string())
            .collect()
    };
    assert_eq!(names(&env), ["m/versions/a_one.py", "m/versions/b_two.py"]);
    env.recursive = true;
    assert_eq!(
        names(&env),
        [
            "m/versions/a_one.py",
            "m/versions/b_two.py",
            "m/versions/a/z.py",
            "m/versions/sub/c_three.py"
        ]
    );
    assert!(env.is_migration_path("m/versions/sub/c_three.py"));
    assert!(!env.is_migration_path("m/versions/sub/__pycache__/d.py"));
    assert!(!env.is_migration_path("m/env.py"));
    assert!(env.touches("m/env.py"));
    assert!(!env.touches("app/models.py"));
}
