//! Where a candidate stands decides whether it is a credential at all, and
//! how much it matters: the same `password = "x"` is a database secret in
//! `config.py`, an end user's login in `tests/test_auth.py`, a package
//! name in `package-lock.json` and a label in `main.min.css`.
//!
//! Measured on five real SQLAlchemy projects, four false alarms in five
//! came from name/value guessing outside configuration: test logins,
//! lock files, minified assets, markup, enum constants. So the policy is
//! by context, not by longer word lists:
//! - generated and vendored files (lock files, minified or bundled
//!   assets, source maps, translation catalogs, `node_modules/`,
//!   `vendor/`) and very long lines get only the *strong* detectors,
//!   whose match is a credential by its form (private keys, database URLs
//!   with a password, cloud keys, connection strings);
//! - in test code a guessed password counts only when something links it
//!   to a database or a service: its key (`DB_PASSWORD`, `MAIL_PASSWORD`)
//!   or the call it is passed to (`psycopg2.connect(`);
//! - a guessed value shaped like a name (`account:password:reset`,
//!   `CKAN_SOLR_PASSWORD`, `^7.1.3`, `Set Password`) is not a secret;
//! - what only opens a local development service (a compose file, a CI
//!   service container, a Vagrantfile, a dev container, test settings, a
//!   URL whose host is `localhost` or a compose service) is *local*: it
//!   is reported at warning severity, with the reason.

use super::Candidate;
use super::keys::tokens;

/// What kind of file a path names, for the credential policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Written by a tool or copied from elsewhere: lock files, minified
    /// and bundled assets, source maps, translation catalogs, vendored
    /// trees.
    Generated,
    /// Tests, fixtures, factories and seed scripts.
    Test,
    /// Anything else.
    Source,
}

impl Place {
    /// The place of `path` (repository-relative, forward slashes).
    pub fn of(path: &str) -> Place {
        let lower = path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        let dirs: Vec<&str> = lower.split('/').collect();
        let dirs = &dirs[..dirs.len() - 1];
        if is_generated(name, dirs) {
            Place::Generated
        } else if is_test(name, dirs) {
            Place::Test
        } else {
            Place::Source
        }
    }
}

/// Lock files of the package managers projects use.
const LOCK_FILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "pipfile.lock",
    "cargo.lock",
    "composer.lock",
    "gemfile.lock",
    "go.sum",
    "flake.lock",
    "packages.lock.json",
    "podfile.lock",
    "mix.lock",
    "pubspec.lock",
];

/// Folders whose content a project copied in or a tool wrote.
const VENDORED_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "vendored",
    "third_party",
    "bower_components",
    "site-packages",
    "dist",
    "locale",
    "locales",
    "i18n",
    "l10n",
    "translations",
];

/// Extensions of generated assets and translation catalogs.
const GENERATED_EXTS: &[&str] = &[
    "map", "po", "pot", "mo", "xlf", "xliff", "css", "scss", "sass", "less", "svg",
];

fn is_generated(name: &str, dirs: &[&str]) -> bool {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    LOCK_FILES.contains(&name)
        || name.ends_with(".lock")
        || GENERATED_EXTS.contains(&ext)
        || name.contains(".min.")
        || name.contains(".bundle.")
        || name.contains("-min.")
        || dirs.iter().any(|d| VENDORED_DIRS.contains(d))
        // Bundlers name their output by content hash: `main.e9ec7884.css`,
        // `echarts.128204f2.js`, `main-css-CoszOyzj.css`.
        || dirs.contains(&"assets") && has_hash_part(name)
}

/// Whether a file name carries a bundler's content hash
/// (`index.3f2a9c1b.js`, `main-CoszOyzj.js`).
fn has_hash_part(name: &str) -> bool {
    name.split(['.', '-'])
        .any(|p| p.len() >= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()) && mixed(p))
}

/// Letters and digits, or upper and lower case, in one part: a hash, not
/// a word.
fn mixed(p: &str) -> bool {
    let digits = p.chars().any(|c| c.is_ascii_digit());
    let alpha = p.chars().any(|c| c.is_ascii_alphabetic());
    let upper = p.chars().any(|c| c.is_ascii_uppercase());
    let lower = p.chars().any(|c| c.is_ascii_lowercase());
    (digits && alpha) || (upper && lower && p.len() >= 8)
}

/// Folders that hold tests, fixtures and seed data.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "__tests__",
    "spec",
    "specs",
    "e2e",
    "cypress",
    "playwright",
    "fixtures",
    "testdata",
    "test_data",
    "seeds",
    "seeders",
    "factories",
];

