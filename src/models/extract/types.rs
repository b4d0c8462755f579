//! A column's type resolved to what the database stores, as far as the
//! files read allow (issue 25): import aliases (`PG_UUID` is `UUID`),
//! `TypeDecorator` subclasses to their `impl` (with the arguments a plain
//! `impl` class receives), module-level type variables, Python-side
//! wrappers (`MutableDict.as_mutable(JSONB)` is `JSONB`), and a
//! declarative base's `type_annotation_map`, in this file or in another
//! one read alongside it (see [`super::extract_with`]).
//!
//! What cannot be resolved is left as written; [`crate::models::dbtype`]
//! then knows it for unknown, and an unknown type is never a change.

use tree_sitter::Node;

use super::resolve::Resolver;
use super::syntax::{last, unwrap_type};
use super::typedefs::TypeClass;
use crate::models::canon::{canon, canon_type};

/// How deep a chain of aliases and `impl`s is followed.
const DEPTH: usize = 8;

impl<'m> Resolver<'m> {
    /// The normalized text of the column type `node` in file `scan`, with
    /// everything resolvable resolved.
    pub(super) fn type_text(&self, scan: usize, node: Node<'m>) -> String {
        self.type_at(scan, node, 0)
    }

    fn type_at(&self, scan: usize, node: Node<'m>, depth: usize) -> String {
        if depth <= DEPTH
            && let Some(t) = self.resolve_type(scan, node, depth)
        {
            return t;
        }
        let s = &self.scans[scan];
        canon_type(s.m, node, &s.prefixes)
    }

    fn resolve_type(&self, scan: usize, node: Node<'m>, depth: usize) -> Option<String> {
        let s = &self.scans[scan];
        let m = s.m;
        let node = unwrap_type(node);
        let call = m.call(node);
        let head = call.as_ref().map_or(node, |c| c.function);
        let dotted = m.dotted_name(head)?;
        let name = s.prefixes.strip(&dotted);
        let short = last(name);
        // Python-side wrappers: the type they wrap.
        if short == "as_mutable" {
            let inner = *call?.positional.first()?;
            return Some(self.type_at(scan, inner, depth + 1));
        }
        let args = call.as_ref().and_then(|c| {
            let a = c.node.child_by_field_name("arguments")?;
            Some(canon(m, a, &s.prefixes))
        });
        let args = args.filter(|a| a != "()");
        // A project's own name, by its last component.
        {
            let original = s.types.aliases.get(short).map(String::as_str);
            let lookup = original.unwrap_or(short);
            if let Some((ds, tc)) = self.type_class(scan, lookup) {
                return self.decorator_type(ds, tc, args, depth);
            }
            if call.is_none()
                && let Some((ds, v)) = self.type_var(scan, lookup)
                && v.id() != node.id()
            {
                return Some(self.type_at(ds, v, depth + 1));
            }
            if let Some(o) = original {
                return Some(format!("{o}{}", args.unwrap_or_default()));
            }
        }
        // `ARRAY(GUID)`: the item type resolved too.
        if short == "ARRAY"
            && let Some(c) = &call
            && let Some(first) = c.positional.first()
        {
            let item = self.type_at(scan, *first, depth + 1);
            let rest: Vec<String> = c
                .positional
                .iter()
                .skip(1)
                .map(|a| canon(m, *a, &s.prefixes))
                .chain(
                    c.keywords
                        .iter()
                        .map(|(k, v)| format!("{k}={}", canon(m, *v, &s.prefixes))),
                )
                .collect();
            let mut all = vec![item];
            all.extend(rest);
            return Some(format!("ARRAY({})", all.join(", ")));
        }
        None
    }

    /// The type a `TypeDecorator` subclass stores: its `impl`, given the
    /// use site's arguments when `impl` is a class and nothing in between
    /// (`__init__`) may change them.
    fn decorator_type(
        &self,
        scan: usize,
        tc: &TypeClass<'m>,
        args: Option<String>,
        depth: usize,
    ) -> Option<String> {
        if tc.opaque || depth > DEPTH {
            return None;
        }
        let impl_ = match tc.impl_ {
            Some(i) => i,
            // Inherited from a base type class.
            None => {
                return tc.bases.iter().find_map(|b| {
                    let (ds, base) = self.type_class(scan, last(b))?;
                    self.decorator_type(ds, base, args.clone(), depth + 1)
                });
            }
        };
        let s = &self.scans[scan];
        if s.m.call(unwrap_type(impl_)).is_some() {
            return Some(self.type_at(scan, impl_, depth + 1));
        }
        match args {
            None => Some(self.type_at(scan, impl_, depth + 1)),
            Some(_) if tc.has_init => None,
            Some(a) => Some(format!("{}{a}", self.type_at(scan, impl_, depth + 1))),
        }
    }

