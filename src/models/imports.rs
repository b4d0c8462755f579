//! Which files of the repository a model file imports from, so that the
//! column types it uses but defines elsewhere (a `TypeDecorator` in
//! `app/db/types.py`, an `Annotated` alias in `app/models/base.py`) can
//! be read alongside it (issue 25). Only the import statements are read;
//! whether a candidate path exists is for the caller to ask its snapshot.

use std::collections::HashSet;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use tree_sitter::Node;

use crate::python::{Module, descendants};

/// Top-level packages that are never the repository's own: their imports
/// are not followed (a speed-up only: a path that does not exist in the
/// snapshot is skipped anyway).
const EXTERNAL: &[&str] = &[
    "__future__",
    "sqlalchemy",
    "sqlmodel",
    "sqlalchemy_utils",
    "flask_sqlalchemy",
    "alembic",
    "typing",
    "typing_extensions",
    "datetime",
    "uuid",
    "enum",
    "decimal",
    "json",
    "os",
    "re",
    "sys",
    "collections",
    "functools",
    "pydantic",
    "flask",
    "geoalchemy2",
    "dataclasses",
    "logging",
];

/// The repository paths that may hold each module `m` (at repository
/// path `path`) imports names from, in import order: `from .types import
/// GUID` in `app/models/user.py` is `app/models/types.py` or
/// `app/models/types/__init__.py`; `from app.db.types import GUID` is
/// `app/db/types.py` from the repository root or from any folder above
/// the model file (`src/app/db/types.py`).
///
/// Only imports of a name the file uses where a column type or a helper
/// goes are followed (see [`type_position_names`]): a model file imports
/// many modules, few of them for types.
pub fn candidates(path: &str, m: &Module) -> Vec<String> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let used = type_position_names(m);
    let mut out = Vec::new();
    for stmt in m.module_statements() {
        if stmt.kind() != "import_from_statement" {
            continue;
        }
        let mut cursor = stmt.walk();
        let wanted = stmt.children_by_field_name("name", &mut cursor).any(|n| {
            let bound = match n.kind() {
                "aliased_import" => n.child_by_field_name("alias"),
                _ => Some(n),
            };
            bound.is_some_and(|b| used.contains(m.text(b).rsplit('.').next().unwrap_or("")))
        });
        if !wanted {
            continue;
        }
        let Some(module) = stmt.child_by_field_name("module_name") else {
            continue;
        };
        let text = m.text(module);
        let dots = text.chars().take_while(|c| *c == '.').count();
        let rest = &text[dots..];
        let rel = rest.replace('.', "/");
        let mut bases: Vec<String> = Vec::new();
        if dots > 0 {
            // `.` is this package, each further dot one level up.
            let mut base = dir.to_string();
            for _ in 1..dots {
                base = base.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            }
            bases.push(base);
        } else {
            let top = rest.split('.').next().unwrap_or("");
            if EXTERNAL.contains(&top) {
                continue;
            }
            // The root and every folder above the model file.
            bases.push(String::new());
            let mut d = dir;
            while !d.is_empty() {
                bases.push(d.to_string());
                d = d.rsplit_once('/').map_or("", |(p, _)| p);
            }
        }
        for base in bases {
            let join = |tail: &str| {
                [base.as_str(), tail]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("/")
            };
            if rel.is_empty() {
                out.push(join("__init__.py"));
            } else {
                out.push(join(&format!("{rel}.py")));
                out.push(join(&format!("{rel}/__init__.py")));
            }
        }
    }
    out.dedup();
    out
}

