//! Finding the Alembic environments of a repository state, and the files
//! each one loads.
//!
//! An environment comes from (in this order of precedence):
//! 1. `.dbguard.yaml` `migrations.environments` (replaces a discovered
//!    environment with the same `script_location`);
//! 2. every `alembic.ini` (any `*.ini` whose name contains `alembic`),
//!    with the `[tool.alembic]` table of a `pyproject.toml` beside it behind
//!    it (Alembic 1.16+ reads both, the ini first), and every such
//!    `pyproject.toml` without an ini: its `script_location` resolved as
//!    users run Alembic (relative to the folder of the file, where `alembic`
//!    finds it by default, or else to the repository root, whichever holds
//!    the scripts; `%(here)s`; `package:path`), or, when it sets none and
//!    an `env.py` sits beside it, that folder (Flask-Migrate writes such an
//!    ini);
//!    A named section of an ini that sets `script_location` (`[core]`,
//!    `[tenant]`, run with `alembic -n core`) is an environment of its own,
//!    with `[alembic]`'s keys behind its own;
//! 3. a folder holding an `env.py` that uses Alembic and a `versions/`
//!    folder (Flask-Migrate layouts without an ini);
//! 4. an environment configured in Python ([`super::pyconfig`]):
//!    Flask-Alembic's `ALEMBIC = {"script_location": ...}`, or
//!    `set_main_option("script_location", "...")` on a `Config()`;
//! 5. a folder of revision files that nothing above configures
//!    ([`super::pyconfig::revision_folders`]): its Python files declare
//!    module-level `revision` and `down_revision` (plugins whose host
//!    application builds the configuration at run time).
//!
//! A folder merely named `versions` is not an environment.

use std::cell::RefCell;
use std::collections::HashSet;

use crate::changes::{ContentReader, Entry, EntryMode, Snapshot, file_name};
use crate::config::MigrationsConfig;

use super::ini::{IniFile, percent_format};
use super::pyconfig;

/// Where an environment was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// From this configuration file (repository-relative path): an
    /// `alembic.ini`, or a `pyproject.toml` with `[tool.alembic]`.
    Ini(String),
    /// A named section (`[core]`) of this ini file.
    IniSection { path: String, section: String },
    /// A folder with `env.py` and `versions/`.
    Folder,
    /// Configured in this Python file (Flask-Alembic's `ALEMBIC` or
    /// `set_main_option("script_location", ...)`).
    Python(String),
    /// A folder of revision files without any configuration.
    Revisions,
    /// From `.dbguard.yaml`.
    Config,
}

impl Origin {
    /// How the environment was found, as `dbguard migrations` says it.
    pub fn describe(&self) -> String {
        match self {
            Origin::Ini(p) => format!("from {p}"),
            Origin::IniSection { path, section } => format!("from [{section}] of {path}"),
            Origin::Folder => "env.py beside versions/".into(),
            Origin::Python(p) => format!("configured in {p}"),
            Origin::Revisions => "a folder of revision files".into(),
            Origin::Config => "from .dbguard.yaml".into(),
        }
    }

    /// The configuration file this environment was read from, if any.
    pub fn file(&self) -> Option<&str> {
        match self {
            Origin::Ini(p) | Origin::IniSection { path: p, .. } | Origin::Python(p) => Some(p),
            _ => None,
        }
    }
}

/// One Alembic environment: where its scripts and revision files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// Repository-relative folder holding `env.py` (`""` for the root).
    pub script_location: String,
    /// Repository-relative folders holding revision files, in the order
    /// Alembic reads them (default: `<script_location>/versions`).
    pub version_locations: Vec<String>,
    /// `recursive_version_locations = true`: subfolders are read too.
    pub recursive: bool,
    /// The ini's `file_template` after interpolation
    /// (`%(rev)s_%(slug)s`), when it sets one.
    pub file_template: Option<String>,
    pub origin: Origin,
}

/// Ini files larger than this are not environments.
const MAX_INI_SIZE: u64 = 1 << 20;

/// Every environment of `snapshot`, sorted by `script_location`.
pub fn environments(
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
    config: &MigrationsConfig,
) -> Vec<Environment> {
    discover(snapshot, reader, config).environments
}

/// The environments of a tree, and what finding them looked at beyond
/// the files [`kind`] names: [`super::reuse`] tells from it whether the
/// next commit's tree has the same ones.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Discovered {
    /// Every environment, sorted by `script_location`.
    pub environments: Vec<Environment>,
    /// Folders whose direct `.py` files were looked for (the candidates
    /// of a Flask-Alembic setting without an `env.py`): adding or
    /// removing a Python file there can change the answer.
    pub probed_py_dirs: Vec<String>,
}

