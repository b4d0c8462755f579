//! `dbguard rules`: the rule table and each rule's documentation, so that a
//! user learns every rule from the tool itself (a hook installed by
//! pre-commit runs far from the source tree, so the docs are embedded).
//!
//! The documentation is the markdown of `docs/rules/<id>.md`. On a
//! terminal it is rendered for reading (headings styled, code fences
//! dropped and code indented, quotes marked); anywhere else it is printed
//! as the markdown it is, for pipes, pagers and editors.

use std::io::{self, Write};

use colored::Colorize;

use crate::rules::{RULES, RuleInfo};

/// Writes the table of every rule: id, default severity, summary.
pub fn write_table(out: &mut dyn Write, footer: bool) -> io::Result<()> {
    let width = RULES.iter().map(|r| r.id.as_str().len()).max().unwrap_or(4);
    writeln!(
        out,
        "{}",
        format!("{:width$}  {:8} {}", "RULE", "SEVERITY", "WHAT IT ENFORCES").bold()
    )?;
    for r in RULES {
        let sev = format!("{:8}", r.default_severity.as_str());
        let sev = match r.default_severity {
            crate::finding::Severity::Error => sev.red(),
            crate::finding::Severity::Warning => sev.yellow(),
        };
        writeln!(out, "{:width$}  {sev} {}", r.id.as_str(), r.summary)?;
    }
    if footer {
        writeln!(
            out,
            "\nRun `dbguard rules RULE` to see what a rule checks, why, and how to fix it."
        )?;
    }
    Ok(())
}

/// Writes one rule's documentation: as markdown, or rendered for a
/// terminal when `rendered`.
pub fn write_doc(info: &RuleInfo, rendered: bool, out: &mut dyn Write) -> io::Result<()> {
    if !rendered {
        out.write_all(info.doc.as_bytes())?;
        if !info.doc.ends_with('\n') {
            writeln!(out)?;
        }
        return Ok(());
    }
    out.write_all(render(info.doc).as_bytes())
}

/// Renders the small markdown subset the rule docs use for a terminal.
/// Colors follow the global switch `main` sets (none when off).
pub fn render(doc: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {}\n", line.green()));
        } else if let Some(title) = line.strip_prefix("# ") {
            out.push_str(&format!("{}\n", title.bold().underline()));
        } else if let Some(heading) = line.strip_prefix("## ") {
            out.push_str(&format!("{}\n", heading.to_uppercase().bold().cyan()));
        } else if let Some(quote) = line.strip_prefix('>') {
            out.push_str(&format!(
                "  {} {}\n",
                "│".dimmed(),
                inline(quote.trim_start()).italic()
            ));
        } else {
            out.push_str(&inline(line));
            out.push('\n');
        }
    }
    out
}

/// Inline markdown: `code` in yellow and **bold** in bold, markers removed.
fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            out.push_str(&after[..end].yellow().to_string());
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            out.push_str(&after[..end].bold().to_string());
            rest = &after[end + 2..];
        } else {
            let next = rest[1..].find(['`', '*']).map_or(rest.len(), |i| i + 1);
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    fn plain<T>(f: impl FnOnce() -> T) -> T {
        colored::control::set_override(false);
        f()
    }

    #[test]
    fn table_lists_every_rule_once() {
        let mut buf = Vec::new();
        plain(|| write_table(&mut buf, false)).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), RULES.len() + 1);
        assert!(lines[0].starts_with("RULE "));
        for (line, r) in lines[1..].iter().zip(RULES) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cols[0], r.id.as_str());
            assert_eq!(cols[1], r.default_severity.as_str());
            assert!(line.ends_with(r.summary));
        }
    }

    #[test]
    fn rendering_drops_markdown_syntax_but_keeps_the_text() {
        let doc = "# x\n\nLead.\n\n## Why\n> **NEVER** do `this`\n\n## Example\n```\nbad line\n```\nA *star* and `code`.\n";
        let out = plain(|| render(doc));
        assert_eq!(
            out,
            "x\n\nLead.\n\nWHY\n  │ NEVER do this\n\nEXAMPLE\n    bad line\nA *star* and code.\n"
        );
    }

    #[test]
    fn markdown_is_printed_as_is_when_not_rendered() {
        let info = RuleId::DbFile.info();
        let mut buf = Vec::new();
        write_doc(info, false, &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap().trim_end(),
            info.doc.trim_end()
        );
    }

    #[test]
    fn every_doc_renders_without_fences() {
        for info in RULES {
            let out = plain(|| render(info.doc));
            assert!(!out.contains("```"), "{}", info.id);
            assert!(out.starts_with(info.id.as_str()), "{}", info.id);
        }
    }
}
