//! `dbguard models [--diff]`: the schema dbguard reads from the models,
//! and with `--diff` where it differs from the schema each environment's
//! migrations build (so a user can see why `model-without-migration`
//! says what it says). Text, or JSON (docs/schema/models.schema.json).

use std::io::{self, Write};

use colored::Colorize;
use serde::Serialize;

use crate::models::diff::Change;
use crate::models::schema::Schema;

/// One environment as `--diff` saw it.
pub struct EnvHead {
    pub script_location: String,
    pub heads: Vec<String>,
    /// Why its head is unknown, when it is.
    pub opaque: Option<String>,
}

/// What `--diff` found.
pub struct ModelsDiff {
    pub environments: Vec<EnvHead>,
    pub differences: Vec<Change>,
    /// Model tables that the migrations cannot say anything about.
    pub unknown: Vec<String>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    version: u32,
    tables: Vec<JsonTable<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<JsonDiff<'a>>,
}

#[derive(Serialize)]
struct JsonTable<'a> {
    name: &'a str,
    class_name: Option<&'a str>,
    path: &'a str,
    line: u32,
    columns: Vec<JsonColumn<'a>>,
}

#[derive(Serialize)]
struct JsonColumn<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    type_: Option<&'a str>,
    nullable: bool,
    primary_key: bool,
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    environments: Vec<JsonEnv<'a>>,
    differences: Vec<JsonDifference<'a>>,
    unknown_tables: &'a [String],
}

#[derive(Serialize)]
struct JsonEnv<'a> {
    script_location: &'a str,
    heads: &'a [String],
    unknown: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonDifference<'a> {
    table: &'a str,
    path: &'a str,
    line: Option<u32>,
    message: &'a str,
}

/// Writes the JSON document (docs/schema/models.schema.json).
pub fn write_json(
    schema: &Schema,
    diff: Option<&ModelsDiff>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = JsonDoc {
        version: 1,
        tables: schema
            .tables
            .iter()
            .map(|t| JsonTable {
                name: &t.name,
                class_name: t.class_name.as_deref(),
                path: &t.loc.path,
                line: t.loc.line,
                columns: t
                    .columns
                    .iter()
                    .map(|c| JsonColumn {
                        name: &c.name,
                        type_: c.type_.as_deref(),
                        nullable: c.nullable,
                        primary_key: c.primary_key || t.primary_key.contains(&c.name),
                    })
                    .collect(),
            })
            .collect(),
        diff: diff.map(|d| JsonDiff {
            environments: d
                .environments
                .iter()
                .map(|e| JsonEnv {
                    script_location: &e.script_location,
                    heads: &e.heads,
                    unknown: e.opaque.as_deref(),
                })
                .collect(),
            differences: d
                .differences
                .iter()
                .map(|c| JsonDifference {
                    table: &c.table,
                    path: &c.path,
                    line: c.line,
                    message: &c.text,
                })
                .collect(),
            unknown_tables: &d.unknown,
        }),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Writes the schema, or the differences, for people.
pub fn write_text(
    schema: &Schema,
    diff: Option<&ModelsDiff>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(d) = diff else {
        if schema.tables.is_empty() {
            writeln!(
                out,
                "no model tables found (models.paths in .dbguard.yaml says where models live)"
            )?;
        }
        return write!(out, "{}", schema.render());
    };
    if d.environments.is_empty() {
        writeln!(
            out,
            "no Alembic environment found: nothing to compare the models with"
        )?;
    }
    for e in &d.environments {
        match &e.opaque {
            Some(why) => writeln!(
                out,
                "{}: head unknown ({why}); its tables are not compared",
                e.script_location.bold()
            )?,
            None => writeln!(
                out,
                "{}: head {}",
                e.script_location.bold(),
                if e.heads.is_empty() {
                    "(no revisions)".to_string()
                } else {
                    e.heads.join(", ")
                }
            )?,
        }
    }
    let mut path = "";
    for c in &d.differences {
        if c.path != path {
            path = &c.path;
            writeln!(out, "{}", c.path.bold())?;
        }
        match c.line {
            Some(l) => writeln!(out, "  {l}: {}", c.text)?,
            None => writeln!(out, "  {}", c.text)?,
        }
    }
    if !d.unknown.is_empty() {
        writeln!(
            out,
            "not compared (the migrations cannot say): {}",
            d.unknown.join(", ")
        )?;
    }
    let n = d.differences.len();
    writeln!(
        out,
        "{} {} between the models ({} tables) and the migrations",
        n,
        if n == 1 { "difference" } else { "differences" },
        schema.tables.len()
    )
}
