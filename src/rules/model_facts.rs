//! What `model-without-migration` learns from one model file on its own,
//! kept by blob id (issue 26): the class names that tie it to other model
//! files ([`context_names`]) and the names it defines and inherits from
//! (for [`partial_tables`]).
//!
//! On dispatch's history every commit that touches a model reads the
//! dozens of model files that share its base class, and each of them was
//! walked twice per commit for these names (18% of the rule's time); the
//! answers depend on the file's bytes only, so each distinct blob is now
//! walked once while it is kept (see [`blob_cache::derived`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tree_sitter::Node;

use crate::blob_cache;
use crate::changes::ObjectId;
use crate::models::extract::context_names;
use crate::models::schema::Schema;
use crate::python::Module;

/// The names one model file declares and refers to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    /// [`context_names`] of the file.
    pub context_names: Vec<String>,
    /// Names bound by module-level assignments (`Base = declarative_base()`).
    pub assigned: Vec<String>,
    /// Every class definition (nested ones too), in file order, with the
    /// last part of each base it names.
    pub classes: Vec<(String, Vec<String>)>,
}

impl ModuleFacts {
    /// Reads the facts of `m` (no cache).
    pub fn of(m: &Module) -> ModuleFacts {
        let assigned = m
            .module_statements()
            .into_iter()
            .filter_map(|stmt| m.assignment(stmt).map(|a| a.name.to_string()))
            .collect();
        let mut classes = Vec::new();
        for n in class_definitions(m) {
            let Some(name) = n.child_by_field_name("name") else {
                continue;
            };
            let supers: Vec<String> = n
                .child_by_field_name("superclasses")
                .map(|a| {
                    crate::python::named_children(a)
                        .into_iter()
                        .filter(|b| matches!(b.kind(), "identifier" | "attribute"))
                        .map(|b| {
                            let t = m.text(b);
                            t.rsplit('.').next().unwrap_or(t).to_string()
                        })
                        .collect()
                })
                .unwrap_or_default();
            classes.push((m.text(name).to_string(), supers));
        }
        ModuleFacts {
            context_names: context_names(m),
            assigned,
            classes,
        }
    }

    /// The facts of the module parsed from blob `id`, read once per blob
    /// while kept (every time for content that is not an object).
    pub fn cached(id: Option<ObjectId>, m: &Module) -> Arc<ModuleFacts> {
        blob_cache::derived("model-facts", id, "", || ModuleFacts::of(m))
    }
}

/// Statements that hold no statement: nothing below them is a class
/// definition in a file without syntax errors.
const SIMPLE_STATEMENTS: &[&str] = &[
    "expression_statement",
    "return_statement",
    "import_statement",
    "import_from_statement",
    "future_import_statement",
    "assert_statement",
    "delete_statement",
    "raise_statement",
    "pass_statement",
    "break_statement",
    "continue_statement",
    "global_statement",
    "nonlocal_statement",
    "exec_statement",
    "print_statement",
    "type_alias_statement",
];

