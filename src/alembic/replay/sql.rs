//! The tables raw SQL names, for the replay: `op.execute("ALTER TABLE
//! users ...")` makes `users` unknown, `DROP INDEX ix_a` drops an index
//! wherever it is. Words, not a SQL parser: a name that cannot be read
//! leaves the SQL opaque (see [`super::steps`]).

/// The indexes `DROP INDEX [CONCURRENTLY] [IF EXISTS] name` drops.
pub fn dropped_indexes(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if w.eq_ignore_ascii_case("DROP")
            && words
                .get(i + 1)
                .is_some_and(|x| x.eq_ignore_ascii_case("INDEX"))
        {
            let mut j = i + 2;
            while words.get(j).is_some_and(|x| {
                ["CONCURRENTLY", "IF", "EXISTS"]
                    .iter()
                    .any(|k| x.eq_ignore_ascii_case(k))
            }) {
                j += 1;
            }
            if let Some(name) = words.get(j) {
                let name = name.trim_matches(|c| c == '"' || c == '`');
                out.push(name.rsplit('.').next().unwrap_or(name).to_string());
            }
        }
    }
    out
}

/// The tables a DDL statement names: after `TABLE`, `ON` (an index), or
/// `INDEX ... ON`, with quotes and `IF [NOT] EXISTS` skipped.
pub fn ddl_tables(sql: &str) -> Vec<String> {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';' || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_string())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].to_ascii_uppercase();
        if w == "TABLE" || w == "ON" || w == "REFERENCES" || w == "INTO" {
            let mut j = i + 1;
            while j < words.len()
                && matches!(
                    words[j].to_ascii_uppercase().as_str(),
                    "IF" | "NOT" | "EXISTS" | "ONLY" | "CONCURRENTLY"
                )
            {
                j += 1;
            }
            if let Some(name) = words.get(j) {
                let name: String = name
                    .trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
                    .replace('"', "");
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                {
                    out.push(name);
                }
            }
            i = j;
        }
        i += 1;
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_indexes_named_by_ddl() {
        assert_eq!(
            ddl_tables("ALTER TABLE IF EXISTS \"users\" ADD x int; CREATE INDEX ix ON orders (a)"),
            ["orders", "users"]
        );
        assert_eq!(
            ddl_tables("ALTER TABLE {name} ADD x int"),
            Vec::<String>::new()
        );
        assert_eq!(
            dropped_indexes("DROP INDEX CONCURRENTLY IF EXISTS public.ix_a"),
            ["ix_a"]
        );
    }
}
