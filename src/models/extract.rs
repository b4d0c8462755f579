//! Reads the schema that SQLAlchemy model files declare, statically, with
//! tree-sitter: nothing is imported or run, so it works without the
//! application's dependencies or a database.
//!
//! Both SQLAlchemy styles are read: 2.0 declarative
//! (`Mapped[...] = mapped_column(...)`, bare `Mapped[int]` annotations) and
//! classic (`Column(...)` in declarative classes, `Table("name", metadata,
//! Column(...))`), plus Flask-SQLAlchemy (`db.Model`, `db.Column`, table
//! names derived from the class name) and SQLModel (`table=True`,
//! `Field(...)`).
//!
//! Several files are read together ([`extract`]) so that a class may use a
//! mixin or base declared in another of them, and so that a model moved
//! from one file to another is the same table on both sides of a diff.
//! What cannot be known from the files read is handled conservatively: a
//! class that maps a table whose name comes from a base class declared
//! elsewhere is keyed by its class name ([`Table::name_unknown`]).
//!
//! Nothing here recurses over the syntax tree itself; the only recursion
//! is over the class hierarchy, guarded against cycles.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::canon::{Prefixes, canon, canon_type};
use super::schema::{
    Check, Column, ForeignKey, ForeignKeyConstraint, Index, Loc, Schema, Table, Unique,
};
use crate::python::{Call, Module, block_statements, named_children, runtime_statements};

/// One model file to read: its repository path and its parsed text.
pub struct ModelFile<'a> {
    pub path: &'a str,
    pub module: &'a Module,
}

/// Reads one file's bytes on its own; `None` when it cannot be parsed at
/// all. (Callers that care about syntax errors check
/// [`Module::has_errors`] first.)
pub fn extract_source(path: &str, bytes: &[u8]) -> Option<Schema> {
    let module = Module::parse(bytes)?;
    Some(extract(&[ModelFile {
        path,
        module: &module,
    }]))
}

