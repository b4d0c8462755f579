//! Database URLs with an inline password: `scheme://user:password@host`
//! for every SQLAlchemy `dialect+driver` form and the usual stores, JDBC
//! URLs, and `password=` query parameters. Parsed by hand rather than by a
//! regex so that a password holding `@` or `:` (`p@ss:w0rd`) is cut at the
//! right `@`, and percent-escapes (`p%40ss`) are decoded before the value
//! is judged and fingerprinted.

use super::Candidate;
use super::placeholder::{is_default_pair, is_placeholder, is_placeholder_pair};

/// Schemes (the part before any `+driver`) that name a database or a
/// message store.
const SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "pgsql",
    "psql",
    "mysql",
    "mysqlx",
    "mariadb",
    "mssql",
    "sqlserver",
    "oracle",
    "cockroachdb",
    "cockroach",
    "mongodb",
    "redis",
    "rediss",
    "valkey",
    "valkeys",
    "amqp",
    "amqps",
    "clickhouse",
    "clickhouses",
    "snowflake",
    "db2",
    "ibm_db_sa",
    "sybase",
    "firebird",
    "teradatasql",
    "vertica",
    "presto",
    "trino",
    "hive",
    "impala",
    "databricks",
    "redshift",
    "cassandra",
    "couchdb",
    "couchbase",
    "couchbases",
    "neo4j",
    "bolt",
    "memcached",
    "influxdb",
    "timescaledb",
    "yugabytedb",
    "singlestoredb",
    "tidb",
    "crate",
    "exa",
    "hana",
    "duckdb",
    "sqlite",
    "nats",
    "elasticsearch",
    "opensearch",
    "arangodb",
    "rethinkdb",
    "questdb",
    // Elixir's Ecto repository URLs.
    "ecto",
    // Rails adapters written as schemes (`mysql2://`, `postgis://`).
    "mysql2",
    "trilogy",
    "postgis",
    "libsql",
    "surrealdb",
    "memgraph",
    "scylla",
    "scylladb",
    "greenplum",
    "timescale",
    "sentinel",
    "redis-sentinel",
];

/// Host words and ports that say an `http(s)://user:password@host` URL
/// reaches a database over HTTP (Elasticsearch, OpenSearch, CouchDB,
/// InfluxDB, ClickHouse, Neo4j, ArangoDB, the RabbitMQ API) rather than a
/// web site or a git remote.
const HTTP_STORE_HOSTS: &[&str] = &[
    "db",
    "database",
    "es",
    "elastic",
    "elasticsearch",
    "opensearch",
    "couch",
    "couchdb",
    "couchbase",
    "influx",
    "influxdb",
    "clickhouse",
    "neo4j",
    "arango",
    "arangodb",
    "rabbit",
    "rabbitmq",
    "mongo",
    "mongodb",
    "redis",
    "solr",
    "cassandra",
    "questdb",
    "qdrant",
    "cockroach",
];

const HTTP_STORE_PORTS: &[&str] = &[
    "9200", "9243", "5984", "6984", "8086", "7474", "7473", "8123", "15672", "8529", "8091",
    "18091", "6333",
];

/// Whether the host part (`host:port`) of an `http(s)` URL is a database.
fn http_store(hostport: &str) -> bool {
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (hostport, ""),
    };
    HTTP_STORE_PORTS.contains(&port)
        || host
            .to_ascii_lowercase()
            .split(['.', '-'])
            .map(|l| l.trim_end_matches(|c: char| c.is_ascii_digit()))
            .any(|l| HTTP_STORE_HOSTS.contains(&l))
}

/// Decodes `%XX` escapes; invalid escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn is_scheme_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-' | b'_')
}

