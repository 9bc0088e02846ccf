//! Views of a [`Plan`] for people and programs: findings grouped by file, the JSON report, the
//! unified diff and the one-line summary. Nothing here decides anything; it only formats.

use std::fmt::Write as _;

use serde::Serialize;
use similar::TextDiff;

use crate::diagnostic::{Diagnostic, Severity};
use crate::dialect::Action;
use crate::plan::{EntryStatus, FileChange, Plan, PlannedEntryPoint, Reference};

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

/// Findings grouped by file, each with `file:line`.
pub fn findings(plan: &Plan, paths: Paths<'_>, style: Style) -> String {
    let mut by_file: std::collections::BTreeMap<&str, Vec<(usize, String)>> =
        std::collections::BTreeMap::new();
    for entry in &plan.entry_points {
        by_file
            .entry(&entry.file)
            .or_default()
            .push((entry.line, entry_line(entry, style)));
    }
    for reference in &plan.references {
        by_file
            .entry(&reference.file)
            .or_default()
            .push((reference.line, reference_line(reference, style)));
    }
    for diagnostic in &plan.diagnostics {
        by_file.entry(&diagnostic.file).or_default().push((
            diagnostic.line.unwrap_or(0),
            diagnostic_line(diagnostic, style),
        ));
    }
    let mut out = String::new();
    for (file, mut lines) in by_file {
        lines.sort_by_key(|(line, _)| *line);
        let _ = writeln!(out, "{}", style.bold(&paths.show(file)));
        for (line, text) in lines {
            let location = if line == 0 {
                paths.show(file)
            } else {
                format!("{}:{line}", paths.show(file))
            };
            let _ = writeln!(out, "  {}: {text}", style.paint("2", &location));
        }
        out.push('\n');
    }
    out
}

fn entry_line(entry: &PlannedEntryPoint, style: Style) -> String {
    let module = entry.module.as_deref().unwrap_or("?");
    let removal = if entry.remove {
        "; the entry point is removed"
    } else {
        "; the entry point is kept"
    };
    match entry.status {
        EntryStatus::Generate => format!(
            "{} `{}` = `{}` -> new module `{module}` ({}){removal}",
            style.paint("32", "generate"),
            entry.script,
            entry.target,
            entry.path.as_deref().unwrap_or_default()
        ),
        EntryStatus::Exists => format!(
            "{} `{}` already has module `{module}` ({}){removal}",
            style.paint("36", "exists"),
            entry.script,
            entry.path.as_deref().unwrap_or_default()
        ),
        EntryStatus::Error => format!(
            "{} `{}` = `{}` is not migrated (see the error)",
            style.paint("31", "blocked"),
            entry.script,
            entry.target
        ),
    }
}

fn action_label(action: Action, style: Style) -> String {
    match action {
        Action::Rewrite => style.paint("32", "rewrite"),
        Action::Manual => style.paint("33", "manual"),
        Action::Ok => style.paint("36", "ok"),
    }
}

fn reference_line(reference: &Reference, style: Style) -> String {
    format!(
        "{} [{}] {}",
        action_label(reference.action, style),
        reference.dialect,
        reference.message
    )
}

fn diagnostic_line(diagnostic: &Diagnostic, style: Style) -> String {
    match diagnostic.severity {
        Severity::Error => format!("{} {}", style.paint("31", "error:"), diagnostic.message),
        Severity::Warning => format!("{} {}", style.paint("33", "warning:"), diagnostic.message),
    }
}

/// The report `--format json` prints. `file` is relative to the scanned root.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub schema_version: u32,
    pub entry_points: &'a [PlannedEntryPoint],
    pub references: &'a [Reference],
    pub diagnostics: &'a [Diagnostic],
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
    let report = JsonReport {
        schema_version: 1,
        entry_points: &plan.entry_points,
        references: &plan.references,
        diagnostics: &plan.diagnostics,
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

/// `3 entry points (2 modules to generate, 1 existing), 4 references (...), 5 files to change, 0 errors`.
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
    let errors = plan
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .count();
    format!(
        "{} ({} to generate, {} existing), {} ({} to rewrite, {} manual, {} ok), {} to change, {}",
        count(plan.entry_points.len(), "entry point"),
        count(modules.len(), "module"),
        by_status(EntryStatus::Exists),
        count(plan.references.len(), "reference"),
        action(Action::Rewrite),
        action(Action::Manual),
        action(Action::Ok),
        count(plan.changes.len(), "file"),
        count(errors, "error"),
    )
}
