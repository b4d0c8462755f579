//! What one revision file's `upgrade()` does to the schema, read
//! statically into [`Step`]s that [`super::apply`] replays.
//!
//! Column definitions (`sa.Column(...)` inside `op.create_table` and
//! `op.add_column`) are read by the model extractor itself, so that a
//! column means the same thing in a migration as in a model: the calls are
//! handed to [`crate::models::extract`] as a `Table(...)` of their own.
//! Whatever cannot be read (a name that is not a literal, raw DDL in
//! `op.execute`, a call to a helper defined elsewhere, a file that does not
//! parse) becomes [`Step::Unknown`] for the table it touches, or
//! [`Step::Opaque`] when nothing says which table that is.

use std::collections::HashMap;

use tree_sitter::Node;

use super::sql::{ddl_tables, dropped_indexes};
use crate::alembic::effect::{is_ddl, sql_of};
use crate::alembic::ops::{Op, ops_in};
use crate::models::canon::{Prefixes, canon_type};
use crate::models::extract::{CallReader, extract_source};
use crate::models::schema::{Column, Table};
use crate::python::{Module, Position, descendants};

/// One schema operation of a revision, with literal names.
#[derive(Clone, Debug)]
pub enum Step {
    CreateTable(Table),
    DropTable(String),
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: String,
    },
    AlterColumn {
        table: String,
        column: String,
        /// `type_=`: the new type as written (canonical text).
        type_: Option<String>,
        /// `nullable=True/False`.
        nullable: Option<bool>,
        new_name: Option<String>,
    },
    CreateIndex {
        table: String,
        name: Option<String>,
        columns: Vec<String>,
        unique: bool,
    },
    /// `drop_index(name)`: the table is not always given.
    DropIndex {
        table: Option<String>,
        name: String,
    },
    CreateUnique {
        table: String,
        name: Option<String>,
        columns: Vec<String>,
    },
    CreateForeignKey {
        table: String,
        name: Option<String>,
        columns: Vec<String>,
        /// `table.column` per local column.
        targets: Vec<String>,
    },
    DropConstraint {
        table: String,
        name: String,
    },
    /// Something happens to this table that cannot be read.
    Unknown(String),
    /// Column types change on tables nobody can name (`alter_column` on
    /// every DATETIME column a query finds): every type known so far is
    /// unknown from here on.
    ForgetTypes,
    /// Something happens that cannot be read, to tables nobody can name:
    /// the whole environment's head is unknown from here on.
    Opaque(String),
}

impl Step {
    /// The table a step needs to exist already (`None` for steps that
    /// create, drop or rename tables, or say nothing about one).
    pub fn existing_table(&self) -> Option<&str> {
        match self {
            Step::AddColumn { table, .. }
            | Step::DropColumn { table, .. }
            | Step::AlterColumn { table, .. }
            | Step::CreateIndex { table, .. }
            | Step::CreateUnique { table, .. }
            | Step::CreateForeignKey { table, .. }
            | Step::DropConstraint { table, .. } => Some(table),
            Step::DropIndex { table, .. } => table.as_deref(),
            _ => None,
        }
    }
}

/// Loop variables bound to the syntax of one iteration's values.
type Bindings<'m> = HashMap<String, Node<'m>>;

/// Calls inside `upgrade()` that are known not to change the schema.
const HARMLESS: &[&str] = &[
    "print",
    // sqlalchemy-searchable: triggers and functions, not tables.
    "sync_trigger",
    "drop_trigger",
    "setattr",
    "getattr",
    "len",
    "isinstance",
    "super",
    "sorted",
    "list",
    "dict",
    "set",
    "tuple",
    "get_bind",
    "get_context",
    "inspect",
    "text",
    "table",
    "column",
    "select",
    "update",
    "insert",
    "delete",
    "f",
    "bulk_insert",
    "info",
    "debug",
    "warning",
    "warn",
    "error",
    "exception",
    "echo",
    "commit",
    "flush",
    "add",
    "add_all",
    "close",
    "Session",
    "sessionmaker",
    "append",
    "extend",
    "format",
    "join",
    "set_major_version",
    "execution_options",
    // Builtins that end the run or compute values: none touches a table.
    "exit",
    "quit",
    "range",
    "enumerate",
    "zip",
    "str",
    "int",
    "bool",
    "any",
    "all",
    "min",
    "max",
    "map",
    "filter",
    "next",
    "iter",
    "hasattr",
    "repr",
    "input",
];