/// Finds every database URL in `text` with a password in its userinfo or
/// in a `password=` query parameter.
pub fn find(text: &str, out: &mut Vec<Candidate>) {
    let b = text.as_bytes();
    for sep in memchr::memmem::find_iter(b, b"://") {
        let mut s = sep;
        while s > 0 && is_scheme_char(b[s - 1]) {
            s -= 1;
        }
        if s == sep || !b[s].is_ascii_alphabetic() {
            continue;
        }
        // ASCII (scheme bytes are), compared without a lowercase copy: one
        // was made for each of the 370,000 `://` of the benchmark tree.
        let scheme = &text[s..sep];
        let jdbc = s >= 5 && b[s - 5..s].eq_ignore_ascii_case(b"jdbc:");
        // `postgresql+psycopg2`, and also Celery's and Kombu's
        // `db+postgresql` / `sqla+postgresql`: any `+` part names the store.
        let known = scheme.split('+').any(|part| {
            let part = match part.len().checked_sub(6) {
                Some(cut) if part[cut..].eq_ignore_ascii_case("-async") => &part[..cut],
                _ => part,
            };
            SCHEMES.iter().any(|k| k.eq_ignore_ascii_case(part))
        });
        let http = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
        if !jdbc && !known && !http {
            continue;
        }
        let kind = if jdbc {
            "jdbc-password"
        } else {
            "db-url-password"
        };
        let auth_start = sep + 3;
        // The URL is one token; SQLAlchemy reads the password as everything
        // up to the `@` (`[^@]*`), so `/`, `?` and `#` may sit inside it.
        // The authority therefore ends at the first `/`, `?` or `#` after
        // the first `@` (or, without `@`, at the first of them).
        let token_end = text[auth_start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\\'))
            .map_or(text.len(), |i| auth_start + i);
        let token = &text[auth_start..token_end];
        let host_from = token.find('@').map_or(0, |i| i + 1);
        let auth_end = token[host_from..]
            .find(['/', '?', '#'])
            .map_or(token_end, |i| auth_start + host_from + i);
        let authority = &text[auth_start..auth_end];
        if http
            && !authority
                .rfind('@')
                .is_some_and(|at| http_store(&authority[at + 1..]))
        {
            continue;
        }
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            let user = &authority[..colon];
            let raw = &authority[colon + 1..at];
            let password = percent_decode(raw);
            // `host:5432/db?user=a@b`: an `@` in the query string, not a
            // password before a host.
            let query_like = raw.contains(['/', '?'])
                && raw.split(['?', '&']).skip(1).any(|p| {
                    p.split_once('=').is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                });
            let user = percent_decode(user);
            let host = &authority[at + 1..];
            if !raw.is_empty() && !query_like {
                // `ckan_default:pass@localhost`: a word that is a
                // placeholder elsewhere, with a real user name, is the
                // password of a local database (the context policy keeps
                // it only where the service is local).
                let default_word = is_placeholder_pair(&user, &password);
                if !default_word || is_default_pair(&user, &password, host) {
                    let same_as_user = user.eq_ignore_ascii_case(&password);
                    out.push(Candidate {
                        kind,
                        start: auth_start + colon + 1,
                        end: auth_start + at,
                        secret: password,
                        host: Some(host.to_string()),
                        default_word,
                        same_as_user,
                        ..Default::default()
                    });
                }
            }
        }
        // Query parameters: `?user=app&password=x` (libpq, JDBC, Mongo).
        if text[auth_end..].starts_with(['/', '?']) {
            let url_end = text[auth_end..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'))
                .map_or(text.len(), |i| auth_end + i);
            let url = &text[auth_end..url_end];
            if let Some(q) = url.find('?') {
                let mut off = auth_end + q + 1;
                for param in url[q + 1..].split(['&', ';']) {
                    if let Some((k, v)) = param.split_once('=') {
                        let k = k.to_ascii_lowercase();
                        if matches!(k.as_str(), "password" | "pwd" | "pass") && !v.is_empty() {
                            let secret = percent_decode(v);
                            if !is_placeholder(&secret, Some(&k)) {
                                let start = off + k.len() + 1;
                                out.push(Candidate {
                                    kind,
                                    start,
                                    end: start + v.len(),
                                    secret,
                                    key: Some(k.clone()),
                                    host: Some(
                                        authority
                                            .rsplit('@')
                                            .next()
                                            .unwrap_or(authority)
                                            .to_string(),
                                    ),
                                    ..Default::default()
                                });
                            }
                        }
                    }
                    off += param.len() + 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.into_iter()
            .map(|c| {
                assert_eq!(percent_decode(&text[c.start..c.end]), c.secret);
                (c.kind.to_string(), c.secret)
            })
            .collect()
    }

    fn one(text: &str) -> String {
        let s = secrets(text);
        assert_eq!(s.len(), 1, "{text}: {s:?}");
        s[0].1.clone()
    }

    #[test]
    fn passwords_may_hold_slash_question_mark_and_hash() {
        for pw in ["A#A~aA%0", "ab/cd9X", "wh?t9Xz", "p@ss9Xz"] {
            let text = format!("DATABASE_URL = \"postgresql://app:{pw}@db.internal:5432/app\"");
            let mut out = Vec::new();
            find(&text, &mut out);
            assert_eq!(out.len(), 1, "{pw}");
            assert_eq!(&text[out[0].start..out[0].end], pw);
        }
        for text in [
            "mysql://host:3306/db?user=a@b",
            "redis://cache/0?client=x@y",
        ] {
            let mut out = Vec::new();
            find(text, &mut out);
            assert!(out.is_empty(), "{text}: {:?}", out.len());
        }
    }

    #[test]
    fn every_dialect_and_driver() {
        for scheme in [
            "postgresql",
            "postgres",
            "postgresql+psycopg2",
            "postgresql+asyncpg",
            "postgresql+psycopg",
            "postgresql+pg8000",
            "mysql",
            "mysql+pymysql",
            "mysql+mysqldb",
            "mysql+aiomysql",
            "mariadb+mariadbconnector",
            "mssql+pyodbc",
            "mssql+pymssql",
            "oracle+cx_oracle",
            "oracle+oracledb",
            "cockroachdb",
            "mongodb",
            "mongodb+srv",
            "redis",
            "rediss",
            "amqp",
            "amqps",
            "clickhouse+native",
            "snowflake",
        ] {
            let t = format!("url = \"{scheme}://app:Zq8-w3x@db.internal:5432/app\"");
            assert_eq!(one(&t), "Zq8-w3x", "{scheme}");
        }
    }

    /// Schemes in any case, with an `-async` suffix in any case; a
    /// suffix or case does not make an unknown scheme a store.
    #[test]
    fn schemes_in_any_case_and_async_suffixes() {
        for scheme in [
            "POSTGRESQL",
            "MySQL+PyMySQL",
            "postgresql-async",
            "CockroachDB-ASYNC",
            "db+Postgresql-Async",
            "HTTPS",
        ] {
            let host = if scheme == "HTTPS" { "es01:9200" } else { "h" };
            let t = format!("url = \"{scheme}://app:Zq8-w3x@{host}/app\"");
            assert_eq!(one(&t), "Zq8-w3x", "{scheme}");
        }
        for scheme in ["ftp-async", "async", "-async", "HTTPX", "postgresqlx"] {
            let t = format!("url = \"{scheme}://app:Zq8-w3x@h/app\"");
            assert_eq!(secrets(&t), [], "{scheme}");
        }
    }

    #[test]
    fn escapes_at_signs_queries_and_jdbc() {
        // `{pw}` stands for the secret, so that no literal credential sits
        // in the source.
        let fill = |t: &str, pw: &str| t.replace("{pw}", pw);
        assert_eq!(
            one(&fill("postgresql://app:{pw}@h/db", "p%40ss%3Aw0rd")),
            "p@ss:w0rd"
        );
        assert_eq!(one(&fill("postgres://app:{pw}@h/db", "p@ss")), "p@ss");
        assert_eq!(
            one(&fill("redis://:{pw}@cache:6379/0", "Rk93kd0")),
            "Rk93kd0"
        );
        assert_eq!(
            one(&fill(
                "mongodb://root:{pw}@h1:27017,h2:27017/db?replicaSet=rs0",
                "Mg0-88x"
            )),
            "Mg0-88x"
        );
        let s = secrets(&fill(
            "jdbc:postgresql://h/db?user=app&password={pw}",
            "Jd8x-2k",
        ));
        assert_eq!(s, [("jdbc-password".into(), "Jd8x-2k".into())]);
        let s = secrets(&fill(
            "postgresql://h/db?sslmode=require&password={pw}",
            "Qx82kd",
        ));
        assert_eq!(s, [("db-url-password".into(), "Qx82kd".into())]);
        assert_eq!(
            one(&fill("jdbc:mysql://app:{pw}@h:3306/db", "My5qlpw")),
            "My5qlpw"
        );
    }

    #[test]
    fn result_backends_rails_adapters_and_http_stores() {
        let fill = |t: &str| t.replace("{pw}", "Rb8-k2Qz");
        for t in [
            "db+postgresql://app:{pw}@db/celery",
            "sqla+mysql://app:{pw}@db/kombu",
            "mysql2://app:{pw}@db/app",
            "https://elastic:{pw}@es01.internal:9200",
            "http://admin:{pw}@couch.internal/orders",
            "https://writer:{pw}@logs.example.net:9243",
        ] {
            assert_eq!(one(&fill(t)), "Rb8-k2Qz", "{t}");
        }
        for t in [
            "https://deploy:{pw}@github.com/org/repo.git",
            "https://user:{pw}@registry.example.com/simple",
        ] {
            assert_eq!(secrets(&fill(t)), [], "{t}");
        }
    }

    #[test]
    fn placeholders_and_other_urls_are_not_findings() {
        for t in [
            "sqlalchemy.url = driver://user:pass@localhost/dbname",
            "postgresql://user:password@localhost/db",
            "postgresql://username:password@host:5432/database",
            "postgresql://app@localhost/db",
            "postgresql://localhost/db",
            "mysql://root:@localhost/db",
            "postgresql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}/app",
            "f\"postgresql://{user}:{password}@{host}/{db}\"",
            "\"postgresql://%s:%s@%s/%s\" % (u, p, h, d)",
            "postgresql://%(user)s:%(pw)s@h/db",
            "`postgres://${user}:${pw}@${host}/db`",
            "mongodb+srv://app:<password>@cluster0.mongodb.net/",
            "postgresql://{{ db_user }}:{{ db_pass }}@h/db",
            "\"postgresql://\" + user + \":\" + pw + \"@\" + host",
            "https://deploy:Zq8-w3x@github.com/org/repo.git",
            "amqp://guest:guest@localhost:5672//",
            "redis://localhost:6379/0?password=",
        ] {
            assert_eq!(secrets(t), [], "{t}");
        }
    }
}