fn is_test(name: &str, dirs: &[&str]) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    dirs.iter().any(|d| TEST_DIRS.contains(d))
        || stem.starts_with("test_")
        || stem.starts_with("tests_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("_spec")
        || stem == "conftest"
        || stem.contains("test_data")
        || stem.contains("testdata")
        || stem.contains("fixture")
        || stem.starts_with("seed")
        || stem.contains("factories")
        || stem.contains("factory")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains(".cy.")
}

/// `ECLAIR_PASS`, `NODE_PASSWORD`: an environment variable, which
/// configures a service (an application user's password is passed as an
/// argument: `user add admin password=x`).
fn is_env_name(key: &str) -> bool {
    key.len() >= 4
        && key.contains('_')
        && key.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A dotenv file (`.env.example`, `dev.env`): every key in it configures
/// a service, so a password there needs no other link.
fn is_dotenv(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.starts_with(".env") || name.ends_with(".env")
}

/// A docker-compose file: a service's `image:` names what its
/// environment's passwords open.
fn is_compose(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// Why a credential found in `path` only opens a local development
/// service, judged by the file alone; `None` when the file says nothing.
pub fn local_file(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let production = ["prod", "production", "staging", "live", "release"]
        .iter()
        .any(|w| tokens(name).iter().any(|t| t == w));
    if is_compose(&lower) && !production {
        return Some("a docker-compose file");
    }
    if lower.starts_with(".github/workflows/")
        || lower.contains("/.github/workflows/")
        || name == ".gitlab-ci.yml"
        || lower.starts_with(".circleci/")
        || name == ".travis.yml"
        || name == "bitbucket-pipelines.yml"
        || name == ".drone.yml"
        || name.starts_with("azure-pipelines")
        || lower.starts_with(".buildkite/")
        || lower.starts_with(".woodpecker")
    {
        return Some("a CI configuration");
    }
    if name == "vagrantfile" {
        return Some("a Vagrantfile");
    }
    if lower.starts_with(".devcontainer/") || lower.contains("/.devcontainer/") {
        return Some("a dev container");
    }
    if production {
        return None;
    }
    // `.env.example`, `settings.ini.sample`: the values a local set-up
    // starts from.
    if name.ends_with(".example")
        || name.ends_with(".sample")
        || name.ends_with(".template")
        || name.ends_with(".dist")
        || name.starts_with(".env.example")
        || name.starts_with(".env.sample")
        || name.starts_with(".env.template")
    {
        return Some("an example configuration");
    }
    let stem = name.split('.').next().unwrap_or(name);
    let test_settings = matches!(
        name,
        "pytest.ini" | "tox.ini" | "phpunit.xml" | "phpunit.xml.dist"
    ) || [
        ".env.test",
        ".env.testing",
        ".env.ci",
        ".env.dev",
        ".env.development",
        ".env.local",
    ]
    .contains(&name)
        || tokens(stem)
            .iter()
            .any(|t| matches!(t.as_str(), "test" | "tests" | "testing" | "ci"))
            && (name.ends_with(".ini")
                || name.ends_with(".cfg")
                || name.ends_with(".conf")
                || name.ends_with(".toml")
                || name.ends_with(".yml")
                || name.ends_with(".yaml")
                || name.ends_with(".json")
                || name.ends_with(".env")
                || name.ends_with(".properties")
                || stem.contains("settings"));
    if test_settings {
        return Some("test settings");
    }
    if Place::of(path) == Place::Test {
        return Some("test code");
    }
    None
}

/// Hosts that only a developer's machine or a compose network reaches.
pub fn is_local_host(host: &str) -> bool {
    let h = host
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or(host);
    let h = h.rsplit_once(':').map_or(h, |(a, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) && !a.contains(':') {
            a
        } else {
            h
        }
    });
    let h = h.to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.starts_with("127.")
        || h == "::1"
        || h == "0.0.0.0"
        || h == "host.docker.internal"
        || h.ends_with(".local")
        // A name without a dot is a compose service or a host on the
        // developer's own network (`db`, `postgres`, `ckan-postgres`).
        || (!h.is_empty()
            && !h.contains('.')
            && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Detector kinds whose match is a credential by its form, wherever it
/// stands: the only ones that run on generated files.
pub fn is_strong(kind: &str) -> bool {
    matches!(
        kind,
        "private-key"
            | "pgpass-entry"
            | "azure-storage-key"
            | "aws-access-key"
            | "aws-secret-key"
            | "azure-account-key"
            | "db-url-password"
            | "alembic-sqlalchemy-url"
            | "jdbc-password"
            | "connection-string-password"
            | "spring-datasource-password"
            | "django-database-password"
            | "driver-call-password"
            | "db-token"
            | "credentials-pair"
    )
}

/// Words that tie a password to a database or a service, in its key or
/// in the call it is passed to.
const LINKS: &[&str] = &[
    "db",
    "database",
    "databases",
    "postgres",
    "postgresql",
    "pg",
    "psql",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "mysql",
    "pymysql",
    "mysqldb",
    "mariadb",
    "mssql",
    "pymssql",
    "pyodbc",
    "sqlserver",
    "oracle",
    "oracledb",
    "sql",
    "sqlalchemy",
    "engine",
    "dsn",
    "datasource",
    "mongo",
    "mongodb",
    "redis",
    "valkey",
    "memcached",
    "elastic",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "neo4j",
    "influx",
    "influxdb",
    "clickhouse",
    "snowflake",
    "rabbitmq",
    "amqp",
    "kafka",
    "smtp",
    "mail",
    "email",
    "ldap",
    "minio",
    "s3",
    "grafana",
    "pgadmin",
    "solr",
    "connect",
    "connection",
    // Redis's own password directives.
    "requirepass",
    "masterauth",
];

fn has_link(words: &str) -> bool {
    tokens(words).iter().any(|t| {
        // `PGPASSWORD`, `MYSQLPWD`: one token, the service before the
        // password word.
        let t = ["password", "passwd", "pass", "pwd", "pw"]
            .iter()
            .find_map(|w| t.strip_suffix(w).filter(|s| !s.is_empty()))
            .unwrap_or(t);
        LINKS.contains(&t)
    })
}

/// Whether a guessed password in test code is tied to a database or a
/// service: by its key, or by the call it is an argument of.
fn linked(text: &str, c: &Candidate) -> bool {
    if c.key.as_deref().is_some_and(has_link) {
        return true;
    }
    // A SQL user statement is a database's; a command-line password is
    // one when the command names the database (`mysql -u root -pX`).
    match c.kind {
        "sql-password" => return true,
        "cli-password" if has_link(line_at(text, c.start)) => return true,
        _ => {}
    }
    super::detectors::enclosing_callee(text, c.start).is_some_and(|callee| has_link(&callee))
}

/// Whether a value at `pos` assigned to `key` is tied to a database or
/// a service: by its key, or by the five lines above it (a dev
/// container's `"driver": "PostgreSQL"` entry, a compose service's
/// `image: postgres`).
pub(crate) fn linked_near(text: &str, pos: usize, key: Option<&str>) -> bool {
    if key.is_some_and(has_link) {
        return true;
    }
    let b = text.as_bytes();
    let mut from = pos.min(b.len());
    for _ in 0..6 {
        match memchr::memrchr(b'\n', &b[..from]) {
            Some(i) => from = i,
            None => {
                from = 0;
                break;
            }
        }
    }
    let from = (from..=pos)
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(pos);
    has_link(&text[from..pos])
}

/// A guessed value that is shaped like a name, a version, markup or a
/// sentence rather than a secret.
fn shaped_like_a_name(v: &str) -> bool {
    let v = v.trim();
    // `account:password:reset`, `auth:pwreset`: namespaced identifiers.
    let parts: Vec<&str> = v.split(':').collect();
    if parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
        })
    {
        return true;
    }
    // `CKAN_SOLR_PASSWORD`, `ADD_YOUR_TOKEN_HERE`: an environment
    // variable's name, a sentinel.
    if v.contains('_')
        && v.len() >= 6
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && v.chars().next().is_some_and(|c| c.is_ascii_uppercase())
    {
        return true;
    }
    // `^7.1.3`, `~1.0`, `>=2.0.0`: versions.
    let bare = v.trim_start_matches(['^', '~', '>', '<', '=', 'v']);
    if bare.contains('.')
        && bare
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return true;
    }
    // `optional_passphrase_of_private_key`: a description in snake case.
    if v.split('_').count() >= 4
        && v.split('_')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
    {
        return true;
    }
    // `Key`, `Token`, `Secret`: a label in a form's field map.
    let mut chars = v.chars();
    if v.len() <= 12
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_lowercase())
    {
        return true;
    }
    // Markup around the value: `Set Password <span ...>`.
    if v.contains('<') && v.contains('>') {
        return true;
    }
    // A sentence: three or more words.
    v.split_whitespace().count() >= 3
}

