//! The fleet's summary: one row per repository, as a table or one JSON document. Successes come
//! first in the order given, then the skipped repositories, then the failures with their reasons.

use serde::Serialize;

use crate::plan::Plan;
use crate::report::render;

/// What happened (or, in a dry run, would happen) to a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Dry run: it has work, and would get its branch and commit.
    Migrate,
    /// Its branch and commit were made.
    Migrated,
    NothingToDo,
    /// Its topic branch holds the migration already, or the tree needs none any more.
    AlreadyMigrated,
    Skipped,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushStatus {
    Pushed,
    /// The remote (or the push record, for Gerrit) already has this commit: not pushed again.
    AlreadyPushed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pushed {
    pub remote: String,
    #[serde(rename = "ref")]
    pub refname: String,
    pub status: PushStatus,
    /// Which `--batch` it went in, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub repository: String,
    pub outcome: Outcome,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    pub entry_points: usize,
    pub modules: usize,
    pub files: usize,
    pub manual: usize,
    pub branch: Option<String>,
    /// The full id of the migration commit.
    pub commit: Option<String>,
    pub change_id: Option<String>,
    pub pushed: Option<Pushed>,
    /// Whether this run wrote its changes (or, in a dry run, would): its files count in the
    /// total.
    #[serde(skip)]
    pub writes: bool,
}

impl Row {
    pub fn new(repository: &str) -> Row {
        Row {
            repository: repository.to_owned(),
            outcome: Outcome::NothingToDo,
            reason: None,
            entry_points: 0,
            modules: 0,
            files: 0,
            manual: 0,
            branch: None,
            commit: None,
            change_id: None,
            pushed: None,
            writes: false,
        }
    }

    pub fn refuse(&mut self, outcome: Outcome, reason: String) {
        self.outcome = outcome;
        self.reason = Some(reason);
    }

    pub fn count(&mut self, plan: &Plan) {
        (self.entry_points, self.modules, self.files, self.manual) = super::counts(plan);
    }

    fn rank(&self) -> u8 {
        match self.outcome {
            Outcome::Error => 2,
            Outcome::Skipped => 1,
            _ => 0,
        }
    }

    fn outcome_text(&self) -> String {
        let text = match self.outcome {
            Outcome::Migrate => "migrate",
            Outcome::Migrated => "migrated",
            Outcome::NothingToDo => "nothing to do",
            Outcome::AlreadyMigrated => "already migrated",
            Outcome::Skipped => "skipped",
            Outcome::Error => "error",
        };
        match &self.reason {
            Some(reason) => format!("{text}: {reason}"),
            None => text.to_owned(),
        }
    }
}

/// The rows in report order: successes, skipped, failures; each group in the order given.
fn ordered(rows: &[Row]) -> Vec<&Row> {
    let mut ordered: Vec<&Row> = rows.iter().collect();
    ordered.sort_by_key(|row| row.rank());
    ordered
}

/// The table, then the total line.
pub fn table(rows: &[Row], dry_run: bool) -> String {
    let mut header = vec!["repository", "entry points", "modules", "files", "manual"];
    if !dry_run {
        header.extend(["commit", "change-id", "pushed"]);
    }
    header.push(if dry_run { "would" } else { "outcome" });
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|cell| (*cell).to_owned()).collect()];
    for row in ordered(rows) {
        let mut cells = vec![
            row.repository.clone(),
            row.entry_points.to_string(),
            row.modules.to_string(),
            row.files.to_string(),
            row.manual.to_string(),
        ];
        if !dry_run {
            let dash = || "-".to_owned();
            cells.push(
                row.commit
                    .as_deref()
                    .map_or_else(dash, |commit| commit[..commit.len().min(12)].to_owned()),
            );
            cells.push(row.change_id.clone().unwrap_or_else(dash));
            cells.push(match &row.pushed {
                Some(pushed) if pushed.status == PushStatus::AlreadyPushed => {
                    format!("{} (already)", pushed.refname)
                }
                Some(pushed) => pushed.refname.clone(),
                None => dash(),
            });
        }
        cells.push(row.outcome_text());
        lines.push(cells);
    }
    let columns = lines[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            lines
                .iter()
                .map(|cells| cells[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for cells in &lines {
        let mut line = String::new();
        for (column, cell) in cells.iter().enumerate() {
            if column + 1 == columns {
                line.push_str(cell);
            } else if (1..5).contains(&column) {
                // Counts are right-aligned.
                line.push_str(&format!("{cell:>width$}  ", width = widths[column]));
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[column]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&total(rows, dry_run));
    out.push('\n');
    out
}

/// `1 repository`, `2 repositories`.
pub fn repositories(n: usize) -> String {
    if n == 1 {
        "1 repository".to_owned()
    } else {
        format!("{n} repositories")
    }
}

/// `wsgi-migrate: 8 repositories: 5 migrated, ...; 14 files changed, 3 left for a person`.
fn total(rows: &[Row], dry_run: bool) -> String {
    let count = |outcome: Outcome| rows.iter().filter(|row| row.outcome == outcome).count();
    let mut parts = Vec::new();
    for (outcome, label) in [
        (Outcome::Migrate, "to migrate"),
        (Outcome::Migrated, "migrated"),
        (Outcome::AlreadyMigrated, "already migrated"),
        (Outcome::NothingToDo, "nothing to do"),
        (Outcome::Skipped, "skipped"),
        (Outcome::Error, "failed"),
    ] {
        let n = count(outcome);
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let files: usize = rows
        .iter()
        .filter(|row| row.writes)
        .map(|row| row.files)
        .sum();
    let manual: usize = rows.iter().map(|row| row.manual).sum();
    let pushed = rows
        .iter()
        .filter(|row| {
            row.pushed
                .as_ref()
                .is_some_and(|pushed| pushed.status == PushStatus::Pushed)
        })
        .count();
    let mut line = format!(
        "wsgi-migrate: {}: {}; {} {}, {} left for a person",
        repositories(rows.len()),
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        },
        if dry_run { "would change" } else { "changed" },
        render::count(files, "file"),
        render::count(manual, "reference"),
    );
    if !dry_run {
        line.push_str(&format!("; {pushed} pushed"));
    }
    line
}

#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    row: &'a Row,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonTotals {
    repositories: usize,
    migrate: usize,
    migrated: usize,
    already_migrated: usize,
    nothing_to_do: usize,
    skipped: usize,
    failed: usize,
    files: usize,
    manual: usize,
    pushed: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    dry_run: bool,
    topic: &'a str,
    repositories: Vec<JsonRow<'a>>,
    totals: JsonTotals,
}

/// The summary as one JSON document, rows in the table's order; `diffs` (by row, as given)
/// are included when present.
pub fn json(rows: &[Row], diffs: &[Option<&str>], dry_run: bool, topic: &str) -> String {
    let count = |outcome: Outcome| rows.iter().filter(|row| row.outcome == outcome).count();
    let mut indexed: Vec<(usize, &Row)> = rows.iter().enumerate().collect();
    indexed.sort_by_key(|(_, row)| row.rank());
    let report = JsonReport {
        schema_version: 1,
        dry_run,
        topic,
        repositories: indexed
            .into_iter()
            .map(|(index, row)| JsonRow {
                row,
                diff: diffs.get(index).copied().flatten(),
            })
            .collect(),
        totals: JsonTotals {
            repositories: rows.len(),
            migrate: count(Outcome::Migrate),
            migrated: count(Outcome::Migrated),
            already_migrated: count(Outcome::AlreadyMigrated),
            nothing_to_do: count(Outcome::NothingToDo),
            skipped: count(Outcome::Skipped),
            failed: count(Outcome::Error),
            files: rows
                .iter()
                .filter(|row| row.writes)
                .map(|row| row.files)
                .sum(),
            manual: rows.iter().map(|row| row.manual).sum(),
            pushed: rows
                .iter()
                .filter(|row| {
                    row.pushed
                        .as_ref()
                        .is_some_and(|pushed| pushed.status == PushStatus::Pushed)
                })
                .count(),
        },
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, outcome: Outcome, reason: Option<&str>) -> Row {
        let mut row = Row::new(name);
        row.outcome = outcome;
        row.reason = reason.map(str::to_owned);
        row
    }

    #[test]
    fn failures_come_last_with_their_reasons() {
        let rows = vec![
            row("broken", Outcome::Error, Some("setup.cfg:3: bad target")),
            row("dirty", Outcome::Skipped, Some("uncommitted changes (a)")),
            row("nova", Outcome::Migrate, None),
            row("docs", Outcome::NothingToDo, None),
        ];
        let table = table(&rows, true);
        let names: Vec<&str> = table
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert_eq!(
            names,
            ["nova", "docs", "dirty", "broken", "wsgi-migrate:"],
            "{table}"
        );
        assert!(table.contains("error: setup.cfg:3: bad target"), "{table}");
        assert!(
            table.ends_with(
                "wsgi-migrate: 4 repositories: 1 to migrate, 1 nothing to do, 1 skipped, 1 failed; would change 0 files, 0 references left for a person\n"
            ),
            "{table}"
        );
    }
}
