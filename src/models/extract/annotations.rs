//! Type annotations read as SQLAlchemy and SQLModel read them:
//! `Mapped[...]`, `Optional`, `X | None`, `Annotated` aliases, and the
//! column type a Python type implies.

use tree_sitter::Node;

use super::columns::FieldSizes;
use super::resolve::Resolver;
use super::syntax::*;
use crate::models::canon::canon_type;
use crate::python::named_children;

/// What an annotation says about a column.
#[derive(Default)]
pub(super) struct AnnotationInfo<'m> {
    /// The Python type, with `Mapped[...]`, `Optional[...]` and
    /// `Annotated[...]` removed.
    pub(super) inner: Option<Node<'m>>,
    pub(super) optional: bool,
    /// The `mapped_column(...)` of an `Annotated[T, mapped_column(...)]`,
    /// and the file it is in.
    pub(super) defaults: Option<(usize, Node<'m>)>,
    /// The file [`AnnotationInfo::inner`] is in: an `Annotated` alias may
    /// come from another file.
    pub(super) scan: usize,
}

impl<'m> Resolver<'m> {
    /// Whether a bare `Mapped[...]` / SQLModel annotation is a
    /// relationship rather than a column: a collection, a forward
    /// reference, or another mapped class.
    pub(super) fn is_relationship_type(&self, scan: usize, inner: Option<Node<'m>>) -> bool {
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
    pub(super) fn annotation(&self, scan: usize, node: Node<'m>) -> AnnotationInfo<'m> {
        let mut cur = scan;
        let mut s = &self.scans[cur];
        let mut m = s.m;
        let mut info = AnnotationInfo {
            scan,
            ..AnnotationInfo::default()
        };
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
                            .map(|a| (cur, a))
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
            if node.kind() == "identifier" {
                let name = m.text(node);
                // A `type_annotation_map` key is looked up as it is.
                if self.is_map_key(name) {
                    break;
                }
                if let Some((ds, alias)) = self.annotated_alias(cur, name) {
                    cur = ds;
                    s = &self.scans[cur];
                    m = s.m;
                    node = alias;
                    continue;
                }
            }
            break;
        }
        info.scan = cur;
        info.inner = Some(node);
        info
    }

    /// The SQLAlchemy type SQLAlchemy (or SQLModel) derives from a Python
    /// annotation.
    pub(super) fn python_type(
        &self,
        scan: usize,
        node: Node<'m>,
        sqlmodel: bool,
        sizes: Option<FieldSizes>,
    ) -> String {
        let s = &self.scans[scan];
        let node = unwrap_type(node);
        // A declarative base's `type_annotation_map` comes first.
        let written: String = s.m.text(node).split_whitespace().collect();
        if let Some(t) = self.mapped_python_type(&written) {
            return t;
        }
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
            // SQLModel stores these as `AutoString` (a VARCHAR) too.
            "EmailStr" | "NameEmail" | "AnyUrl" | "AnyHttpUrl" | "HttpUrl" | "Path"
            | "IPv4Address" | "IPv6Address" | "IPvAnyAddress" | "IPv4Network" | "IPv6Network"
            | "IPvAnyNetwork"
                if sqlmodel =>
            {
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
}
