//! Crash safety of `apply`: a run stopped at any step of its write phase, by a signal it can
//! handle or by SIGKILL, leaves (after the next command) the tree byte for byte as before or as
//! fully migrated, with no temporary file, backup or journal; and a file edited between planning
//! and its replacement is never overwritten. The stops come from the test build's fault
//! injection (`WSGI_MIGRATE_FAULT=N:ACTION`, see `src/effects/apply.rs`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{self, describe, git, git_repository, read_tree};

type Tree = BTreeMap<String, Option<Vec<u8>>>;

/// placement: a setup.cfg edit, a rename of `placement/wsgi.py`, new modules in a new
/// directory, a docs edit: every kind of write.
const CASE: &str = "corpus-placement";

fn run(dir: &Path, args: &[&str], fault: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"));
    command
        .arg("--color=never")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("WSGI_MIGRATE_FAULT")
        .env_remove("WSGI_MIGRATE_FAULT_TRACE");
    if let Some(fault) = fault {
        command.env("WSGI_MIGRATE_FAULT", fault);
    }
    command.output().expect("the wsgi-migrate binary runs")
}

/// Paths of the tree that look like this tool's leftovers.
fn leftovers(tree: &Tree) -> Vec<&String> {
    tree.keys()
        .filter(|path| path.contains(".wsgi-migrate") || path.contains("wsgi-migrate-journal"))
        .collect()
}

fn without_git(tree: Tree) -> Tree {
    tree.into_iter()
        .filter(|(path, _)| !path.starts_with(".git/") && path != ".git")
        .collect()
}

/// The number of write steps an apply of the case makes.
fn count_steps(dir: &Path) -> usize {
    let output = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["--color=never", "apply", "--quiet"])
        .arg(dir)
        .env("WSGI_MIGRATE_FAULT_TRACE", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("wsgi-migrate: fault: step "))
        .count()
}

/// Stop the apply at every step, by `action`, then run `follow` (`recover` or `apply`): the
/// tree must be the one before or the one after, and nothing of the tool's may remain.
fn stop_everywhere(in_git: bool, action: &str, follow: &str) {
    let before_dir = support::testdata().join(CASE).join("before");
    let after_dir = support::testdata().join(CASE).join("after");
    let before = read_tree(&before_dir);
    let after = read_tree(&after_dir);
    let fresh = || -> tempfile::TempDir {
        if in_git {
            git_repository(&before_dir)
        } else {
            let dir = tempfile::tempdir().unwrap();
            support::copy_tree(&before_dir, dir.path());
            dir
        }
    };
    let steps = {
        let dir = fresh();
        count_steps(dir.path())
    };
    assert!(
        steps >= 10,
        "a multi-file apply has many steps, not {steps}"
    );
    let mut outcomes = BTreeMap::new();
    for step in 0..steps {
        let dir = fresh();
        let path = dir.path().to_str().unwrap();
        let args = ["apply", "--quiet", path];
        let output = run(dir.path(), &args, Some(&format!("{step}:{action}")));
        match action {
            "kill" => assert_eq!(
                output.status.signal(),
                Some(9),
                "step {step}: {}",
                describe(&output)
            ),
            "term" => {
                assert_eq!(
                    output.status.code(),
                    Some(143),
                    "step {step}: {}",
                    describe(&output)
                );
                // A handled signal rolls back (or finishes) by itself.
                let now = without_git(read_tree(dir.path()));
                assert!(
                    now == before || now == after,
                    "step {step}: SIGTERM left a half-written tree: {:?}",
                    leftovers(&now)
                );
                assert!(
                    leftovers(&now).is_empty(),
                    "step {step}: {:?}",
                    leftovers(&now)
                );
            }
            _ => unreachable!(),
        }
        let next = match follow {
            "recover" => run(dir.path(), &["recover", path], None),
            _ => run(dir.path(), &args, None),
        };
        assert_eq!(
            next.status.code(),
            Some(0),
            "step {step}: {}",
            describe(&next)
        );
        let now = without_git(read_tree(dir.path()));
        assert!(
            leftovers(&now).is_empty(),
            "step {step}: left behind: {:?}",
            leftovers(&now)
        );
        if in_git {
            assert!(
                !dir.path().join(".git/wsgi-migrate-journal").exists(),
                "step {step}: the journal is left"
            );
        }
        let state = if now == before {
            "before"
        } else if now == after {
            "after"
        } else {
            let scratch = tempfile::tempdir().unwrap();
            support::copy_tree(dir.path(), scratch.path());
            let _ = fs::remove_dir_all(scratch.path().join(".git"));
            panic!(
                "step {step}: the tree is neither as before nor as migrated:\n{}",
                support::tree_differences(&after_dir, scratch.path())
            );
        };
        if follow == "apply" {
            assert_eq!(
                state, "after",
                "step {step}: apply did not finish the migration"
            );
        }
        if action == "kill" && follow == "recover" && state == "before" {
            let said = String::from_utf8_lossy(&next.stderr);
            assert!(
                said.contains("rolled back"),
                "step {step}: recover did not say what it did: {said}"
            );
        }
        outcomes.insert(step, state);
    }
    // Both ends are reached: early stops roll back, stops after the commit point finish.
    let first = if follow == "recover" {
        "before"
    } else {
        "after"
    };
    assert_eq!(outcomes.get(&0), Some(&first), "{outcomes:?}");
    assert_eq!(outcomes.get(&(steps - 1)), Some(&"after"), "{outcomes:?}");
}

