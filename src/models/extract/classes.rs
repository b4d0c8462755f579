//! The first pass over one file: its module-level classes and what each
//! declares (bases, `__tablename__`, `__table_args__`, column-like
//! members), before anything is resolved across files.

use std::sync::Arc;

use tree_sitter::Node;

use super::ModelFile;
use super::syntax::*;
use super::typedefs::TypeDefs;
use crate::models::canon::Prefixes;
use crate::models::schema::Loc;
use crate::python::{Call, Module, named_children, runtime_statements};

/// What one file contributes before classes are resolved across files.
pub(super) struct Scan<'m> {
    pub(super) path: &'m str,
    pub(super) m: &'m Module,
    pub(super) prefixes: Arc<Prefixes>,
    /// What the module defines and imports that names column types.
    pub(super) types: Arc<TypeDefs<'m>>,
    /// Classes mapped imperatively at module level
    /// (`registry.map_imperatively(Cls, table)`, `mapper(Cls, table)`).
    pub(super) imperative: Arc<[String]>,
    /// Module-level `Table(...)` and `Index(...)` calls, assigned or
    /// not, in file order: (the name assigned, the call). Read by every
    /// extraction; found once (a kept scan is shared, see `kept`).
    pub(super) table_calls: Arc<[(Option<String>, Node<'m>)]>,
    /// Module-level `for` loops (which may declare tables).
    pub(super) loops: Arc<[Node<'m>]>,
}

/// How a class names its table.
#[derive(Clone, Debug)]
pub(super) enum TableNameSpec<'m> {
    Literal(String),
    /// Computed from the class (`cls.__name__.lower()`,
    /// `f"{cls.__name__.lower()}s"`, `camel_to_snake(cls.__name__)`): the
    /// expression, in file `scan`, evaluated per class when it can be
    /// (see [`super::helpers`]).
    Computed {
        scan: usize,
        node: Node<'m>,
    },
    /// Computed in a way that cannot be read.
    Unknown,
}

/// A model class attribute that may be a column.
#[derive(Clone)]
pub(super) enum Member<'m> {
    /// `x = Column(...)`, `x: Mapped[int] = mapped_column(...)`, a
    /// `declared_attr` that returns one, or `deferred(Column(...))`.
    Column {
        attr: String,
        call: Node<'m>,
        annotation: Option<Node<'m>>,
        at: Node<'m>,
    },
    /// `x = helper(...)`: a call of something else, maybe a module-level
    /// function that returns a column (see [`super::helpers`]).
    Call {
        attr: String,
        call: Node<'m>,
        annotation: Option<Node<'m>>,
        at: Node<'m>,
    },
    /// `x: Mapped[int]` without a value.
    BareMapped {
        attr: String,
        annotation: Node<'m>,
        at: Node<'m>,
    },
    /// `x: int = Field(...)` or `x: str` in a SQLModel class.
    Field {
        attr: String,
        annotation: Node<'m>,
        value: Option<Node<'m>>,
        at: Node<'m>,
    },
}

#[derive(Clone)]
pub(super) struct ClassDef<'m> {
    pub(super) scan: usize,
    pub(super) name: String,
    pub(super) node: Node<'m>,
    /// Dotted names of the base classes.
    pub(super) bases: Vec<String>,
    pub(super) sqlmodel_table: bool,
    pub(super) is_abstract: bool,
    pub(super) is_enum: bool,
    /// Mapped by a decorator (`@registry.mapped`) rather than a base.
    pub(super) registry_mapped: bool,
    pub(super) tablename: Option<TableNameSpec<'m>>,
    pub(super) table_call: Option<Node<'m>>,
    pub(super) table_args: Option<Node<'m>>,
    pub(super) members: Vec<Member<'m>>,
}

impl ClassDef<'_> {
    /// The same class read as file `scan` of another list of files (its
    /// first pass is shared by the lists that read the file).
    pub(super) fn renumbered(&self, scan: usize) -> Self {
        let mut c = self.clone();
        c.scan = scan;
        if let Some(TableNameSpec::Computed { scan: s, .. }) = &mut c.tablename {
            *s = scan;
        }
        c
    }

    /// A class that cannot be mapped itself: a plain mixin (no base but
    /// `object`) or the declarative base (`DeclarativeBase` subclass).
    /// What it declares, `__tablename__` included, is for its subclasses.
    pub(super) fn is_mixin_or_registry(&self) -> bool {
        if self.registry_mapped {
            return false;
        }
        self.bases.iter().all(|b| last(b) == "object")
            || self.bases.iter().any(|b| {
                REGISTRY_BASES.contains(&last(b)) && last(b) != "object" && last(b) != "SQLModel"
            })
    }

    pub(super) fn has_sa_columns(&self) -> bool {
        self.members
            .iter()
            .any(|m| matches!(m, Member::Column { .. } | Member::BareMapped { .. }))
    }

    /// Whether the class declares anything that may be a column (a call
    /// of an unknown function does not count).
    pub(super) fn has_members(&self) -> bool {
        self.members
            .iter()
            .any(|m| !matches!(m, Member::Call { .. }))
    }
}

