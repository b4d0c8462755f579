//! Which database an Alembic environment migrates, read statically.
//!
//! The migration-safety rules (issue 29) depend on it: a non-concurrent
//! index build locks writes on PostgreSQL, a type change copies the table
//! on MySQL, and neither claim holds elsewhere. A rule that needs the
//! dialect is silent where it is unknown, so every source here answers
//! only when it is unambiguous:
//!
//! 1. `.dbguard.yaml`'s `migrations.dialect` (the caller passes it);
//! 2. the scheme of `sqlalchemy.url` in the environment's `alembic.ini`
//!    (Alembic's template value `driver://...` says nothing);
//! 3. the database drivers `env.py` imports (`psycopg2`, `pymysql`, ...)
//!    and the URL literals it holds (`"postgresql+asyncpg://..."`);
//! 4. for one migration, the dialect modules the file itself imports
//!    (`from sqlalchemy.dialects import postgresql`) when it names only
//!    one, and per operation an `if` that tests the dialect's name.

use schemars::JsonSchema;
use serde::Deserialize;
use tree_sitter::Node;

use super::Environment;
use super::discover::Origin;
use super::ini::IniFile;
use crate::changes::{ContentReader, Snapshot};
use crate::python::{Module, descendants};

/// A database family whose locking and rewrite behaviour the rules know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgresql,
    Mysql,
    Sqlite,
    Mssql,
    Oracle,
}

impl Dialect {
    /// The name SQLAlchemy uses (`bind.dialect.name`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgresql => "postgresql",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
            Dialect::Mssql => "mssql",
            Dialect::Oracle => "oracle",
        }
    }

    /// The dialect of a URL scheme or dialect name (`postgresql+psycopg2`,
    /// `postgres`, `mariadb`, ...); `None` for anything else (`driver`).
    pub fn from_scheme(scheme: &str) -> Option<Dialect> {
        let base = scheme.split('+').next()?.trim().to_ascii_lowercase();
        Some(match base.as_str() {
            "postgresql" | "postgres" | "psycopg" | "psycopg2" | "asyncpg" | "pgsql" => {
                Dialect::Postgresql
            }
            "mysql" | "mariadb" => Dialect::Mysql,
            "sqlite" => Dialect::Sqlite,
            "mssql" => Dialect::Mssql,
            "oracle" => Dialect::Oracle,
            _ => return None,
        })
    }

    /// The dialect whose driver the Python module `module` is
    /// (`psycopg2.extras` counts as `psycopg2`).
    fn from_driver(module: &str) -> Option<Dialect> {
        let top = module.split('.').next().unwrap_or(module);
        Some(match top {
            "psycopg2" | "psycopg" | "asyncpg" | "pg8000" | "psycopg2cffi" => Dialect::Postgresql,
            "pymysql" | "MySQLdb" | "aiomysql" | "asyncmy" | "mysqlclient" | "mariadb" => {
                Dialect::Mysql
            }
            "aiosqlite" | "pysqlite2" => Dialect::Sqlite,
            "pyodbc" | "pymssql" | "aioodbc" => Dialect::Mssql,
            "cx_Oracle" | "oracledb" => Dialect::Oracle,
            _ => return None,
        })
    }
}

/// The one dialect of `found`, or `None` when it is empty or mixed.
fn only(found: &[Dialect]) -> Option<Dialect> {
    let first = *found.first()?;
    found.iter().all(|d| *d == first).then_some(first)
}

/// The environment's dialect from its configuration and `env.py`
/// (sources 2 and 3 of the module doc), or `None` when they say nothing
/// or disagree. The configured dialect (source 1) is the caller's.
pub fn environment_dialect(
    env: &Environment,
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
) -> Option<Dialect> {
    let read = |path: &str| -> Option<String> {
        let entry = snapshot.get(path)?;
        let bytes = reader.read(entry.blob, 1 << 20).ok()??;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    };
    let ini = match &env.origin {
        Origin::Ini(p) if p.ends_with(".ini") => read(p).and_then(|t| ini_dialect(&t, None)),
        Origin::IniSection { path, section } => {
            read(path).and_then(|t| ini_dialect(&t, Some(section)))
        }
        _ => None,
    };
    if ini.is_some() {
        return ini;
    }
    let env_py = if env.script_location.is_empty() {
        "env.py".to_string()
    } else {
        format!("{}/env.py", env.script_location)
    };
    read(&env_py)
        .and_then(|t| Module::parse(t.as_bytes()))
        .and_then(|m| python_dialect(&m))
}

/// The dialect of `sqlalchemy.url` in an ini file's `[alembic]` section
/// (or the named section).
pub fn ini_dialect(text: &str, section: Option<&str>) -> Option<Dialect> {
    let all = IniFile::parse_all(text)?;
    let ini = match section {
        Some(s) => all.into_iter().find(|i| i.name == s.to_ascii_lowercase())?,
        None => all.into_iter().next()?,
    };
    let url = ini.raw("sqlalchemy.url")?;
    let (scheme, _) = url.trim().split_once("://")?;
    Dialect::from_scheme(scheme)
}

/// The dialect a Python file (`env.py`, a migration) commits to: the
/// drivers it imports, the `sqlalchemy.dialects.X` modules it imports and
/// the database URL literals it holds, when they all name one dialect.
pub fn python_dialect(m: &Module) -> Option<Dialect> {
    let mut found = Vec::new();
    for n in descendants(m.root()) {
        match n.kind() {
            "import_statement" | "import_from_statement" => {
                found.extend(import_dialects(m, n));
            }
            "string" => {
                if let Some(s) = m.string_value(n)
                    && let Some((scheme, _)) = s.split_once("://")
                    && !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '+')
                    && let Some(d) = Dialect::from_scheme(scheme)
                {
                    found.push(d);
                }
            }
            _ => {}
        }
    }
    only(&found)
}