    /// The scans to search for a name used in file `scan`: the file
    /// itself, then, when the file imports the name, the others.
    pub(super) fn scans_for(&self, scan: usize, name: &str) -> impl Iterator<Item = usize> + '_ {
        let imported = self.scans[scan].types.imported.contains(name)
            || self.scans[scan].types.aliases.values().any(|v| v == name);
        std::iter::once(scan).chain((0..self.scans.len()).filter(move |&i| imported && i != scan))
    }

    /// A type class called `name` visible from file `scan`.
    fn type_class(&self, scan: usize, name: &str) -> Option<(usize, &TypeClass<'m>)> {
        self.scans_for(scan, name)
            .find_map(|i| self.scans[i].types.classes.get(name).map(|c| (i, c)))
    }

    /// A module-level variable called `name` visible from file `scan`.
    pub(super) fn type_var(&self, scan: usize, name: &str) -> Option<(usize, Node<'m>)> {
        self.scans_for(scan, name)
            .find_map(|i| self.scans[i].types.vars.get(name).map(|v| (i, *v)))
    }

    /// An `Annotated[...]` alias called `name` visible from file `scan`.
    pub(super) fn annotated_alias(&self, scan: usize, name: &str) -> Option<(usize, Node<'m>)> {
        let s = &self.scans[scan];
        let name = s.types.aliases.get(name).map_or(name, String::as_str);
        self.scans_for(scan, name)
            .find_map(|i| self.scans[i].types.annotated.get(name).map(|v| (i, *v)))
    }

    /// The column type a `type_annotation_map` of any file read gives the
    /// Python type `name` (`str`, `datetime.datetime`, an `Annotated`
    /// alias's name).
    pub(super) fn mapped_python_type(&self, name: &str) -> Option<String> {
        self.scans.iter().enumerate().find_map(|(i, s)| {
            s.types
                .annotation_map
                .iter()
                .find(|(k, _)| k == name || (last(k) == last(name) && !k.contains('[')))
                .map(|(_, v)| self.type_text(i, *v))
        })
    }

    /// Whether `name` is a key of some `type_annotation_map` (an
    /// `Annotated` alias used as a key is not unwrapped).
    pub(super) fn is_map_key(&self, name: &str) -> bool {
        self.scans
            .iter()
            .any(|s| s.types.annotation_map.iter().any(|(k, _)| k == name))
    }
}

#[cfg(test)]
mod tests {
    use crate::models::dbtype::key;
    use crate::models::extract::{ModelFile, extract_with};
    use crate::python::Module;

    /// `(column, type as read, database type key)` of every column of
    /// `models`, read with `libs` (path, source) alongside.
    fn types(models: &str, libs: &[(&str, &str)]) -> Vec<(String, String, Option<String>)> {
        let m = Module::parse(models.as_bytes()).unwrap();
        let parsed: Vec<(String, Module)> = libs
            .iter()
            .map(|(p, s)| (p.to_string(), Module::parse(s.as_bytes()).unwrap()))
            .collect();
        let libs: Vec<ModelFile<'_>> = parsed
            .iter()
            .map(|(path, module)| ModelFile { path, module })
            .collect();
        let schema = extract_with(
            &[ModelFile {
                path: "app/models.py",
                module: &m,
            }],
            &libs,
        );
        schema
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .map(|c| {
                let ty = c.type_.clone().unwrap_or_default();
                let k = key(&ty);
                (c.name.clone(), ty, k)
            })
            .collect()
    }

    fn keys(models: &str, libs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        types(models, libs)
            .into_iter()
            .map(|(c, _, k)| (c, k))
            .collect()
    }

    fn k(c: &str, key: Option<&str>) -> (String, Option<String>) {
        (c.to_string(), key.map(str::to_string))
    }

    #[test]
    fn import_aliases_and_wrappers_resolve_to_the_database_type() {
        let got = keys(
            "from sqlalchemy.dialects.postgresql import UUID as PG_UUID, JSONB\nfrom sqlalchemy.ext.mutable import MutableDict, MutableList\nfrom sqlalchemy import Text as LongText, ARRAY, String\nclass A(Base):\n    __tablename__ = 'a'\n    id = Column(PG_UUID(as_uuid=True), primary_key=True)\n    extras = Column(MutableDict.as_mutable(JSONB))\n    tags = Column(MutableList.as_mutable(ARRAY(String)))\n    body = Column(LongText)\n",
            &[],
        );
        assert_eq!(
            got,
            [
                k("id", Some("Uuid")),
                k("extras", Some("JSONB")),
                k("tags", Some("ARRAY(String)")),
                k("body", Some("Text")),
            ]
        );
    }