/// The steps of `upgrade()` in a migration's source; a file that does
/// not parse cleanly is one opaque step.
pub fn read(source: &[u8], path: &str) -> Vec<Step> {
    let Some(m) = Module::parse(source) else {
        return vec![Step::Opaque(format!("{path} cannot be parsed"))];
    };
    if m.has_errors() {
        return vec![Step::Opaque(format!("{path} has a syntax error"))];
    }
    let Some(upgrade) = m.function("upgrade") else {
        return Vec::new();
    };
    Reader::new(&m, path).read(upgrade)
}

struct Reader<'m> {
    m: &'m Module,
    path: &'m str,
    /// Reads `sa.Column(...)` and `create_table` calls as models are read.
    calls: CallReader<'m>,
    prefixes: Prefixes,
    /// Module-level functions by name (helpers `upgrade()` calls).
    functions: HashMap<String, Node<'m>>,
}

impl<'m> Reader<'m> {
    fn new(m: &'m Module, path: &'m str) -> Reader<'m> {
        let mut functions = HashMap::new();
        for stmt in m.module_statements() {
            let def = if stmt.kind() == "decorated_definition" {
                stmt.child_by_field_name("definition")
            } else {
                Some(stmt)
            };
            if let Some(def) = def
                && def.kind() == "function_definition"
                && let Some(name) = def.child_by_field_name("name")
            {
                functions.insert(m.text(name).to_string(), def);
            }
        }
        Reader {
            m,
            path,
            calls: CallReader::new(path, m),
            prefixes: Prefixes::of(m),
            functions,
        }
    }

    fn read(&self, upgrade: Node<'m>) -> Vec<Step> {
        let mut out = Vec::new();
        let mut seen = vec![upgrade.id()];
        let mut queue = vec![upgrade];
        // Helpers defined in the file that upgrade() calls are read too,
        // each once, in call order.
        let mut bodies = Vec::new();
        while let Some(f) = queue.pop() {
            bodies.push(f);
            // Called by name, or handed around (`for f in (fix_a, fix_b):
            // f(session)`).
            for n in descendants(f) {
                if n.kind() == "identifier"
                    && let Some(def) = self.functions.get(self.m.text(n))
                    && !seen.contains(&def.id())
                {
                    seen.push(def.id());
                    queue.push(*def);
                }
            }
        }
        for body in bodies {
            self.read_body(body, &mut out);
        }
        out
    }

    fn read_body(&self, f: Node<'m>, out: &mut Vec<Step>) {
        let m = self.m;
        let ops = ops_in(m, f);
        let calls: std::collections::BTreeMap<Position, Node<'m>> = descendants(f)
            .filter(|n| n.kind() == "call")
            .map(|n| (m.position(n), n))
            .collect();
        let mut op_calls = std::collections::HashSet::new();
        for op in &ops {
            let Some(node) = calls.get(&op.position).copied() else {
                continue;
            };
            op_calls.insert(node.id());
            self.step(op, node, out);
        }
        // Statement-level calls that are not operations: a helper from
        // elsewhere may do anything to the schema.
        for n in descendants(f) {
            if n.kind() != "expression_statement" {
                continue;
            }
            let Some(expr) = n.named_child(0) else {
                continue;
            };
            let expr = if expr.kind() == "await" {
                expr.named_child(0).unwrap_or(expr)
            } else {
                expr
            };
            let Some(call) = m.call(expr) else { continue };
            if op_calls.contains(&expr.id()) {
                continue;
            }
            let short = method_name(m, call.function);
            if short == "execute" || short == "exec_driver_sql" {
                // conn.execute(...) outside `op`: the same as op.execute.
                self.execute(call.positional.first().copied(), out);
                continue;
            }
            if !self.may_change_schema(&call, short) {
                continue;
            }
            out.push(Step::Opaque(format!(
                "{}:{}: `{}` is not an operation dbguard can read",
                self.path,
                m.position(expr).line,
                m.text(call.function)
            )));
        }
    }

    fn step(&self, op: &Op, node: Node<'m>, out: &mut Vec<Step>) {
        self.step_in(op, node, &Bindings::new(), out);
    }

    /// [`Reader::step`] with the loop variables of one iteration bound.
    fn step_in(&self, op: &Op, node: Node<'m>, bound: &Bindings<'m>, out: &mut Vec<Step>) {
        let m = self.m;
        let call = match m.call(node) {
            Some(c) => c,
            None => return,
        };
        if op.table.is_none()
            && bound.is_empty()
            && !matches!(op.name.as_str(), "execute" | "bulk_insert" | "rename_table")
            && let Some((arg, iterations)) = self
                .table_arg(op, &call, node)
                .and_then(|a| self.loop_bindings(a).map(|b| (a, b)))
        {
            // `for t in ("a", "b"): op.drop_column(t, "x")`: once per name,
            // with the other loop variables of the iteration bound.
            let name = m.text(arg);
            for b in iterations {
                let Some(v) = b.get(name).and_then(|n| m.string_value(*n)) else {
                    out.push(Step::Opaque(format!(
                        "{}:{}: a loop over table names that are not literals",
                        self.path, op.position.line
                    )));
                    return;
                };
                let mut one = op.clone();
                one.table = Some(v);
                let literal = |i: usize| {
                    call.positional
                        .get(i)
                        .and_then(|a| b.get(m.text(*a)))
                        .and_then(|n| m.string_value(*n))
                };
                if one.constraint.is_none()
                    && matches!(one.name.as_str(), "create_index" | "drop_index")
                {
                    one.constraint = literal(0);
                }
                if one.column.is_none()
                    && matches!(one.name.as_str(), "drop_column" | "alter_column")
                {
                    one.column = literal(1);
                }
                self.step_in(&one, node, &b, out);
            }
            return;
        }
        let schema = call
            .keyword("schema")
            .and_then(|s| m.string_value(s))
            .or_else(|| op.batch.then(|| self.batch_schema(node)).flatten());
        let q = |t: &str| match &schema {
            Some(s) => format!("{s}.{t}"),
            None => t.to_string(),
        };
        let table = op.table.as_deref().map(q);
        let unreadable = |what: &str| {
            Step::Opaque(format!(
                "{}:{}: the {what} of `{}` is not a literal",
                self.path, op.position.line, op.name
            ))
        };
        match op.name.as_str() {
            "create_table" => {
                let Some(table) = table else {
                    out.push(unreadable("table name"));
                    return;
                };
                let readable = call.positional.iter().skip(1).all(|a| a.kind() == "call");
                match self.calls.table(node) {
                    Some(mut t) if readable => {
                        t.name = table;
                        out.push(Step::CreateTable(t));
                    }
                    _ => out.push(Step::Unknown(table)),
                }
            }
            "drop_table" => match table {
                Some(t) => out.push(Step::DropTable(t)),
                None => out.push(unreadable("table name")),
            },
            "rename_table" => match (table, op.new_name.as_deref().map(q)) {
                (Some(from), Some(to)) => out.push(Step::RenameTable { from, to }),
                _ => out.push(unreadable("table name")),
            },
            "add_column" => {
                let Some(table) = table else {
                    out.push(unreadable("table name"));
                    return;
                };
                let col = if op.batch {
                    call.positional.first()
                } else {
                    call.positional.get(1)
                }
                .copied()
                .or(call.keyword("column"))
                .map(|c| bound.get(m.text(c)).copied().unwrap_or(c));
                if op.column.is_none()
                    && let Some(c) = col.filter(|c| bound.values().any(|v| v.id() == c.id()))
                    && let Some(column) = self.calls.column(c)
                {
                    // A helper's `column` parameter bound to the
                    // `sa.Column(...)` its caller passes.
                    out.push(Step::AddColumn { table, column });
                    return;
                }
                if op.column.is_none()
                    && let Some(columns) = col.and_then(|c| self.columns_named_by_loop(c, bound))
                {
                    for column in columns {
                        out.push(Step::AddColumn {
                            table: table.clone(),
                            column,
                        });
                    }
                    return;
                }
                match col
                    .filter(|_| op.column.is_some())
                    .and_then(|c| self.calls.column(c))
                {
                    Some(column) => out.push(Step::AddColumn { table, column }),
                    None => out.push(Step::Unknown(table)),
                }
            }
            "drop_column" => match (table, &op.column) {
                (Some(table), Some(c)) => out.push(Step::DropColumn {
                    table,
                    column: c.clone(),
                }),
                (Some(t), None) => out.push(Step::Unknown(t)),
                _ => out.push(unreadable("table name")),
            },
            "alter_column" => match (table, &op.column) {
                (Some(table), Some(c)) => {
                    let nullable = match call.keyword("nullable").map(|n| n.kind()) {
                        Some("true") => Some(Some(true)),
                        Some("false") => Some(Some(false)),
                        Some(_) => Some(None),
                        None => None,
                    };
                    let new_name_unreadable =
                        call.keyword("new_column_name").is_some() && op.new_name.is_none();
                    if nullable == Some(None) || new_name_unreadable {
                        out.push(Step::Unknown(table));
                        return;
                    }
                    out.push(Step::AlterColumn {
                        table,
                        column: c.clone(),
                        type_: call
                            .keyword("type_")
                            .map(|t| canon_type(m, t, &self.prefixes)),
                        nullable: nullable.flatten(),
                        new_name: op.new_name.clone(),
                    })
                }
                (Some(t), None) => out.push(Step::Unknown(t)),
                (None, _)
                    if call.keyword("type_").is_some()
                        && call.keyword("nullable").is_none()
                        && call.keyword("new_column_name").is_none() =>
                {
                    out.push(Step::ForgetTypes)
                }
                _ => out.push(unreadable("table name")),
            },
            "create_index" => {
                let Some(table) = table else {
                    out.push(unreadable("table name"));
                    return;
                };
                let list = if op.batch {
                    call.positional.get(1)
                } else {
                    call.positional.get(2)
                }
                .copied()
                .or(call.keyword("columns"))
                .map(|l| bound.get(m.text(l)).copied().unwrap_or(l));
                match list {
                    Some(l) if matches!(l.kind(), "list" | "tuple") => {
                        if let Some(columns) = literal_list(m, l) {
                            out.push(Step::CreateIndex {
                                table,
                                name: op.constraint.clone(),
                                columns,
                                unique: call.keyword("unique").is_some_and(|u| u.kind() == "true"),
                            })
                        }
                        // Expressions (`sa.text("lower(email)")`) are not compared.
                    }
                    _ => out.push(Step::Unknown(table)),
                }
            }
            "drop_index" => match &op.constraint {
                Some(name) => out.push(Step::DropIndex {
                    table,
                    name: name.clone(),
                }),
                None => match table {
                    Some(t) => out.push(Step::Unknown(t)),
                    None => out.push(unreadable("index name")),
                },
            },
            "create_unique_constraint" => match table {
                Some(table) if op.columns.is_empty() => out.push(Step::Unknown(table)),
                Some(table) => out.push(Step::CreateUnique {
                    table,
                    name: op.constraint.clone(),
                    columns: op.columns.clone(),
                }),
                None => out.push(unreadable("table name")),
            },
            "create_foreign_key" => {
                let Some(table) = table else {
                    out.push(unreadable("table name"));
                    return;
                };
                let shift = usize::from(op.batch);
                let referent = call
                    .positional
                    .get(2 - shift)
                    .copied()
                    .or(call.keyword("referent_table"))
                    .and_then(|n| m.string_value(n));
                let remote = call
                    .positional
                    .get(4 - shift)
                    .copied()
                    .or(call.keyword("remote_cols"))
                    .and_then(|l| literal_list(m, l));
                let referent_schema = call
                    .keyword("referent_schema")
                    .and_then(|s| m.string_value(s));
                match (referent, remote) {
                    (Some(r), Some(remote))
                        if !op.columns.is_empty() && remote.len() == op.columns.len() =>
                    {
                        let r = match referent_schema {
                            Some(s) => format!("{s}.{r}"),
                            None => r,
                        };
                        out.push(Step::CreateForeignKey {
                            table,
                            name: op.constraint.clone(),
                            columns: op.columns.clone(),
                            targets: remote.iter().map(|c| format!("{r}.{c}")).collect(),
                        });
                    }
                    _ => out.push(Step::Unknown(table)),
                }
            }
            "drop_constraint" => match (table, &op.constraint) {
                (Some(table), Some(name)) => out.push(Step::DropConstraint {
                    table,
                    name: name.clone(),
                }),
                (Some(t), None) => out.push(Step::Unknown(t)),
                _ => out.push(unreadable("table name")),
            },
            "create_primary_key"
            | "create_check_constraint"
            | "create_exclude_constraint"
            | "create_table_comment"
            | "drop_table_comment"
            | "bulk_insert" => {}
            "execute" => {
                self.execute(
                    call.positional.first().copied().or(call.keyword("sqltext")),
                    out,
                );
            }
            _ => {}
        }
    }

    /// Whether a statement-level call that is not an operation may change
    /// the schema: a function from elsewhere called by name (a helper
    /// that runs operations), one handed `op`, or SQLAlchemy's
    /// `create_all`/`drop_all`/`create`/`drop`. Methods of other objects
    /// (sessions, lists, loggers) do not.
    fn may_change_schema(&self, call: &crate::python::Call<'m>, short: &str) -> bool {
        let m = self.m;
        if call.function.kind() == "identifier" {
            if self.functions.contains_key(short) || HARMLESS.contains(&short) {
                return false;
            }
            // A loop variable over helpers of this file, read as helpers.
            let helpers = self.loop_bindings(call.function).is_some_and(|iterations| {
                iterations.iter().all(|b| {
                    b.get(short).is_some_and(|v| {
                        v.kind() == "identifier" && self.functions.contains_key(m.text(*v))
                    })
                })
            });
            return !helpers;
        }
        let hands_op = call
            .positional
            .iter()
            .any(|a| matches!(m.text(*a), "op" | "batch_op"));
        if matches!(short, "create" | "drop") && self.is_enum_type(call.function) {
            // `status_enum.create(op.get_bind())`: a PostgreSQL type, no table.
            return hands_op;
        }
        hands_op || matches!(short, "create_all" | "drop_all" | "create" | "drop")
    }

    /// Whether `x.create`/`x.drop` is called on an enum type: `x` is
    /// `sa.Enum(...)`/`postgresql.ENUM(...)`, or a name assigned one in the
    /// function or at module level.
    fn is_enum_type(&self, function: Node<'m>) -> bool {
        let m = self.m;
        let Some(mut object) = function.child_by_field_name("object") else {
            return false;
        };
        if object.kind() == "identifier" {
            let name = m.text(object);
            let module_value = || {
                m.module_statements().into_iter().find_map(|stmt| {
                    m.assignment(stmt)
                        .filter(|a| a.name == name)
                        .and_then(|a| a.value)
                })
            };
            match self.local_value(object).or_else(module_value) {
                Some(v) => object = v,
                None => return false,
            }
        }
        m.call(object)
            .is_some_and(|c| matches!(c.short_name(), Some("Enum" | "ENUM")))
    }

    /// The node that names an operation's table.
    fn table_arg(
        &self,
        op: &Op,
        call: &crate::python::Call<'m>,
        node: Node<'m>,
    ) -> Option<Node<'m>> {
        if op.batch {
            let mut cur = node;
            while let Some(p) = cur.parent() {
                if p.kind() == "with_statement" {
                    for d in descendants(p) {
                        if let Some(c) = self.m.call(d)
                            && c.short_name() == Some("batch_alter_table")
                        {
                            return c.positional.first().copied().or(c.keyword("table_name"));
                        }
                    }
                }
                cur = p;
            }
            return None;
        }
        let i = match op.name.as_str() {
            "create_index"
            | "drop_index"
            | "create_unique_constraint"
            | "create_foreign_key"
            | "drop_constraint" => 1,
            _ => 0,
        };
        call.positional
            .get(i)
            .copied()
            .or(call.keyword("table_name"))
            .or(call.keyword("source_table"))
    }

    /// `sa.Column(name, ...)` whose name is a loop variable (`for column
    /// in _columns: op.add_column("package", sa.Column(column, ...))`):
    /// one column per value, read as the model extractor reads columns.
    /// `None` when the name is not a loop variable over literals.
    fn columns_named_by_loop(
        &self,
        col: Node<'m>,
        bound: &Bindings<'m>,
    ) -> Option<Vec<crate::models::schema::Column>> {
        let m = self.m;
        let call = m.call(col)?;
        let name = *call.positional.first()?;
        if name.kind() != "identifier" {
            return None;
        }
        let values: Vec<Node<'m>> = match bound.get(m.text(name)) {
            Some(v) => vec![*v],
            None => self
                .loop_bindings(name)?
                .into_iter()
                .map(|b| b.get(m.text(name)).copied())
                .collect::<Option<Vec<_>>>()?,
        };
        let mut imports = String::new();
        for stmt in m.module_statements() {
            if matches!(stmt.kind(), "import_statement" | "import_from_statement") {
                imports.push_str(m.text(stmt));
                imports.push('\n');
            }
        }
        let text = m.text(col);
        let (start, end) = (
            name.start_byte() - col.start_byte(),
            name.end_byte() - col.start_byte(),
        );
        let mut out = Vec::new();
        for v in values {
            let literal = m.string_value(v)?;
            let column = format!("{}{literal:?}{}", &text[..start], &text[end..]);
            let src = format!("{imports}_t = Table(\"__dbguard_column\", {column})\n");
            let schema = extract_source(self.path, src.as_bytes())?;
            out.push(schema.table("__dbguard_column")?.columns.first()?.clone());
        }
        Some(out)
    }

    /// The values a name takes, one binding of the loop variables per
    /// iteration: `for t in ("a", "b"):` around `arg`, a loop over a
    /// module-level list (of literals, or of tuples: `for t, c in KEYS:`),
    /// or a module-level constant.
    fn loop_bindings(&self, arg: Node<'m>) -> Option<Vec<Bindings<'m>>> {
        self.bindings_of(arg, true)
    }

    /// [`Reader::loop_bindings`]; `params`: also a helper's parameter
    /// (one level: what the callers pass must be literals or their loops').
    fn bindings_of(&self, arg: Node<'m>, params: bool) -> Option<Vec<Bindings<'m>>> {
        let m = self.m;
        if arg.kind() != "identifier" {
            return None;
        }
        let name = m.text(arg);
        let module_value = |target: &str| {
            m.module_statements().into_iter().find_map(|stmt| {
                m.assignment(stmt)
                    .filter(|a| a.name == target)
                    .and_then(|a| a.value)
            })
        };
        let mut cur = arg;
        while let Some(p) = cur.parent() {
            cur = p;
            if p.kind() != "for_statement" {
                continue;
            }
            let Some(left) = p.child_by_field_name("left") else {
                continue;
            };
            let names: Vec<&str> = if left.kind() == "identifier" {
                vec![m.text(left)]
            } else if matches!(left.kind(), "pattern_list" | "tuple_pattern") {
                crate::python::named_children(left)
                    .into_iter()
                    .map(|n| m.text(n))
                    .collect()
            } else {
                continue;
            };
            if !names.contains(&name) {
                continue;
            }
            let mut right = p.child_by_field_name("right")?;
            if right.kind() == "identifier" {
                right = module_value(m.text(right))?;
            }
            if !matches!(right.kind(), "list" | "tuple") {
                return None;
            }
            return crate::python::named_children(right)
                .into_iter()
                .filter(|n| n.kind() != "comment")
                .map(|item| {
                    if names.len() == 1 {
                        return Some(Bindings::from([(names[0].to_string(), item)]));
                    }
                    let parts: Vec<Node<'m>> = crate::python::named_children(item)
                        .into_iter()
                        .filter(|n| n.kind() != "comment")
                        .collect();
                    (matches!(item.kind(), "tuple" | "list") && parts.len() == names.len()).then(
                        || {
                            names
                                .iter()
                                .map(|n| n.to_string())
                                .zip(parts)
                                .collect::<Bindings<'m>>()
                        },
                    )
                })
                .collect();
        }
        // A module-level constant: `table = "harvested_document"`.
        if let Some(v) = module_value(name).filter(|v| m.string_value(*v).is_some()) {
            return Some(vec![Bindings::from([(name.to_string(), v)])]);
        }
        if !params {
            return None;
        }
        self.parameter_bindings(arg)
    }

    /// The values a parameter of a helper in this file takes, one binding
    /// of all its parameters per call (`def add_if_exists(table, column):
    /// op.add_column(table, column)` called as `add_if_exists("users",
    /// sa.Column(...))`, or inside `for t in TABLES:`). `None` when the name
    /// is no parameter, the helper is never called, or a call passes what
    /// is not a literal or a loop variable over literals.
    fn parameter_bindings(&self, arg: Node<'m>) -> Option<Vec<Bindings<'m>>> {
        let m = self.m;
        let name = m.text(arg);
        let mut def = arg.parent()?;
        while def.kind() != "function_definition" {
            def = def.parent()?;
        }
        let helper = m.text(def.child_by_field_name("name")?);
        let params: Vec<&str> =
            crate::python::named_children(def.child_by_field_name("parameters")?)
                .into_iter()
                .map(|p| match p.kind() {
                    "identifier" => Some(m.text(p)),
                    "default_parameter" | "typed_parameter" | "typed_default_parameter" => p
                        .child_by_field_name("name")
                        .or_else(|| p.named_child(0))
                        .map(|n| m.text(n)),
                    _ => None,
                })
                .collect::<Option<_>>()?;
        let index = params.iter().position(|p| *p == name)?;
        if self.functions.get(helper).map(|d| d.id()) != Some(def.id()) {
            return None;
        }
        let root = m.root();
        let mut out = Vec::new();
        for n in descendants(root) {
            let Some(call) = m.call(n) else { continue };
            if call.function.kind() != "identifier" || m.text(call.function) != helper {
                continue;
            }
            let passed = |i: usize, p: &str| call.positional.get(i).copied().or(call.keyword(p));
            let value = passed(index, name)?;
            // Each value of the table argument: a literal, or each
            // iteration of the caller's loop over literals.
            let iterations = if m.string_value(value).is_some() {
                vec![Bindings::new()]
            } else {
                self.bindings_of(value, false)?
            };
            for iteration in iterations {
                let mut b = Bindings::new();
                for (i, p) in params.iter().enumerate() {
                    if let Some(v) = passed(i, p) {
                        let v = iteration.get(m.text(v)).copied().unwrap_or(v);
                        b.insert(p.to_string(), v);
                    }
                }
                out.push(b);
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// Every SQL text an `execute` argument can hold: through `text()`,
    /// `dedent()`, `.strip()`/`.bindparams()`, and names assigned in the
    /// function before the call (each branch's value). `None` when one of
    /// them is not a string.
    fn texts_of(&self, arg: Node<'m>, depth: usize) -> Option<Vec<String>> {
        let m = self.m;
        if depth > 4 {
            return None;
        }
        if arg.kind() == "parenthesized_expression" {
            return self.texts_of(arg.named_child(0)?, depth + 1);
        }
        if arg.kind() == "identifier" {
            let name = m.text(arg);
            let mut f = arg;
            while f.kind() != "function_definition" {
                f = f.parent()?;
            }
            let values: Vec<Node<'m>> = descendants(f)
                .filter(|n| n.kind() == "assignment" && n.end_byte() <= arg.start_byte())
                .filter(|n| {
                    n.child_by_field_name("left")
                        .is_some_and(|l| m.text(l) == name)
                })
                .filter_map(|n| n.child_by_field_name("right"))
                .collect();
            if values.is_empty() {
                return None;
            }
            let mut out = Vec::new();
            for v in values {
                out.extend(self.texts_of(v, depth + 1)?);
            }
            return Some(out);
        }
        if let Some(call) = m.call(arg) {
            let inner = match call.function.kind() {
                "identifier" | "attribute"
                    if matches!(call.short_name(), Some("text" | "dedent")) =>
                {
                    call.positional.first().copied()
                }
                "attribute"
                    if matches!(
                        method_name(m, call.function),
                        "strip" | "bindparams" | "columns" | "execution_options"
                    ) =>
                {
                    call.function.child_by_field_name("object")
                }
                _ => None,
            };
            return self.texts_of(inner?, depth + 1);
        }
        sql_of(m, arg).map(|s| vec![s])
    }

    /// The value last assigned to the name `ident` before it, in the
    /// function around it.
    fn local_value(&self, ident: Node<'m>) -> Option<Node<'m>> {
        let m = self.m;
        let name = m.text(ident);
        let mut f = ident;
        while f.kind() != "function_definition" {
            f = f.parent()?;
        }
        descendants(f)
            .filter(|n| n.kind() == "assignment" && n.end_byte() <= ident.start_byte())
            .filter(|n| {
                n.child_by_field_name("left")
                    .is_some_and(|l| m.text(l) == name)
            })
            .last()
            .and_then(|n| n.child_by_field_name("right"))
    }

    /// The `schema=` of the `batch_alter_table` around `node`.
    fn batch_schema(&self, node: Node<'m>) -> Option<String> {
        let mut cur = node;
        while let Some(p) = cur.parent() {
            if p.kind() == "with_statement" {
                for d in descendants(p) {
                    if let Some(c) = self.m.call(d)
                        && c.short_name() == Some("batch_alter_table")
                    {
                        return c.keyword("schema").and_then(|s| self.m.string_value(s));
                    }
                }
            }
            cur = p;
        }
        None
    }

    /// `op.execute(arg)` (or a connection's): data statements change
    /// nothing; DDL makes the tables it names unknown, or everything when
    /// it names no table that can be found.
    fn execute(&self, arg: Option<Node<'m>>, out: &mut Vec<Step>) {
        let m = self.m;
        let Some(mut arg) = arg else { return };
        if arg.kind() == "identifier"
            && imported_from(m, m.text(arg)).is_some_and(|from| {
                from == "sqlalchemy_searchable" || from.starts_with("sqlalchemy_searchable.")
            })
        {
            // sqlalchemy-searchable's `sql_expressions`: the functions its
            // search triggers call, no table.
            return;
        }
        if arg.kind() == "identifier"
            && let Some(value) = self.local_value(arg)
        {
            // `sql = text("..."); conn.execute(sql)`.
            arg = value;
        }
        let sql = sql_of(m, arg).or_else(|| {
            // `text(query)` with `query = dedent("""...""")` in each branch.
            self.texts_of(arg, 0).map(|texts| texts.join(";\n"))
        });
        let Some(sql) = sql else {
            // A SQLAlchemy construct: `table.update().values(...)`,
            // `sa.insert(...)`, `select(...)`.
            let dml = descendants(arg).any(|n| {
                m.call(n).is_some_and(|c| {
                    matches!(
                        method_name(m, c.function),
                        "update"
                            | "insert"
                            | "delete"
                            | "select"
                            | "values"
                            | "where"
                            // DDL that touches no table.
                            | "CreateSequence"
                            | "DropSequence"
                            | "CreateSchema"
                            | "DropSchema"
                    )
                })
            });
            if dml {
                return;
            }
            out.push(Step::Opaque(format!(
                "{}:{}: `execute` runs something dbguard cannot read",
                self.path,
                m.position(arg).line
            )));
            return;
        };
        if !is_ddl(&sql) {
            return;
        }
        for name in dropped_indexes(&sql) {
            out.push(Step::DropIndex { table: None, name });
        }
        let tables = ddl_tables(&sql);
        let upper = sql.to_ascii_uppercase();
        if tables.is_empty() && upper.contains("TABLE") {
            out.push(Step::Opaque(format!(
                "{}:{}: raw DDL on a table dbguard cannot name",
                self.path,
                m.position(arg).line
            )));
        }
        for t in tables {
            out.push(Step::Unknown(t));
        }
    }
}

/// The module a name is imported from at module level (`from M import
/// name`, or `... import x as name`).
fn imported_from<'m>(m: &'m Module, name: &str) -> Option<&'m str> {
    m.module_statements().into_iter().find_map(|stmt| {
        if stmt.kind() != "import_from_statement" {
            return None;
        }
        let module = stmt.child_by_field_name("module_name")?;
        let mut cursor = stmt.walk();
        let imports = stmt.children_by_field_name("name", &mut cursor).any(|n| {
            let local = match n.kind() {
                "aliased_import" => n.child_by_field_name("alias"),
                _ => Some(n),
            };
            local.is_some_and(|l| m.text(l) == name)
        });
        imports.then(|| m.text(module))
    })
}

/// The called name: `values` of `t.update().values(...)`, `f` of `f(...)`.
fn method_name<'m>(m: &'m Module, function: Node<'m>) -> &'m str {
    match function.kind() {
        "attribute" => function
            .child_by_field_name("attribute")
            .map_or("", |a| m.text(a)),
        "identifier" => m.text(function),
        _ => "",
    }
}

/// A list or tuple of string literals.
pub(super) fn literal_list(m: &Module, node: Node<'_>) -> Option<Vec<String>> {
    if !matches!(node.kind(), "list" | "tuple") {
        return None;
    }
    crate::python::named_children(node)
        .into_iter()
        .filter(|n| n.kind() != "comment")
        .map(|n| m.string_value(n))
        .collect()
}

#[cfg(test)]
#[path = "steps_tests.rs"]
mod tests;
