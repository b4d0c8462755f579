//! Column types compared the way Alembic's `compare_type` sees them: by
//! the database type, not by its spelling. `Text` and `TEXT`, `String(30)`
//! and `VARCHAR(30)`, `LargeBinary` and its old name `Binary` create the
//! same column; `UUID(as_uuid=True)` and `UUID` differ only in what Python
//! receives. A model that changes only the spelling changes no schema.

/// SQLAlchemy's upper-case (SQL standard) type names and deprecated
/// aliases, with the generic type that emits the same DDL.
const ALIASES: &[(&str, &str)] = &[
    ("TEXT", "Text"),
    ("VARCHAR", "String"),
    ("INTEGER", "Integer"),
    ("INT", "Integer"),
    ("BIGINT", "BigInteger"),
    ("SMALLINT", "SmallInteger"),
    ("BOOLEAN", "Boolean"),
    ("DATE", "Date"),
    ("TIME", "Time"),
    ("FLOAT", "Float"),
    ("NUMERIC", "Numeric"),
    ("DECIMAL", "Numeric"),
    ("JSON", "JSON"),
    ("BLOB", "LargeBinary"),
    ("Binary", "LargeBinary"),
    ("UUID", "Uuid"),
    ("PG_UUID", "Uuid"),
    ("INTERVAL", "Interval"),
];

/// Keyword arguments that change what Python receives, not the column.
const PYTHON_SIDE: &[&str] = &["as_uuid", "asdecimal", "native_enum", "create_constraint"];

/// The database type a type expression names, for comparison: the
/// generic name, the arguments without Python-side keywords and without
/// module prefixes.
pub fn key(type_text: &str) -> String {
    let t = type_text.trim();
    let (head, args) = match t.find('(') {
        Some(i) if t.ends_with(')') => (&t[..i], &t[i + 1..t.len() - 1]),
        _ => (t, ""),
    };
    let head = head.rsplit('.').next().unwrap_or(head).trim();
    let head = ALIASES
        .iter()
        .find(|(alias, _)| *alias == head)
        .map_or(head, |(_, generic)| generic);
    let args: Vec<&str> = split_args(args)
        .into_iter()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .filter(|a| {
            let name = a.split('=').next().unwrap_or("").trim();
            !(a.contains('=') && PYTHON_SIDE.contains(&name))
        })
        .collect();
    if args.is_empty() {
        head.to_string()
    } else {
        format!("{head}({})", args.join(", "))
    }
}

/// Splits a call's arguments at top-level commas.
fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in args.char_indices() {
        match c {
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
    use super::key;

    #[test]
    fn spellings_of_one_database_type_have_one_key() {
        for (a, b) in [
            ("Text", "TEXT"),
            ("String(30)", "VARCHAR(30)"),
            ("LargeBinary", "Binary"),
            ("Uuid", "UUID(as_uuid=True)"),
            ("Uuid", "PG_UUID(as_uuid=True)"),
            ("Integer", "sa.INTEGER"),
            ("Numeric(10, 2)", "DECIMAL(10,2)"),
            (
                "Enum(Status, name='status')",
                "Enum(Status, name='status', native_enum=True)",
            ),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
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
        ] {
            assert_ne!(key(a), key(b), "{a} / {b}");
        }
    }
}
