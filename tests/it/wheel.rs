//! The wheel as users install it, with no Rust anywhere on PATH: `scripts/test` builds it once
//! with `pip wheel .` and passes its path in `WSGI_MIGRATE_TEST_WHEEL`. It is installed into a
//! fresh venv and run; then real pre-commit runs the hooks of the mirror repository (laid out by
//! `scripts/pre-commit-mirror`), with pip pointed at the wheel by `PIP_FIND_LINKS`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, describe, git, git_repository, stdout};

/// The wheel scripts/test built; a missing one fails the test rather than skipping it.
fn wheel() -> PathBuf {
    let wheel = std::env::var_os("WSGI_MIGRATE_TEST_WHEEL").map(PathBuf::from).expect(
        "WSGI_MIGRATE_TEST_WHEEL is not set: run the tests with scripts/test, which builds the wheel",
    );
    assert!(wheel.is_file(), "no wheel at {}", wheel.display());
    wheel
}

/// A PATH with the system's directories and `first`, and nothing that holds cargo or rustc.
fn path_without_rust(first: &Path) -> OsString {
    let dirs = [
        first.to_path_buf(),
        PathBuf::from("/usr/local/bin"),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ];
    for dir in &dirs {
        for tool in ["cargo", "rustc"] {
            assert!(
                !dir.join(tool).exists(),
                "{} is on the Rust-free PATH",
                dir.join(tool).display()
            );
        }
    }
    std::env::join_paths(dirs).unwrap()
}

fn run(program: &Path, args: &[&str], dir: &Path, path: &OsString) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-xdg"))
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .output()
        .unwrap_or_else(|error| panic!("{} did not run: {error}", program.display()))
}

#[test]
fn the_wheel_installs_and_runs_without_rust() {
    let wheel = wheel();
    let scratch = tempfile::tempdir().unwrap();
    let venv = scratch.path().join("venv");
    let made = Command::new(support::python())
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", describe(&made));
    let bin = venv.join("bin");
    let path = path_without_rust(&bin);
    let install = run(
        &bin.join("pip"),
        &["install", "-q", "--no-index", wheel.to_str().unwrap()],
        scratch.path(),
        &path,
    );
    assert!(install.status.success(), "{}", describe(&install));
    let binary = bin.join("wsgi-migrate");
    assert!(binary.is_file(), "the wheel installs no wsgi-migrate");

    let version = run(&binary, &["--version"], scratch.path(), &path);
    assert_eq!(
        stdout(&version),
        format!("wsgi-migrate {}\n", env!("CARGO_PKG_VERSION")),
        "{}",
        describe(&version)
    );

    let tree = scratch.path().join("glance");
    support::copy_tree(&support::testdata().join("corpus-glance/before"), &tree);
    let scan = run(&binary, &["scan", "."], &tree, &path);
    assert_eq!(scan.status.code(), Some(0), "{}", describe(&scan));
    assert!(
        stdout(&scan).contains("httpd/glance-api-uwsgi.ini"),
        "{}",
        describe(&scan)
    );
    let check = run(&binary, &["check", "."], &tree, &path);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    assert!(
        stdout(&check).contains("setup.cfg:49:1: WM001 "),
        "{}",
        describe(&check)
    );
}

#[test]
fn the_mirror_hooks_install_the_wheel_and_migrate() {
    let wheel = wheel();
    let scratch = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");

    // The mirror repository, as a release lays it out.
    let mirror = scratch.path().join("mirror");
    let laid = Command::new(support::manifest_dir().join("scripts/pre-commit-mirror"))
        .arg(&mirror)
        .output()
        .unwrap();
    assert!(laid.status.success(), "{}", describe(&laid));
    let manifest = fs::read_to_string(mirror.join(".pre-commit-hooks.yaml")).unwrap();
    assert!(manifest.contains("language: python") && !manifest.contains("language: rust"));
    assert!(
        fs::read_to_string(mirror.join("pyproject.toml"))
            .unwrap()
            .contains(&format!("\"wsgi-migrate=={version}\""))
    );

    // pre-commit from the test venv, with nothing of Rust beside it.
    let pre_commit = which("pre-commit");
    let path = path_without_rust(pre_commit.parent().unwrap());
    let repo = git_repository(&support::testdata().join("corpus-glance/before"));
    let dir = repo.path();
    fs::write(
        dir.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n-   repo: {}\n    rev: v{version}\n    hooks:\n    -   id: wsgi-migrate-check\n    -   id: wsgi-migrate\n",
            mirror.display()
        ),
    )
    .unwrap();
    git(dir, &["add", ".pre-commit-config.yaml"]);
    let wheels = wheel.parent().unwrap().to_owned();
    let hook = |args: &[&str]| {
        Command::new(&pre_commit)
            .args(args)
            .current_dir(dir)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", scratch.path().join("pre-commit-home"))
            .env("PIP_FIND_LINKS", &wheels)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env("XDG_CONFIG_HOME", dir.join(".no-xdg"))
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .output()
            .unwrap()
    };

    let check = hook(&["run", "wsgi-migrate-check", "--all-files"]);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    let listing = stdout(&check);
    assert!(
        listing.contains("setup.cfg:49:1: WM001"),
        "the check hook lists the entry point: {listing}"
    );

    let fix = hook(&["run", "wsgi-migrate", "--all-files"]);
    assert_eq!(fix.status.code(), Some(1), "{}", describe(&fix));
    assert!(
        dir.join("glance/wsgi/api.py").is_file(),
        "{}",
        describe(&fix)
    );
    assert!(
        fs::read_to_string(dir.join("httpd/glance-api-uwsgi.ini"))
            .unwrap()
            .contains("module = glance.wsgi.api:application")
    );

    git(dir, &["add", "-A"]);
    let again = hook(&["run", "--all-files"]);
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
}

/// `name` on the test PATH, which scripts/test sets up.
fn which(name: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("{name} must be on PATH: run the tests with scripts/test, which installs it")
        })
}
