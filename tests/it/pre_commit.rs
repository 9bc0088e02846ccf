//! The hooks under real pre-commit (installed by `scripts/test`): the check fails while
//! wsgi_scripts remain, the fix hook migrates and fails so the user looks, and the next run
//! passes. Also validates the repository's own `.pre-commit-hooks.yaml`.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{self, describe, git, git_repository, stdout};

fn pre_commit(dir: &Path, args: &[&str]) -> Output {
    Command::new("pre-commit")
        .args(args)
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", dir.join("../pre-commit-home"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-xdg"))
        .env_remove("NO_COLOR")
        .output()
        .expect("pre-commit must be on PATH: run the tests with scripts/test, which installs it")
}

#[test]
fn hooks_fail_then_migrate_then_pass() {
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("glance");
    support::copy_tree(&support::testdata().join("corpus-glance/before"), &tree);
    let binary = env!("CARGO_BIN_EXE_wsgi-migrate");
    fs::write(
        tree.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n-   repo: local\n    hooks:\n    -   id: wsgi-migrate-check\n        name: wsgi-migrate check\n        entry: {binary} check\n        language: system\n        types: [text]\n        require_serial: true\n    -   id: wsgi-migrate\n        name: wsgi-migrate apply\n        entry: {binary} apply --pre-commit\n        language: system\n        pass_filenames: false\n        always_run: true\n        require_serial: true\n"
        ),
    )
    .unwrap();
    let repo = git_repository(&tree);
    let dir = repo.path();

    let check = pre_commit(dir, &["run", "wsgi-migrate-check", "--all-files"]);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    assert!(
        stdout(&check)
            .contains("setup.cfg:49:1: WM001 `glance-wsgi-api` is a wsgi_scripts entry point"),
        "{}",
        describe(&check)
    );

    let fix = pre_commit(dir, &["run", "wsgi-migrate", "--all-files"]);
    assert_eq!(
        fix.status.code(),
        Some(1),
        "the fix hook must fail when it changed files: {}",
        describe(&fix)
    );
    assert!(
        dir.join("glance/wsgi/api.py").exists(),
        "{}",
        describe(&fix)
    );
    assert!(
        fs::read_to_string(dir.join("httpd/glance-api-uwsgi.ini"))
            .unwrap()
            .contains("module = glance.wsgi.api:application")
    );

    git(dir, &["add", "-A"]);
    let again = pre_commit(dir, &["run", "--all-files"]);
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
}

#[test]
fn check_reports_only_the_files_it_is_given() {
    let repo = git_repository(&support::testdata().join("corpus-glance/before"));
    let binary = env!("CARGO_BIN_EXE_wsgi-migrate");
    let run = |files: &[&str]| {
        Command::new(binary)
            .arg("check")
            .args(files)
            .current_dir(repo.path())
            .output()
            .unwrap()
    };
    let ini_only = run(&["httpd/glance-api-uwsgi.ini"]);
    assert_eq!(ini_only.status.code(), Some(1), "{}", describe(&ini_only));
    assert_eq!(
        stdout(&ini_only),
        "httpd/glance-api-uwsgi.ini:18:28: WM101 replace `wsgi-file = /usr/local/bin/glance-wsgi-api` with `module = glance.wsgi.api:application`\n\
         httpd/glance-api-uwsgi.ini:18:1: WM902 Glance's own documentation says Glance does not fully work under mod_wsgi or \
         uWSGI's HTTP mode (no chunked transfer encoding, and image import breaks): check that uploads and imports work in \
         this deployment, or serve glance-api another way\n"
    );
    let unrelated = run(&["glance/common/wsgi_app.py"]);
    assert_eq!(unrelated.status.code(), Some(0), "{}", describe(&unrelated));
}

#[test]
fn the_published_hook_manifest_is_valid() {
    let manifest = support::manifest_dir().join(".pre-commit-hooks.yaml");
    let output = pre_commit(
        &support::manifest_dir(),
        &["validate-manifest", manifest.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = fs::read_to_string(manifest).unwrap();
    assert!(
        text.contains("entry: wsgi-migrate check")
            && text.contains("entry: wsgi-migrate apply --pre-commit")
    );
}