/// What a file is to discovery, by its path alone. Discovery reads the
/// content of these files and no others; [`super::reuse`] relies on that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// An `alembic.ini` (any `*.ini` whose name contains `alembic`).
    Ini,
    /// A `pyproject.toml` (may hold `[tool.alembic]`).
    Pyproject,
    /// An `env.py`.
    EnvPy,
    /// A Python file that may configure an environment
    /// ([`pyconfig::may_configure`]) or be a revision file
    /// ([`pyconfig::may_be_revision`]).
    Python { configures: bool, revision: bool },
}

/// What `path` is to discovery, if anything.
pub(super) fn kind(path: &str) -> Option<Kind> {
    if is_alembic_ini(path) {
        Some(Kind::Ini)
    } else if is_named(path, "pyproject.toml") {
        Some(Kind::Pyproject)
    } else if is_named(path, "env.py") {
        Some(Kind::EnvPy)
    } else if path.ends_with(".py") {
        let configures = pyconfig::may_configure(path);
        let revision = pyconfig::may_be_revision(path);
        (configures || revision).then_some(Kind::Python {
            configures,
            revision,
        })
    } else {
        None
    }
}

/// [`environments`], with what it looked at.
pub fn discover(
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
    config: &MigrationsConfig,
) -> Discovered {
    // The three kinds of candidates, in one walk over the tree (on a large
    // repository, the walk is most of the cost).
    let (mut inis, mut pyprojects, mut env_pys) = (Vec::new(), Vec::new(), Vec::new());
    let (mut py_configs, mut revision_candidates) = (Vec::new(), Vec::new());
    for entry in snapshot.entries() {
        if !is_file(&entry) {
            continue;
        }
        match kind(entry.path) {
            Some(Kind::Ini) => inis.push(entry),
            Some(Kind::Pyproject) => pyprojects.push(entry),
            Some(Kind::EnvPy) => env_pys.push(entry),
            Some(Kind::Python {
                configures,
                revision,
            }) => {
                if configures {
                    py_configs.push(entry);
                }
                if revision {
                    revision_candidates.push(entry);
                }
            }
            None => {}
        }
    }
    let mut envs: Vec<Environment> = Vec::new();
    let mut ini_dirs: HashSet<&str> = HashSet::new();
    for entry in inis {
        ini_dirs.insert(parent(entry.path));
        let Some(sections) = read_text(reader, &entry).and_then(|t| IniFile::parse_all(&t)) else {
            continue;
        };
        let toml = snapshot
            .get(&join(parent(entry.path), "pyproject.toml"))
            .and_then(|p| tool_alembic(reader, &p));
        for ini in sections {
            let main = ini.name == super::ini::SECTION;
            let Some(mut env) = from_options(snapshot, &entry, Some(ini.clone()), toml.clone())
            else {
                continue;
            };
            if !main {
                env.origin = Origin::IniSection {
                    path: entry.path.to_string(),
                    section: ini.name.clone(),
                };
            }
            if !envs.iter().any(|e| same(e, &env)) {
                envs.push(env);
            }
        }
    }
    for entry in pyprojects {
        if ini_dirs.contains(parent(entry.path)) {
            continue;
        }
        if let Some(toml) = tool_alembic(reader, &entry)
            && let Some(env) = from_options(snapshot, &entry, None, Some(toml))
            && !envs.iter().any(|e| same(e, &env))
        {
            envs.push(env);
        }
    }
    for entry in env_pys {
        let dir = parent(entry.path);
        if envs.iter().any(|e| e.script_location == dir) {
            continue;
        }
        let versions = join(dir, "versions");
        if snapshot.under(&versions).is_empty() {
            continue;
        }
        let uses_alembic = reader
            .read(entry.blob, MAX_INI_SIZE)
            .ok()
            .flatten()
            .is_some_and(|b| memchr::memmem::find(&b, b"alembic").is_some());
        if uses_alembic {
            envs.push(Environment {
                script_location: dir.to_string(),
                version_locations: vec![versions],
                recursive: false,
                file_template: None,
                origin: Origin::Folder,
            });
        }
    }
    let probed: RefCell<Vec<String>> = RefCell::new(Vec::new());
    for entry in py_configs {
        let Some(text) = read_text(reader, &entry) else {
            continue;
        };
        for found in pyconfig::configured(&text) {
            let dir = parent(entry.path);
            let has_revisions = |d: &str| {
                probed.borrow_mut().push(d.to_string());
                snapshot
                    .under(d)
                    .iter()
                    .any(|e| e.path.ends_with(".py") && parent(e.path) == d)
            };
            let is_good = |d: &str| {
                snapshot.get(&join(d, "env.py")).is_some()
                    || (found.flask_alembic && has_revisions(d))
            };
            let Some(script) = resolve_from_ancestors(&found.script_location, dir, &is_good) else {
                continue;
            };
            let versions = if found.flask_alembic {
                // Flask-Alembic keeps the revision files in the script
                // folder itself.
                script.clone()
            } else {
                join(&script, "versions")
            };
            if envs
                .iter()
                .any(|e| e.script_location == script || e.version_locations.contains(&versions))
            {
                continue;
            }
            envs.push(Environment {
                script_location: script,
                version_locations: vec![versions],
                recursive: false,
                file_template: found.file_template,
                origin: Origin::Python(entry.path.to_string()),
            });
        }
    }
    for dir in pyconfig::revision_folders(reader, &revision_candidates, &envs) {
        envs.push(Environment {
            script_location: dir.clone(),
            version_locations: vec![dir],
            recursive: false,
            file_template: None,
            origin: Origin::Revisions,
        });
    }
    for c in &config.environments {
        let script = normalize(&c.script_location).unwrap_or_default();
        let mut versions: Vec<String> = c
            .version_locations
            .iter()
            .filter_map(|v| normalize(v))
            .collect();
        if versions.is_empty() {
            versions.push(join(&script, "versions"));
        }
        envs.retain(|e| e.script_location != script);
        envs.push(Environment {
            script_location: script,
            version_locations: versions,
            recursive: c.recursive_version_locations,
            file_template: c.file_template.clone(),
            origin: Origin::Config,
        });
    }
    envs.sort_by(|a, b| {
        (&a.script_location, &a.version_locations).cmp(&(&b.script_location, &b.version_locations))
    });
    let mut probed_py_dirs = probed.into_inner();
    probed_py_dirs.sort();
    probed_py_dirs.dedup();
    Discovered {
        environments: envs,
        probed_py_dirs,
    }
}

