//! Helpers shared by the integration tests: running the built binary, copying trees and
//! comparing them byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata() -> PathBuf {
    manifest_dir().join("testdata")
}

/// Run the `wsgi-migrate` binary with `args` and no colour.
pub fn wsgi_migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .arg("--color=never")
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the wsgi-migrate binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Copy the tree at `from` into `to`, keeping permission bits.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file below `root`, relative path to content. Empty directories count as entries with
/// no content so that a stray directory is a difference too.
pub fn read_tree(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Option<Vec<u8>>>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    if entries.is_empty() && dir != root {
        files.insert(relative(root, dir), None);
    }
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            // A link is compared by where it points, never followed.
            let target = fs::read_link(&path).unwrap();
            files.insert(
                relative(root, &path),
                Some(format!("-> {}", target.display()).into_bytes()),
            );
        } else if kind.is_dir() {
            walk(root, &path, files);
        } else {
            files.insert(relative(root, &path), Some(fs::read(&path).unwrap()));
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// A description of every difference between two trees, empty when they are equal.
pub fn tree_differences(expected: &Path, actual: &Path) -> String {
    let expected_files = read_tree(expected);
    let actual_files = read_tree(actual);
    let mut out = String::new();
    for (path, content) in &expected_files {
        match actual_files.get(path) {
            None => out.push_str(&format!("missing: {path}\n")),
            Some(actual) if actual != content => {
                let show = |bytes: &Option<Vec<u8>>| {
                    bytes
                        .as_ref()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_default()
                };
                let diff = similar::TextDiff::from_lines(&show(content), &show(actual))
                    .unified_diff()
                    .header("expected", "actual")
                    .to_string();
                out.push_str(&format!("different: {path}\n{diff}\n"));
            }
            Some(_) => {}
        }
    }
    for path in actual_files
        .keys()
        .filter(|path| !expected_files.contains_key(*path))
    {
        out.push_str(&format!("unexpected: {path}\n"));
    }
    out
}

/// Whether expectations should be rewritten from actual results (`SNAPSHOTS=overwrite`).
pub fn overwrite() -> bool {
    std::env::var("SNAPSHOTS").is_ok_and(|value| value == "overwrite")
}

pub fn replace_tree(from: &Path, to: &Path) {
    if to.exists() {
        fs::remove_dir_all(to).unwrap();
    }
    copy_tree(from, to);
}

/// One `testdata/<case>/` with a `case.toml`.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    /// Extra command-line arguments for every command run on the case.
    pub args: Vec<String>,
    /// The exit code `apply` must give.
    pub exit_code: i32,
}

/// Every case, sorted by name.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in fs::read_dir(testdata()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = fs::read_to_string(dir.join("case.toml")) else {
            continue;
        };
        let doc: toml_edit::DocumentMut = text.parse().unwrap();
        let args = doc
            .get("args")
            .and_then(|args| args.as_array())
            .map(|args| {
                args.iter()
                    .filter_map(|arg| arg.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let exit_code = doc
            .get("exit_code")
            .and_then(|code| code.as_integer())
            .map_or(0, |code| code as i32);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // `CASES=a,b` runs (and, with SNAPSHOTS=overwrite, rewrites) only those cases.
        if let Ok(wanted) = std::env::var("CASES")
            && !wanted.split(',').any(|wanted| wanted == name)
        {
            continue;
        }
        cases.push(Case {
            name,
            dir,
            args,
            exit_code,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// The Python that has the test tools (`scripts/test` sets up a venv and names it); `python3`
/// when run another way.
pub fn python() -> String {
    std::env::var("WSGI_MIGRATE_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Run `git` in `dir` for test setup and checks, isolated from the user's configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-xdg"))
        .output()
        .expect("git is needed for these tests");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        describe(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A git repository holding a copy of `tree`, committed on `main` by a configured author.
pub fn git_repository(tree: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(tree, dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["config", "user.name", "Test Author"]);
    git(dir.path(), &["config", "user.email", "author@example.org"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "Initial import"]);
    dir
}

/// Run the binary with a hermetic git environment (no user or system configuration).
pub fn wsgi_migrate_in(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .arg("--color=never")
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".no-xdg"))
        .output()
        .expect("the wsgi-migrate binary runs")
}
