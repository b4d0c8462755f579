//! `alembic.ini`, read the way Alembic reads it: Python's `ConfigParser`
//! with its basic interpolation (`%(here)s`, `%(name)s`, `%%`), multiline
//! values continued by indented lines, full-line `#`/`;` comments and no
//! inline comments.
//!
//! The `configparser` crate parses the structure (with multiline enabled;
//! `rust-ini` mis-reads continuation lines); it does not interpolate, so
//! [`IniFile::get`] does, as Python's `BasicInterpolation` would.

use std::collections::HashMap;

use configparser::ini::{Ini, IniDefault};

/// The section Alembic reads by default (`alembic -n NAME` reads `[NAME]`).
pub const SECTION: &str = "alembic";

/// One section of an ini file that configures an environment: `[alembic]`,
/// or a named section (`[core]`, read with `alembic -n core`), with
/// Python's `[DEFAULT]` section behind it.
#[derive(Clone, Debug, Default)]
pub struct IniFile {
    /// The section's name, lower-cased (`alembic` for the main one).
    pub name: String,
    section: HashMap<String, String>,
    defaults: HashMap<String, String>,
    has_section: bool,
}

impl IniFile {
    /// Parses ini text. Malformed text (a `[` without `]`) yields `None`,
    /// which callers treat like a file with no `[alembic]` section.
    pub fn parse(text: &str) -> Option<IniFile> {
        Self::parse_all(text).map(|mut all| all.swap_remove(0))
    }

    /// The `[alembic]` section (always first, present or not), then every
    /// other section that sets `script_location`: projects with several
    /// environments in one ini (`[core]`, `[tenant]`) run them with
    /// `alembic -n NAME`, or load the ini and set `script_location` from
    /// their own code, which keeps `[alembic]`'s other keys
    /// (`file_template`). A named section therefore reads its own keys
    /// first, then `[alembic]`'s, then `[DEFAULT]`'s.
    pub fn parse_all(text: &str) -> Option<Vec<IniFile>> {
        let mut defaults = IniDefault::default();
        defaults.default_section = "default".into();
        defaults.comment_symbols = vec!['#', ';'];
        defaults.inline_comment_symbols = Some(Vec::new());
        defaults.delimiters = vec!['=', ':'];
        defaults.multiline = true;
        defaults.case_sensitive = false;
        defaults.enable_inline_comments = false;
        let mut ini = Ini::new_from_defaults(defaults);
        let map = ini.read(text.to_string()).ok()?;
        let flatten = |name: &str| {
            map.get(name).map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                    .collect::<HashMap<_, _>>()
            })
        };
        let section = flatten(SECTION);
        let defaults = flatten("default").unwrap_or_default();
        let main = IniFile {
            name: SECTION.to_string(),
            has_section: section.is_some(),
            section: section.unwrap_or_default(),
            defaults,
        };
        let mut named: Vec<IniFile> = map
            .keys()
            .filter(|name| *name != SECTION && *name != "default")
            .filter_map(|name| {
                let own = flatten(name)?;
                own.contains_key("script_location").then(|| {
                    let mut merged = main.section.clone();
                    merged.extend(own);
                    IniFile {
                        name: name.clone(),
                        section: merged,
                        defaults: main.defaults.clone(),
                        has_section: true,
                    }
                })
            })
            .collect();
        named.sort_by(|a, b| a.name.cmp(&b.name));
        let mut all = vec![main];
        all.extend(named);
        Some(all)
    }

    /// Whether the file has an `[alembic]` section at all.
    pub fn has_alembic_section(&self) -> bool {
        self.has_section
    }

    /// The raw (uninterpolated) value of `key` in `[alembic]` or
    /// `[DEFAULT]`.
    pub fn raw(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.section
            .get(&key)
            .or_else(|| self.defaults.get(&key))
            .map(String::as_str)
    }

    /// The value of `key` after interpolation, with `%(here)s` replaced by
    /// `here` (the folder of the ini file, in whatever path space the
    /// caller works in). A reference that cannot be resolved is left as
    /// written, where Python would raise.
    pub fn get(&self, key: &str, here: &str) -> Option<String> {
        let raw = self.raw(key)?;
        Some(self.interpolate(raw, here, 0))
    }

    fn lookup(&self, name: &str, here: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        if name == "here"
            && !self.section.contains_key("here")
            && !self.defaults.contains_key("here")
        {
            return Some(here.to_string());
        }
        self.section
            .get(&name)
            .or_else(|| self.defaults.get(&name))
            .cloned()
    }

    fn interpolate(&self, value: &str, here: &str, depth: usize) -> String {
        // Python gives up after 10 levels (InterpolationDepthError).
        if depth > 10 {
            return value.to_string();
        }
        percent_format(value, &|name| {
            self.lookup(name, here)
                .map(|v| self.interpolate(&v, here, depth + 1))
        })
    }

    /// `true` exactly when Alembic's `get_alembic_boolean_option` says so:
    /// the value is the string `true`.
    pub fn get_bool(&self, key: &str, here: &str) -> bool {
        self.get(key, here).is_some_and(|v| v == "true")
    }

    /// `version_locations` split the way Alembic splits it: on
    /// `path_separator` (or the deprecated `version_path_separator`):
    /// `space`, `newline`, `os` (`:` on the systems that run hooks), `:`
    /// or `;`; without either, on spaces and commas (the legacy rule).
    pub fn version_locations(&self, here: &str) -> Vec<String> {
        let Some(value) = self.get("version_locations", here) else {
            return Vec::new();
        };
        if value.is_empty() {
            return Vec::new();
        }
        let sep = ["path_separator", "version_path_separator"]
            .iter()
            .find_map(|k| self.get(k, here));
        let split: Vec<String> = match sep.as_deref() {
            None => split_space_comma(&value),
            Some("space") => split_on(&value, ' '),
            Some("newline") => split_on(&value, '\n'),
            Some("os") | Some(":") => split_on(&value, ':'),
            Some(";") => split_on(&value, ';'),
            // Alembic raises on other values; the legacy split is the
            // closest reading of what the author meant.
            Some(_) => split_space_comma(&value),
        };
        split.into_iter().filter(|s| !s.is_empty()).collect()
    }
}

