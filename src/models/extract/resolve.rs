//! Classes resolved across files: what each maps to (its own table,
//! single-table inheritance, or nothing), its table name, its table args,
//! and the columns it gathers from mixins and abstract bases.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::classes::{ClassDef, Scan, TableNameSpec};
use super::columns::BuiltColumn;
use super::syntax::*;

/// What a class maps to.
#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// Its own table.
    Table { name: String, unknown: bool },
    /// Single-table inheritance: its columns go to the table of class
    /// `root`.
    Sti { root: usize },
    /// A mixin, an abstract base, the declarative base, or not a model.
    NonTable,
}

pub(super) struct Resolver<'m> {
    /// The model files, then the files read only for the types they
    /// define (see [`super::extract_with`]).
    pub(super) scans: Vec<Scan<'m>>,
    /// How many of [`Resolver::scans`] are model files.
    pub(super) models: usize,
    pub(super) classes: Vec<ClassDef<'m>>,
    pub(super) by_name: HashMap<String, Vec<usize>>,
    pub(super) kinds: Vec<Option<Kind>>,
    pub(super) in_progress: Vec<bool>,
    /// Classes used as a base by a class with its own explicit table.
    pub(super) base_of_explicit: HashSet<usize>,
    /// `(scan, variable)` -> table name of module-level `x = Table(...)`.
    pub(super) table_vars: HashMap<(usize, String), String>,
    /// The parameter bindings of the column helper being read (see
    /// [`Resolver::helper_column`]).
    pub(super) bindings: RefCell<Vec<(String, String)>>,
}

impl<'m> Resolver<'m> {
    pub(super) fn new(scans: Vec<Scan<'m>>, models: usize, classes: Vec<ClassDef<'m>>) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in classes.iter().enumerate() {
            by_name.entry(c.name.clone()).or_default().push(i);
        }
        let n = classes.len();
        let mut r = Resolver {
            scans,
            models,
            classes,
            by_name,
            kinds: vec![None; n],
            in_progress: vec![false; n],
            base_of_explicit: HashSet::new(),
            table_vars: HashMap::new(),
            bindings: RefCell::new(Vec::new()),
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
        for (si, scan) in r.scans.iter().enumerate().take(models) {
            for (target, v) in scan.table_calls.iter() {
                if let Some(target) = target.clone()
                    && let Some((n, call)) = scan.short_call(*v)
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
    pub(super) fn bases(&self, i: usize) -> Vec<usize> {
        let c = &self.classes[i];
        c.bases
            .iter()
            .filter_map(|b| self.lookup(c.scan, last(b), i))
            .collect()
    }

    /// A class by name, preferring the same file; never `not_self`.
    pub(super) fn lookup(&self, scan: usize, name: &str, not_self: usize) -> Option<usize> {
        let candidates = self.by_name.get(name)?;
        candidates
            .iter()
            .copied()
            .filter(|&j| j != not_self)
            .find(|&j| self.classes[j].scan == scan)
            .or_else(|| candidates.iter().copied().find(|&j| j != not_self))
    }

    pub(super) fn is_sqlmodel(&self, i: usize, depth: usize) -> bool {
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

    pub(super) fn kind(&mut self, i: usize) -> Kind {
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

    pub(super) fn compute_kind(&mut self, i: usize) -> Kind {
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
        // Mapped imperatively to a `Table` of its file (ckan's
        // `registry.map_imperatively(TaskStatus, task_status_table)`): its
        // annotations are for type checkers, the table is the `Table`.
        if self.scans[scan].imperative.contains(&class_name) {
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
            if !matches!(spec, TableNameSpec::Literal(_)) && self.base_of_explicit.contains(&i) {
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
        // Flask-SQLAlchemy names a subclass's own table when the subclass
        // declares a primary key (joined-table inheritance, CTFd's
        // `DynamicChallenge(Challenges)`); without one it is single-table.
        if bases
            .iter()
            .any(|&b| !matches!(self.kind(b), Kind::NonTable))
            && self.is_flask_model(i, 0)
            && self.has_primary_key(i)
        {
            return Kind::Table {
                name: camel_to_snake(&class_name),
                unknown: false,
            };
        }
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

    pub(super) fn named(&self, i: usize, spec: &TableNameSpec<'m>) -> Kind {
        let class_name = &self.classes[i].name;
        let (name, unknown) = match spec {
            TableNameSpec::Literal(s) => (s.clone(), false),
            TableNameSpec::Computed { scan, node } => {
                match self.eval_str(*scan, *node, &[], Some(class_name), 0) {
                    Some(n) => (n, false),
                    None => (class_name.clone(), true),
                }
            }
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
    pub(super) fn inherited_tablename(
        &mut self,
        i: usize,
        depth: usize,
    ) -> Option<TableNameSpec<'m>> {
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
    pub(super) fn is_flask_model(&self, i: usize, depth: usize) -> bool {
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

    pub(super) fn has_primary_key(&mut self, i: usize) -> bool {
        let cols = self.columns_of(i);
        cols.iter().any(|c| c.column.primary_key)
    }

    /// The `schema` key of the table args class `i` uses.
    pub(super) fn schema_of(&self, i: usize) -> Option<String> {
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
    pub(super) fn table_args_of(&self, i: usize, depth: usize) -> Option<(usize, Node<'m>)> {
        let c = &self.classes[i];
        if let Some(t) = c.table_args {
            // `__table_args__ = auto_table_args()`: what it returns.
            return Some(self.helper_table_args(c.scan, t).unwrap_or((c.scan, t)));
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
    pub(super) fn columns_of(&mut self, i: usize) -> Vec<BuiltColumn> {
        let mut out: Vec<BuiltColumn> = Vec::new();
        let mut visited = HashSet::new();
        let sqlmodel = self.is_sqlmodel(i, 0);
        self.collect_columns(i, sqlmodel, &mut out, &mut visited, 0);
        out
    }

    pub(super) fn collect_columns(
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
}

/// Flask-SQLAlchemy's table name for a model class:
/// `camel_to_snake_case` (`UserRole` -> `user_role`, `HTTPLog` ->
/// `http_log`).
pub(super) fn camel_to_snake(name: &str) -> String {
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
