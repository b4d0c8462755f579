//! `sql-injection`: SQL built from values with an f-string, `%`
//! formatting, `.format()` or `+`, and handed to a call that runs it.
//!
//! The rule reads Python with tree-sitter and follows the SQL argument of
//! every call that executes SQL (`execute`, `executemany`,
//! `exec_driver_sql`, SQLAlchemy's `text`, `pd.read_sql`, Django's `raw`,
//! asyncpg's `fetch`, ...) back to how it was built, through local
//! variables assigned earlier in the same function (`sql = f"..."`,
//! `sql += " AND x = " + v`).
//!
//! Few false alarms matter more than catching every case, so a value
//! interpolated into SQL is taken as safe when it cannot carry user input:
//! a literal, an ALL_CAPS constant (`TABLE_NAME`, `settings.SCHEMA`), a
//! model's `__tablename__`, a number (`int(limit)`, `len(ids)`,
//! `max(1, ceil(x))`),
//! a loop variable over a literal list, a lookup in a constant mapping
//! (`ORDER_COLUMNS[key]`), quoting helpers (`quote_ident`,
//! `sql.Identifier`), and placeholders built from literals
//! (`", ".join("?" * len(ids))`). Calls whose name is shared with other
//! libraries (`raw`, `query`, `fetch`, a `text` that is not SQLAlchemy's)
//! are only reported when the literal text around the values reads as SQL.
//!
//! In staged, path and range mode a finding that the previous version of
//! the file already had is not reported again: the rule asks about the
//! code being changed, not the file's history.

use std::collections::HashSet;

use super::{Context, FileInput, Rule, RuleId};
use crate::changes::Mode;
use crate::finding::Finding;
use crate::python::Module;

mod acknowledged;
mod bindings;
mod checker;
mod chunked;
#[cfg(test)]
mod chunked_tests;
mod chunks;
mod eval;
mod prefilter;
mod safe;
mod sinks;
mod sql_text;
#[cfg(test)]
mod tests;
mod trees;

use checker::Checker;
use prefilter::may_have_findings;
use sinks::{imports_sqlalchemy_text, sink_call_nodes};
use sql_text::{sql_statement, sql_words};

/// The `sql-injection` family.
pub struct SqlInjection;

impl Rule for SqlInjection {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::SqlInjection]
    }

    fn reads_contents(&self) -> bool {
        true
    }

    fn check_file(
        &self,
        ctx: &Context<'_>,
        file: &FileInput<'_>,
        out: &mut Vec<Finding>,
    ) -> anyhow::Result<()> {
        if !(ctx.enabled)(RuleId::SqlInjection)
            || !is_python(file.path())
            || !file.has_content()
            || file.is_binary()?
        {
            return Ok(());
        }
        let Some(content) = file.content()? else {
            return Ok(());
        };
        // By blob id: the previous version of a file with findings is
        // checked below, and it was checked already when it was new. The
        // configuration is the same for the whole run.
        let safe = &ctx.config.sql_injection.safe_calls;
        // A whole-tree run reads each path once: nothing to parse after.
        let incremental = ctx.set.mode != Mode::All;
        let check_as = |keep: bool| {
            move |p: &str, b: &[u8]| {
                if !incremental {
                    return check_source_with(p, b, safe);
                }
                if !may_have_findings(b) {
                    return Vec::new();
                }
                if let Some(found) = chunked::check(p, &crate::text::lossy(b), safe) {
                    return found;
                }
                trees::parse(p, b, keep).map_or_else(Vec::new, |m| check_module(p, &m, safe))
            }
        };
        let new = file.change.new.as_ref();
        let mut found = crate::blob_cache::findings(new, file.path(), content, check_as(true));
        if found.is_empty() {
            return Ok(());
        }
        if ctx.set.mode != Mode::All
            && let Some(old) = file.old_content()?
        {
            let old_blob = file.change.old.as_ref();
            let before: HashSet<String> =
                crate::blob_cache::findings(old_blob, file.path(), &old, check_as(false))
                    .into_iter()
                    .map(|f| f.identity())
                    .collect();
            found.retain(|f| !before.contains(&f.identity()));
        }
        out.extend(found);
        Ok(())
    }
}

fn is_python(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyw")
}

/// Every SQL-injection finding in one Python source.
pub fn check_source(path: &str, bytes: &[u8]) -> Vec<Finding> {
    check_source_with(path, bytes, &[])
}

/// [`check_source`], with the project's own quoting helpers
/// (`sql_injection.safe_calls` in `.dbguard.yaml`) counted as safe.
pub fn check_source_with(path: &str, bytes: &[u8], safe_calls: &[String]) -> Vec<Finding> {
    if !may_have_findings(bytes) {
        return Vec::new();
    }
    let Some(m) = Module::parse(bytes) else {
        return Vec::new();
    };
    check_module(path, &m, safe_calls)
}

/// The findings in a parsed module, whatever the prefilter would say.
fn check_module(path: &str, m: &Module, safe_calls: &[String]) -> Vec<Finding> {
    let checker = Checker::new(m, imports_sqlalchemy_text(m), safe_calls);
    let mut out = Vec::new();
    for node in sink_call_nodes(m) {
        if let Some(f) = checker.check_call(path, node) {
            out.push(f);
        }
    }
    out
}

/// Compiles the rule's regexes (~4.5 ms together) on the warm-up thread
/// while git lists the changes, so that the first Python file a staged
/// check reads does not compile them on the way.
pub fn warm_up() {
    may_have_findings(b"");
    sql_words();
    sql_statement();
}
