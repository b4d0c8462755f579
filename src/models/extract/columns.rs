//! Columns from `Column(...)`, `mapped_column(...)`, bare `Mapped[...]`
//! annotations and SQLModel fields: name, type, nullability, keys,
//! defaults and column-level foreign keys.

use tree_sitter::Node;

use super::annotations::AnnotationInfo;
use super::classes::{Member, TableNameSpec};
use super::resolve::{Kind, Resolver};
use super::syntax::*;
use crate::models::canon::canon;
use crate::models::schema::{Column, ForeignKey, Loc};
use crate::python::named_children;

/// `Field(max_length=..., max_digits=..., decimal_places=...)`, which
/// SQLModel turns into type arguments.
#[derive(Default)]
pub(super) struct FieldSizes {
    pub(super) max_length: Option<String>,
    pub(super) max_digits: Option<String>,
    pub(super) decimal_places: Option<String>,
}

/// Column properties as written, before SQLAlchemy's defaults apply.
#[derive(Default)]
pub(super) struct ColumnSpec {
    pub(super) name: Option<String>,
    pub(super) type_: Option<String>,
    pub(super) nullable: Option<bool>,
    pub(super) primary_key: Option<bool>,
    pub(super) unique: Option<bool>,
    pub(super) index: Option<bool>,
    pub(super) server_default: Option<String>,
    pub(super) default: Option<String>,
    pub(super) foreign_keys: Vec<ForeignKey>,
    pub(super) extras: Vec<String>,
}

/// A built column and whether its nullability was written explicitly (a
/// `PrimaryKeyConstraint` makes the others NOT NULL).
pub(super) struct BuiltColumn {
    pub(super) column: Column,
    pub(super) nullable_explicit: bool,
}

impl<'m> Resolver<'m> {
    pub(super) fn member_column(
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
            Member::Call {
                attr,
                call,
                annotation,
                at,
            } => self.helper_column(scan, attr, *call, *annotation, *at),
            Member::BareMapped {
                attr,
                annotation,
                at,
            } => {
                let info = self.annotation(scan, *annotation);
                if self.is_relationship_type(info.scan, info.inner) {
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
    pub(super) fn column(
        &self,
        scan: usize,
        attr: Option<&str>,
        call_node: Node<'m>,
        annotation: Option<Node<'m>>,
        at: Node<'m>,
    ) -> Option<BuiltColumn> {
        let s = &self.scans[scan];
        let n = s.call_name(call_node)?;
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

    pub(super) fn mapped_column(
        &self,
        scan: usize,
        attr: &str,
        call: Option<Node<'m>>,
        info: AnnotationInfo<'m>,
        at: Node<'m>,
    ) -> Option<BuiltColumn> {
        let s = &self.scans[scan];
        let mut spec = ColumnSpec::default();
        if let Some((ds, d)) = info.defaults {
            self.apply_column_call(ds, &mut spec, d);
        }
        if let Some(c) = call {
            self.apply_column_call(scan, &mut spec, c);
        }
        if spec.type_.is_none()
            && let Some(inner) = info.inner
        {
            spec.type_ = Some(self.python_type(info.scan, inner, false, None));
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
    pub(super) fn field(
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
        if self.is_relationship_type(info.scan, info.inner) {
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
                    "sa_type" => spec.type_ = Some(self.type_text(scan, *v)),
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
            spec.type_ = Some(self.python_type(info.scan, inner, true, Some(sizes)));
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

    pub(super) fn apply_column_call(
        &self,
        scan: usize,
        spec: &mut ColumnSpec,
        call_node: Node<'m>,
    ) {
        let s = &self.scans[scan];
        let Some(call) = s.m.call(call_node) else {
            return;
        };
        if let Some((ps, partial)) = self.column_partial(scan, call.function) {
            // `Column = functools.partial(db.Column, nullable=False)`: its
            // arguments first, the call's own over them.
            let pm = self.scans[ps].m;
            if let Some(p) = pm.call(partial) {
                for arg in p.positional.iter().skip(1) {
                    self.apply_column_positional(ps, spec, *arg, true);
                }
                for (k, v) in &p.keywords {
                    self.apply_column_keyword(ps, spec, k, *v);
                }
            }
        }
        for (i, arg) in call.positional.iter().enumerate() {
            if matches!(arg.kind(), "list_splat" | "dictionary_splat") {
                // `**kwargs` passed through a helper: nothing known.
                continue;
            }
            if i == 0
                && let Some(name) = s.m.string_value(*arg)
            {
                spec.name = Some(name);
                continue;
            }
            if i == 0 && arg.kind() == "string" {
                // An f-string name, known while a loop or helper binds it.
                spec.name = self.bound_string(scan, *arg);
                continue;
            }
            self.apply_column_positional(scan, spec, *arg, true);
        }
        for (k, v) in &call.keywords {
            self.apply_column_keyword(scan, spec, k, *v);
        }
    }

    /// The `functools.partial(Column, ...)` call a column call's name is
    /// bound to at module level (in this file or one it imports from),
    /// with its file.
    fn column_partial(&self, scan: usize, function: Node<'m>) -> Option<(usize, Node<'m>)> {
        let m = self.scans[scan].m;
        if function.kind() != "identifier" {
            return None;
        }
        let (ps, value) = self.type_var(scan, m.text(function))?;
        let (name, call) = self.scans[ps].short_call(value)?;
        let wrapped = call.positional.first()?;
        let target = self.scans[ps].m.dotted_name(*wrapped)?;
        (name == "partial" && COLUMN_CALLS.contains(&last(&target))).then_some((ps, value))
    }

    pub(super) fn apply_column_positional(
        &self,
        scan: usize,
        spec: &mut ColumnSpec,
        arg: Node<'m>,
        may_be_type: bool,
    ) {
        let s = &self.scans[scan];
        let m = s.m;
        match s.call_name(arg) {
            Some("ForeignKey") => {
                if let Some(fk) = m.call(arg)
                    && let Some(target) = fk.positional.first()
                {
                    let target = m
                        .string_value(*target)
                        .or_else(|| self.bound_string(scan, *target))
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
            Some(n) if COLUMN_EXTRAS.contains(&n) => {
                spec.extras
                    .push(self.bound_text(canon(m, arg, &s.prefixes)));
            }
            Some(n) if CONSTRAINT_CALLS.contains(&n) || n == "CheckConstraint" => {}
            // `Column(None, ForeignKey(...))`: no type, the target's.
            _ if may_be_type && arg.kind() == "none" => {}
            _ if may_be_type => spec.type_ = Some(self.type_text(scan, arg)),
            _ => {}
        }
    }

    pub(super) fn apply_column_keyword(
        &self,
        scan: usize,
        spec: &mut ColumnSpec,
        key: &str,
        v: Node<'m>,
    ) {
        let s = &self.scans[scan];
        let m = s.m;
        match key {
            "name" => spec.name = m.string_value(v).or(spec.name.take()),
            "type_" => spec.type_ = Some(self.type_text(scan, v)),
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
    pub(super) fn ref_target(&self, scan: usize, node: Node<'m>) -> String {
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
    pub(super) fn resolve_ref(&self, scan: usize, parts: &[&str]) -> Option<(String, String)> {
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
}

pub(super) fn finish(
    spec: ColumnSpec,
    name: String,
    nullable: bool,
    explicit: bool,
    loc: Loc,
) -> BuiltColumn {
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