/// The schema declared by `files` read together.
pub fn extract(files: &[ModelFile<'_>]) -> Schema {
    let scans: Vec<Scan<'_>> = files.iter().map(Scan::new).collect();
    let mut classes = Vec::new();
    for (i, scan) in scans.iter().enumerate() {
        scan.classes(i, &mut classes);
    }
    Resolver::new(&scans, classes).build()
}

/// The class names that tie a model file to other model files: the bases
/// its model classes name but do not define (a declarative base or mixin
/// declared elsewhere), and its own mixins and abstract bases (which
/// models elsewhere may use). A caller reads the other model files that
/// mention them, so that a mixin change reaches its tables. Classes with
/// nothing SQLAlchemy about them (Django models, Pydantic schemas) name
/// nothing, so that such files cost no extra reads.
pub fn context_names(m: &Module) -> Vec<String> {
    let file = ModelFile {
        path: "",
        module: m,
    };
    let scan = Scan::new(&file);
    let mut classes = Vec::new();
    scan.classes(0, &mut classes);
    let defined: HashSet<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let mut out = Vec::new();
    for c in &classes {
        let sa = !c.members.is_empty()
            || c.tablename.is_some()
            || c.table_call.is_some()
            || c.table_args.is_some()
            || c.sqlmodel_table;
        if !sa {
            continue;
        }
        for b in &c.bases {
            let b = last(b);
            if !defined.contains(b) && !REGISTRY_BASES.contains(&b) && b != "Model" {
                out.push(b.to_string());
            }
        }
        if (c.is_abstract || c.is_mixin_or_registry()) && !c.members.is_empty() {
            out.push(c.name.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What one file contributes before classes are resolved across files.
struct Scan<'m> {
    path: &'m str,
    m: &'m Module,
    prefixes: Prefixes,
    /// Module-level `name = Annotated[...]` aliases (the subscript node).
    annotated: HashMap<String, Node<'m>>,
}

/// How a class names its table.
#[derive(Clone, Debug)]
enum TableNameSpec {
    Literal(String),
    /// `return cls.__name__.lower()`.
    ClassLower,
    /// `return cls.__name__`.
    ClassExact,
    /// Computed in a way that cannot be read.
    Unknown,
}

/// A model class attribute that may be a column.
enum Member<'m> {
    /// `x = Column(...)`, `x: Mapped[int] = mapped_column(...)`, a
    /// `declared_attr` that returns one, or `deferred(Column(...))`.
    Column {
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

struct ClassDef<'m> {
    scan: usize,
    name: String,
    node: Node<'m>,
    /// Dotted names of the base classes.
    bases: Vec<String>,
    sqlmodel_table: bool,
    is_abstract: bool,
    is_enum: bool,
    /// Mapped by a decorator (`@registry.mapped`) rather than a base.
    registry_mapped: bool,
    tablename: Option<TableNameSpec>,
    table_call: Option<Node<'m>>,
    table_args: Option<Node<'m>>,
    members: Vec<Member<'m>>,
}

impl ClassDef<'_> {
    /// A class that cannot be mapped itself: a plain mixin (no base but
    /// `object`) or the declarative base (`DeclarativeBase` subclass).
    /// What it declares, `__tablename__` included, is for its subclasses.
    fn is_mixin_or_registry(&self) -> bool {
        if self.registry_mapped {
            return false;
        }
        self.bases.iter().all(|b| last(b) == "object")
            || self.bases.iter().any(|b| {
                REGISTRY_BASES.contains(&last(b)) && last(b) != "object" && last(b) != "SQLModel"
            })
    }

    fn has_sa_columns(&self) -> bool {
        self.members
            .iter()
            .any(|m| !matches!(m, Member::Field { .. }))
    }
}

const COLUMN_CALLS: &[&str] = &["Column", "mapped_column"];
const WRAPPER_CALLS: &[&str] = &["deferred", "column_property"];
const CONSTRAINT_CALLS: &[&str] = &[
    "Index",
    "UniqueConstraint",
    "CheckConstraint",
    "ForeignKeyConstraint",
    "PrimaryKeyConstraint",
];
const COLUMN_EXTRAS: &[&str] = &["Sequence", "Identity", "Computed", "FetchedValue"];
const ENUM_BASES: &[&str] = &["Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"];
const REGISTRY_BASES: &[&str] = &[
    "object",
    "DeclarativeBase",
    "DeclarativeBaseNoMeta",
    "MappedAsDataclass",
    "AsyncAttrs",
    "SQLModel",
];
const COLLECTIONS: &[&str] = &[
    "list",
    "List",
    "set",
    "Set",
    "frozenset",
    "FrozenSet",
    "Sequence",
    "Collection",
    "MutableSequence",
    "MutableSet",
];

fn last(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

fn bool_literal(node: Node<'_>) -> Option<bool> {
    match node.kind() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `Name[args]` in annotation (`generic_type`) or expression (`subscript`)
/// form: the dotted name and the argument nodes.
fn generic<'m>(m: &Module, node: Node<'m>) -> Option<(String, Vec<Node<'m>>)> {
    let node = unwrap_type(node);
    match node.kind() {
        "generic_type" => {
            let children = named_children(node);
            let name = children.first().and_then(|n| m.dotted_name(*n))?;
            let params = children.iter().find(|n| n.kind() == "type_parameter")?;
            let args = named_children(*params)
                .into_iter()
                .map(unwrap_type)
                .collect();
            Some((name, args))
        }
        "subscript" => {
            let name = m.dotted_name(node.child_by_field_name("value")?)?;
            let mut cursor = node.walk();
            let args = node
                .children_by_field_name("subscript", &mut cursor)
                .collect();
            Some((name, args))
        }
        _ => None,
    }
}

/// Looks through the `type` wrapper of annotations.
fn unwrap_type(mut node: Node<'_>) -> Node<'_> {
    while node.kind() == "type" || node.kind() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The name of a function definition's decorator(s), last component.
fn decorator_names(m: &Module, decorated: Node<'_>) -> Vec<String> {
    named_children(decorated)
        .into_iter()
        .filter(|n| n.kind() == "decorator")
        .filter_map(|d| d.named_child(0))
        .filter_map(|e| {
            let e = if e.kind() == "call" {
                e.child_by_field_name("function")?
            } else {
                e
            };
            m.dotted_name(e)
        })
        .collect()
}

/// The value of the last `return` at the top of a function body.
fn returned<'m>(function: Node<'m>) -> Option<Node<'m>> {
    let body = function.child_by_field_name("body")?;
    block_statements(body, true)
        .into_iter()
        .rev()
        .find(|s| s.kind() == "return_statement")?
        .named_child(0)
}

impl<'m> Scan<'m> {
    fn new(file: &ModelFile<'m>) -> Scan<'m> {
        let m = file.module;
        let mut annotated = HashMap::new();
        for stmt in m.module_statements() {
            if let Some(a) = m.assignment(stmt)
                && let Some(value) = a.value
                && let Some((name, _)) = generic(m, value)
                && last(&name) == "Annotated"
            {
                annotated.insert(a.name.to_string(), value);
            }
        }
        Scan {
            path: file.path,
            m,
            prefixes: Prefixes::of(m),
            annotated,
        }
    }

    fn loc(&self, node: Node<'_>) -> Loc {
        Loc {
            path: self.path.to_string(),
            line: self.m.position(node).line,
        }
    }

    fn short_call(&self, node: Node<'m>) -> Option<(String, Call<'m>)> {
        let call = self.m.call(node)?;
        let name = call.short_name()?.to_string();
        Some((name, call))
    }

    /// Every class at module level (through `if`/`try` blocks).
    fn classes(&self, scan: usize, out: &mut Vec<ClassDef<'m>>) {
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

    fn class(&self, scan: usize, node: Node<'m>) -> Option<ClassDef<'m>> {
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

    fn class_assignment(&self, class: &mut ClassDef<'m>, stmt: Node<'m>) {
        let m = self.m;
        let Some(a) = m.assignment(stmt) else { return };
        match a.name {
            "__tablename__" => {
                class.tablename = match a.value {
                    // `__tablename__ = None`: a base that maps no table.
                    Some(v) if v.kind() == "none" => None,
                    Some(v) => Some(match m.string_value(v) {
                        Some(s) => TableNameSpec::Literal(s),
                        None => TableNameSpec::Unknown,
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
                class.table_call = a
                    .value
                    .filter(|v| self.short_call(*v).is_some_and(|(n, _)| n == "Table"));
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
                    self.short_call(*n)
                        .is_some_and(|(n, _)| COLUMN_CALLS.contains(&n.as_str()))
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

    fn declared_attr(&self, class: &mut ClassDef<'m>, stmt: Node<'m>) {
        let m = self.m;
        if !decorator_names(m, stmt)
            .iter()
            .any(|d| d.split('.').any(|p| p == "declared_attr"))
        {
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
                        None => match m.text(v).split_whitespace().collect::<String>().as_str() {
                            "cls.__name__.lower()" => TableNameSpec::ClassLower,
                            "cls.__name__" => TableNameSpec::ClassExact,
                            _ => TableNameSpec::Unknown,
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

/// What a class maps to.
#[derive(Clone, Debug)]
enum Kind {
    /// Its own table.
    Table { name: String, unknown: bool },
    /// Single-table inheritance: its columns go to the table of class
    /// `root`.
    Sti { root: usize },
    /// A mixin, an abstract base, the declarative base, or not a model.
    NonTable,
}

/// What an annotation says about a column.
#[derive(Default)]
struct AnnotationInfo<'m> {
    /// The Python type, with `Mapped[...]`, `Optional[...]` and
    /// `Annotated[...]` removed.
    inner: Option<Node<'m>>,
    optional: bool,
    /// The `mapped_column(...)` of an `Annotated[T, mapped_column(...)]`.
    defaults: Option<Node<'m>>,
}

/// `Field(max_length=..., max_digits=..., decimal_places=...)`, which
/// SQLModel turns into type arguments.
#[derive(Default)]
struct FieldSizes {
    max_length: Option<String>,
    max_digits: Option<String>,
    decimal_places: Option<String>,
}

/// Column properties as written, before SQLAlchemy's defaults apply.
#[derive(Default)]
struct ColumnSpec {
    name: Option<String>,
    type_: Option<String>,
    nullable: Option<bool>,
    primary_key: Option<bool>,
    unique: Option<bool>,
    index: Option<bool>,
    server_default: Option<String>,
    default: Option<String>,
    foreign_keys: Vec<ForeignKey>,
    extras: Vec<String>,
}

/// A built column and whether its nullability was written explicitly (a
/// `PrimaryKeyConstraint` makes the others NOT NULL).
struct BuiltColumn {
    column: Column,
    nullable_explicit: bool,
}

struct Resolver<'s, 'm> {
    scans: &'s [Scan<'m>],
    classes: Vec<ClassDef<'m>>,
    by_name: HashMap<String, Vec<usize>>,
    kinds: Vec<Option<Kind>>,
    in_progress: Vec<bool>,
    /// Classes used as a base by a class with its own explicit table.
    base_of_explicit: HashSet<usize>,
    /// `(scan, variable)` -> table name of module-level `x = Table(...)`.
    table_vars: HashMap<(usize, String), String>,
}

impl<'s, 'm> Resolver<'s, 'm> {
    fn new(scans: &'s [Scan<'m>], classes: Vec<ClassDef<'m>>) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in classes.iter().enumerate() {
            by_name.entry(c.name.clone()).or_default().push(i);
        }
        let n = classes.len();
        let mut r = Resolver {
            scans,
            classes,
            by_name,
            kinds: vec![None; n],
            in_progress: vec![false; n],
            base_of_explicit: HashSet::new(),
            table_vars: HashMap::new(),
        };
        for i in 0..n {
            let c = &r.classes[i];
            let explicit = !c.is_abstract
                && !c.is_mixin_or_registry()
                && (c.table_call.is_some() || c.tablename.is_some() || c.sqlmodel_table);
            if explicit {
                for b in r.bases(i) {
                    r.base_of_explicit.insert(b);
                }
            }
        }
        for (si, scan) in scans.iter().enumerate() {
            for stmt in scan.m.module_statements() {
                if let Some((target, v)) = module_assignment(scan.m, stmt)
                    && let Some(target) = target
                    && let Some((n, call)) = scan.short_call(v)
                    && n == "Table"
                    && let Some(name) = call
                        .positional
                        .first()
                        .and_then(|f| scan.m.string_value(*f))
                {
                    let name = qualify(&name, schema_kw(scan, &call));
                    r.table_vars.insert((si, target), name);
                }
            }
        }
        r
    }

    /// The pool classes that class `i` names as bases, in order.
    fn bases(&self, i: usize) -> Vec<usize> {
        let c = &self.classes[i];
        c.bases
            .iter()
            .filter_map(|b| self.lookup(c.scan, last(b), i))
            .collect()
    }

    /// A class by name, preferring the same file; never `not_self`.
    fn lookup(&self, scan: usize, name: &str, not_self: usize) -> Option<usize> {
        let candidates = self.by_name.get(name)?;
        candidates
            .iter()
            .copied()
            .filter(|&j| j != not_self)
            .find(|&j| self.classes[j].scan == scan)
            .or_else(|| candidates.iter().copied().find(|&j| j != not_self))
    }

    fn is_sqlmodel(&self, i: usize, depth: usize) -> bool {
        let c = &self.classes[i];
        if c.sqlmodel_table || c.bases.iter().any(|b| last(b) == "SQLModel") {
            return true;
        }
        depth < 32
            && self
                .bases(i)
                .into_iter()
                .any(|b| self.is_sqlmodel(b, depth + 1))
    }

    fn kind(&mut self, i: usize) -> Kind {
        if let Some(k) = &self.kinds[i] {
            return k.clone();
        }
        if self.in_progress[i] {
            return Kind::NonTable;
        }
        self.in_progress[i] = true;
        let k = self.compute_kind(i);
        self.in_progress[i] = false;
        self.kinds[i] = Some(k.clone());
        k
    }

    fn compute_kind(&mut self, i: usize) -> Kind {
        let (is_abstract, table_call, tablename, sqlmodel_table, scan) = {
            let c = &self.classes[i];
            (
                c.is_abstract,
                c.table_call,
                c.tablename.clone(),
                c.sqlmodel_table,
                c.scan,
            )
        };
        let class_name = self.classes[i].name.clone();
        if is_abstract || self.classes[i].is_enum || self.classes[i].is_mixin_or_registry() {
            return Kind::NonTable;
        }
        if let Some(call) = table_call {
            let s = &self.scans[scan];
            if let Some(c) = s.m.call(call)
                && let Some(name) = c.positional.first().and_then(|f| s.m.string_value(*f))
            {
                return Kind::Table {
                    name: qualify(&name, schema_kw(s, &c)),
                    unknown: false,
                };
            }
            return Kind::Table {
                name: class_name,
                unknown: true,
            };
        }
        if let Some(spec) = &tablename {
            // A computed name on a class other models derive from is
            // theirs to use, not a table of its own.
            if matches!(spec, TableNameSpec::Unknown) && self.base_of_explicit.contains(&i) {
                return Kind::NonTable;
            }
            return self.named(i, spec);
        }
        if sqlmodel_table {
            return Kind::Table {
                name: class_name.to_lowercase(),
                unknown: false,
            };
        }
        let bases = self.bases(i);
        for &b in &bases {
            match self.kind(b) {
                Kind::Table { .. } => return Kind::Sti { root: b },
                Kind::Sti { root } => return Kind::Sti { root },
                Kind::NonTable => {}
            }
        }
        if let Some(spec) = self.inherited_tablename(i, 0) {
            return self.named(i, &spec);
        }
        if self.is_flask_model(i, 0) && self.has_primary_key(i) {
            return Kind::Table {
                name: camel_to_snake(&class_name),
                unknown: false,
            };
        }
        let c = &self.classes[i];
        if c.has_sa_columns() && !self.base_of_explicit.contains(&i) {
            return Kind::Table {
                name: class_name,
                unknown: true,
            };
        }
        Kind::NonTable
    }

    fn named(&self, i: usize, spec: &TableNameSpec) -> Kind {
        let class_name = &self.classes[i].name;
        let (name, unknown) = match spec {
            TableNameSpec::Literal(s) => (s.clone(), false),
            TableNameSpec::ClassLower => (class_name.to_lowercase(), false),
            TableNameSpec::ClassExact => (class_name.clone(), false),
            TableNameSpec::Unknown => (class_name.clone(), true),
        };
        let schema = if unknown { None } else { self.schema_of(i) };
        Kind::Table {
            name: qualify(&name, schema),
            unknown,
        }
    }

    /// A `__tablename__` that class `i` inherits from mixins or abstract
    /// bases (the declared_attr-on-the-base pattern).
    fn inherited_tablename(&mut self, i: usize, depth: usize) -> Option<TableNameSpec> {
        if depth > 32 {
            return None;
        }
        for b in self.bases(i) {
            if let Some(spec) = &self.classes[b].tablename {
                return Some(spec.clone());
            }
            if let Some(spec) = self.inherited_tablename(b, depth + 1) {
                return Some(spec);
            }
        }
        None
    }

    /// Whether class `i` derives from Flask-SQLAlchemy's `db.Model`.
    fn is_flask_model(&self, i: usize, depth: usize) -> bool {
        let c = &self.classes[i];
        if c.bases.iter().any(|b| {
            b.contains('.') && last(b) == "Model" && self.lookup(c.scan, "Model", i).is_none()
        }) {
            return true;
        }
        depth < 32
            && self
                .bases(i)
                .into_iter()
                .any(|b| self.is_flask_model(b, depth + 1))
    }

    fn has_primary_key(&mut self, i: usize) -> bool {
        let cols = self.columns_of(i);
        cols.iter().any(|c| c.column.primary_key)
    }

    /// The `schema` key of the table args class `i` uses.
    fn schema_of(&self, i: usize) -> Option<String> {
        let (scan, node) = self.table_args_of(i, 0)?;
        let s = &self.scans[scan];
        let mut out = None;
        for item in table_arg_items(node) {
            if item.kind() == "dictionary" {
                for (k, v) in dict_pairs(s, item) {
                    if k == "schema" {
                        out = s.m.string_value(v);
                    }
                }
            }
        }
        out
    }

    /// `__table_args__` of class `i`, or of the first mixin that has one.
    fn table_args_of(&self, i: usize, depth: usize) -> Option<(usize, Node<'m>)> {
        let c = &self.classes[i];
        if let Some(t) = c.table_args {
            return Some((c.scan, t));
        }
        if depth > 32 {
            return None;
        }
        // A mapped parent's own table args belong to its table; only
        // mixins and abstract bases pass theirs on.
        self.bases(i).into_iter().find_map(|b| {
            let parent = &self.classes[b];
            let mapped = !parent.is_abstract
                && (parent.table_call.is_some()
                    || parent.sqlmodel_table
                    || matches!(parent.tablename, Some(TableNameSpec::Literal(_))));
            if mapped {
                None
            } else {
                self.table_args_of(b, depth + 1)
            }
        })
    }

    /// The columns class `i` contributes to its table: those of its mixins
    /// and abstract bases (not of mapped parents), then its own, a later
    /// definition replacing an earlier one of the same name.
    fn columns_of(&mut self, i: usize) -> Vec<BuiltColumn> {
        let mut out: Vec<BuiltColumn> = Vec::new();
        let mut visited = HashSet::new();
        let sqlmodel = self.is_sqlmodel(i, 0);
        self.collect_columns(i, sqlmodel, &mut out, &mut visited, 0);
        out
    }

    fn collect_columns(
        &mut self,
        i: usize,
        sqlmodel: bool,
        out: &mut Vec<BuiltColumn>,
        visited: &mut HashSet<usize>,
        depth: usize,
    ) {
        if !visited.insert(i) || depth > 32 {
            return;
        }
        let bases = self.bases(i);
        // Python's MRO: the leftmost base wins, so apply right to left.
        for &b in bases.iter().rev() {
            if matches!(self.kind(b), Kind::NonTable) {
                self.collect_columns(b, sqlmodel, out, visited, depth + 1);
            }
        }
        let scan = self.classes[i].scan;
        let mut built = Vec::new();
        for member in &self.classes[i].members {
            if let Some(c) = self.member_column(scan, member, sqlmodel) {
                built.push(c);
            }
        }
        for c in built {
            match out.iter_mut().find(|o| o.column.name == c.column.name) {
                Some(o) => *o = c,
                None => out.push(c),
            }
        }
    }

    fn build(mut self) -> Schema {
        let mut schema = Schema::default();
        // Every class's kind first: foreign keys written as `User.id`
        // resolve through them.
        for i in 0..self.classes.len() {
            self.kind(i);
        }
        // Module-level Table(...) in file order, interleaved with classes
        // by position would be nicer; files come first, then classes.
        for (si, scan) in self.scans.iter().enumerate() {
            for stmt in scan.m.module_statements() {
                let Some((_, value)) = module_assignment(scan.m, stmt) else {
                    continue;
                };
                if let Some((n, call)) = scan.short_call(value)
                    && n == "Table"
                    && let Some(t) = self.table_from_call(si, &call, None)
                {
                    merge_table(&mut schema, t);
                }
            }
        }
        let n = self.classes.len();
        let mut sti = Vec::new();
        for i in 0..n {
            match self.kind(i) {
                Kind::Table { name, unknown } => {
                    let t = self.class_table(i, name, unknown);
                    merge_table(&mut schema, t);
                }
                Kind::Sti { root } => sti.push((i, root)),
                Kind::NonTable => {}
            }
        }
        for (i, root) in sti {
            let Kind::Table { name, .. } = self.kind(root) else {
                continue;
            };
            let cols = self.columns_of(i);
            let loc = self.scans[self.classes[i].scan].loc(self.classes[i].node);
            let table = schema.table_mut(&name, loc);
            for c in cols {
                table.add_column(c.column);
            }
        }
        self.loose_indexes(&mut schema);
        for t in &mut schema.tables {
            if t.primary_key.is_empty() {
                t.primary_key = t
                    .columns
                    .iter()
                    .filter(|c| c.primary_key)
                    .map(|c| c.name.clone())
                    .collect();
            }
        }
        schema
    }

    fn class_table(&mut self, i: usize, name: String, unknown: bool) -> Table {
        let scan = self.classes[i].scan;
        let class_name = self.classes[i].name.clone();
        let loc = self.scans[scan].loc(self.classes[i].node);
        if let Some(call_node) = self.classes[i].table_call
            && let Some(call) = self.scans[scan].m.call(call_node)
            && let Some(mut t) = self.table_from_call(scan, &call, Some(name.clone()))
        {
            t.class_name = Some(class_name);
            t.name_unknown = unknown;
            t.loc = loc;
            return t;
        }
        let cols = self.columns_of(i);
        let mut table = Table {
            name,
            class_name: Some(class_name),
            name_unknown: unknown,
            loc,
            ..Table::default()
        };
        let mut pk_constraint = None;
        if let Some((s, node)) = self.table_args_of(i, 0) {
            for item in table_arg_items(node) {
                if let Some(call) = self.scans[s].m.call(item) {
                    self.add_constraint(s, &call, &mut table, &mut pk_constraint);
                }
            }
        }
        finish_columns(&mut table, cols, pk_constraint);
        table
    }

    /// A `Table("name", metadata, Column(...), Index(...), ...)` call.
    fn table_from_call(&self, scan: usize, call: &Call<'m>, name: Option<String>) -> Option<Table> {
        let s = &self.scans[scan];
        let name = match name {
            Some(n) => n,
            None => qualify(
                &s.m.string_value(*call.positional.first()?)?,
                schema_kw(s, call),
            ),
        };
        let mut table = Table {
            name,
            loc: s.loc(call.node),
            ..Table::default()
        };
        let mut cols = Vec::new();
        let mut pk_constraint = None;
        for arg in call.positional.iter().skip(1) {
            let Some((n, inner)) = s.short_call(*arg) else {
                continue;
            };
            if n == "Column" {
                if let Some(c) = self.column(scan, None, *arg, None, *arg) {
                    cols.push(c);
                }
            } else if CONSTRAINT_CALLS.contains(&n.as_str()) {
                self.add_constraint(scan, &inner, &mut table, &mut pk_constraint);
            }
        }
        finish_columns(&mut table, cols, pk_constraint);
        Some(table)
    }

    fn member_column(
        &self,
        scan: usize,
        member: &Member<'m>,
        sqlmodel: bool,
    ) -> Option<BuiltColumn> {
        match member {
            Member::Column {
                attr,
                call,
                annotation,
                at,
            } => self.column(scan, Some(attr), *call, *annotation, *at),
            Member::BareMapped {
                attr,
                annotation,
                at,
            } => {
                let info = self.annotation(scan, *annotation);
                if self.is_relationship_type(scan, info.inner) {
                    return None;
                }
                self.mapped_column(scan, attr, None, info, *at)
            }
            Member::Field {
                attr,
                annotation,
                value,
                at,
            } if sqlmodel => self.field(scan, attr, *annotation, *value, *at),
            Member::Field { .. } => None,
        }
    }

    /// A column from `Column(...)` or `mapped_column(...)`.
    fn column(
        &self,
        scan: usize,
        attr: Option<&str>,
        call_node: Node<'m>,
        annotation: Option<Node<'m>>,
        at: Node<'m>,
    ) -> Option<BuiltColumn> {
        let s = &self.scans[scan];
        let (n, _) = s.short_call(call_node)?;
        if n == "mapped_column" {
            let info = annotation
                .map(|a| self.annotation(scan, a))
                .unwrap_or_default();
            let attr = attr.unwrap_or("");
            return self.mapped_column(scan, attr, Some(call_node), info, at);
        }
        let mut spec = ColumnSpec::default();
        self.apply_column_call(scan, &mut spec, call_node);
        let pk = spec.primary_key.unwrap_or(false);
        let explicit = spec.nullable.is_some();
        let nullable = spec.nullable.unwrap_or(!pk);
        let name = spec.name.clone().or(attr.map(str::to_string))?;
        Some(finish(spec, name, nullable, explicit, s.loc(at)))
    }

    fn mapped_column(
        &self,
        scan: usize,
        attr: &str,
        call: Option<Node<'m>>,
        info: AnnotationInfo<'m>,
        at: Node<'m>,
    ) -> Option<BuiltColumn> {
        let s = &self.scans[scan];
        let mut spec = ColumnSpec::default();
        if let Some(d) = info.defaults {
            self.apply_column_call(scan, &mut spec, d);
        }
        if let Some(c) = call {
            self.apply_column_call(scan, &mut spec, c);
        }
        if spec.type_.is_none()
            && let Some(inner) = info.inner
        {
            spec.type_ = Some(self.python_type(scan, inner, false, None));
        }
        let pk = spec.primary_key.unwrap_or(false);
        let explicit = spec.nullable.is_some();
        let nullable = match spec.nullable {
            Some(n) => n,
            None if pk => false,
            None if info.inner.is_some() => info.optional,
            None => true,
        };
        let name = spec.name.clone().unwrap_or_else(|| attr.to_string());
        Some(finish(spec, name, nullable, explicit, s.loc(at)))
    }

    /// A SQLModel field: `x: int | None = Field(default=None, primary_key=True)`.
    fn field(
        &self,
        scan: usize,
        attr: &str,
        annotation: Node<'m>,
        value: Option<Node<'m>>,
        at: Node<'m>,
    ) -> Option<BuiltColumn> {
        let s = &self.scans[scan];
        let m = s.m;
        if attr.starts_with('_') || attr == "model_config" {
            return None;
        }
        if let Some((n, _)) = generic(m, annotation)
            && last(&n) == "ClassVar"
        {
            return None;
        }
        let info = self.annotation(scan, annotation);
        if self.is_relationship_type(scan, info.inner) {
            return None;
        }
        // `= Field(...)`, `= Relationship(...)` (not a column), or a plain
        // default value (`= None`, `= "x"`).
        let field = match value.and_then(|v| s.short_call(v)) {
            Some((n, _)) if n == "Relationship" || n == "relationship" => return None,
            Some((n, c)) if n == "Field" => Some(c),
            _ => None,
        };
        if let Some(f) = &field
            && let Some(sa_column) = f.keyword("sa_column")
        {
            return self.column(scan, Some(attr), sa_column, None, at);
        }
        let mut spec = ColumnSpec::default();
        let mut sizes = FieldSizes::default();
        if let Some(f) = &field {
            for (k, v) in &f.keywords {
                match k.as_str() {
                    "primary_key" => spec.primary_key = bool_literal(*v),
                    "nullable" => spec.nullable = bool_literal(*v),
                    "index" => spec.index = bool_literal(*v),
                    "unique" => spec.unique = bool_literal(*v),
                    "sa_type" => spec.type_ = Some(canon_type(m, *v, &s.prefixes)),
                    "max_length" => sizes.max_length = Some(m.text(*v).to_string()),
                    "max_digits" => sizes.max_digits = Some(m.text(*v).to_string()),
                    "decimal_places" => sizes.decimal_places = Some(m.text(*v).to_string()),
                    "default" | "default_factory" => spec.default = Some(canon(m, *v, &s.prefixes)),
                    "foreign_key" => {
                        let target = m
                            .string_value(*v)
                            .unwrap_or_else(|| self.ref_target(scan, *v));
                        let options = f
                            .keyword("ondelete")
                            .map(|o| vec![format!("ondelete={}", canon(m, o, &s.prefixes))])
                            .unwrap_or_default();
                        spec.foreign_keys.push(ForeignKey { target, options });
                    }
                    "sa_column_kwargs" if v.kind() == "dictionary" => {
                        for (key, val) in dict_pairs(s, *v) {
                            self.apply_column_keyword(scan, &mut spec, &key, val);
                        }
                    }
                    "sa_column_args" => {
                        for item in named_children(*v) {
                            self.apply_column_positional(scan, &mut spec, item, false);
                        }
                    }
                    _ => {}
                }
            }
        } else if let Some(v) = value {
            spec.default = Some(canon(m, v, &s.prefixes));
        }
        if spec.type_.is_none()
            && let Some(inner) = info.inner
        {
            spec.type_ = Some(self.python_type(scan, inner, true, Some(sizes)));
        }
        let pk = spec.primary_key.unwrap_or(false);
        let explicit = spec.nullable.is_some();
        let nullable = spec.nullable.unwrap_or(!pk && info.optional);
        Some(finish(
            spec,
            attr.to_string(),
            nullable,
            explicit,
            s.loc(at),
        ))
    }

    /// Whether a bare `Mapped[...]` / SQLModel annotation is a
    /// relationship rather than a column: a collection, a forward
    /// reference, or another mapped class.
    fn is_relationship_type(&self, scan: usize, inner: Option<Node<'m>>) -> bool {
        let Some(inner) = inner else { return false };
        let s = &self.scans[scan];
        let inner = unwrap_type(inner);
        if matches!(inner.kind(), "string" | "concatenated_string") {
            return true;
        }
        if let Some((name, _)) = generic(s.m, inner) {
            return COLLECTIONS.contains(&last(&name));
        }
        if let Some(name) = s.m.dotted_name(inner)
            && let Some(j) = self.lookup(scan, last(&name), usize::MAX)
        {
            return !self.classes[j].is_enum;
        }
        false
    }

    /// Reads an annotation: `Mapped[Optional[Annotated[str, ...]]]`.
    fn annotation(&self, scan: usize, node: Node<'m>) -> AnnotationInfo<'m> {
        let s = &self.scans[scan];
        let m = s.m;
        let mut info = AnnotationInfo::default();
        let mut node = unwrap_type(node);
        if let Some((name, args)) = generic(m, node)
            && s.prefixes.strip(&name) == "Mapped"
        {
            match args.first() {
                Some(a) => node = unwrap_type(*a),
                None => return info,
            }
        }
        for _ in 0..8 {
            if let Some((name, args)) = generic(m, node) {
                match last(&name) {
                    "Optional" if args.len() == 1 => {
                        info.optional = true;
                        node = unwrap_type(args[0]);
                        continue;
                    }
                    "Union" => {
                        let rest: Vec<_> = args
                            .iter()
                            .copied()
                            .filter(|a| a.kind() != "none")
                            .collect();
                        if rest.len() < args.len() {
                            info.optional = true;
                        }
                        if rest.len() == 1 {
                            node = unwrap_type(rest[0]);
                            continue;
                        }
                        break;
                    }
                    "Annotated" if !args.is_empty() => {
                        info.defaults = args[1..]
                            .iter()
                            .copied()
                            .find(|a| s.short_call(*a).is_some_and(|(n, _)| n == "mapped_column"))
                            .or(info.defaults);
                        node = unwrap_type(args[0]);
                        continue;
                    }
                    _ => break,
                }
            }
            // `str | None` is an expression inside `Mapped[...]`; beside a
            // nested generic (`list[str] | None`) the grammar reads a type,
            // a `union_type`.
            if node.kind() == "binary_operator" || node.kind() == "union_type" {
                let mut parts = Vec::new();
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    if n.kind() == "binary_operator"
                        && n.child_by_field_name("operator")
                            .is_some_and(|o| m.text(o) == "|")
                    {
                        stack.extend(n.child_by_field_name("right"));
                        stack.extend(n.child_by_field_name("left"));
                    } else if n.kind() == "union_type" {
                        let mut kids = named_children(n);
                        kids.reverse();
                        stack.extend(kids.into_iter().map(unwrap_type));
                    } else {
                        parts.push(unwrap_type(n));
                    }
                }
                let rest: Vec<_> = parts
                    .iter()
                    .copied()
                    .filter(|p| p.kind() != "none")
                    .collect();
                if rest.len() < parts.len() {
                    info.optional = true;
                }
                if rest.len() == 1 {
                    node = rest[0];
                    continue;
                }
                break;
            }
            if node.kind() == "identifier"
                && let Some(alias) = s.annotated.get(m.text(node))
            {
                node = *alias;
                continue;
            }
            break;
        }
        info.inner = Some(node);
        info
    }

    /// The SQLAlchemy type SQLAlchemy (or SQLModel) derives from a Python
    /// annotation.
    fn python_type(
        &self,
        scan: usize,
        node: Node<'m>,
        sqlmodel: bool,
        sizes: Option<FieldSizes>,
    ) -> String {
        let s = &self.scans[scan];
        let node = unwrap_type(node);
        let Some(name) = s.m.dotted_name(node) else {
            return canon_type(s.m, node, &s.prefixes);
        };
        let FieldSizes {
            max_length,
            max_digits: digits,
            decimal_places: places,
        } = sizes.unwrap_or_default();
        let base = match name.as_str() {
            "int" => "Integer",
            "str" if sqlmodel => {
                return match max_length {
                    Some(l) => format!("AutoString({l})"),
                    None => "AutoString".into(),
                };
            }
            "str" => "String",
            "float" => "Float",
            "bool" => "Boolean",
            "bytes" => "LargeBinary",
            "datetime" | "datetime.datetime" => "DateTime",
            "date" | "datetime.date" => "Date",
            "time" | "datetime.time" => "Time",
            "timedelta" | "datetime.timedelta" => "Interval",
            "Decimal" | "decimal.Decimal" => {
                if let (Some(d), Some(p)) = (&digits, &places) {
                    return format!("Numeric({d}, {p})");
                }
                "Numeric"
            }
            "UUID" | "uuid.UUID" => "Uuid",
            _ => {
                if let Some(j) = self.lookup(scan, last(&name), usize::MAX)
                    && self.classes[j].is_enum
                {
                    return format!("Enum({})", last(&name));
                }
                return s.prefixes.strip(&name).to_string();
            }
        };
        base.to_string()
    }

    fn apply_column_call(&self, scan: usize, spec: &mut ColumnSpec, call_node: Node<'m>) {
        let s = &self.scans[scan];
        let Some(call) = s.m.call(call_node) else {
            return;
        };
        for (i, arg) in call.positional.iter().enumerate() {
            if i == 0
                && let Some(name) = s.m.string_value(*arg)
            {
                spec.name = Some(name);
                continue;
            }
            self.apply_column_positional(scan, spec, *arg, true);
        }
        for (k, v) in &call.keywords {
            self.apply_column_keyword(scan, spec, k, *v);
        }
    }

    fn apply_column_positional(
        &self,
        scan: usize,
        spec: &mut ColumnSpec,
        arg: Node<'m>,
        may_be_type: bool,
    ) {
        let s = &self.scans[scan];
        let m = s.m;
        match s.short_call(arg) {
            Some((n, fk)) if n == "ForeignKey" => {
                if let Some(target) = fk.positional.first() {
                    let target = m
                        .string_value(*target)
                        .unwrap_or_else(|| self.ref_target(scan, *target));
                    let mut options: Vec<String> = fk
                        .keywords
                        .iter()
                        .filter(|(k, _)| k != "info")
                        .map(|(k, v)| format!("{k}={}", canon(m, *v, &s.prefixes)))
                        .collect();
                    options.sort();
                    spec.foreign_keys.push(ForeignKey { target, options });
                }
            }
            Some((n, _)) if COLUMN_EXTRAS.contains(&n.as_str()) => {
                spec.extras.push(canon(m, arg, &s.prefixes));
            }
            Some((n, _)) if CONSTRAINT_CALLS.contains(&n.as_str()) || n == "CheckConstraint" => {}
            _ if may_be_type => spec.type_ = Some(canon_type(m, arg, &s.prefixes)),
            _ => {}
        }
    }

    fn apply_column_keyword(&self, scan: usize, spec: &mut ColumnSpec, key: &str, v: Node<'m>) {
        let s = &self.scans[scan];
        let m = s.m;
        match key {
            "name" => spec.name = m.string_value(v).or(spec.name.take()),
            "type_" => spec.type_ = Some(canon_type(m, v, &s.prefixes)),
            "nullable" => {
                if let Some(b) = bool_literal(v) {
                    spec.nullable = Some(b);
                }
            }
            "primary_key" => spec.primary_key = bool_literal(v).or(spec.primary_key),
            "unique" => spec.unique = bool_literal(v).or(spec.unique),
            "index" => spec.index = bool_literal(v).or(spec.index),
            "server_default" => {
                spec.server_default = (v.kind() != "none").then(|| canon(m, v, &s.prefixes));
            }
            "default" | "insert_default" => spec.default = Some(canon(m, v, &s.prefixes)),
            _ => {}
        }
    }

    /// `User.id` -> `users.id`; `users_table.c.id` -> `users.id`.
    fn ref_target(&self, scan: usize, node: Node<'m>) -> String {
        let s = &self.scans[scan];
        if let Some(d) = s.m.dotted_name(node) {
            let parts: Vec<&str> = d.split('.').collect();
            if let Some((table, column)) = self.resolve_ref(scan, &parts) {
                return format!("{table}.{column}");
            }
        }
        canon(s.m, node, &s.prefixes)
    }

    /// A `Class.attr` or `table.c.col` reference: (table, column).
    fn resolve_ref(&self, scan: usize, parts: &[&str]) -> Option<(String, String)> {
        match parts {
            [var @ .., "c", col] if !var.is_empty() => {
                let t = self.table_vars.get(&(scan, var.join(".")))?;
                Some((t.clone(), col.to_string()))
            }
            [class, attr] => {
                let j = self.lookup(scan, class, usize::MAX)?;
                let table = match &self.kinds[j] {
                    Some(Kind::Table { name, .. }) => name.clone(),
                    Some(Kind::Sti { root }) => match &self.kinds[*root] {
                        Some(Kind::Table { name, .. }) => name.clone(),
                        _ => return None,
                    },
                    _ => {
                        let c = &self.classes[j];
                        match &c.tablename {
                            Some(TableNameSpec::Literal(n)) => n.clone(),
                            _ => return None,
                        }
                    }
                };
                Some((table, attr.to_string()))
            }
            _ => None,
        }
    }

    /// Adds an `Index`, `UniqueConstraint`, `CheckConstraint`,
    /// `ForeignKeyConstraint` or `PrimaryKeyConstraint` to `table`.
    fn add_constraint(
        &self,
        scan: usize,
        call: &Call<'m>,
        table: &mut Table,
        pk: &mut Option<Vec<String>>,
    ) {
        let s = &self.scans[scan];
        let m = s.m;
        let loc = s.loc(call.node);
        let name_kw = call.keyword("name").and_then(|n| m.string_value(n));
        let col_ref = |n: Node<'m>| self.column_ref(scan, n);
        match call.short_name().unwrap_or("") {
            "Index" => {
                let mut positional = call.positional.iter().copied();
                let name = match call.positional.first() {
                    Some(f) if m.string_value(*f).is_some() => {
                        positional.next();
                        m.string_value(*f)
                    }
                    // An f-string name (`f"ix_{__tablename__}_a"`): still
                    // the name, kept as written.
                    Some(f) if f.kind() == "string" => {
                        positional.next();
                        Some(canon(m, *f, &s.prefixes))
                    }
                    Some(f) if f.kind() == "none" => {
                        positional.next();
                        None
                    }
                    _ => name_kw,
                };
                let mut options: Vec<String> = call
                    .keywords
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "unique" | "name" | "info"))
                    .map(|(k, v)| format!("{k}={}", canon(m, *v, &s.prefixes)))
                    .collect();
                options.sort();
                table.indexes.push(Index {
                    name,
                    columns: positional.map(col_ref).collect(),
                    unique: call.keyword("unique").and_then(bool_literal) == Some(true),
                    options,
                    loc,
                });
            }
            "UniqueConstraint" => table.uniques.push(Unique {
                name: name_kw,
                columns: call.positional.iter().copied().map(col_ref).collect(),
                loc,
            }),
            "CheckConstraint" => {
                let Some(text) = call.positional.first().copied().or(call.keyword("sqltext"))
                else {
                    return;
                };
                let sqltext = m
                    .string_value(text)
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_else(|| canon(m, text, &s.prefixes));
                table.checks.push(Check {
                    name: name_kw,
                    sqltext,
                    loc,
                });
            }
            "ForeignKeyConstraint" => {
                let list = |n: Option<Node<'m>>| -> Vec<String> {
                    n.map(|n| {
                        named_children(n)
                            .into_iter()
                            .filter(|c| c.kind() != "comment")
                            .map(|c| {
                                m.string_value(c)
                                    .unwrap_or_else(|| self.ref_target(scan, c))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
                };
                let columns = list(call.positional.first().copied().or(call.keyword("columns")));
                let targets = list(
                    call.positional
                        .get(1)
                        .copied()
                        .or(call.keyword("refcolumns")),
                );
                let mut options: Vec<String> = call
                    .keywords
                    .iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "name" | "columns" | "refcolumns" | "info")
                    })
                    .map(|(k, v)| format!("{k}={}", canon(m, *v, &s.prefixes)))
                    .collect();
                options.sort();
                table.foreign_keys.push(ForeignKeyConstraint {
                    name: name_kw,
                    columns,
                    targets,
                    options,
                    loc,
                });
            }
            "PrimaryKeyConstraint" => {
                *pk = Some(call.positional.iter().copied().map(col_ref).collect());
            }
            _ => {}
        }
    }

    /// A column named in a constraint: `"email"`, `email`, `User.email`,
    /// `users.c.email`, or an expression (`func.lower(email)`).
    fn column_ref(&self, scan: usize, node: Node<'m>) -> String {
        let s = &self.scans[scan];
        if let Some(v) = s.m.string_value(node) {
            return v;
        }
        if let Some(d) = s.m.dotted_name(node) {
            return last(&d).to_string();
        }
        canon(s.m, node, &s.prefixes)
    }

    /// `Index("ix", User.email)` at module level: added to the table of
    /// the class or `Table` its first column belongs to.
    fn loose_indexes(&mut self, schema: &mut Schema) {
        for (si, scan) in self.scans.iter().enumerate() {
            for stmt in scan.m.module_statements() {
                let Some((_, value)) = module_assignment(scan.m, stmt) else {
                    continue;
                };
                let Some((n, call)) = scan.short_call(value) else {
                    continue;
                };
                if n != "Index" {
                    continue;
                }
                let table = call
                    .positional
                    .iter()
                    .filter_map(|a| scan.m.dotted_name(*a))
                    .find_map(|d| {
                        let parts: Vec<&str> = d.split('.').collect();
                        self.resolve_ref(si, &parts).map(|(t, _)| t).or_else(|| {
                            // A class whose table name is unknown.
                            (parts.len() == 2).then(|| parts[0].to_string())
                        })
                    });
                let Some(table_name) = table else { continue };
                let mut tmp = Table::default();
                let mut pk = None;
                self.add_constraint(si, &call, &mut tmp, &mut pk);
                let t = schema.table_mut(&table_name, scan.loc(value));
                t.indexes.extend(tmp.indexes);
            }
        }
    }
}

/// A module-level statement's assigned value and the dotted name it is
/// assigned to (`users = Table(...)`, `User.table = Table(...)`, an
/// annotated assignment), or a bare expression statement's value (with no
/// name).
fn module_assignment<'m>(m: &Module, stmt: Node<'m>) -> Option<(Option<String>, Node<'m>)> {
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let inner = stmt.named_child(0)?;
    if inner.kind() == "assignment" {
        let target = inner
            .child_by_field_name("left")
            .and_then(|l| m.dotted_name(l));
        return Some((target, inner.child_by_field_name("right")?));
    }
    Some((None, inner))
}

/// The items of a `__table_args__` value (a tuple, list, dict or one call).
fn table_arg_items(node: Node<'_>) -> Vec<Node<'_>> {
    let node = unwrap_type(node);
    match node.kind() {
        "tuple" | "list" => named_children(node)
            .into_iter()
            .filter(|n| n.kind() != "comment")
            .collect(),
        _ => vec![node],
    }
}

/// `"key": value` pairs of a dict literal with string keys.
fn dict_pairs<'m>(s: &Scan<'m>, dict: Node<'m>) -> Vec<(String, Node<'m>)> {
    named_children(dict)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .filter_map(|p| {
            let k = s.m.string_value(p.child_by_field_name("key")?)?;
            Some((k, p.child_by_field_name("value")?))
        })
        .collect()
}

fn schema_kw(s: &Scan<'_>, call: &Call<'_>) -> Option<String> {
    call.keyword("schema").and_then(|v| s.m.string_value(v))
}

fn qualify(name: &str, schema: Option<String>) -> String {
    match schema {
        Some(s) if !s.is_empty() => format!("{s}.{name}"),
        _ => name.to_string(),
    }
}

fn finish(spec: ColumnSpec, name: String, nullable: bool, explicit: bool, loc: Loc) -> BuiltColumn {
    BuiltColumn {
        column: Column {
            name,
            type_: spec.type_,
            nullable,
            server_default: spec.server_default,
            default: spec.default,
            primary_key: spec.primary_key.unwrap_or(false),
            unique: spec.unique.unwrap_or(false),
            index: spec.index.unwrap_or(false),
            foreign_keys: spec.foreign_keys,
            extras: spec.extras,
            loc,
        },
        nullable_explicit: explicit,
    }
}

/// Puts the columns into the table, applying a `PrimaryKeyConstraint`
/// (its columns become primary key and, unless said otherwise, NOT NULL).
fn finish_columns(table: &mut Table, cols: Vec<BuiltColumn>, pk: Option<Vec<String>>) {
    for mut c in cols {
        if let Some(pk) = &pk
            && pk.contains(&c.column.name)
        {
            c.column.primary_key = true;
            if !c.nullable_explicit {
                c.column.nullable = false;
            }
        }
        table.add_column(c.column);
    }
    if let Some(pk) = pk {
        table.primary_key = pk;
    }
}

/// Adds `t` to the schema; a second declaration of the same table name
/// (an `__table__` class and its `Table`) adds what the first lacked.
fn merge_table(schema: &mut Schema, t: Table) {
    match schema.tables.iter_mut().find(|x| x.name == t.name) {
        None => schema.tables.push(t),
        Some(existing) => {
            for c in t.columns {
                existing.add_column(c);
            }
            existing.indexes.extend(t.indexes);
            existing.uniques.extend(t.uniques);
            existing.checks.extend(t.checks);
            existing.foreign_keys.extend(t.foreign_keys);
            if existing.class_name.is_none() {
                existing.class_name = t.class_name;
            }
        }
    }
}

/// Flask-SQLAlchemy's table name for a model class:
/// `camel_to_snake_case` (`UserRole` -> `user_role`, `HTTPLog` ->
/// `http_log`).
fn camel_to_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || next_lower {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out.trim_start_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(src: &str) -> Schema {
        extract_source("m.py", src.as_bytes()).unwrap()
    }

    /// The rendered schema of a realistic model file in
    /// `tests/fixtures/models/`.
    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/models/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap();
        extract_source(name, &bytes).unwrap().render()
    }

    #[test]
    fn snapshot_declarative_2_0() {
        insta::assert_snapshot!(fixture("declarative_2_0.py"));
    }

    #[test]
    fn snapshot_classic() {
        insta::assert_snapshot!(fixture("classic.py"));
    }

    #[test]
    fn snapshot_flask() {
        insta::assert_snapshot!(fixture("flask_models.py"));
    }

    #[test]
    fn snapshot_sqlmodel() {
        insta::assert_snapshot!(fixture("sqlmodel_models.py"));
    }

    #[test]
    fn flask_table_names_follow_flask_sqlalchemy() {
        assert_eq!(camel_to_snake("User"), "user");
        assert_eq!(camel_to_snake("UserRole"), "user_role");
        assert_eq!(camel_to_snake("HTTPLog"), "http_log");
        assert_eq!(camel_to_snake("OAuth2Token"), "o_auth2_token");
    }

    #[test]
    fn declarative_2_0_nullability_comes_from_the_annotation() {
        let s = schema(
            "class User(Base):\n    __tablename__ = 'users'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    name: Mapped[str]\n    bio: Mapped[Optional[str]]\n    nick: Mapped[str | None] = mapped_column(String(30))\n    age: Mapped[Union[int, None]]\n    forced: Mapped[Optional[str]] = mapped_column(nullable=False)\n",
        );
        let t = s.table("users").unwrap();
        let got: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.type_.as_deref().unwrap(), c.nullable))
            .collect();
        assert_eq!(
            got,
            [
                ("id", "Integer", false),
                ("name", "String", false),
                ("bio", "String", true),
                ("nick", "String(30)", true),
                ("age", "Integer", true),
                ("forced", "String", false),
            ]
        );
        assert_eq!(t.primary_key, ["id"]);
    }

    /// Issue 25: `Mapped[list[str] | None]` was read as NOT NULL, and
    /// fields declared only for type checkers as columns.
    #[test]
    fn generic_types_with_none_are_nullable_and_type_checking_fields_are_not_columns() {
        let s = schema(
            "class Doc(Base):\n    __tablename__ = 'docs'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    tags: Mapped[list[str] | None] = mapped_column(ARRAY(String))\n    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)\n    if TYPE_CHECKING:\n        owner_name: Mapped[str]\n",
        );
        let t = s.table("docs").unwrap();
        let got: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.nullable))
            .collect();
        assert_eq!(got, [("id", false), ("tags", true), ("meta", true)]);
    }

    #[test]
    fn relationships_methods_and_properties_are_not_columns() {
        let s = schema(
            "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    posts: Mapped[list['Post']] = relationship(back_populates='user')\n    org: Mapped['Org'] = relationship()\n    tags: Mapped[List[Tag]]\n    parent: Mapped[Post]\n    def greet(self):\n        return 1\n    @property\n    def upper(self):\n        return 2\nclass Post(Base):\n    __tablename__ = 'posts'\n    id = Column(Integer, primary_key=True)\nclass Tag(Base):\n    __tablename__ = 'tags'\n    id = Column(Integer, primary_key=True)\n",
        );
        let names: Vec<_> = s.tables[0]
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["id"]);
    }

    #[test]
    fn sqlmodel_fields_with_plain_defaults_are_columns() {
        let s = schema(
            "class Hero(SQLModel, table=True):\n    id: int | None = Field(default=None, primary_key=True)\n    power: str | None = None\n    rank: int = 0\n    team: Optional[Team] = Relationship(back_populates='heroes')\n",
        );
        let cols: Vec<_> = s.tables[0]
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.nullable))
            .collect();
        assert_eq!(cols, [("id", false), ("power", true), ("rank", false)]);
    }

    #[test]
    fn real_world_shapes() {
        // A base that says it maps no table (Superset's BaseDatasource).
        let s = schema(
            "class BaseDatasource(AuditMixin):\n    __tablename__: str | None = None\n    id = Column(Integer, primary_key=True)\nclass SqlaTable(BaseDatasource, Model):\n    __tablename__ = 'tables'\n    name = Column(String(250))\n",
        );
        let names: Vec<_> = s.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["tables"]);
        assert_eq!(s.tables[0].primary_key, ["id"]);
        // Imperative tables assigned to a class attribute (Galaxy), and an
        // f-string index name (MLflow).
        let s = schema(
            "class Job(Base):\n    pass\nJob.table = Table('job', metadata, Column('id', Integer, primary_key=True), Column('state', String(64)), Index(f'ix_{x}_state', 'state'))\nIndex('ix_job_id_state', Job.table.c.id, Job.table.c.state)\n",
        );
        let t = s.table("job").unwrap();
        assert_eq!(t.columns.len(), 2);
        let idx: Vec<_> = t.indexes.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            idx,
            [
                "index f\"ix_{x}_state\" (state)",
                "index ix_job_id_state (id, state)"
            ]
        );
    }

    #[test]
    fn broken_files_do_not_panic() {
        let s = schema("class User(Base:\n    __tablename__ = 'users'\n    id = Column(Integer\n");
        let _ = s.render();
        let s = schema(
            "class A(A):\n    x = Column(Integer)\nclass B(C):\n    pass\nclass C(B):\n    pass\n",
        );
        let _ = s.render();
    }
}