impl<'m> Scan<'m> {
    pub(super) fn new(file: &ModelFile<'m>) -> Scan<'m> {
        let m = file.module;
        let mut imperative = Vec::new();
        let mut table_calls = Vec::new();
        let mut loops = Vec::new();
        for stmt in m.module_statements() {
            if stmt.kind() == "for_statement" {
                loops.push(stmt);
            }
            let Some((target, value)) = module_assignment(m, stmt) else {
                continue;
            };
            let Some(call) = m.call(value) else {
                continue;
            };
            match call.short_name() {
                Some("map_imperatively" | "mapper") => {
                    if let Some(first) = call.positional.first()
                        && let Some(name) = m.dotted_name(*first)
                    {
                        imperative.push(last(&name).to_string());
                    }
                }
                Some("Table" | "Index") => table_calls.push((target, value)),
                _ => {}
            }
        }
        Scan {
            path: file.path,
            m,
            prefixes: Arc::new(Prefixes::of(m)),
            types: Arc::new(TypeDefs::of(m)),
            imperative: imperative.into(),
            table_calls: table_calls.into(),
            loops: loops.into(),
        }
    }

    pub(super) fn loc(&self, node: Node<'_>) -> Loc {
        Loc {
            path: self.path.to_string(),
            line: self.m.position(node).line,
        }
    }

    pub(super) fn short_call(&self, node: Node<'m>) -> Option<(String, Call<'m>)> {
        let call = self.m.call(node)?;
        let name = call.short_name()?.to_string();
        Some((name, call))
    }

    /// The name [`Scan::short_call`] gives `node`, without taking the
    /// call apart (issue 26: each column's calls were taken apart again
    /// and again to compare their names, 8% of the model rule on
    /// dispatch).
    pub(super) fn call_name(&self, node: Node<'m>) -> Option<&'m str> {
        if node.kind() != "call" {
            return None;
        }
        let function = node.child_by_field_name("function")?;
        match function.kind() {
            "identifier" => Some(self.m.text(function)),
            "attribute" => {
                // `Module::dotted_name`: every object down the chain is
                // an identifier or an attribute with both its parts.
                let attr = function.child_by_field_name("attribute")?;
                let mut object = function.child_by_field_name("object")?;
                while object.kind() == "attribute" {
                    object.child_by_field_name("attribute")?;
                    object = object.child_by_field_name("object")?;
                }
                (object.kind() == "identifier").then(|| self.m.text(attr))
            }
            _ => None,
        }
    }

    /// Every class at module level (through `if`/`try` blocks).
    pub(super) fn classes(&self, scan: usize, out: &mut Vec<ClassDef<'m>>) {
        for stmt in self.m.module_statements() {
            let class = match stmt.kind() {
                "class_definition" => stmt,
                "decorated_definition" => match stmt.child_by_field_name("definition") {
                    Some(d) if d.kind() == "class_definition" => d,
                    _ => continue,
                },
                _ => continue,
            };
            if let Some(mut c) = self.class(scan, class) {
                // `@mapper_registry.mapped` maps a class without a base.
                c.registry_mapped = stmt.kind() == "decorated_definition"
                    && decorator_names(self.m, stmt)
                        .iter()
                        .any(|d| last(d).starts_with("mapped"));
                out.push(c);
            }
        }
    }

    pub(super) fn class(&self, scan: usize, node: Node<'m>) -> Option<ClassDef<'m>> {
        let m = self.m;
        let name = m.text(node.child_by_field_name("name")?).to_string();
        let mut bases = Vec::new();
        let mut sqlmodel_table = false;
        if let Some(args) = node.child_by_field_name("superclasses") {
            for arg in named_children(args) {
                if arg.kind() == "keyword_argument" {
                    let key = arg.child_by_field_name("name").map(|n| m.text(n));
                    let value = arg.child_by_field_name("value").and_then(bool_literal);
                    if key == Some("table") && value == Some(true) {
                        sqlmodel_table = true;
                    }
                } else if let Some(d) = m.dotted_name(arg) {
                    bases.push(d);
                }
            }
        }
        let is_enum = bases.iter().any(|b| ENUM_BASES.contains(&last(b)));
        let mut class = ClassDef {
            scan,
            name,
            node,
            bases,
            sqlmodel_table,
            is_abstract: false,
            is_enum,
            registry_mapped: false,
            tablename: None,
            table_call: None,
            table_args: None,
            members: Vec::new(),
        };
        let body = node.child_by_field_name("body")?;
        for stmt in runtime_statements(m, body) {
            match stmt.kind() {
                "expression_statement" => self.class_assignment(&mut class, stmt),
                "decorated_definition" => self.declared_attr(&mut class, stmt),
                _ => {}
            }
        }
        Some(class)
    }

    pub(super) fn class_assignment(&self, class: &mut ClassDef<'m>, stmt: Node<'m>) {
        let m = self.m;
        let Some(a) = m.assignment(stmt) else { return };
        match a.name {
            "__tablename__" => {
                class.tablename = match a.value {
                    // `__tablename__ = None`: a base that maps no table.
                    Some(v) if v.kind() == "none" => None,
                    Some(v) => Some(match m.string_value(v) {
                        Some(s) => TableNameSpec::Literal(s),
                        None => TableNameSpec::Computed {
                            scan: class.scan,
                            node: v,
                        },
                    }),
                    None => None,
                };
                return;
            }
            "__abstract__" => {
                class.is_abstract = a.value.and_then(bool_literal) == Some(true);
                return;
            }
            "__table_args__" => {
                class.table_args = a.value;
                return;
            }
            "__table__" => {
                class.table_call = a.value.filter(|v| self.call_name(*v) == Some("Table"));
                return;
            }
            n if n.starts_with("__") => return,
            _ => {}
        }
        let attr = a.name.to_string();
        if let Some(value) = a.value
            && let Some((name, call)) = self.short_call(value)
        {
            if COLUMN_CALLS.contains(&name.as_str()) {
                class.members.push(Member::Column {
                    attr,
                    call: value,
                    annotation: a.annotation,
                    at: stmt,
                });
            } else if WRAPPER_CALLS.contains(&name.as_str()) {
                if let Some(inner) = call.positional.first().copied().filter(|n| {
                    self.call_name(*n)
                        .is_some_and(|n| COLUMN_CALLS.contains(&n))
                }) {
                    class.members.push(Member::Column {
                        attr,
                        call: inner,
                        annotation: a.annotation,
                        at: stmt,
                    });
                }
            } else if let Some(annotation) = a.annotation
                && name == "Field"
            {
                class.members.push(Member::Field {
                    attr,
                    annotation,
                    value: Some(value),
                    at: stmt,
                });
            } else if !NOT_COLUMNS.contains(&name.as_str()) {
                class.members.push(Member::Call {
                    attr,
                    call: value,
                    annotation: a.annotation,
                    at: stmt,
                });
            }
            return;
        }
        let Some(annotation) = a.annotation else {
            return;
        };
        let is_mapped =
            generic(m, annotation).is_some_and(|(n, _)| self.prefixes.strip(&n) == "Mapped");
        if is_mapped {
            if a.value.is_none() {
                class.members.push(Member::BareMapped {
                    attr,
                    annotation,
                    at: stmt,
                });
            }
        } else {
            class.members.push(Member::Field {
                attr,
                annotation,
                value: a.value,
                at: stmt,
            });
        }
    }

    pub(super) fn declared_attr(&self, class: &mut ClassDef<'m>, stmt: Node<'m>) {
        let m = self.m;
        if !decorator_names(m, stmt).iter().any(|d| {
            d.split('.')
                .any(|p| p == "declared_attr" || p == "classproperty")
        }) {
            return;
        }
        let Some(function) = stmt.child_by_field_name("definition") else {
            return;
        };
        let Some(name) = function.child_by_field_name("name").map(|n| m.text(n)) else {
            return;
        };
        let value = returned(function);
        match name {
            "__tablename__" => {
                class.tablename = Some(match value {
                    Some(v) => match m.string_value(v) {
                        Some(s) => TableNameSpec::Literal(s),
                        None => TableNameSpec::Computed {
                            scan: class.scan,
                            node: v,
                        },
                    },
                    None => TableNameSpec::Unknown,
                });
            }
            "__table_args__" => class.table_args = value,
            n if n.starts_with("__") => {}
            _ => {
                if let Some(v) = value
                    && self
                        .short_call(v)
                        .is_some_and(|(n, _)| COLUMN_CALLS.contains(&n.as_str()))
                {
                    class.members.push(Member::Column {
                        attr: name.to_string(),
                        call: v,
                        annotation: function.child_by_field_name("return_type"),
                        at: function,
                    });
                }
            }
        }
    }
}
