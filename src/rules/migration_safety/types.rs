//! Whether changing a column's type makes the database rewrite the table
//! (`migration-table-rewrite`), read from the SQLAlchemy type expressions
//! a migration writes (`sa.String(length=50)`, `postgresql.JSONB()`).
//!
//! Only what each database documents is claimed: PostgreSQL changes a
//! VARCHAR's length upwards, VARCHAR to TEXT and NUMERIC precision upwards
//! in place and rewrites for every other type change; MySQL copies the
//! table for every change except a VARCHAR that grows (in place while the
//! length prefix keeps its size, which depends on the character set, so
//! the rule stays silent there). Other databases: no verdict.

use crate::alembic::dialect::Dialect;

/// A type expression reduced to what decides a rewrite.
#[derive(Debug, PartialEq, Eq)]
struct SqlType {
    /// Lower-case family: `varchar`, `text`, `integer`, `numeric`, ...
    family: &'static str,
    /// The type's name as written, lower-cased (`string`, `jsonb`).
    name: String,
    /// Integer arguments in order (length; precision and scale).
    args: Vec<u64>,
    /// The whole expression without spaces (for "unchanged").
    text: String,
}

/// Reads `sa.String(length=50)`, `mysql.VARCHAR(80)`, `sa.Text()`, ...
fn parse(expr: &str) -> SqlType {
    let text: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let head = text.split('(').next().unwrap_or(&text);
    let name = head.rsplit('.').next().unwrap_or(head).to_ascii_lowercase();
    let inner = text
        .find('(')
        .and_then(|i| text.get(i + 1..text.rfind(')').unwrap_or(text.len())))
        .unwrap_or("");
    // Top-level arguments only: `Enum("a", name="x")`, `JSONB(astext_type=sa.Text())`.
    let mut args = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in inner.chars().chain(std::iter::once(',')) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                let value = cur.rsplit('=').next().unwrap_or(&cur);
                let key = cur.split_once('=').map(|(k, _)| k);
                if matches!(key, None | Some("length" | "precision" | "scale"))
                    && let Ok(n) = value.parse()
                {
                    args.push(n);
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    let family = match name.as_str() {
        "string" | "varchar" | "unicode" | "nvarchar" | "autostring" | "char" | "nchar" => {
            if name.contains("char") && !name.contains("var") {
                "char"
            } else {
                "varchar"
            }
        }
        "text" | "unicodetext" => "text",
        "integer" | "int" => "integer",
        "smallinteger" | "smallint" => "smallint",
        "biginteger" | "bigint" => "bigint",
        "numeric" | "decimal" => "numeric",
        _ => "other",
    };
    SqlType {
        family,
        name,
        args,
        text,
    }
}

/// Why changing `from` to `to` rewrites the table on `dialect`, or `None`
/// when it does not (or the rule cannot tell).
pub fn rewrite_reason(dialect: Dialect, from: &str, to: &str) -> Option<String> {
    let (a, b) = (parse(from), parse(to));
    if a.text == b.text || (a.name == b.name && a.args == b.args && a.family != "other") {
        return None;
    }
    let grows = |a: &SqlType, b: &SqlType| match (a.args.first(), b.args.first()) {
        (Some(x), Some(y)) => y >= x,
        (_, None) => true,
        (None, Some(_)) => false,
    };
    match dialect {
        Dialect::Postgresql => {
            let in_place = match (a.family, b.family) {
                ("varchar", "varchar") => grows(&a, &b),
                ("varchar" | "text", "text") => true,
                ("numeric", "numeric") => grows(&a, &b) && a.args.get(1) == b.args.get(1),
                _ => false,
            };
            (!in_place).then(|| {
                format!("PostgreSQL rewrites the table (and its indexes) to change {from} to {to}, under an ACCESS EXCLUSIVE lock")
            })
        }
        Dialect::Mysql => {
            if a.family == "varchar" && b.family == "varchar" && grows(&a, &b) {
                return None;
            }
            Some(format!(
                "MySQL copies the table to change {from} to {to}, blocking writes while it does"
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG: Dialect = Dialect::Postgresql;

    #[test]
    fn postgresql_widening_is_in_place() {
        assert_eq!(
            rewrite_reason(PG, "sa.String(length=50)", "sa.String(length=100)"),
            None
        );
        assert_eq!(
            rewrite_reason(PG, "sa.VARCHAR(length=50)", "sa.Text()"),
            None
        );
        assert_eq!(rewrite_reason(PG, "sa.String(50)", "sa.String()"), None);
        assert_eq!(
            rewrite_reason(
                PG,
                "sqlmodel.sql.sqltypes.AutoString(length=255)",
                "sa.String(length=512)"
            ),
            None
        );
        assert_eq!(
            rewrite_reason(PG, "sa.Numeric(10, 2)", "sa.Numeric(12, 2)"),
            None
        );
        assert_eq!(rewrite_reason(PG, "sa.Text()", "sa.UnicodeText()"), None);
    }

    #[test]
    fn postgresql_other_changes_rewrite() {
        for (a, b) in [
            ("sa.Integer()", "sa.BigInteger()"),
            ("sa.String(length=100)", "sa.String(length=50)"),
            ("sa.Text()", "sa.String(length=50)"),
            ("sa.String()", "sa.Integer()"),
            (
                "postgresql.JSON()",
                "postgresql.JSONB(astext_type=sa.Text())",
            ),
            ("sa.DateTime()", "sa.DateTime(timezone=True)"),
            ("sa.Numeric(10, 2)", "sa.Numeric(10, 4)"),
        ] {
            assert!(rewrite_reason(PG, a, b).is_some(), "{a} -> {b}");
        }
    }

    #[test]
    fn mysql_copies_except_growing_varchar_and_others_say_nothing() {
        assert!(
            rewrite_reason(Dialect::Mysql, "mysql.DATETIME()", "mysql.DATETIME(fsp=6)").is_some()
        );
        assert!(rewrite_reason(Dialect::Mysql, "sa.Integer()", "sa.BigInteger()").is_some());
        assert_eq!(
            rewrite_reason(Dialect::Mysql, "sa.String(80)", "sa.String(128)"),
            None
        );
        assert_eq!(
            rewrite_reason(Dialect::Sqlite, "sa.Integer()", "sa.BigInteger()"),
            None
        );
        assert_eq!(rewrite_reason(PG, "sa.Integer()", "sa.Integer()"), None);
    }

    #[test]
    fn odd_expressions_never_panic() {
        for e in [
            "a)(",
            ")",
            "(",
            "",
            "x(((",
            "f(length=)",
            "é(ü)",
            "sa.String(length=99999999999999999999)",
        ] {
            let _ = rewrite_reason(PG, e, "sa.Text()");
            let _ = rewrite_reason(Dialect::Mysql, "sa.Text()", e);
        }
    }
}
