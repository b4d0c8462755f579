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
    // Only the names the imports bind are asked about: the walk for
    // type positions skips the statements whose text names none of them
    // (issue 26: the whole walk was 12% of the model rule on flaskbb,
    // whose large model files are mostly methods), and a file that
    // imports no name from the repository is not walked at all.
    let mut bound: Vec<&str> = Vec::new();
    for stmt in m.module_statements() {
        if stmt.kind() == "import_from_statement" {
            bound.extend(bound_names(m, stmt));
        }
    }
    if bound.is_empty() {
        return Vec::new();
    }
    let used = match AhoCorasick::new(&bound) {
        Ok(finder) => type_positions(m, Some(&finder)),
        Err(_) => type_position_names(m),
    };
    candidates_using(path, m, &used)
}

/// The names an import-from statement binds (`from a import b, c as d`:
/// `b`, `d`), as [`candidates_using`] asks about them.
fn bound_names<'m>(m: &'m Module, stmt: Node<'m>) -> impl Iterator<Item = &'m str> {
    let mut cursor = stmt.walk();
    let names: Vec<Node<'m>> = stmt.children_by_field_name("name", &mut cursor).collect();
    names.into_iter().filter_map(|n| {
        let bound = match n.kind() {
            "aliased_import" => n.child_by_field_name("alias"),
            _ => Some(n),
        };
        bound.map(|b| m.text(b).rsplit('.').next().unwrap_or(""))
    })
}

/// [`candidates`], given the names the file uses in type positions
/// (all of them, or at least every one an import binds).
fn candidates_using(path: &str, m: &Module, used: &HashSet<String>) -> Vec<String> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    for stmt in m.module_statements() {
        if stmt.kind() != "import_from_statement" {
            continue;
        }
        let wanted = bound_names(m, stmt).any(|b| used.contains(b));
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
    type_positions(m, None)
}

