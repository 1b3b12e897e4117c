//! Renders an [`Outcome`] as a per-command table (comfy-table), as JSON, or as a JUnit XML report (one
//! test case per case-file case and per chunk of a random stream or replay; failures carry the
//! divergences, allowed ones go to `system-out`).

use std::fmt::Write as _;

use clap::ValueEnum;
use comfy_table::{presets, ContentArrangement, Table};
use ferry_compat::{Divergence, Origin};
use serde_json::{json, Value};

use super::outcome::{divergence_key, Outcome, Unit};

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A summary and a per-command table (the default).
    Table,
    /// One JSON document.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
}

/// Longest request or reply shown in a table cell.
const MAX_CELL_CHARS: usize = 200;

/// Table width when the output is not a terminal.
const DEFAULT_WIDTH: u16 = 180;

/// Renders the outcome; `all` lists every command (not just divergent ones) and, in the table,
/// every divergence after it.
pub fn render(outcome: &Outcome, format: Format, all: bool) -> String {
    match format {
        Format::Table => table(outcome, all),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&to_json(outcome)).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Junit => junit(outcome),
    }
}

fn headline(outcome: &Outcome) -> String {
    let report = &outcome.report;
    let total = report.divergences.len();
    let allowed = total - outcome.unallowed();
    let mut line = format!(
        "{} vs {}: {} cases, {} random streams, {} commands compared in {:.1} s; {} divergences",
        report.reference_label,
        report.target_label,
        report.cases,
        report.streams,
        report.commands,
        outcome.seconds,
        total
    );
    if allowed > 0 {
        line.push_str(&format!(" ({allowed} allowed)"));
    }
    line
}