#[test]
fn sigkill_at_every_step_then_recover() {
    stop_everywhere(false, "kill", "recover");
}

#[test]
fn sigkill_at_every_step_then_apply_again() {
    stop_everywhere(false, "kill", "apply");
}

#[test]
fn sigterm_at_every_step_rolls_back() {
    stop_everywhere(false, "term", "recover");
}

#[test]
fn sigkill_at_every_step_in_a_git_repository() {
    stop_everywhere(true, "kill", "recover");
}

#[test]
fn sigint_and_sighup_exit_with_their_status() {
    for (action, code) in [("int", 130), ("hup", 129)] {
        let dir = tempfile::tempdir().unwrap();
        support::copy_tree(&support::testdata().join(CASE).join("before"), dir.path());
        let before = read_tree(dir.path());
        let output = run(
            dir.path(),
            &["apply", dir.path().to_str().unwrap()],
            Some(&format!("3:{action}")),
        );
        assert_eq!(output.status.code(), Some(code), "{}", describe(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("rolled back"),
            "{}",
            describe(&output)
        );
        assert_eq!(read_tree(dir.path()), before);
    }
}

#[test]
fn recover_with_nothing_to_recover_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["recover", dir.path().to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nothing to recover"),
        "{}",
        describe(&output)
    );
}

#[test]
fn scan_recovers_first_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    support::copy_tree(&support::testdata().join(CASE).join("before"), dir.path());
    let before = read_tree(dir.path());
    let path = dir.path().to_str().unwrap();
    let probe = tempfile::tempdir().unwrap();
    support::copy_tree(&support::testdata().join(CASE).join("before"), probe.path());
    let steps = count_steps(probe.path());
    let killed = run(
        dir.path(),
        &["apply", path],
        Some(&format!("{}:kill", steps / 2)),
    );
    assert_eq!(killed.status.signal(), Some(9));
    assert!(dir.path().join(".wsgi-migrate-journal").exists());
    // A relative PATH finds the journal too.
    let scan = run(dir.path(), &["scan", "."], None);
    assert_eq!(scan.status.code(), Some(0), "{}", describe(&scan));
    assert!(
        String::from_utf8_lossy(&scan.stderr).contains("wsgi-migrate: recovered:"),
        "{}",
        describe(&scan)
    );
    assert_eq!(read_tree(dir.path()), before);
    assert!(
        String::from_utf8_lossy(&scan.stdout).contains("placement-api"),
        "the scan sees the tree as before: {}",
        describe(&scan)
    );
}