/// Documentation and prose files, whose examples configure nothing.
fn is_prose(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "md" | "markdown"
            | "mdx"
            | "rst"
            | "txt"
            | "adoc"
            | "asciidoc"
            | "org"
            | "wiki"
            | "html"
            | "htm"
    ) || name.starts_with("readme")
}

/// Whether `pos` follows a comment marker on its line (`# e.g. ...`,
/// `x = 1  # or with a password: ...`, `// ...`).
fn in_comment(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    let start = memchr::memrchr(b'\n', &b[..pos]).map_or(0, |i| i + 1);
    let before = &text[start..pos];
    let t = before.trim_start();
    t.starts_with('#')
        || t.starts_with("//")
        || t.starts_with("--")
        || t.starts_with(';')
        || t.starts_with('*')
        || t.starts_with("/*")
        || t.starts_with("<!--")
        || before.contains(" #")
        || before.contains("\t#")
        || before.contains(" // ")
}

/// Component templates, where attribute values are often bindings.
fn is_markup(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "vue" | "svelte" | "html" | "htm" | "jsx" | "tsx" | "hbs" | "jinja" | "j2"
    )
}

/// `passwordRepeat`, `newPassword2`: a variable's name.
fn is_camel_identifier(v: &str) -> bool {
    let mut chars = v.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && v.chars().any(|c| c.is_ascii_uppercase())
}

