//! Whether a key names a password: `DB_PASSWORD`, `spring.datasource.password`,
//! `PGPASSWORD`, `db_pass`, `Pwd`, `requirepass`, but not
//! `PASSWORD_HASHERS`, `password_reset_url`, `POSTGRES_PASSWORD_FILE`,
//! `AUTH_PASSWORD_VALIDATORS` or `forgot_password`.
//!
//! The password word has to be the last part of the key (an environment
//! suffix or a number may follow it): what comes after it says what the key
//! really holds (a file, a hash, a policy, a URL).

/// Split into lowercase alphanumeric tokens at separators, letter/digit
/// boundaries and camelCase humps.
pub(crate) fn tokens(key: &str) -> Vec<String> {
    if key.is_ascii() {
        ascii_tokens(key)
    } else {
        unicode_tokens(key)
    }
}

/// [`tokens`] of an ASCII key, the common case, by slicing: the char by
/// char version lowercased through Unicode tables and grew each token a
/// byte at a time, 2% of an `--all` run.
fn ascii_tokens(key: &str) -> Vec<String> {
    let b = key.as_bytes();
    let mut out = Vec::with_capacity(4);
    let mut start = None;
    for i in 0..=b.len() {
        let c = b.get(i).copied();
        if let Some(s) = start {
            let p = b[i - 1];
            let split = c.is_none_or(|c| {
                !c.is_ascii_alphanumeric()
                    || p.is_ascii_digit() != c.is_ascii_digit()
                    || (p.is_ascii_lowercase() && c.is_ascii_uppercase())
            });
            if split {
                out.push(key[s..i].to_ascii_lowercase());
                start = None;
            }
        }
        if start.is_none() && c.is_some_and(|c| c.is_ascii_alphanumeric()) {
            start = Some(i);
        }
    }
    out
}

