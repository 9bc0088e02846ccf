//! The command line as a user meets it: exit codes, the JSON report, colour, and which files the
//! walk reads.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{describe, stdout, wsgi_migrate};

const SETUP_CFG: &str =
    "[metadata]\nname = toy\n\n[entry_points]\nwsgi_scripts =\n    toy-api = toy.app:init\n";

fn toy_project(dir: &Path) {
    fs::create_dir_all(dir.join("toy")).unwrap();
    fs::write(dir.join("setup.cfg"), SETUP_CFG).unwrap();
    fs::write(dir.join("toy/__init__.py"), "").unwrap();
    fs::write(dir.join("toy/app.py"), "def init():\n    return None\n").unwrap();
}

fn path(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

#[test]
fn scan_reports_json_with_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(
        dir.path().join("etc/uwsgi.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/toy-api\n",
    )
    .unwrap();
    let output = wsgi_migrate(&["scan", "--format", "json", path(&dir)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["schema_version"], 1);
    let entry = &report["entry_points"][0];
    assert_eq!(entry["file"], "setup.cfg");
    assert_eq!(entry["line"], 6);
    assert_eq!(entry["script"], "toy-api");
    assert_eq!(entry["target"], "toy.app:init");
    assert_eq!(entry["module"], "toy.wsgi.api");
    assert_eq!(entry["path"], "toy/wsgi/api.py");
    let reference = &report["references"][0];
    assert_eq!(reference["file"], "etc/uwsgi.ini");
    assert_eq!(reference["line"], 2);
    assert_eq!(reference["dialect"], "uwsgi-ini");
    assert_eq!(reference["script"], "toy-api");
    assert_eq!(reference["action"], "rewrite");
    assert!(
        reference["message"]
            .as_str()
            .unwrap()
            .contains("module = toy.wsgi.api:application")
    );
    assert_eq!(report["diagnostics"], serde_json::json!([]));
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    assert_eq!(wsgi_migrate(&["scan", path(&dir)]).status.code(), Some(0));
    assert_eq!(wsgi_migrate(&["check", path(&dir)]).status.code(), Some(1));
    assert_eq!(wsgi_migrate(&["apply", path(&dir)]).status.code(), Some(0));
    let check = wsgi_migrate(&["check", path(&dir)]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    assert!(stdout(&check).is_empty());

    // Usage errors and unreadable paths.
    assert_eq!(
        wsgi_migrate(&["scan", "--no-such-flag"]).status.code(),
        Some(2)
    );
    assert_eq!(
        wsgi_migrate(&["apply", "--name", "no-equals-sign", path(&dir)])
            .status
            .code(),
        Some(2)
    );
    let missing = wsgi_migrate(&["scan", "/nonexistent/wsgi-migrate-test"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/wsgi-migrate-test"));

    // Input errors: an invalid entry point.
    let bad = tempfile::tempdir().unwrap();
    toy_project(bad.path());
    fs::write(
        bad.path().join("setup.cfg"),
        SETUP_CFG.replace("toy.app:init", "toy.app:init()"),
    )
    .unwrap();
    assert_eq!(wsgi_migrate(&["scan", path(&bad)]).status.code(), Some(2));
    let check = wsgi_migrate(&["check", path(&bad)]);
    assert_eq!(check.status.code(), Some(2));
    assert!(
        stdout(&check).starts_with("setup.cfg:6: error: toy-api: target `toy.app:init()`"),
        "{}",
        describe(&check)
    );
    let apply = wsgi_migrate(&["apply", path(&bad)]);
    assert_eq!(apply.status.code(), Some(2));
    assert!(
        stdout(&apply).contains("nothing written"),
        "{}",
        describe(&apply)
    );
    assert!(!bad.path().join("toy/wsgi").exists());
}

#[test]
fn check_lists_file_line_message() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    let output = wsgi_migrate(&["check", path(&dir)]);
    assert_eq!(
        stdout(&output),
        "setup.cfg:6: `toy-api` is a wsgi_scripts entry point; `wsgi-migrate apply` generates `toy.wsgi.api`\n"
    );
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    let binary = env!("CARGO_BIN_EXE_wsgi-migrate");
    let always = Command::new(binary)
        .args(["--color", "always", "scan", path(&dir)])
        .output()
        .unwrap();
    assert!(stdout(&always).contains("\x1b["));
    let never = wsgi_migrate(&["scan", path(&dir)]);
    assert!(!stdout(&never).contains("\x1b["));
    // Not a terminal, so `auto` does not colour; NO_COLOR must not break anything either.
    let auto = Command::new(binary)
        .args(["scan", path(&dir)])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&auto).contains("\x1b["));
}

#[test]
fn the_walk_skips_ignored_and_tool_directories() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    for skipped in [
        ".tox/py3",
        ".venv",
        "node_modules/x",
        "build/lib",
        "ignored",
    ] {
        let nested = dir.path().join(skipped);
        fs::create_dir_all(&nested).unwrap();
        fs::write(
            nested.join("uwsgi.ini"),
            "[uwsgi]\nwsgi-file = /usr/bin/toy-api\n",
        )
        .unwrap();
    }
    fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
    let output = wsgi_migrate(&["scan", "--format", "json", path(&dir)]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        report["references"],
        serde_json::json!([]),
        "{}",
        describe(&output)
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_not_followed_out_of_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    toy_project(outside.path());
    fs::write(
        outside.path().join("uwsgi.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/toy-api\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("uwsgi.ini"),
        dir.path().join("uwsgi.ini"),
    )
    .unwrap();
    let output = wsgi_migrate(&["apply", path(&dir)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(
        fs::read_to_string(outside.path().join("uwsgi.ini")).unwrap(),
        "[uwsgi]\nwsgi-file = /usr/bin/toy-api\n"
    );
    assert_eq!(
        fs::read_to_string(outside.path().join("setup.cfg")).unwrap(),
        SETUP_CFG
    );
    assert!(!outside.path().join("toy/wsgi").exists());
}