/// The environment that loads `path` as a migration, if any.
pub fn environment_of<'e>(envs: &'e [Environment], path: &str) -> Option<&'e Environment> {
    envs.iter().find(|e| e.is_migration_path(path))
}

fn same(a: &Environment, b: &Environment) -> bool {
    a.script_location == b.script_location && a.version_locations == b.version_locations
}

pub(super) fn is_file(e: &Entry<'_>) -> bool {
    matches!(e.mode, EntryMode::File | EntryMode::Executable)
}

impl Environment {
    /// Whether Alembic loads `path` as a revision file of this environment:
    /// a `.py` file directly in a version location (or below it with
    /// `recursive_version_locations`), not `__init__*`, not an editor lock
    /// file (`.#*`), not in `__pycache__`.
    pub fn is_migration_path(&self, path: &str) -> bool {
        self.location_of(path).is_some()
    }

    /// The version location that holds `path` as a migration.
    fn location_of(&self, path: &str) -> Option<&str> {
        let name = file_name(path);
        if !name.ends_with(".py") || name.starts_with(".#") || name.starts_with("__init__") {
            return None;
        }
        self.version_locations
            .iter()
            .find(|loc| {
                let Some(rest) = strip_dir(path, loc) else {
                    return false;
                };
                match rest.rsplit_once('/') {
                    None => true,
                    Some((dirs, _)) => {
                        self.recursive
                            && !dirs
                                .rsplit('/')
                                .next()
                                .unwrap_or(dirs)
                                .ends_with("__pycache__")
                    }
                }
            })
            .map(String::as_str)
    }

    /// Whether a change to `path` can change this environment's history
    /// or configuration: its ini file, anything under its script folder or
    /// its version locations.
    pub fn touches(&self, path: &str) -> bool {
        if let Some(ini) = self.origin.file()
            && (ini == path || join(parent(ini), "pyproject.toml") == path)
        {
            return true;
        }
        strip_dir(path, &self.script_location).is_some()
            || self
                .version_locations
                .iter()
                .any(|l| strip_dir(path, l).is_some())
    }

