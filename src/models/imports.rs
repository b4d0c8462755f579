//! Which files of the repository a model file imports from, so that the
//! column types it uses but defines elsewhere (a `TypeDecorator` in
//! `app/db/types.py`, an `Annotated` alias in `app/models/base.py`) can
//! be read alongside it (issue 25). Only the import statements are read;
//! whether a candidate path exists is for the caller to ask its snapshot.

use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

use crate::python::Module;

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
pub fn candidates(path: &str, m: &Module) -> Vec<String> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    for stmt in m.module_statements() {
        if stmt.kind() != "import_from_statement" {
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
            "from .types import GUID\nfrom ..db import base\nfrom app.core.types import JsonType\nfrom sqlalchemy import String\nimport app.other\n",
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
        assert_eq!(of("models.py", "from . import types\n"), ["__init__.py"]);
    }

    #[test]
    fn the_prefilter_passes_type_definitions_only() {
        assert!(may_define_types(
            b"class GUID(TypeDecorator):\n    impl = CHAR\n"
        ));
        assert!(may_define_types(b"str50 = Annotated[str, 50]\n"));
        assert!(!may_define_types(b"def helper():\n    return 1\n"));
    }
}