/// [`type_position_names`]; with `only`, those that `only` finds (a
/// statement whose text it finds nothing in is not walked, so names it
/// does not find may be missing).
fn type_positions(m: &Module, only: Option<&AhoCorasick>) -> HashSet<String> {
    let mut out = HashSet::new();
    let add_identifiers = |node: Node<'_>, out: &mut HashSet<String>| {
        for n in descendants(node) {
            if n.kind() == "identifier" {
                out.insert(m.text(n).to_string());
            }
        }
    };
    // One walk of the tree (issue 26: three walks were 18% of the model
    // rule on flaskbb), knowing of each node whether it is inside the
    // body of a class, nested classes' bodies and classes in functions
    // included.
    let mut cursor = m.root().walk();
    // Per ancestor of the cursor's node: (it is inside a class body, it
    // is a class, it holds statements).
    let mut parents: Vec<(bool, bool, bool)> = Vec::new();
    let mut inside = false;
    loop {
        let n = cursor.node();
        // Every name added below is the text of a node in `n`'s subtree:
        // a statement whose text `only` finds nothing in adds nothing it
        // would find.
        let skip = only.is_some_and(|f| {
            parents.last().is_some_and(|p| p.2)
                && !f.is_match(&m.source().as_bytes()[n.byte_range()])
        });
        match n.kind() {
            _ if skip => {}
            // A base may carry a `type_annotation_map`.
            "class_definition" => {
                if let Some(bases) = n.child_by_field_name("superclasses") {
                    add_identifiers(bases, &mut out);
                }
            }
            "assignment" if inside => {
                if let Some(t) = n.child_by_field_name("type") {
                    add_identifiers(t, &mut out);
                }
            }
            "call" => {
                if let Some(f) = n.child_by_field_name("function") {
                    let name = m.dotted_name(f);
                    let args = n.child_by_field_name("arguments");
                    if inside {
                        let name = name.as_deref().unwrap_or_default();
                        let short = name.rsplit('.').next().unwrap_or("");
                        out.insert(short.to_string());
                        if matches!(short, "Column" | "mapped_column" | "Field")
                            && let Some(args) = args
                        {
                            add_identifiers(args, &mut out);
                        }
                    }
                    // Module-level `Table(...)` columns and `Annotated`
                    // aliases: wherever they are.
                    if name
                        .as_deref()
                        .is_some_and(|d| d.ends_with("Column") || d.ends_with("Table"))
                        && let Some(args) = args
                    {
                        add_identifiers(args, &mut out);
                    }
                }
            }
            _ => {}
        }
        if !skip && cursor.goto_first_child() {
            parents.push((
                inside,
                n.kind() == "class_definition",
                matches!(n.kind(), "module" | "block"),
            ));
        } else {
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return out;
                }
                parents.pop();
            }
        }
        let Some(&(parent_inside, parent_class, _)) = parents.last() else {
            return out;
        };
        inside = parent_inside || (parent_class && cursor.field_name() == Some("body"));
    }
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

    /// The three walks `type_position_names` made before it made one:
    /// the reference it must agree with.
    fn three_walks(m: &Module) -> HashSet<String> {
        let mut out = HashSet::new();
        let add_identifiers = |node: Node<'_>, out: &mut HashSet<String>| {
            for n in descendants(node) {
                if n.kind() == "identifier" {
                    out.insert(m.text(n).to_string());
                }
            }
        };
        for class in descendants(m.root()).filter(|n| n.kind() == "class_definition") {
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

    #[test]
    fn one_walk_finds_what_three_walks_found() {
        let sources = [
            // Classes nested in classes and functions, annotations at
            // module level (not in a class), calls that are not dotted.
            "x: Mapped[Outside] = 1\nclass A(Base, mixins.Stamp):\n    id: Mapped[GUID] = mapped_column(JsonType, primary_key=True)\n    name = Column(String(50), ForeignKey(User.id))\n    helper = make_col(Size)\n    weird = f()(Inner)\n    class Meta(Deep):\n        kind: Annotated[str, Len] = Field(default=Dflt)\n    def method(self):\n        y: Local = call_in_method(Arg)\n        class InFunc(FBase):\n            z = Column(FType)\n        return resolve(cls.__name__)\n",
            "def factory():\n    class Made(Base):\n        c = db.Column(db.Integer, Custom)\n    return Made\nt = Table('t', meta, Column('a', TType), sa.Column('b', Other))\nIndex('ix', t.c.a)\nclass B:\n    pass\n",
            "class Broken(Base:\n    x = Column(Foo\n",
            "",
        ];
        let mut checked = 0;
        for src in sources {
            let m = Module::parse(src.as_bytes()).unwrap();
            assert_eq!(type_position_names(&m), three_walks(&m), "{src}");
            checked += 1;
        }
        // And the Python files of this repository (real code, of every shape).
        for (path, bytes) in crate::python::repository_python_files() {
            let m = Module::parse(&bytes).unwrap();
            assert_eq!(type_position_names(&m), three_walks(&m), "{path}");
            checked += 1;
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn the_walk_of_the_imported_names_only_follows_the_same_imports() {
        let check = |path: &str, src: &[u8]| {
            let m = Module::parse(src).unwrap();
            let all = candidates_using(path, &m, &type_position_names(&m));
            assert_eq!(candidates(path, &m), all, "{path}");
            all.len()
        };
        // Called in a method of a model (followed: a helper), in a
        // column (followed), imported and unused (not), aliased.
        let src = b"from app.helpers import in_method\nfrom app.unused import Unused\nfrom .types import GUID\nfrom app.t import Long as L\nclass A(Base):\n    id = Column(GUID)\n    n = Column(L)\n    def f(self):\n        return in_method(self)\n";
        assert_eq!(check("app/models/a.py", src), 14);
        // Type positions nested in methods, classes in functions, tables
        // built in functions, a name only a method's text mentions.
        let nested = b"from app.x import A1, A2, A3, A4, A5, A6\nfrom .y import B1\ndef make():\n    t = Table('t', meta, Column('a', A1))\n    class Inner(A2):\n        c: Mapped[A3] = mapped_column()\n    return t\nclass M(Base):\n    def m(self):\n        class Deep(Base):\n            d = Column(A4)\n        return A5\n    e = helper(B1)\n    f = A6()\nclass Other(Base):\n    z = Column(Zzz)\n";
        assert_eq!(check("app/models/n.py", nested), 6);
        // The statements that name no import were not walked.
        let m = Module::parse(nested).unwrap();
        let finder = AhoCorasick::new(["A1", "A2", "A3", "A4", "A5", "A6", "B1"]).unwrap();
        let pruned = type_positions(&m, Some(&finder));
        assert!(type_position_names(&m).contains("Zzz"));
        assert!(
            !pruned.contains("Zzz") && pruned.contains("A1"),
            "{pruned:?}"
        );
        let found = candidates("app/models/a.py", &Module::parse(src).unwrap());
        assert!(
            found.iter().any(|p| p == "app/models/types.py"),
            "{found:?}"
        );
        assert!(found.iter().any(|p| p == "app/t.py"), "{found:?}");
        assert!(found.iter().any(|p| p == "app/helpers.py"), "{found:?}");
        assert!(!found.iter().any(|p| p.contains("unused")), "{found:?}");
        // Nothing imported from the repository: nothing walked, nothing found.
        assert_eq!(
            check("m.py", b"import os\nclass A(Base):\n    x = Column(X)\n"),
            0
        );
        for (path, bytes) in crate::python::repository_python_files() {
            check(&path, &bytes);
        }
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
