//! Views of a [`Plan`] for people and programs: findings grouped by file, the JSON report, the
//! unified diff and the one-line summary. Nothing here decides anything; it only formats.

use std::fmt::Write as _;

use serde::Serialize;
use similar::TextDiff;

use crate::code::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::dialect::Action;
use crate::plan::{EntryStatus, FileChange, Plan, PlannedEntryPoint, Reference};
use crate::report::{Finding, Kind};

/// Terminal colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// How paths are shown: relative to the scanned root, behind an optional prefix when several
/// roots were scanned.
#[derive(Debug, Clone, Copy)]
pub struct Paths<'a> {
    pub prefix: &'a str,
}

impl Paths<'_> {
    pub fn show(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.prefix.trim_end_matches('/'))
        }
    }
}

/// Findings grouped under a heading per file, one `LINE: label CODE message` line each, the
/// message wrapped to [`WIDTH`] columns. `ok` findings are counted, and listed with `show_ok`.
pub fn grouped(findings: &[Finding], style: Style, show_ok: bool) -> String {
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for finding in findings
        .iter()
        .filter(|finding| show_ok || finding.kind.is_shown_by_default())
    {
        if current != Some(finding.file.as_str()) {
            if current.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", style.bold(&finding.file));
            current = Some(&finding.file);
        }
        let line = if finding.line == 0 {
            "-".to_owned()
        } else {
            finding.line.to_string()
        };
        let (label, colour) = kind_label(finding.kind);
        let mut head = format!("{label} {}", finding.code);
        if let Some(dialect) = finding.dialect {
            let _ = write!(head, " [{dialect}]");
        }
        let indent = 2 + 5 + 1;
        let lines = wrap(
            &format!("{head} {}", finding.message),
            WIDTH.saturating_sub(indent),
        );
        for (index, text) in lines.iter().enumerate() {
            if index == 0 {
                // Colour only the label, after wrapping the plain text.
                let rest = &text[label.len()..];
                let _ = writeln!(
                    out,
                    "{}{}{rest}",
                    style.paint("2", &format!("  {line:>5} ")),
                    style.paint(colour, label)
                );
            } else {
                let _ = writeln!(out, "{:indent$}{text}", "");
            }
        }
    }
    if current.is_some() {
        out.push('\n');
    }
    out
}

/// The column text views wrap at.
pub const WIDTH: usize = 100;

fn kind_label(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Error => ("error", "31"),
        Kind::Warning => ("warning", "33"),
        Kind::Rewrite => ("rewrite", "32"),
        Kind::Manual => ("manual", "33"),
        Kind::Ok => ("ok", "36"),
    }
}

/// `text` broken at spaces into lines of at most `width` characters. A longer word, and a
/// `code span`, stays whole.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        open ^= word.matches('`').count() % 2 == 1;
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in &words {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `N findings that need nothing not shown (...)`, or nothing when all were shown.
pub fn hidden(findings: &[Finding], show_ok: bool) -> String {
    let hidden = findings
        .iter()
        .filter(|finding| !finding.kind.is_shown_by_default())
        .count();
    if show_ok || hidden == 0 {
        String::new()
    } else {
        format!(
            "{} that need nothing not shown (--show-ok shows them)\n",
            count(hidden, "finding")
        )
    }
}

/// The report `--output-format json` prints. `file` is relative to the scanned root; every
/// list is in the order of the text views: by file, then line.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub schema_version: u32,
    pub entry_points: Vec<JsonEntryPoint<'a>>,
    pub references: Vec<&'a Reference>,
    pub diagnostics: Vec<&'a Diagnostic>,
}

/// An entry point with its finding's code.
#[derive(Serialize)]
pub struct JsonEntryPoint<'a> {
    #[serde(flatten)]
    pub entry: &'a PlannedEntryPoint,
    pub code: Code,
}