    #[test]
    fn type_decorators_resolve_to_their_impl() {
        let got = keys(
            "import sqlalchemy.types as types\nfrom sqlalchemy.types import TypeDecorator, CHAR\nclass UTCDateTime(types.TypeDecorator):\n    impl = types.DateTime\n    cache_ok = True\nclass GUID(TypeDecorator):\n    impl = CHAR(32)\nclass Sized(TypeDecorator):\n    impl = types.String\n    def __init__(self, n):\n        super().__init__(n)\nclass PerDialect(TypeDecorator):\n    impl = CHAR\n    def load_dialect_impl(self, dialect):\n        return dialect.type_descriptor(CHAR(32))\nclass A(Base):\n    __tablename__ = 'a'\n    at = Column(UTCDateTime(timezone=True))\n    plain = Column(UTCDateTime)\n    guid = Column(GUID())\n    sized = Column(Sized(30))\n    dialect = Column(PerDialect())\n",
            &[],
        );
        assert_eq!(
            got,
            [
                k("at", Some("DateTime(True)")),
                k("plain", Some("DateTime")),
                k("guid", Some("CHAR(32)")),
                // An `__init__` may do anything with its arguments, a
                // per-dialect type anything at all: unknown.
                k("sized", None),
                k("dialect", None),
            ]
        );
    }

    /// The types of ckan's `ckan/model/types.py`, imported by its models.
    #[test]
    fn types_defined_in_another_file_resolve_through_the_import() {
        let lib = (
            "app/types.py",
            "from sqlalchemy import types\nfrom sqlalchemy.dialects.postgresql import JSONB\nfrom typing import Annotated\nfrom sqlalchemy.orm import mapped_column\nclass JsonType(types.TypeDecorator):\n    impl = types.UnicodeText\nclass JsonDictType(JsonType):\n    impl = types.UnicodeText\nJsonVariant = JSONB\nstr_255 = Annotated[str, mapped_column(types.String(255))]\n",
        );
        let models = "from app.types import JsonType, JsonDictType as JD, JsonVariant, str_255\nclass A(Base):\n    __tablename__ = 'a'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    data = Column(JsonType)\n    more = Column(JD)\n    variant = Column(JsonVariant)\n    name: Mapped[str_255]\n    nick: Mapped[Optional[str_255]]\n";
        let got = keys(models, &[lib]);
        assert_eq!(
            got,
            [
                k("id", Some("Integer")),
                k("data", Some("Text")),
                k("more", Some("Text")),
                k("variant", Some("JSONB")),
                k("name", Some("String(255)")),
                k("nick", Some("String(255)")),
            ]
        );
        // Without the other file, the same names are unknown.
        let alone = keys(models, &[]);
        assert_eq!(alone[1], k("data", None));
        assert_eq!(alone[3], k("variant", None));
        // A name the model file does not import is not looked up there.
        let unrelated = keys(&models.replace("JsonVariant, ", ""), &[lib]);
        assert_eq!(unrelated[3], k("variant", None));
    }

    #[test]
    fn type_annotation_map_gives_python_types_their_column_type() {
        let got = keys(
            "import datetime\nfrom typing import Annotated\nstr50 = Annotated[str, 50]\nclass Base(DeclarativeBase):\n    type_annotation_map = {\n        str: String(255),\n        datetime.datetime: DateTime(timezone=True),\n        str50: String(50),\n    }\nclass A(Base):\n    __tablename__ = 'a'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    name: Mapped[str]\n    at: Mapped[datetime.datetime]\n    code: Mapped[str50]\n    other: Mapped[str] = mapped_column(Text)\n",
            &[],
        );
        assert_eq!(
            got,
            [
                k("id", Some("Integer")),
                k("name", Some("String(255)")),
                k("at", Some("DateTime(True)")),
                k("code", Some("String(50)")),
                k("other", Some("Text")),
            ]
        );
    }

    #[test]
    fn sqlmodel_string_like_types_are_autostring_and_uuid_is_uuid() {
        let got = types(
            "import uuid\nfrom pydantic import EmailStr\nclass User(SQLModel, table=True):\n    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n    email: EmailStr = Field(unique=True, index=True, max_length=255)\n    name: str | None = Field(default=None, max_length=255)\n",
            &[],
        );
        let got: Vec<_> = got
            .iter()
            .map(|(c, t, _)| (c.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("id", "Uuid"),
                ("email", "AutoString(255)"),
                ("name", "AutoString(255)"),
            ]
        );
        assert_eq!(key("AutoString(255)"), key("VARCHAR(length=255)"));
    }
}
