//! Nothing vanishes: every `manual` finding of a fixture's `before/` tree is still reported after
//! `apply` on that tree. `check` must never pass because the tool itself moved or rewrote
//! something that a person still has to fix.
//!
//! A finding is matched by its file and the text of its line (line numbers shift when `apply`
//! removes or adds lines above it), counting repeats: two manual findings on two identical lines
//! need two afterwards.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use crate::support::{Case, cases, copy_tree, describe, stdout, wsgi_migrate};

#[test]
fn manual_findings_survive_apply() {
    let cases = cases();
    let filtered = std::env::var("CASES").is_ok();
    assert!(
        filtered || cases.len() >= 30,
        "only {} cases found",
        cases.len()
    );
    let mut manual_before = 0;
    let mut failures = Vec::new();
    for case in &cases {
        // A case whose apply is refused writes nothing, so nothing can vanish.
        if case.exit_code != 0 {
            continue;
        }
        match survivors(case) {
            Ok(count) => manual_before += count,
            Err(error) => failures.push(format!("== {}\n{error}", case.name)),
        }
    }
    assert!(
        filtered || manual_before > 0,
        "no fixture has a manual finding: the test proves nothing"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases lose manual findings in apply:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// How many manual findings the case has before `apply`, or what vanished.
fn survivors(case: &Case) -> Result<usize, String> {
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    copy_tree(&case.dir.join("before"), &work);
    let run = |command: &[&str]| {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(case.args.iter().map(String::as_str));
        args.push(work.to_str().unwrap());
        wsgi_migrate(&args)
    };

    let before = manual_lines(&work, &run(&["scan", "--format", "json"]))?;
    let applied = run(&["apply", "--quiet"]);
    if applied.status.code() != Some(0) {
        return Err(format!("apply: {}", describe(&applied)));
    }
    let after = manual_lines(&work, &run(&["scan", "--format", "json"]))?;

    let mut lost = Vec::new();
    for (key, count) in &before {
        let left = after.get(key).copied().unwrap_or(0);
        if left < *count {
            let (file, text) = key;
            let still_there = fs::read_to_string(work.join(file))
                .is_ok_and(|content| content.lines().any(|line| line == text));
            let why = if still_there {
                "the line is unchanged but no longer a manual finding"
            } else {
                "apply changed or removed the line"
            };
            lost.push(format!("{file}: `{text}` ({why})"));
        }
    }
    if lost.is_empty() {
        Ok(before.values().sum())
    } else {
        Err(format!(
            "manual findings reported before apply and not after:\n  {}",
            lost.join("\n  ")
        ))
    }
}

/// `(file, text of the line)` of every `manual` finding in a `scan --format json` report, with
/// how many times each occurs. Findings are any objects with `file`, `line` and `action` in the
/// report's top-level arrays (`references` today).
fn manual_lines(root: &Path, scan: &Output) -> Result<BTreeMap<(String, String), usize>, String> {
    if scan.status.code() != Some(0) {
        return Err(format!("scan: {}", describe(scan)));
    }
    let report: serde_json::Value = serde_json::from_str(&stdout(scan))
        .map_err(|error| format!("scan JSON: {error}: {}", describe(scan)))?;
    let mut lines = BTreeMap::new();
    for items in report.as_object().into_iter().flat_map(|map| map.values()) {
        for item in items.as_array().into_iter().flatten() {
            let (Some(file), Some(line), Some("manual")) = (
                item["file"].as_str(),
                item["line"].as_u64(),
                item["action"].as_str(),
            ) else {
                continue;
            };
            let content = fs::read(root.join(file))
                .map_err(|error| format!("{file}: {error} (reported by scan)"))?;
            let content = String::from_utf8_lossy(&content);
            let text = usize::try_from(line)
                .ok()
                .and_then(|line| content.lines().nth(line.checked_sub(1)?))
                .unwrap_or_default()
                .to_owned();
            *lines.entry((file.to_owned(), text)).or_insert(0) += 1;
        }
    }
    Ok(lines)
}