/// Whether a value has what real passwords have and made-up words lack:
/// a digit, a symbol, or upper and lower case.
fn looks_random(v: &str) -> bool {
    v.chars()
        .any(|c| c.is_ascii_digit() || (c.is_ascii_punctuation() && !"-_.".contains(c)))
        || (v.chars().any(|c| c.is_uppercase()) && v.chars().any(|c| c.is_lowercase()))
}

/// Whether the key is part of a namespaced name (`account:password:reset`,
/// an event or a permission; `v-model:password="x"`, a template's
/// binding): not an assignment.
fn namespaced(text: &str, c: &Candidate) -> bool {
    let Some(key) = c.key.as_deref() else {
        return false;
    };
    let b = text.as_bytes();
    let line_start = memchr::memrchr(b'\n', &b[..c.start]).map_or(0, |i| i + 1);
    let before = &text[line_start..c.start];
    let Some(at) = before.rfind(key) else {
        return false;
    };
    let prefix = &before.as_bytes()[..at];
    prefix.len() >= 2
        && prefix[prefix.len() - 1] == b':'
        && prefix[prefix.len() - 2].is_ascii_alphanumeric()
}

/// Lines longer than this are minified or generated, whatever the file's
/// name says.
const LONG_LINE: usize = 1000;

fn line_at(text: &str, pos: usize) -> &str {
    let b = text.as_bytes();
    let pos = pos.min(b.len());
    let start = memchr::memrchr(b'\n', &b[..pos]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
    &text[start..end]
}

fn line_len_at(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let start = memchr::memrchr(b'\n', &b[..pos.min(b.len())]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &b[pos.min(b.len())..]).map_or(b.len(), |i| pos + i);
    end - start
}

/// Whether a candidate found in `path` is a credential in its context.
pub(crate) fn keep(place: Place, path: &str, text: &str, c: &Candidate) -> bool {
    let strong = is_strong(c.kind);
    if !strong {
        if place == Place::Generated || line_len_at(text, c.start) > LONG_LINE {
            return false;
        }
        if shaped_like_a_name(&c.secret) || namespaced(text, c) {
            return false;
        }
        // Documentation shows made-up values (`my-aws-secret`); a real
        // one pasted there has digits, symbols or mixed case.
        if is_prose(path) && !looks_random(&c.secret) {
            return false;
        }
        // A template's attribute bound to a variable:
        // `v-model:password="passwordRepeat"`.
        if is_markup(path) && is_camel_identifier(&c.secret) {
            return false;
        }
        // Test code logs users in; a guessed password there is a
        // credential only when its key or its call names a service.
        if place == Place::Test && !linked(text, c) {
            return false;
        }
        // Local development files configure services: a guessed password
        // there belongs to one when its key, its call or the lines above
        // name it (`image: postgres`), not an application user made by a
        // set-up script.
        if local_file(path).is_some()
            && !is_dotenv(path)
            && !c.key.as_deref().is_some_and(is_env_name)
            && !linked(text, c)
            && !((c.default_word || is_compose(path))
                && linked_near(text, c.start, c.key.as_deref()))
        {
            return false;
        }
    }
    if c.default_word {
        // A placeholder word elsewhere: a credential only where it opens
        // a local service, in a file that configures one (not prose, not
        // a comment).
        let local = c.host.as_deref().is_some_and(is_local_host) || local_file(path).is_some();
        return local && !is_prose(path) && !in_comment(text, c.start);
    }
    true
}

/// Why a kept candidate only opens a local development service, or `None`
/// when it may open anything.
pub(crate) fn local_reason(path: &str, c: &Candidate) -> Option<&'static str> {
    if let Some(host) = &c.host
        && is_local_host(host)
    {
        return Some("its host is local");
    }
    if let Some(why) = local_file(path) {
        return Some(why);
    }
    if c.default_word {
        return Some("a well-known default");
    }
    if c.same_as_user {
        return Some("a well-known default: the password is the user name");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places() {
        for p in [
            "package-lock.json",
            "frontend/bun.lock",
            "poetry.lock",
            "static/css/main.min.css",
            "themes/core/static/assets/echarts.128204f2.js",
            "themes/admin/static/assets/main-css-CoszOyzj.css",
            "app/static/app.js.map",
            "i18n/ja/LC_MESSAGES/messages.po",
            "node_modules/x/index.js",
            "web/vendor/jquery.js",
        ] {
            assert_eq!(Place::of(p), Place::Generated, "{p}");
        }
        for p in [
            "tests/test_auth.py",
            "app/tests/api/test_users.py",
            "frontend/tests/login.spec.ts",
            "src/auth_test.go",
            "conftest.py",
            "app/lib/create_test_data.py",
            "tests/factories.py",
            "db/seeds.py",
            "src/user.test.ts",
        ] {
            assert_eq!(Place::of(p), Place::Test, "{p}");
        }
        for p in [
            "app/config.py",
            "docker-compose.yml",
            "static/app.js",
            "src/assets/logo.ts",
            "contest/app.py",
        ] {
            assert_eq!(Place::of(p), Place::Source, "{p}");
        }
    }

    #[test]
    fn local_files() {
        assert_eq!(
            local_file("docker-compose.yml"),
            Some("a docker-compose file")
        );
        assert_eq!(
            local_file("deploy/compose.dev.yaml"),
            Some("a docker-compose file")
        );
        assert_eq!(local_file("docker-compose.prod.yml"), None);
        assert_eq!(
            local_file(".github/workflows/ci.yml"),
            Some("a CI configuration")
        );
        assert_eq!(local_file("Vagrantfile"), Some("a Vagrantfile"));
        assert_eq!(
            local_file(".devcontainer/setup.sh"),
            Some("a dev container")
        );
        assert_eq!(local_file("test-core.ini"), Some("test settings"));
        assert_eq!(local_file("app/settings_test.py"), Some("test settings"));
        assert_eq!(local_file("tests/conftest.py"), Some("test code"));
        assert_eq!(local_file("config/production.ini"), None);
        assert_eq!(local_file("app/config.py"), None);
    }

    #[test]
    fn local_hosts() {
        for h in [
            "localhost",
            "localhost:5432",
            "127.0.0.1",
            "127.0.0.1:3306",
            "[::1]:5432",
            "db",
            "ckan-postgres",
            "postgres:5432",
            "host.docker.internal",
        ] {
            assert!(is_local_host(h), "{h}");
        }
        for h in [
            "db.internal",
            "prod-db.example.com",
            "10.0.0.4",
            "rds.amazonaws.com:5432",
        ] {
            assert!(!is_local_host(h), "{h}");
        }
    }

    #[test]
    fn name_shapes() {
        for v in [
            "account:password:reset",
            "CKAN_SOLR_PASSWORD",
            "ADD_YOUR_TOKEN_HERE",
            "^7.1.3",
            "1.0.0",
            "Set Password <span className=\"x\">",
            "Enter your new password",
        ] {
            assert!(shaped_like_a_name(v), "{v}");
        }
        for v in ["optional_passphrase_of_private_key", "Key", "Secret"] {
            assert!(shaped_like_a_name(v), "{v}");
        }
        for v in [
            "S3cr3t!",
            "hunter2",
            "Zq8:w3x9",
            "MY_Pw-9",
            "correct horse",
            "Hunter2",
            "db_pass_word",
        ] {
            assert!(!shaped_like_a_name(v), "{v}");
        }
    }
}