/// One JSON report for the plans of several trees, with each file shown as in text output
/// (behind its tree's prefix when several were scanned).
pub fn json_report(plans: &[(Paths<'_>, &Plan)]) -> String {
    let mut merged = Plan::default();
    for (paths, plan) in plans {
        let show = |file: &str| paths.show(file);
        merged
            .entry_points
            .extend(plan.entry_points.iter().map(|entry| PlannedEntryPoint {
                file: show(&entry.file),
                path: entry.path.as_deref().map(show),
                ..entry.clone()
            }));
        merged
            .references
            .extend(plan.references.iter().map(|reference| Reference {
                file: show(&reference.file),
                ..reference.clone()
            }));
        merged
            .diagnostics
            .extend(plan.diagnostics.iter().map(|diagnostic| Diagnostic {
                file: show(&diagnostic.file),
                ..diagnostic.clone()
            }));
    }
    json(&merged)
}

pub fn json(plan: &Plan) -> String {
    let mut entry_points: Vec<JsonEntryPoint<'_>> = plan
        .entry_points
        .iter()
        .map(|entry| JsonEntryPoint {
            entry,
            code: entry.code(),
        })
        .collect();
    entry_points.sort_by(|a, b| (&a.entry.file, a.entry.line).cmp(&(&b.entry.file, b.entry.line)));
    let mut references: Vec<&Reference> = plan.references.iter().collect();
    references.sort_by(|a, b| (&a.file, a.line, a.code).cmp(&(&b.file, b.line, b.code)));
    let mut diagnostics: Vec<&Diagnostic> = plan.diagnostics.iter().collect();
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line.unwrap_or(0), &a.message).cmp(&(&b.file, b.line.unwrap_or(0), &b.message))
    });
    let report = JsonReport {
        schema_version: 1,
        entry_points,
        references,
        diagnostics,
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

/// One unified diff of every change, git-style, which `git apply` accepts from the root.
pub fn diff(plan: &Plan, paths: Paths<'_>) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        match change {
            FileChange::Create { path, contents } => {
                let path = paths.show(path);
                let _ = writeln!(out, "diff --git a/{path} b/{path}\nnew file mode 100644");
                if !contents.is_empty() {
                    out.push_str(&hunks("", contents, "/dev/null", &format!("b/{path}")));
                }
            }
            FileChange::Modify {
                path,
                before,
                after,
            } => {
                let path = paths.show(path);
                let _ = writeln!(out, "diff --git a/{path} b/{path}");
                out.push_str(&hunks(
                    before,
                    after,
                    &format!("a/{path}"),
                    &format!("b/{path}"),
                ));
            }
            FileChange::Rename { from, to, .. } => {
                let (from, to) = (paths.show(from), paths.show(to));
                let _ = writeln!(
                    out,
                    "diff --git a/{from} b/{to}\nsimilarity index 100%\nrename from {from}\nrename to {to}"
                );
            }
        }
    }
    out
}

/// The hunks of a unified diff over lines as git splits them, at `\n` only: a lone `\r` (a
/// line break for Python's configparser) stays inside its line, so `git apply` accepts the diff.
fn hunks(before: &str, after: &str, old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = before.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = after.split_inclusive('\n').collect();
    let diff = TextDiff::configure().diff_slices(&old_lines, &new_lines);
    let mut out = String::new();
    for ops in diff.grouped_ops(3) {
        if out.is_empty() {
            let _ = writeln!(out, "--- {old}\n+++ {new}");
        }
        let _ = writeln!(out, "{}", similar::udiff::UnifiedHunkHeader::new(&ops));
        for op in &ops {
            for change in diff.iter_changes(op) {
                let line = change.value();
                out.push_str(&change.tag().to_string());
                out.push_str(line);
                if !line.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// Colour a diff's added and removed lines for a terminal.
pub fn color_diff(diff: &str, style: Style) -> String {
    if !style.color {
        return diff.to_owned();
    }
    diff.split_inclusive('\n')
        .map(|line| {
            let code = if line.starts_with("+++")
                || line.starts_with("---")
                || line.starts_with("diff --git")
            {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                return line.to_owned();
            };
            let (body, newline) = line
                .strip_suffix('\n')
                .map_or((line, ""), |body| (body, "\n"));
            format!("{}{newline}", style.paint(code, body))
        })
        .collect()
}

/// `n word` with the word made plural when `n` is not 1 (`1 entry point`, `2 entry points`).
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        return format!("1 {word}");
    }
    let plural = match word {
        "entry point" => "entry points".to_owned(),
        "reference" => "references".to_owned(),
        _ => format!("{word}s"),
    };
    format!("{n} {plural}")
}

/// `3 entry points (2 modules to generate, 1 existing), 4 references (...), 5 files to change,
/// 0 errors, 1 warning`.
pub fn summary(plan: &Plan) -> String {
    let by_status = |status: EntryStatus| {
        plan.entry_points
            .iter()
            .filter(|entry| entry.status == status)
            .count()
    };
    let modules: std::collections::BTreeSet<&str> = plan
        .entry_points
        .iter()
        .filter(|entry| entry.status == EntryStatus::Generate)
        .filter_map(|entry| entry.module.as_deref())
        .collect();
    let action = |action: Action| {
        plan.references
            .iter()
            .filter(|reference| reference.action == action)
            .count()
    };
    let severity = |severity: Severity| {
        plan.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    };
    format!(
        "{} ({} to generate, {} existing), {} ({} to rewrite, {} manual, {} ok), {} to change, {}, {}",
        count(plan.entry_points.len(), "entry point"),
        count(modules.len(), "module"),
        by_status(EntryStatus::Exists),
        count(plan.references.len(), "reference"),
        action(Action::Rewrite),
        action(Action::Manual),
        action(Action::Ok),
        count(plan.changes.len(), "file"),
        count(severity(Severity::Error), "error"),
        count(severity(Severity::Warning), "warning"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_keeps_code_spans_whole() {
        assert_eq!(
            super::wrap("replace `a = b` with `c = d` now", 12),
            vec!["replace", "`a = b` with", "`c = d` now"]
        );
        assert_eq!(super::wrap("", 10), vec![""]);
        assert_eq!(
            super::wrap("averylongword x", 4),
            vec!["averylongword", "x"]
        );
    }
}