/// Python's `value % mapping` for `%(name)s` and `%%`, the only forms
/// Alembic's configuration uses; a name `lookup` does not know, or any
/// other `%`, is kept as written (where Python would raise).
pub fn percent_format(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("%%") {
            out.push('%');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix("%(")
            && let Some(close) = inner.find(")s")
        {
            match lookup(&inner[..close]) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&tail[..close + 4]),
            }
            rest = &inner[close + 2..];
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// `[x.strip() for x in value.split(sep) if x]`.
fn split_on(value: &str, sep: char) -> Vec<String> {
    value
        .split(sep)
        .filter(|x| !x.is_empty())
        .map(|x| x.trim().to_string())
        .collect()
}

/// `re.split(r", *|(?: +)", value)`: commas (with the spaces after them)
/// and runs of spaces separate; newlines and tabs do not.
fn split_space_comma(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ',' => {
                out.push(std::mem::take(&mut current));
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            ' ' => {
                out.push(std::mem::take(&mut current));
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            c => current.push(c),
        }
    }
    out.push(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ini(text: &str) -> IniFile {
        IniFile::parse(text).unwrap()
    }

    #[test]
    fn here_and_references_are_interpolated() {
        let f = ini(
            "[alembic]\nscript_location = %(here)s/alembic\nfile_template = %%(year)d_%%(rev)s_%%(slug)s\nbase = %(here)s/x\nother = %(base)s/y\nbroken = %(nope)s\n",
        );
        assert!(f.has_alembic_section());
        assert_eq!(f.get("script_location", "/app").unwrap(), "/app/alembic");
        assert_eq!(
            f.get("file_template", "/app").unwrap(),
            "%(year)d_%(rev)s_%(slug)s"
        );
        assert_eq!(f.get("other", "/h").unwrap(), "/h/x/y");
        assert_eq!(f.get("broken", "/h").unwrap(), "%(nope)s");
        assert_eq!(f.get("missing", "/h"), None);
    }

    #[test]
    fn continuation_lines_and_comments() {
        let f = ini(
            "# top\n[alembic]\n# comment\nscript_location = migrations # not a comment\nversion_locations =\n    %(here)s/a\n    %(here)s/b\npath_separator = newline\n[loggers]\nkeys = root\n",
        );
        assert_eq!(
            f.get("script_location", "").unwrap(),
            "migrations # not a comment"
        );
        assert_eq!(f.version_locations("/r"), ["/r/a", "/r/b"]);
    }

    #[test]
    fn version_locations_in_every_separator_style() {
        let cases = [
            ("a b  c", None, vec!["a", "b", "c"]),
            ("a, b,c", None, vec!["a", "b", "c"]),
            ("a b", Some("space"), vec!["a", "b"]),
            ("a:b", Some("os"), vec!["a", "b"]),
            ("a:b", Some(":"), vec!["a", "b"]),
            ("a; b", Some(";"), vec!["a", "b"]),
        ];
        for (value, sep, want) in cases {
            for key in ["path_separator", "version_path_separator"] {
                let mut text = format!("[alembic]\nversion_locations = {value}\n");
                if let Some(s) = sep {
                    text.push_str(&format!("{key} = {s}\n"));
                }
                assert_eq!(ini(&text).version_locations(""), want, "{text}");
            }
        }
        let f = ini("[alembic]\nversion_locations = \n");
        assert!(f.version_locations("").is_empty());
    }

    #[test]
    fn defaults_section_and_case_insensitive_keys() {
        let f = ini(
            "[DEFAULT]\nroot = base\n[alembic]\nScript_Location = %(root)s/m\nrecursive_version_locations = true\n",
        );
        assert_eq!(f.get("script_location", "").unwrap(), "base/m");
        assert!(f.get_bool("recursive_version_locations", ""));
        assert!(!f.get_bool("sourceless", ""));
        let f = ini("[other]\nx = 1\n");
        assert!(!f.has_alembic_section());
    }

    #[test]
    fn named_sections_read_their_keys_over_alembics() {
        let all = IniFile::parse_all(
            "[alembic]\nfile_template = %%(rev)s_x\n[tenant]\nscript_location = pkg:db/tenant\n[core]\nscript_location = pkg:db/core\nfile_template = %%(slug)s\n[loggers]\nkeys = root\n",
        )
        .unwrap();
        let names: Vec<_> = all.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["alembic", "core", "tenant"]);
        assert_eq!(all[0].get("script_location", ""), None);
        assert_eq!(all[1].get("file_template", "").unwrap(), "%(slug)s");
        assert_eq!(all[2].get("file_template", "").unwrap(), "%(rev)s_x");
        assert_eq!(all[2].get("script_location", "").unwrap(), "pkg:db/tenant");
    }
}
