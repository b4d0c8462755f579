//! dbguard: a git pre-commit hygiene and policy checker for database code.
//!
//! Data flows one way: a source (`git`) lists changes, rules (`rules`)
//! turn files and changes into findings, the engine (`engine`) applies
//! selection and severity, and a report format (`report`) prints them.
//! `main.rs` only parses arguments and maps the result to an exit code.

pub mod alembic;
pub mod ascii_regex;
pub mod baseline;
pub mod blob_cache;
pub mod changes;
pub mod cli;
pub mod config;
pub mod engine;
pub mod explain;
pub mod finding;
pub mod fix;
pub mod git;
pub mod init;
pub mod install;
pub mod memory;
pub mod models;
pub mod progress;
pub mod python;
pub mod report;
pub mod rules;
pub mod run;
pub mod secrets;
pub mod suppress;
pub mod text;