    /// The migration files of this environment in `snapshot`, in the order
    /// Alembic loads them: version locations in configured order; within
    /// one, a folder's files sorted by name before its subfolders (sorted).
    /// A file reachable from two locations is loaded once. Symbolic links
    /// and submodules are not read.
    pub fn migration_entries<'s>(&self, snapshot: &'s Snapshot) -> Vec<Entry<'s>> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut out = Vec::new();
        for loc in &self.version_locations {
            let mut here: Vec<Entry<'s>> = snapshot
                .under(loc)
                .iter()
                .filter(|e| is_file(e) && self.location_of(e.path) == Some(loc.as_str()))
                .collect();
            here.sort_by(|a, b| {
                let key = |e: &Entry<'s>| {
                    let rest = strip_dir(e.path, loc).unwrap_or(e.path);
                    match rest.rsplit_once('/') {
                        Some((dirs, name)) => (dirs.split('/').collect::<Vec<_>>(), name),
                        None => (Vec::new(), rest),
                    }
                };
                key(a).cmp(&key(b))
            });
            for e in here {
                if seen.insert(e.path) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// The `script_location` as shown to users (`.` for the root).
    pub fn display_location(&self) -> &str {
        if self.script_location.is_empty() {
            "."
        } else {
            &self.script_location
        }
    }
}

/// `path` relative to `dir` when it lies below it (`dir` `""` is the root).
fn strip_dir<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

pub(super) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// A `/`-separated path with `.` and `..` resolved and no empty parts;
/// `None` when it climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Where a folder named in a Python file is: Python code joins it to a
/// base computed at run time (`os.path.join(basedir, "app/migrations")`),
/// so the path is tried below the file's folder and each of its ancestors,
/// nearest first; the first that `is_good` accepts wins.
fn resolve_from_ancestors(
    value: &str,
    file_dir: &str,
    is_good: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let mut dir = Some(file_dir);
    while let Some(d) = dir {
        if let Some(c) = normalize(&join(d, value))
            && is_good(&c)
        {
            return Some(c);
        }
        dir = (!d.is_empty()).then(|| parent(d));
    }
    None
}

fn dir_exists(snapshot: &Snapshot, dir: &str) -> bool {
    !snapshot.under(dir).is_empty()
}

/// Where a location written in an ini file is in the repository.
/// `is_good` says whether a candidate folder is the one meant (holds
/// `env.py` for a script location); failing that, the first candidate
/// that exists wins, and failing that the first candidate.
fn resolve(
    value: &str,
    ini_dir: &str,
    snapshot: &Snapshot,
    is_good: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let value = value.trim().replace('\\', "/");
    if value.is_empty() {
        return None;
    }
    let mut candidates: Vec<String> = Vec::new();
    if !value.starts_with('/') && value.contains(':') {
        // `package.module:path`: the package's folder wherever it lives
        // (`pkg/`, `src/pkg/`, ...), then the path inside it.
        let mut tokens = value.split(':');
        let package = tokens.next().unwrap_or("").replace('.', "/");
        let inside: Vec<&str> = tokens.collect();
        let inside = inside.join("/");
        let needle = format!("/{package}/");
        let mut roots: Vec<String> = snapshot
            .entries()
            .iter()
            .filter_map(|e| {
                if e.path.starts_with(&needle[1..]) {
                    Some(String::new())
                } else {
                    e.path.find(&needle).map(|i| e.path[..i].to_string())
                }
            })
            .collect();
        roots.sort_by_key(|r| (r.len(), r.clone()));
        roots.dedup();
        for r in roots {
            candidates.extend(normalize(&join(&join(&r, &package), &inside)));
        }
    } else if let Some(abs) = value.strip_prefix('/') {
        // `%(here)s/x` arrives as `/<ini folder>/x`; a real absolute path
        // (`/app/migrations` in a container) is matched by its tail.
        let parts: Vec<&str> = abs.split('/').filter(|p| !p.is_empty()).collect();
        for skip in 0..parts.len() {
            let tail = parts[skip..].join("/");
            if skip > 0 {
                candidates.extend(normalize(&join(ini_dir, &tail)));
            }
            candidates.extend(normalize(&tail));
        }
    } else {
        candidates.extend(normalize(&join(ini_dir, &value)));
        candidates.extend(normalize(&value));
    }
    candidates
        .iter()
        .find(|c| is_good(c))
        .or_else(|| candidates.iter().find(|c| dir_exists(snapshot, c)))
        .or(candidates.first())
        .cloned()
}