/// Run `apply` paused right before it replaces `file`, let `edit` change the tree, resume.
fn apply_with_edit_before_replacing(dir: &Path, file: &str, edit: impl FnOnce()) -> Output {
    let path = dir.to_str().unwrap();
    let trace = {
        let probe = tempfile::tempdir().unwrap();
        support::copy_tree(dir, probe.path());
        let output = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
            .args(["--color=never", "apply", "--quiet"])
            .arg(probe.path())
            .env("WSGI_MIGRATE_FAULT_TRACE", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let step = trace
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix("wsgi-migrate: fault: step ")?;
            let (step, label) = rest.split_once(": ")?;
            (label == format!("replacing {file}")).then(|| step.to_owned())
        })
        .unwrap_or_else(|| panic!("no step replaces {file}:\n{trace}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["--color=never", "apply", path])
        .env("WSGI_MIGRATE_FAULT", format!("{step}:pause"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "apply ended without pausing: {seen}"
        );
        seen.push_str(&line);
        if line.contains("fault: paused at step") {
            break;
        }
    }
    edit();
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let mut output = child.wait_with_output().unwrap();
    output.stderr = (seen + &rest).into_bytes();
    output
}

#[test]
fn a_file_edited_between_planning_and_renaming_is_kept_and_named() {
    let dir = tempfile::tempdir().unwrap();
    support::copy_tree(&support::testdata().join(CASE).join("before"), dir.path());
    let mut expected = read_tree(dir.path());
    let setup_cfg = dir.path().join("setup.cfg");
    let mut edited = fs::read(&setup_cfg).unwrap();
    edited.extend_from_slice(b"# edited while apply ran\n");
    let output = apply_with_edit_before_replacing(dir.path(), "setup.cfg", || {
        fs::write(&setup_cfg, &edited).unwrap();
    });
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`setup.cfg` changed since the plan was made"),
        "{stderr}"
    );
    expected.insert("setup.cfg".to_owned(), Some(edited));
    let now = read_tree(dir.path());
    assert_eq!(
        now,
        expected,
        "the edit was lost or the tree changed: {:?}",
        leftovers(&now)
    );
}

#[test]
fn a_git_step_failing_after_the_write_exits_3_and_names_the_files() {
    let repo = git_repository(&support::testdata().join(CASE).join("before"));
    let dir = repo.path();
    // The branch is locked by "another git" right before the last write step.
    let output = apply_with_edit_before_replacing_last(dir, || {
        fs::write(dir.join(".git/refs/heads/main.lock"), "").unwrap();
    });
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("written but not committed")
            && stderr.contains("setup.cfg (modified)")
            && stderr.contains("placement/wsgi/api.py (created)")
            && stderr.contains("placement/wsgi.py (removed)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("class="),
        "libgit2 internals leaked: {stderr}"
    );
    fs::remove_file(dir.join(".git/refs/heads/main.lock")).unwrap();
    assert_eq!(git(dir, &["log", "--format=%s"]).lines().count(), 1);
}

/// Like [`apply_with_edit_before_replacing`], pausing at the last step (journal removed), with
/// `--commit`.
fn apply_with_edit_before_replacing_last(dir: &Path, edit: impl FnOnce()) -> Output {
    let steps = {
        let probe = tempfile::tempdir().unwrap();
        support::copy_tree(dir, probe.path());
        let _ = fs::remove_dir_all(probe.path().join(".git"));
        count_steps(probe.path())
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["--color=never", "apply", "--commit"])
        .arg(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("WSGI_MIGRATE_FAULT", format!("{}:pause", steps - 1))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no pause: {seen}");
        seen.push_str(&line);
        if line.contains("fault: paused at step") {
            break;
        }
    }
    edit();
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let mut output = child.wait_with_output().unwrap();
    output.stderr = (seen + &rest).into_bytes();
    output
}
