//! The data-driven test: every `testdata/<case>/` with a `case.toml` is migrated and compared.
//!
//! For each case, on a scratch copy of `before/`:
//! 1. `apply --dry-run` writes nothing, and its diff, applied with `git apply`, gives `after/`;
//! 2. `apply` exits with the case's `exit_code` (default 0) and leaves exactly `after/` (or the
//!    unchanged `before/` when the case has no `after/`);
//! 3. a second `apply` changes nothing;
//! 4. `check` on the result prints exactly `expected.check` and exits 1 when it lists anything.
//!
//! `SNAPSHOTS=overwrite cargo test` rewrites `after/` and `expected.check` from the actual
//! results; review `git diff testdata/` before committing them.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{
    self, Case, cases, copy_tree, describe, replace_tree, stdout, tree_differences, wsgi_migrate,
};

/// Guards against a broken glob passing with no case at all.
const MIN_CASES: usize = 30;

#[test]
fn fixtures() {
    let cases = cases();
    let filtered = std::env::var("CASES").is_ok();
    assert!(
        filtered || cases.len() >= MIN_CASES,
        "only {} cases found",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run_case(case)
                .err()
                .map(|error| format!("== {}\n{error}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn run_case(case: &Case) -> Result<(), String> {
    let case_dir = support::testdata().join(&case.name);
    let before = case_dir.join("before");
    let after = case_dir.join("after");
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    copy_tree(&before, &work);
    let work_arg = work.to_str().unwrap();
    let args = |command: &str, extra: &[&str]| -> Vec<String> {
        let mut all = vec![command.to_owned()];
        all.extend(extra.iter().map(|arg| (*arg).to_owned()));
        all.extend(case.args.iter().cloned());
        all.push(work_arg.to_owned());
        all
    };
    let run = |all: Vec<String>| wsgi_migrate(&all.iter().map(String::as_str).collect::<Vec<_>>());

    // 1. The dry run writes nothing, and its diff is exactly what apply writes.
    let dry_run = run(args("apply", &["--dry-run"]));
    let unchanged = tree_differences(&before, &work);
    if !unchanged.is_empty() {
        return Err(format!("--dry-run wrote files:\n{unchanged}"));
    }
    if dry_run.status.code() != Some(case.exit_code) {
        return Err(format!("--dry-run: {}", describe(&dry_run)));
    }

    // 2. apply.
    let applied = run(args("apply", &["--quiet"]));
    if applied.status.code() != Some(case.exit_code) {
        return Err(format!("apply: {}", describe(&applied)));
    }
    if support::overwrite() && case.exit_code == 0 {
        // A case where nothing may change has no `after/`.
        if tree_differences(&before, &work).is_empty() {
            if after.exists() {
                fs::remove_dir_all(&after).unwrap();
            }
        } else {
            replace_tree(&work, &after);
        }
    }
    let expected = if after.exists() {
        after.clone()
    } else {
        before.clone()
    };
    let differences = tree_differences(&expected, &work);
    if !differences.is_empty() {
        return Err(format!(
            "apply result differs from {}:\n{differences}",
            expected.display()
        ));
    }

    if case.exit_code == 0 && !dry_run.stdout.is_empty() {
        let patched = scratch.path().join("patched");
        copy_tree(&before, &patched);
        git_apply(&patched, &dry_run.stdout)?;
        let differences = tree_differences(&work, &patched);
        if !differences.is_empty() {
            return Err(format!(
                "the --dry-run diff does not give what apply wrote:\n{differences}"
            ));
        }
    }

    // 3. A second run changes nothing.
    let second = run(args("apply", &[]));
    let differences = tree_differences(&expected, &work);
    if !differences.is_empty() || second.status.code() != Some(case.exit_code) {
        return Err(format!(
            "second apply changed the tree:\n{differences}\n{}",
            describe(&second)
        ));
    }
    if case.exit_code == 0 && !stdout(&second).contains("changed 0 files") {
        return Err(format!(
            "second apply reported changes:\n{}",
            describe(&second)
        ));
    }

    // 4. check lists exactly what is left.
    let check = run(args("check", &[]));
    let listing = stdout(&check).replace(work_arg, "WORK");
    let expected_check = case_dir.join("expected.check");
    let wanted_code = if case.exit_code != 0 {
        2
    } else if listing.is_empty() {
        0
    } else {
        1
    };
    if check.status.code() != Some(wanted_code) {
        return Err(format!(
            "check should exit {wanted_code}: {}",
            describe(&check)
        ));
    }
    if support::overwrite() {
        fs::write(&expected_check, &listing).unwrap();
    } else {
        let wanted = fs::read_to_string(&expected_check).unwrap_or_default();
        if wanted != listing {
            return Err(format!(
                "check output differs from expected.check:\n{}",
                similar::TextDiff::from_lines(&wanted, &listing).unified_diff()
            ));
        }
    }
    Ok(())
}

/// Apply a diff with `git apply`, as a reviewer would.
fn git_apply(dir: &Path, diff: &[u8]) -> Result<(), String> {
    let patch = dir.join("../dry-run.patch");
    fs::write(&patch, diff).unwrap();
    let output = Command::new("git")
        .args(["apply", "--whitespace=nowarn", "--unsafe-paths", "-p1"])
        .arg(&patch)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .map_err(|error| format!("git apply did not run: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git apply rejected the --dry-run diff:\n{}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(diff)
        ))
    }
}