fn is_alembic_ini(path: &str) -> bool {
    // Every path of the tree comes here: look at the extension before
    // allocating anything.
    let ini = path
        .len()
        .checked_sub(4)
        .and_then(|i| path.get(i..))
        .is_some_and(|ext| ext.eq_ignore_ascii_case(".ini"));
    ini && file_name(path).to_ascii_lowercase().contains("alembic")
}

/// Whether the file name of `path` is exactly `name` (cheaper than
/// [`file_name`] for the many paths that do not even end with it).
fn is_named(path: &str, name: &str) -> bool {
    path.strip_suffix(name)
        .is_some_and(|dir| dir.is_empty() || dir.ends_with('/'))
}

pub(super) fn read_text(reader: &dyn ContentReader, entry: &Entry<'_>) -> Option<String> {
    let bytes = reader.read(entry.blob, MAX_INI_SIZE).ok()??;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `[tool.alembic]` table of a `pyproject.toml`, if it has one.
fn tool_alembic(reader: &dyn ContentReader, entry: &Entry<'_>) -> Option<toml::Table> {
    let text = read_text(reader, entry)?;
    if !text.contains("tool.alembic") && !text.contains("[tool") {
        return None;
    }
    let mut doc: toml::Table = toml::from_str(&text).ok()?;
    match doc.remove("tool")? {
        toml::Value::Table(mut tool) => match tool.remove("alembic")? {
            toml::Value::Table(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Alembic's options where it is run from: the ini's `[alembic]` section
/// first, then `[tool.alembic]` (Alembic's `get_alembic_option`).
struct Options {
    ini: Option<IniFile>,
    toml: Option<toml::Table>,
    here: String,
}

impl Options {
    fn toml_str(&self, value: &str) -> String {
        percent_format(value, &|name| (name == "here").then(|| self.here.clone()))
    }

    fn get(&self, key: &str) -> Option<String> {
        if let Some(ini) = &self.ini
            && ini.raw(key).is_some()
        {
            return ini.get(key, &self.here);
        }
        match self.toml.as_ref()?.get(key)? {
            toml::Value::String(s) => Some(self.toml_str(s)),
            _ => None,
        }
    }

    fn get_bool(&self, key: &str) -> bool {
        if let Some(ini) = &self.ini
            && ini.raw(key).is_some()
        {
            return ini.get_bool(key, &self.here);
        }
        matches!(
            self.toml.as_ref().and_then(|t| t.get(key)),
            Some(toml::Value::Boolean(true))
        )
    }

    fn version_locations(&self) -> Vec<String> {
        if let Some(ini) = &self.ini
            && ini.raw("version_locations").is_some_and(|v| !v.is_empty())
        {
            return ini.version_locations(&self.here);
        }
        match self.toml.as_ref().and_then(|t| t.get("version_locations")) {
            Some(toml::Value::Array(list)) => list
                .iter()
                .filter_map(|v| v.as_str().map(|s| self.toml_str(s)))
                .collect(),
            Some(toml::Value::String(s)) => vec![self.toml_str(s)],
            _ => Vec::new(),
        }
    }
}

fn from_options(
    snapshot: &Snapshot,
    entry: &Entry<'_>,
    ini: Option<IniFile>,
    toml: Option<toml::Table>,
) -> Option<Environment> {
    let dir = parent(entry.path);
    let opts = Options {
        ini,
        toml,
        here: format!("/{dir}"),
    };
    let has_env = |d: &str| snapshot.get(&join(d, "env.py")).is_some();
    let script = match opts.get("script_location") {
        Some(v) if !v.trim().is_empty() => resolve(&v, dir, snapshot, &has_env)?,
        // Flask-Migrate passes the folder of its alembic.ini.
        _ if has_env(dir) => dir.to_string(),
        _ => return None,
    };
    let mut versions: Vec<String> = opts
        .version_locations()
        .iter()
        .filter_map(|v| resolve(v, dir, snapshot, &|d| dir_exists(snapshot, d)))
        .collect();
    if versions.is_empty() {
        versions.push(join(&script, "versions"));
    }
    let exists = has_env(&script) || versions.iter().any(|v| dir_exists(snapshot, v));
    if !exists {
        return None;
    }
    Some(Environment {
        script_location: script,
        version_locations: versions,
        recursive: opts.get_bool("recursive_version_locations"),
        file_template: opts.get("file_template").filter(|t| !t.trim().is_empty()),
        origin: Origin::Ini(entry.path.to_string()),
    })
}

#[cfg(test)]
#[path = "discover_tests.rs"]
pub(crate) mod tests;