/// Every class definition of `m` (nested ones too), in file order. The
/// walk does not enter simple statements, where most of a file's nodes
/// are (issue 26: the whole-tree walk was 7% of the model rule on
/// flaskbb); a file with syntax errors, whose recovery may put a class
/// anywhere, is walked whole.
fn class_definitions(m: &Module) -> Vec<Node<'_>> {
    if m.has_errors() {
        return crate::python::descendants(m.root())
            .filter(|n| n.kind() == "class_definition")
            .collect();
    }
    let mut out = Vec::new();
    let mut cursor = m.root().walk();
    loop {
        let n = cursor.node();
        let kind = n.kind();
        if kind == "class_definition" {
            out.push(n);
        }
        if !SIMPLE_STATEMENTS.contains(&kind) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// The tables (lowercase) of `schema` whose class names a base that none
/// of the files (`facts`, one per file read) defines, directly or through
/// a base it inherits from: a mixin elsewhere may add columns.
pub fn partial_tables(schema: &Schema, facts: &[Arc<ModuleFacts>]) -> HashSet<String> {
    let mut unresolved: HashSet<&str> = HashSet::new();
    let mut defined: HashSet<&str> = HashSet::new();
    let mut bases: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in facts {
        unresolved.extend(f.context_names.iter().map(String::as_str));
        defined.extend(f.assigned.iter().map(String::as_str));
        for (name, supers) in &f.classes {
            bases
                .entry(name.as_str())
                .or_default()
                .extend(supers.iter().map(String::as_str));
            defined.insert(name.as_str());
        }
    }
    unresolved.retain(|b| !defined.contains(b));
    let partial_class = |class: &str| {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            for b in bases.get(c).into_iter().flatten() {
                if unresolved.contains(b) {
                    return true;
                }
                stack.push(b);
            }
        }
        false
    };
    schema
        .tables
        .iter()
        .filter(|t| t.class_name.as_deref().is_some_and(partial_class))
        .map(|t| t.name.to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::extract::{ModelFile, extract};

    fn parse(src: &str) -> Module {
        Module::parse(src.as_bytes()).unwrap()
    }

    #[test]
    fn a_table_is_partial_when_a_base_is_defined_in_no_file_read() {
        let user = parse(
            "from .mixins import Stamp\nclass User(Stamp, Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n",
        );
        let base = parse("Base = declarative_base()\n");
        let schema = extract(&[ModelFile {
            path: "user.py",
            module: &user,
        }]);
        let alone = [Arc::new(ModuleFacts::of(&user))];
        assert_eq!(
            partial_tables(&schema, &alone),
            HashSet::from(["users".to_string()])
        );
        // `Base` is now defined, `Stamp` still is not.
        let with_base = [alone[0].clone(), Arc::new(ModuleFacts::of(&base))];
        assert_eq!(partial_tables(&schema, &with_base).len(), 1);
        let mixins = parse("class Stamp:\n    created = Column(DateTime)\n");
        let all = [
            alone[0].clone(),
            Arc::new(ModuleFacts::of(&base)),
            Arc::new(ModuleFacts::of(&mixins)),
        ];
        assert!(partial_tables(&schema, &all).is_empty());
    }

    #[test]
    fn the_class_walk_finds_every_class_the_whole_walk_finds() {
        let whole = |m: &Module| -> Vec<usize> {
            crate::python::descendants(m.root())
                .filter(|n| n.kind() == "class_definition")
                .map(|n| n.start_byte())
                .collect()
        };
        let walked = |m: &Module| -> Vec<usize> {
            class_definitions(m)
                .into_iter()
                .map(|n| n.start_byte())
                .collect()
        };
        let sources = [
            "class A(Base):\n    class Meta:\n        pass\n    def f(self):\n        class Local(A):\n            x = 1\n        return Local\nif TYPE_CHECKING:\n    class B:\n        pass\nelse:\n    try:\n        class C:\n            pass\n    except ImportError:\n        class D:\n            pass\n    finally:\n        pass\n@decorated\nclass E:\n    pass\nwith ctx():\n    for i in x:\n        while y:\n            class F:\n                pass\nmatch v:\n    case 1:\n        class G:\n            pass\nx = lambda: 1\n",
            // Broken: walked whole, whatever the recovery made.
            "class Broken(Base:\n    x = (\nclass After:\n    pass\n",
            "",
        ];
        for src in sources {
            let m = parse(src);
            assert_eq!(walked(&m), whole(&m), "{src}");
        }
        // The first has no syntax error: the pruned walk read it.
        assert!(!parse(sources[0]).has_errors());
        assert_eq!(walked(&parse(sources[0])).len(), 9);
        let mut checked = 0;
        for (path, bytes) in crate::python::repository_python_files() {
            let m = Module::parse(&bytes).unwrap();
            assert_eq!(walked(&m), whole(&m), "{path}");
            checked += 1;
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn facts_are_kept_per_blob_id() {
        let m = parse("class A(db.Model):\n    id = Column(Integer)\nclass B(A):\n    pass\n");
        let id = Some(ObjectId::from_bytes(&[211; 20]));
        let a = ModuleFacts::cached(id, &m);
        let b = ModuleFacts::cached(id, &m);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(
            a.classes,
            [
                ("A".to_string(), vec!["Model".to_string()]),
                ("B".to_string(), vec!["A".to_string()])
            ]
        );
        // Without an id nothing is shared.
        assert!(!Arc::ptr_eq(
            &ModuleFacts::cached(None, &m),
            &ModuleFacts::cached(None, &m)
        ));
    }
}