/// The names a model file uses where a column type, a type alias or a
/// helper goes: inside the arguments of `Column(...)`, `mapped_column(...)`
/// and `Field(...)`, the base classes (which may carry a
/// `type_annotation_map`), inside annotations of class attributes
/// (`Mapped[str50]`, SQLModel's `email: EmailStr`), and the functions
/// called in class bodies (`id = primary_key("x")`,
/// `return resolve_table_name(cls.__name__)`).
pub fn type_position_names(m: &Module) -> HashSet<String> {
    let mut out = HashSet::new();
    let add_identifiers = |node: Node<'_>, out: &mut HashSet<String>| {
        for n in descendants(node) {
            if n.kind() == "identifier" {
                out.insert(m.text(n).to_string());
            }
        }
    };
    for class in descendants(m.root()).filter(|n| n.kind() == "class_definition") {
        // A base may carry a `type_annotation_map`.
        if let Some(bases) = class.child_by_field_name("superclasses") {
            add_identifiers(bases, &mut out);
        }
        let Some(body) = class.child_by_field_name("body") else {
            continue;
        };
        for n in descendants(body) {
            match n.kind() {
                "assignment" => {
                    if let Some(t) = n.child_by_field_name("type") {
                        add_identifiers(t, &mut out);
                    }
                }
                "call" => {
                    let Some(f) = n.child_by_field_name("function") else {
                        continue;
                    };
                    let name = m.dotted_name(f).unwrap_or_default();
                    let short = name.rsplit('.').next().unwrap_or("");
                    out.insert(short.to_string());
                    if matches!(short, "Column" | "mapped_column" | "Field")
                        && let Some(args) = n.child_by_field_name("arguments")
                    {
                        add_identifiers(args, &mut out);
                    }
                }
                _ => {}
            }
        }
    }
    // Module-level `Table(...)` columns and `Annotated` aliases.
    for n in descendants(m.root()) {
        if n.kind() == "call"
            && let Some(f) = n.child_by_field_name("function")
            && m.dotted_name(f)
                .is_some_and(|d| d.ends_with("Column") || d.ends_with("Table"))
            && let Some(args) = n.child_by_field_name("arguments")
        {
            add_identifiers(args, &mut out);
        }
    }
    out
}

/// Whether a file's bytes may define a column type another file uses:
/// a byte-level test, so that files that cannot are never parsed.
pub fn may_define_types(bytes: &[u8]) -> bool {
    static FINDER: OnceLock<AhoCorasick> = OnceLock::new();
    FINDER
        .get_or_init(|| {
            AhoCorasick::new([
                "TypeDecorator",
                "Annotated",
                "type_annotation_map",
                "as_mutable",
                "dialects",
                // `Column = functools.partial(db.Column, nullable=False)`.
                "partial",
            ])
            .expect("fixed patterns")
        })
        .is_match(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(path: &str, src: &str) -> Vec<String> {
        candidates(path, &Module::parse(src.as_bytes()).unwrap())
    }

    #[test]
    fn relative_and_absolute_imports_name_repository_paths() {
        let got = of(
            "src/app/models/user.py",
            "from .types import GUID\nfrom ..db import base\nfrom app.core.types import JsonType\nfrom sqlalchemy import String\nimport app.other\nfrom app.schemas import UserOut\nclass A(base.Base):\n    id = Column(GUID, primary_key=True)\n    data: Mapped[JsonType] = mapped_column()\n    name = Column(String)\n",
        );
        assert_eq!(
            got,
            [
                "src/app/models/types.py",
                "src/app/models/types/__init__.py",
                "src/app/db.py",
                "src/app/db/__init__.py",
                "app/core/types.py",
                "app/core/types/__init__.py",
                "src/app/models/app/core/types.py",
                "src/app/models/app/core/types/__init__.py",
                "src/app/app/core/types.py",
                "src/app/app/core/types/__init__.py",
                "src/app/core/types.py",
                "src/app/core/types/__init__.py",
            ]
        );
        assert_eq!(
            of(
                "models.py",
                "from . import types\nx = Table('x', m, Column('a', types.X))\n"
            ),
            ["__init__.py"]
        );
    }

    #[test]
    fn the_prefilter_passes_type_definitions_only() {
        assert!(may_define_types(
            b"class GUID(TypeDecorator):\n    impl = CHAR\n"
        ));
        assert!(may_define_types(b"str50 = Annotated[str, 50]\n"));
        assert!(may_define_types(
            b"Column = functools.partial(db.Column, nullable=False)\n"
        ));
        assert!(!may_define_types(b"def helper():\n    return 1\n"));
    }
}
