//! Column types compared the way Alembic's `compare_type` sees them: by
//! the database type, not by its spelling. `Text` and `TEXT`, `String(30)`
//! and `VARCHAR(length=30)`, `LargeBinary` and its old name `Binary`
//! create the same column; `UUID(as_uuid=True)` and `UUID` differ only in
//! what Python receives, `MutableDict.as_mutable(JSONB)` only in how
//! Python tracks changes. A model that changes only the spelling changes
//! no schema.
//!
//! A type this module does not know (a project's own type that the
//! extractor could not resolve to what it stores, a third-party type) has
//! no key: [`key`] returns `None`, and an unknown type is never a change
//! (issue 25).

/// SQLAlchemy's upper-case (SQL standard) type names, deprecated aliases,
/// types that emit the same DDL as a generic one, and Python-side
/// decorators of a known database type (SQLModel's `AutoString`,
/// sqlalchemy-utils' `TSVectorType`), with the generic type they create.
const ALIASES: &[(&str, &str)] = &[
    ("TEXT", "Text"),
    ("UnicodeText", "Text"),
    ("VARCHAR", "String"),
    ("Unicode", "String"),
    ("AutoString", "String"),
    ("INTEGER", "Integer"),
    ("INT", "Integer"),
    ("BIGINT", "BigInteger"),
    ("SMALLINT", "SmallInteger"),
    ("BOOLEAN", "Boolean"),
    ("DATE", "Date"),
    ("TIME", "Time"),
    ("TIMESTAMP", "DateTime"),
    ("DATETIME", "DateTime"),
    ("FLOAT", "Float"),
    ("NUMERIC", "Numeric"),
    ("DECIMAL", "Numeric"),
    ("BLOB", "LargeBinary"),
    ("BYTEA", "LargeBinary"),
    ("Binary", "LargeBinary"),
    ("UUID", "Uuid"),
    ("PG_UUID", "Uuid"),
    ("INTERVAL", "Interval"),
    ("TSVectorType", "TSVECTOR"),
    ("ENUM", "Enum"),
    ("DOUBLE_PRECISION", "Double"),
    ("DOUBLE", "Double"),
];

/// Types whose arguments are all Python-side: the DDL is the bare name.
const ARGS_IGNORED: &[&str] = &["TSVECTOR", "JSON", "JSONB", "Boolean", "Uuid", "Interval"];

/// Every other type name SQLAlchemy and its dialects define that a model
/// may use: a name outside this list and [`ALIASES`] is not known.
const KNOWN: &[&str] = &[
    "String",
    "Text",
    "Integer",
    "BigInteger",
    "SmallInteger",
    "Boolean",
    "Date",
    "DateTime",
    "Time",
    "Float",
    "Double",
    "Numeric",
    "REAL",
    "LargeBinary",
    "Uuid",
    "Interval",
    "Enum",
    "JSON",
    "JSONB",
    "ARRAY",
    "TSVECTOR",
    "CHAR",
    "NCHAR",
    "NVARCHAR",
    "CLOB",
    "VARBINARY",
    "BINARY",
    "PickleType",
    "HSTORE",
    "INET",
    "CIDR",
    "MACADDR",
    "MONEY",
    "CITEXT",
    "BIT",
    "OID",
    "INT4RANGE",
    "INT8RANGE",
    "NUMRANGE",
    "DATERANGE",
    "TSRANGE",
    "TSTZRANGE",
    "TINYINT",
    "MEDIUMINT",
    "TINYTEXT",
    "MEDIUMTEXT",
    "LONGTEXT",
    "TINYBLOB",
    "MEDIUMBLOB",
    "LONGBLOB",
    "YEAR",
    "SET",
    "Geometry",
    "Geography",
];

/// Keyword arguments that change what Python receives, not the column.
const PYTHON_SIDE: &[&str] = &[
    "as_uuid",
    "asdecimal",
    "native_enum",
    "create_constraint",
    "as_tuple",
    "zero_indexes",
    "none_as_null",
    "astext_type",
    "validate_strings",
    "values_callable",
    "omit_aliases",
    "convert_unicode",
    "unicode_error",
    "_warn_on_bytestring",
    "decimal_return_scale",
];

/// The positional parameters of the types that take arguments, so that
/// `String(length=30)` is `String(30)` and `Numeric(precision=10,
/// scale=2)` is `Numeric(10, 2)`: Alembic's autogenerate writes them by
/// keyword, models mostly by position.
const SIGNATURES: &[(&str, &[&str])] = &[
    ("String", &["length", "collation"]),
    ("Text", &["length", "collation"]),
    ("CHAR", &["length", "collation"]),
    ("NCHAR", &["length", "collation"]),
    ("NVARCHAR", &["length", "collation"]),
    ("LargeBinary", &["length"]),
    ("VARBINARY", &["length"]),
    ("Numeric", &["precision", "scale"]),
    ("Float", &["precision"]),
    ("DateTime", &["timezone"]),
    ("Time", &["timezone"]),
];

/// The database type a type expression names, for comparison: the
/// generic name, the arguments without Python-side keywords and without
/// module prefixes. `None` when the type is not one SQLAlchemy defines
/// (after the extractor resolved what it could): unknown.
pub fn key(type_text: &str) -> Option<String> {
    key_at(type_text.trim(), 0)
}