/// The dialects one import statement names: driver modules, and
/// `sqlalchemy.dialects.X` / `from sqlalchemy.dialects import X`.
fn import_dialects(m: &Module, n: Node<'_>) -> Vec<Dialect> {
    // The module a dotted name, or the name an alias stands for, names.
    let module_of = |c: Node<'_>| -> Option<String> {
        match c.kind() {
            "dotted_name" => Some(m.text(c).to_string()),
            "aliased_import" => c.child_by_field_name("name").map(|x| m.text(x).to_string()),
            _ => None,
        }
    };
    let of_module = |module: &str| -> Option<Dialect> {
        match module.strip_prefix("sqlalchemy.dialects.") {
            Some(rest) => Dialect::from_scheme(rest.split('.').next().unwrap_or(rest)),
            None => Dialect::from_driver(module),
        }
    };
    let mut cursor = n.walk();
    let names: Vec<String> = n
        .children_by_field_name("name", &mut cursor)
        .filter_map(module_of)
        .collect();
    if n.kind() == "import_statement" {
        return names.iter().filter_map(|x| of_module(x)).collect();
    }
    let Some(module) = n.child_by_field_name("module_name").map(|x| m.text(x)) else {
        return Vec::new();
    };
    if module == "sqlalchemy.dialects" {
        names
            .iter()
            .filter_map(|x| Dialect::from_scheme(x))
            .collect()
    } else {
        of_module(module).into_iter().collect()
    }
}

/// The dialect an `if` around `node` tests for (`if
/// bind.dialect.name == "postgresql":`, `if
/// op.get_context().dialect.name != "sqlite":` for its `else`), when the
/// operation runs only there.
pub fn guarded_dialect(m: &Module, node: Node<'_>) -> Option<Dialect> {
    let mut cur = node;
    while let Some(parent) = cur.parent() {
        if parent.kind() == "if_statement"
            && let Some(cond) = parent.child_by_field_name("condition")
            && cur.kind() == "block"
            && parent.child_by_field_name("consequence") == Some(cur)
        {
            let text = m.text(cond);
            if text.contains("dialect") && text.contains("==") && !text.contains(" or ") {
                let named: Vec<Dialect> = descendants(cond)
                    .filter(|s| s.kind() == "string")
                    .filter_map(|s| m.string_value(s))
                    .filter_map(|s| Dialect::from_scheme(&s))
                    .collect();
                if let Some(d) = only(&named) {
                    return Some(d);
                }
            }
        }
        cur = parent;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(src: &str) -> Option<Dialect> {
        python_dialect(&Module::parse(src.as_bytes()).unwrap())
    }

    #[test]
    fn url_schemes() {
        let ini = |url: &str| {
            ini_dialect(
                &format!("[alembic]\nscript_location = m\nsqlalchemy.url = {url}\n"),
                None,
            )
        };
        assert_eq!(
            ini("postgresql+psycopg2://u:p@h/db"),
            Some(Dialect::Postgresql)
        );
        assert_eq!(ini("mysql+pymysql://u@h/db"), Some(Dialect::Mysql));
        assert_eq!(ini("sqlite:///app.db"), Some(Dialect::Sqlite));
        assert_eq!(ini("driver://user:pass@localhost/dbname"), None);
        assert_eq!(ini("%(DB_URL)s"), None);
        assert_eq!(ini_dialect("[alembic]\nscript_location = m\n", None), None);
    }

    #[test]
    fn env_py_drivers_dialect_modules_and_urls() {
        assert_eq!(py("import psycopg2\n"), Some(Dialect::Postgresql));
        assert_eq!(
            py("from asyncpg import connect\n"),
            Some(Dialect::Postgresql)
        );
        assert_eq!(
            py("import pymysql\npymysql.install_as_MySQLdb()\n"),
            Some(Dialect::Mysql)
        );
        assert_eq!(
            py("from sqlalchemy.dialects import postgresql\n"),
            Some(Dialect::Postgresql)
        );
        assert_eq!(
            py("import sqlalchemy.dialects.mysql as m\n"),
            Some(Dialect::Mysql)
        );
        assert_eq!(
            py("URL = 'postgresql+asyncpg://app@db/app'\n"),
            Some(Dialect::Postgresql)
        );
        // Mixed or silent: unknown.
        assert_eq!(
            py("from sqlalchemy.dialects import mysql, postgresql\n"),
            None
        );
        assert_eq!(py("import psycopg2\nimport pymysql\n"), None);
        assert_eq!(py("from alembic import context\nimport os\n"), None);
        assert_eq!(py("from app.postgresql import x\n"), None);
        assert_eq!(py("x = 'see https://example.com'\n"), None);
    }

    #[test]
    fn an_if_on_the_dialect_name_guards_its_body() {
        let src = "def upgrade():\n    bind = op.get_bind()\n    if bind.dialect.name == 'mysql':\n        op.alter_column('t', 'c')\n    else:\n        op.drop_column('t', 'd')\n    op.add_column('t', x)\n";
        let m = Module::parse(src.as_bytes()).unwrap();
        let calls: Vec<_> = descendants(m.root())
            .filter(|n| {
                n.kind() == "call"
                    && m.text(*n).starts_with("op.")
                    && !m.text(*n).starts_with("op.get_bind")
            })
            .map(|n| guarded_dialect(&m, n))
            .collect();
        assert_eq!(calls, [Some(Dialect::Mysql), None, None]);
    }
}