fn table(outcome: &Outcome, all: bool) -> String {
    let mut out = headline(outcome);
    out.push('\n');
    let rows = outcome.command_rows(all);
    if !rows.is_empty() {
        let mut table = Table::new();
        let width = console::Term::stdout()
            .size_checked()
            .map_or(DEFAULT_WIDTH, |(_, columns)| columns.max(60));
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width)
            .set_header(vec![
                "command",
                "sent",
                "divergent",
                "allowed",
                "first difference",
            ]);
        for row in &rows {
            let example = row.example.map_or(String::new(), |index| {
                let divergence = &outcome.report.divergences[index];
                let mut text = example_text(outcome, divergence);
                if let Some(entry) = outcome.allowed[index] {
                    let _ = write!(text, "\nallowed: {}", outcome.allow.entries[entry].reason);
                }
                text
            });
            table.add_row(vec![
                row.command.clone(),
                row.sent.to_string(),
                row.divergent.to_string(),
                row.allowed.to_string(),
                example,
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    if all && !outcome.report.divergences.is_empty() {
        out.push_str("\nevery divergence:\n");
        for (divergence, allowed) in outcome.report.divergences.iter().zip(&outcome.allowed) {
            let mark = if allowed.is_some() { " (allowed)" } else { "" };
            let _ = writeln!(out, "{divergence}{mark}");
        }
    }
    for entry in outcome.unused_allowances() {
        let _ = writeln!(
            out,
            "note: allow entry {} matched nothing ({})",
            entry.source, entry.reason
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if outcome.passed() {
            "result: PASS".to_string()
        } else {
            format!(
                "result: FAIL ({} divergences not in the allow file)",
                outcome.unallowed()
            )
        }
    );
    out
}

fn example_text(outcome: &Outcome, divergence: &Divergence) -> String {
    let client = if divergence.client == 1 {
        String::new()
    } else {
        format!(" client {}", divergence.client)
    };
    format!(
        "[{}{client}] {}\n{}: {}\n{}: {}",
        divergence.origin,
        shorten(&divergence.request),
        outcome.report.reference_label,
        shorten(&divergence.reference),
        outcome.report.target_label,
        shorten(&divergence.target)
    )
}

/// Cuts text for a table cell (the JSON and JUnit reports keep the harness's longer form).
fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_CELL_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_CELL_CHARS).collect();
    format!("{cut}… ({} chars)", text.chars().count())
}

fn origin_json(origin: &Origin) -> Value {
    match origin {
        Origin::Case { file, case, line } => json!({"file": file, "case": case, "line": line}),
        Origin::Random { seed, index } => json!({"seed": seed, "index": index}),
        Origin::Setup => json!({"setup": true}),
    }
}

/// The outcome as one JSON document.
pub fn to_json(outcome: &Outcome) -> Value {
    let report = &outcome.report;
    let divergences: Vec<Value> = report
        .divergences
        .iter()
        .zip(&outcome.allowed)
        .map(|(divergence, allowed)| {
            json!({
                "origin": origin_json(&divergence.origin),
                "where": divergence.origin.to_string(),
                "client": divergence.client,
                "command": divergence_key(divergence),
                "request": divergence.request,
                "reference": divergence.reference,
                "target": divergence.target,
                "allowed": allowed.is_some(),
                "allow_reason": allowed.map(|i| outcome.allow.entries[i].reason.clone()),
            })
        })
        .collect();
    let commands: Vec<Value> = outcome
        .command_rows(true)
        .into_iter()
        .map(|row| {
            json!({
                "command": row.command,
                "sent": row.sent,
                "divergent": row.divergent,
                "allowed": row.allowed,
            })
        })
        .collect();
    let unused: Vec<Value> = outcome
        .unused_allowances()
        .into_iter()
        .map(|entry| json!({"source": entry.source, "reason": entry.reason}))
        .collect();
    json!({
        "reference": report.reference_label,
        "target": report.target_label,
        "passed": outcome.passed(),
        "cases": report.cases,
        "streams": report.streams,
        "commands_compared": report.commands,
        "seconds": outcome.seconds,
        "divergence_count": report.divergences.len(),
        "unallowed_count": outcome.unallowed(),
        "commands": commands,
        "divergences": divergences,
        "unused_allowances": unused,
    })
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot hold become U+FFFD.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn junit(outcome: &Outcome) -> String {
    let failed = |unit: &Unit| {
        unit.divergences
            .iter()
            .any(|&i| outcome.allowed[i].is_none())
    };
    // Suites in order of first appearance.
    let mut suites: Vec<(&str, Vec<&Unit>)> = Vec::new();
    for unit in &outcome.units {
        match suites.iter_mut().find(|(name, _)| *name == unit.suite) {
            Some((_, units)) => units.push(unit),
            None => suites.push((&unit.suite, vec![unit])),
        }
    }
    let report = &outcome.report;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
        xml_escape(&format!(
            "ferry compat: {} vs {}",
            report.reference_label, report.target_label
        )),
        outcome.units.len(),
        outcome.units.iter().filter(|u| failed(u)).count(),
        outcome.seconds
    );
    for (suite, units) in &suites {
        let seconds: f64 = units.iter().map(|u| u.seconds).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{seconds:.3}\">",
            xml_escape(suite),
            units.len(),
            units.iter().filter(|u| failed(u)).count()
        );
        for unit in units {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(suite),
                xml_escape(&unit.name),
                unit.seconds
            );
            if unit.divergences.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let (allowed, unallowed): (Vec<usize>, Vec<usize>) = unit
                .divergences
                .iter()
                .partition(|&&i| outcome.allowed[i].is_some());
            let listing = |indices: &[usize]| {
                indices
                    .iter()
                    .map(|&i| {
                        let mut text = report.divergences[i].to_string();
                        if let Some(entry) = outcome.allowed[i] {
                            let _ = write!(
                                text,
                                "\n    allowed: {}",
                                outcome.allow.entries[entry].reason
                            );
                        }
                        text
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            if !unallowed.is_empty() {
                let first = &report.divergences[unallowed[0]];
                let _ = writeln!(
                    out,
                    "      <failure type=\"divergence\" message=\"{}\">{}</failure>",
                    xml_escape(&format!(
                        "{} divergences; first: {}",
                        unallowed.len(),
                        first.request
                    )),
                    xml_escape(&listing(&unallowed))
                );
            }
            if !allowed.is_empty() {
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    xml_escape(&format!("allowed divergences:\n{}", listing(&allowed)))
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::allow::AllowList;
    use ferry_compat::Report;

    fn outcome() -> Outcome {
        let mut report = Report::new("valkey <9.1>", "ferry");
        report.count("GET", true);
        report.count("SET", true);
        report.count("PING", false);
        for (line, request) in [(3, "GET k"), (4, "SET k \"\\x01\"")] {
            report.divergences.push(Divergence {
                origin: Origin::Case {
                    file: "a.toml".into(),
                    case: "c & d".into(),
                    line,
                },
                client: 1,
                request: request.into(),
                reference: "\"+OK\\r\\n\"".into(),
                target: "\"-ERR x\\r\\n\"".into(),
            });
        }
        let units = vec![
            Unit {
                suite: "a.toml".into(),
                name: "c & d".into(),
                divergences: vec![0, 1],
                seconds: 0.5,
            },
            Unit {
                suite: "a.toml".into(),
                name: "clean".into(),
                divergences: vec![],
                seconds: 0.25,
            },
        ];
        let allow = AllowList::parse("allow", b"SET # binary values\n").unwrap();
        Outcome::new(report, units, allow, 1.0)
    }

    #[test]
    fn junit_is_well_formed_and_counts_failures() {
        let xml = render(&outcome(), Format::Junit, false);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("2"));
        assert_eq!(root.attribute("failures"), Some("1"));
        assert_eq!(
            root.attribute("name"),
            Some("ferry compat: valkey <9.1> vs ferry")
        );
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 2);
        let failure = cases[0]
            .children()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert!(failure.text().unwrap().contains("GET k"));
        assert!(!failure.text().unwrap().contains("SET k"));
        let out = cases[0]
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .unwrap();
        assert!(out.text().unwrap().contains("binary values"));
    }

    #[test]
    fn json_and_table_carry_the_divergences() {
        let outcome = outcome();
        let value = to_json(&outcome);
        assert_eq!(value["passed"], false);
        assert_eq!(value["unallowed_count"], 1);
        assert_eq!(value["divergences"][1]["allowed"], true);
        assert_eq!(value["divergences"][1]["allow_reason"], "binary values");
        assert_eq!(value["divergences"][0]["origin"]["line"], 3);
        assert_eq!(value["commands"].as_array().unwrap().len(), 3);
        let text = render(&outcome, Format::Table, false);
        assert!(text.contains("GET k"), "{text}");
        assert!(text.contains("result: FAIL (1 divergences"), "{text}");
        assert!(!text.contains("PING"), "{text}");
    }

    #[test]
    fn xml_escape_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml_escape("a<b>&\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}\n"
        );
    }
}