fn key_at(t: &str, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let (head, args) = match t.find('(') {
        Some(i) if t.ends_with(')') && closes_at_end(&t[i..]) => (&t[..i], &t[i + 1..t.len() - 1]),
        Some(_) => return None,
        None => (t, ""),
    };
    // `MutableDict.as_mutable(JSONB)`: the wrapped type.
    if head.ends_with(".as_mutable") || head == "as_mutable" {
        return key_at(split_args(args).first()?.trim(), depth + 1);
    }
    if !head
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let head = head.rsplit('.').next().unwrap_or(head).trim();
    let head = ALIASES
        .iter()
        .find(|(alias, _)| *alias == head)
        .map_or(head, |(_, generic)| generic);
    if !KNOWN.contains(&head) {
        return None;
    }
    if ARGS_IGNORED.contains(&head) {
        return Some(head.to_string());
    }
    let params = SIGNATURES
        .iter()
        .find(|(h, _)| *h == head)
        .map_or(&[][..], |(_, p)| *p);
    // Arguments by parameter name where the signature is known (a
    // positional one takes its parameter's name), else by position.
    let mut named: Vec<(String, String)> = Vec::new();
    let mut positional: Vec<String> = Vec::new();
    let mut leading = 0;
    for (i, a) in split_args(args).into_iter().map(str::trim).enumerate() {
        if a.is_empty() {
            continue;
        }
        let (name, value) = match a.split_once('=') {
            Some((n, v)) if !n.contains(['(', '"', '\'']) => (Some(n.trim()), v.trim()),
            _ => (None, a),
        };
        let value = if i == 0 && name.is_none() && head == "ARRAY" {
            // `ARRAY(String)`: the item type, by its key too.
            key_at(value, depth + 1)?
        } else {
            value.to_string()
        };
        match (name, params.get(i)) {
            (Some(n), _) => named.push((n.to_string(), value)),
            (None, Some(p)) if leading == i => {
                leading += 1;
                named.push((p.to_string(), value));
            }
            (None, _) => positional.push(value),
        }
    }
    named.retain(|(n, v)| {
        let python_side = PYTHON_SIDE.contains(&n.as_str());
        let default = n == "timezone" && v == "False";
        !python_side && !default
    });
    let mut out = positional;
    // Parameters in signature order, positionally while there is no gap.
    let mut gap = false;
    for p in params {
        match named.iter().position(|(n, _)| n == p) {
            Some(j) => {
                let (n, v) = named.remove(j);
                out.push(if gap { format!("{n}={v}") } else { v });
            }
            None => gap = true,
        }
    }
    named.sort();
    out.extend(named.into_iter().map(|(n, v)| format!("{n}={v}")));
    if out.is_empty() {
        Some(head.to_string())
    } else {
        Some(format!("{head}({})", out.join(", ")))
    }
}

/// Whether the parenthesis opening `t` closes at its very end
/// (`String(30)`, not `JSON().with_variant(JSONB())`).
fn closes_at_end(t: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in t.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i == t.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether two column types create the same column: equal keys, or either
/// unknown (an unknown type is never a change).
pub fn same(a: &str, b: &str) -> bool {
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Splits a call's arguments at top-level commas.
pub(crate) fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in args.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&args[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::{key, same};

    #[test]
    fn spellings_of_one_database_type_have_one_key() {
        for (a, b) in [
            ("Text", "TEXT"),
            ("String(30)", "VARCHAR(30)"),
            ("String(30)", "VARCHAR(length=30)"),
            ("AutoString", "String"),
            ("UnicodeText", "Text"),
            ("LargeBinary", "Binary"),
            ("Uuid", "UUID(as_uuid=True)"),
            ("Uuid", "PG_UUID(as_uuid=True)"),
            ("Integer", "sa.INTEGER"),
            ("Numeric(10, 2)", "DECIMAL(10,2)"),
            ("Numeric(10, 2)", "Numeric(precision=10, scale=2)"),
            ("DateTime", "DateTime(timezone=False)"),
            ("JSONB", "MutableDict.as_mutable(JSONB)"),
            ("ARRAY(String)", "MutableList.as_mutable(ARRAY(VARCHAR))"),
            ("JSONB", "JSONB(astext_type=Text())"),
            (
                "TSVECTOR",
                "TSVectorType(\"name\", \"description\", weights={\"name\": \"A\"})",
            ),
            (
                "Enum(Status, name='status')",
                "Enum(Status, name='status', native_enum=True)",
            ),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
            assert!(key(a).is_some(), "{a}");
        }
    }

    #[test]
    fn different_database_types_keep_different_keys() {
        for (a, b) in [
            ("String(30)", "String(50)"),
            ("Text", "String"),
            ("Integer", "BigInteger"),
            ("DateTime", "DateTime(timezone=True)"),
            ("Numeric(10, 2)", "Numeric(12, 2)"),
            ("ARRAY(String)", "ARRAY(Integer)"),
        ] {
            assert_ne!(key(a), key(b), "{a} / {b}");
            assert!(!same(a, b), "{a} / {b}");
        }
    }

    /// Issue 25: what cannot be resolved is unknown, and unknown is never
    /// a change.
    #[test]
    fn unknown_types_have_no_key_and_are_never_a_change() {
        for t in [
            "GUID",
            "myapp.types.JsonType()",
            "UUIDType(binary=False)",
            "JSON().with_variant(JSONB(), \"postgresql\")",
            "ARRAY(GUID)",
        ] {
            assert_eq!(key(t), None, "{t}");
            assert!(same(t, "String(30)"), "{t}");
        }
    }
}