fn unicode_tokens(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in key.chars() {
        if let Some(p) = prev
            && !cur.is_empty()
            && (!c.is_alphanumeric()
                || p.is_ascii_digit() != c.is_ascii_digit()
                || (p.is_lowercase() && c.is_uppercase()))
        {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words that end with "pass" but are not about passwords.
const NOT_PASS: &[&str] = &[
    "bypass",
    "compass",
    "surpass",
    "trespass",
    "overpass",
    "underpass",
];

fn is_password_word(t: &str) -> bool {
    matches!(
        t,
        "password" | "passwd" | "pass" | "pwd" | "pw" | "passphrase" | "passwort" | "pword"
    ) || t.ends_with("password")
        || t.ends_with("passwd")
        || (t.ends_with("pass") && !NOT_PASS.contains(&t))
}

/// Tokens that may follow the password word without changing what the key
/// holds (`DB_PASSWORD_PROD`, `password2`).
const SUFFIXES: &[&str] = &[
    "prod",
    "production",
    "dev",
    "development",
    "staging",
    "stage",
    "test",
    "local",
    "qa",
    "uat",
    "live",
    "value",
    "plain",
    "plaintext",
    "raw",
    "str",
];

/// Tokens before the password word that make the key a setting about
/// passwords rather than one.
const PREFIXES: &[&str] = &[
    "forgot",
    "reset",
    "show",
    "hide",
    "toggle",
    "min",
    "max",
    "validate",
    "validation",
    "is",
    "has",
    "use",
    "enable",
    "enabled",
    "allow",
    "skip",
    "prompt",
    "ask",
    "require",
    "required",
    "no",
    "check",
    "verify",
    "change",
    "update",
    "hash",
    "hashed",
    "encrypted",
    "random",
    "empty",
];

/// Whether `key` names a password.
pub fn is_password_key(key: &str) -> bool {
    let toks = tokens(key);
    let Some(i) = toks.iter().rposition(|t| is_password_word(t)) else {
        return false;
    };
    toks[i + 1..]
        .iter()
        .all(|t| t.chars().all(|c| c.is_ascii_digit()) || SUFFIXES.contains(&t.as_str()))
        && !toks[..i].iter().any(|t| PREFIXES.contains(&t.as_str()))
}

/// Words that name a database or a data store in a key
/// (`INFLUXDB_TOKEN`, `redis_auth_token`, `ELASTIC_API_KEY`).
const STORES: &[&str] = &[
    "db",
    "database",
    "influx",
    "influxdb",
    "redis",
    "elasticache",
    "valkey",
    "elastic",
    "elasticsearch",
    "opensearch",
    "mongo",
    "mongodb",
    "atlas",
    "couch",
    "couchdb",
    "couchbase",
    "clickhouse",
    "snowflake",
    "neo4j",
    "cassandra",
    "astra",
    "supabase",
    "turso",
    "libsql",
    "planetscale",
    "neon",
    "fauna",
    "faunadb",
    "cosmos",
    "cosmosdb",
    "dynamo",
    "dynamodb",
    "firebase",
    "upstash",
    "pinecone",
    "qdrant",
    "weaviate",
    "questdb",
    "timescale",
    "rabbit",
    "rabbitmq",
    "kafka",
];

/// Whether `key` names the access token of a database or data store: a
/// store word followed, at the end, by `token` (`INFLUXDB_TOKEN`,
/// `DOCKER_INFLUXDB_INIT_ADMIN_TOKEN`, `redis_auth_token`) or `api_key`
/// (`ELASTIC_API_KEY`). A bare `token` names no store; `token_url`,
/// `token_expiry` and `csrf_token` are not tokens of a store.
pub fn is_db_token_key(key: &str) -> bool {
    let toks = tokens(key);
    let Some(last) = toks.last() else {
        return false;
    };
    let n = toks.len();
    let ends =
        last == "token" || (last == "key" && n >= 2 && toks[n - 2] == "api") || last == "apikey";
    ends && toks[..n - 1].iter().any(|t| STORES.contains(&t.as_str()))
}

/// Object stores whose secret key a key names (`MINIO_SECRET_KEY`).
const OBJECT_STORES: &[&str] = &[
    "minio", "s3", "aws", "spaces", "r2", "b2", "gcs", "wasabi", "storage", "bucket", "object",
];

/// Whether a key names an object store's secret key: a `secret key`
/// (`secret_access_key`, `secretKey`) with a store before it
/// (`MINIO_SECRET_KEY`, `S3_SECRET_ACCESS_KEY`); Flask's `SECRET_KEY`
/// signs cookies and is not one.
pub fn is_object_store_key(key: &str) -> bool {
    let toks = tokens(key);
    let n = toks.len();
    let secret_key = n >= 2
        && toks[n - 1] == "key"
        && (toks[n - 2] == "secret"
            || (toks[n - 2] == "access" && n >= 3 && toks[n - 3] == "secret"));
    secret_key && toks.iter().any(|t| OBJECT_STORES.contains(&t.as_str()))
}

/// Services that are not databases but whose passwords projects commit
/// beside their database's: mail, directory, dashboards, trackers.
const SERVICES: &[&str] = &[
    "smtp",
    "mail",
    "imap",
    "pop3",
    "ldap",
    "grafana",
    "gf",
    "jira",
    "confluence",
    "sentry",
    "kibana",
    "jenkins",
    "sonar",
    "nexus",
    "artifactory",
    "registry",
    "keycloak",
    "pgadmin",
];

/// Whether a password key belongs to a non-database service
/// (`MAIL_PASSWORD`, `LDAP_BIND_PASSWORD`, `GF_SECURITY_ADMIN_PASSWORD`):
/// those findings get a kind of their own, `service-password`.
pub fn is_service_password_key(key: &str) -> bool {
    let toks = tokens(key);
    toks.iter().any(|t| SERVICES.contains(&t.as_str()))
        && !toks
            .iter()
            .any(|t| STORES.contains(&t.as_str()) || DB_WORDS.contains(&t.as_str()))
}

/// Database names that mark a key as a database's, beside [`STORES`].
const DB_WORDS: &[&str] = &[
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mariadb",
    "mssql",
    "sql",
    "oracle",
    "sqlserver",
];

/// Whether a call's name says it opens a client of a database or data
/// store (`InfluxDBClient`, `Elasticsearch`, `redis.Redis`): then a bare
/// `token=` or `api_key=` argument is that store's credential.
pub fn is_store_callee(callee: &str) -> bool {
    let t = tokens(callee);
    t.iter().any(|w| {
        STORES.contains(&w.as_str()) && w != "db"
            || w.starts_with("influx")
            || w.starts_with("elastic")
            || w.starts_with("mongo")
            || w.starts_with("redis")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ascii_tokens_are_the_general_tokens(key in "[a-zA-Z0-9_.$ -]{0,24}") {
            proptest::prop_assert_eq!(ascii_tokens(&key), unicode_tokens(&key));
        }
    }

    #[test]
    fn password_keys() {
        for k in [
            "password",
            "PASSWORD",
            "DB_PASSWORD",
            "DATABASE_PASSWORD",
            "DB_PASS",
            "db-pass",
            "POSTGRES_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "PGPASSWORD",
            "MONGO_INITDB_ROOT_PASSWORD",
            "REDIS_PASSWORD",
            "MSSQL_SA_PASSWORD",
            "SA_PASSWORD",
            "spring.datasource.password",
            "hibernate.connection.password",
            "passwd",
            "Pwd",
            "masterPassword",
            "MasterUserPassword",
            "requirepass",
            "default_pass",
            "RABBITMQ_DEFAULT_PASS",
            "db_password_prod",
            "password2",
            "dbPassword",
            "DB_PW",
        ] {
            assert!(is_password_key(k), "{k}");
        }
    }

    #[test]
    fn store_tokens() {
        for k in [
            "INFLUXDB_TOKEN",
            "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN",
            "redis_auth_token",
            "ELASTIC_API_KEY",
            "supabaseApiKey",
        ] {
            assert!(is_db_token_key(k), "{k}");
        }
        for k in [
            "token",
            "GITHUB_TOKEN",
            "csrf_token",
            "db_token_url",
            "influx_token_expiry",
            "api_key",
        ] {
            assert!(!is_db_token_key(k), "{k}");
        }
        assert!(is_store_callee("InfluxDBClient"));
        assert!(is_store_callee("Elasticsearch"));
        assert!(!is_store_callee("WebClient"));
        assert!(!is_store_callee("requests.get"));
    }

    #[test]
    fn keys_about_passwords_are_not_passwords() {
        for k in [
            "PASSWORD_HASHERS",
            "AUTH_PASSWORD_VALIDATORS",
            "password_reset_url",
            "POSTGRES_PASSWORD_FILE",
            "password_hash",
            "passwordRegex",
            "password_min_length",
            "forgot_password",
            "MYSQL_ALLOW_EMPTY_PASSWORD",
            "MYSQL_RANDOM_ROOT_PASSWORD",
            "bypass",
            "passenger",
            "PGPASSFILE",
            "password_field",
            "user",
        ] {
            assert!(!is_password_key(k), "{k}");
        }
    }
}
