//! `check`: list what is left to migrate as FILE:LINE: message; exit 1 while anything is.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::Common;
use super::common::{Planned, plan_all, relative_to_cwd};
use crate::dialect::Action;
use crate::plan::{self, EntryStatus};
use crate::render::Paths;

pub(super) fn run(common: &Common, out: &mut String) -> anyhow::Result<u8> {
    // pre-commit passes the changed files: plan the repository around them, then
    // report only what lies inside them.
    let files: Vec<&PathBuf> = common.paths.iter().filter(|path| path.is_file()).collect();
    let only = if files.is_empty() {
        None
    } else {
        if files.len() != common.paths.len() {
            anyhow::bail!("give `check` either directories or files, not both");
        }
        Some(
            files
                .iter()
                .map(|file| relative_to_cwd(file))
                .collect::<anyhow::Result<BTreeSet<String>>>()?,
        )
    };
    let planned = if only.is_some() {
        let root = Common {
            paths: vec![PathBuf::from(".")],
            ..common.clone()
        };
        plan_all(&root, plan::ReleaseNotes::Combined)?
    } else {
        plan_all(common, plan::ReleaseNotes::Combined)?
    };
    Ok(check_command(&planned, only.as_ref(), out))
}

/// `check`: everything left to migrate, or with `only`, what lies in those files.
fn check_command(planned: &[Planned], only: Option<&BTreeSet<String>>, out: &mut String) -> u8 {
    let mut failed = false;
    // (file, line, text), sorted so that the listing reads top to bottom per file.
    let mut lines: Vec<(String, usize, String)> = Vec::new();
    // Problems are listed too, but only errors decide the exit code.
    let mut warnings: Vec<(String, usize, String)> = Vec::new();
    for item in planned {
        let plan = &item.plan;
        let before = lines.len();
        let show = |file: &str| {
            Paths {
                prefix: &item.prefix,
            }
            .show(file)
        };
        for diagnostic in &plan.diagnostics {
            failed |= diagnostic.severity == crate::diagnostic::Severity::Error;
            warnings.push((
                show(&diagnostic.file),
                diagnostic.line.unwrap_or(0),
                format!("{}: {}", diagnostic.severity, diagnostic.message),
            ));
        }
        for entry in &plan.entry_points {
            let module = entry.module.as_deref().unwrap_or_default();
            let message = match (entry.status, entry.remove) {
                (EntryStatus::Generate, _) => {
                    format!(
                        "`{}` is a wsgi_scripts entry point; `wsgi-migrate apply` generates `{module}`",
                        entry.script
                    )
                }
                (EntryStatus::Migrated, true) => format!(
                    "`{}` is still declared in wsgi_scripts although `{module}` exists; `wsgi-migrate apply` removes it",
                    entry.script
                ),
                _ => continue,
            };
            lines.push((show(&entry.file), entry.line, message));
        }
        for reference in plan
            .references
            .iter()
            .filter(|reference| reference.action != Action::Ok)
        {
            lines.push((
                show(&reference.file),
                reference.line,
                reference.message.clone(),
            ));
        }
        // Changes no line above accounts for (a missing `__init__.py`) are listed by file.
        if lines.len() == before {
            for change in &plan.changes {
                lines.push((
                    show(change.path()),
                    0,
                    "`wsgi-migrate apply` would change this file".to_owned(),
                ));
            }
        }
    }
    if let Some(only) = only {
        lines.retain(|(file, ..)| only.contains(file));
        warnings.retain(|(file, ..)| only.contains(file));
        failed = warnings
            .iter()
            .any(|(_, _, text)| text.starts_with("error:"));
    }
    let pending = !lines.is_empty();
    lines.extend(warnings);
    lines.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    for (file, line, text) in &lines {
        let location = if *line == 0 {
            file.clone()
        } else {
            format!("{file}:{line}")
        };
        out.push_str(&format!("{location}: {text}\n"));
    }
    if failed { 2 } else { u8::from(pending) }
}
