//! The walk and the files it reads: only regular files (a FIFO never hangs a scan), never
//! through a tracked directory that became a symbolic link, and ownership kept by `apply`.

use std::fs;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, describe, git, git_repository, read_tree, stdout};

/// Run the binary, failing the test if it does not finish within `limit`.
fn run_within(limit: Duration, dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .arg("--color=never")
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{args:?} did not finish within {limit:?}: {}",
                describe(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_in_the_tree_never_hangs_scan_or_apply() {
    let limit = Duration::from_secs(30);
    for in_git in [false, true] {
        let before = support::testdata().join("corpus-glance/before");
        let repo = if in_git {
            git_repository(&before)
        } else {
            let dir = tempfile::tempdir().unwrap();
            support::copy_tree(&before, dir.path());
            dir
        };
        let dir = repo.path();
        // Names the dialects claim, so that a naive walk would open them.
        mkfifo(&dir.join("httpd/uwsgi-fifo.ini"));
        mkfifo(&dir.join("README.rst"));
        let path = dir.to_str().unwrap();
        let scan = run_within(limit, dir, &["scan", path]);
        assert_eq!(scan.status.code(), Some(0), "{}", describe(&scan));
        let check = run_within(limit, dir, &["check", path]);
        assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
        let apply = run_within(limit, dir, &["apply", "--allow-dirty", path]);
        assert_eq!(apply.status.code(), Some(0), "{}", describe(&apply));
        assert!(
            fs::symlink_metadata(dir.join("README.rst"))
                .unwrap()
                .file_type()
                .is_fifo(),
            "the FIFO is left alone"
        );
    }
}

#[test]
fn a_tracked_directory_that_became_a_symlink_is_not_read_through() {
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("deploy");
    fs::create_dir_all(tree.join("etc")).unwrap();
    fs::write(
        tree.join("etc/nova-api-uwsgi.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/nova-api-wsgi\n",
    )
    .unwrap();
    fs::write(
        tree.join("other.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/nova-api-wsgi\n",
    )
    .unwrap();
    let repo = git_repository(&tree);
    let dir = repo.path();
    // `etc` is replaced by a link to a directory outside the repository.
    let outside = scratch.path().join("outside");
    fs::rename(dir.join("etc"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("etc")).unwrap();
    let outside_before = read_tree(&outside);
    let path = dir.to_str().unwrap();

    let scan = run_within(
        Duration::from_secs(30),
        dir,
        &["scan", "--output-format", "concise", path],
    );
    assert_eq!(scan.status.code(), Some(0), "{}", describe(&scan));
    let text = stdout(&scan);
    assert!(
        text.contains(
            "etc:1:1: WM902 git tracks files in this directory, but it is now a symbolic link"
        ),
        "{text}"
    );
    assert!(!text.contains("etc/nova-api-uwsgi.ini"), "{text}");
    assert!(text.contains("other.ini:2"), "{text}");

    // The dry run and the apply agree: other.ini only.
    let dry = run_within(Duration::from_secs(30), dir, &["apply", "--dry-run", path]);
    assert_eq!(dry.status.code(), Some(0), "{}", describe(&dry));
    assert!(!stdout(&dry).contains("etc/"), "{}", describe(&dry));
    assert!(stdout(&dry).contains("other.ini"), "{}", describe(&dry));
    let apply = run_within(
        Duration::from_secs(30),
        dir,
        &["apply", "--allow-dirty", path],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", describe(&apply));
    assert_eq!(
        read_tree(&outside),
        outside_before,
        "written through the link"
    );
    assert!(
        fs::read_to_string(dir.join("other.ini"))
            .unwrap()
            .contains("module = nova.wsgi.osapi_compute:application")
    );
}

/// Whether this test runs as root (a file it creates is owned by uid 0).
fn running_as_root() -> bool {
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

fn chown_tree(root: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(root, Some(uid), Some(gid)).unwrap();
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            chown_tree(&path, uid, gid);
        } else {
            std::os::unix::fs::lchown(&path, Some(uid), Some(gid)).unwrap();
        }
    }
}

#[test]
fn apply_as_root_keeps_owners_and_new_files_take_their_directorys() {
    assert!(
        running_as_root(),
        "this test checks what root's apply does to another user's files: run the tests as root (CI does)"
    );
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("placement");
    support::copy_tree(&support::testdata().join("corpus-placement/before"), &tree);
    chown_tree(&tree, 1234, 1234);
    // One file belongs to another user still, with an unusual mode.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::os::unix::fs::lchown(tree.join("setup.cfg"), Some(1235), Some(1236)).unwrap();
        fs::set_permissions(tree.join("setup.cfg"), fs::Permissions::from_mode(0o640)).unwrap();
    }
    let output = run_within(
        Duration::from_secs(60),
        scratch.path(),
        &["apply", tree.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let setup_cfg = fs::metadata(tree.join("setup.cfg")).unwrap();
    assert_eq!((setup_cfg.uid(), setup_cfg.gid()), (1235, 1236));
    assert_eq!(setup_cfg.mode() & 0o7777, 0o640);
    for created in [
        "placement/wsgi",
        "placement/wsgi/api.py",
        "placement/wsgi/__init__.py",
    ] {
        let metadata = fs::metadata(tree.join(created)).unwrap();
        assert_eq!(
            (metadata.uid(), metadata.gid()),
            (1234, 1234),
            "{created} is not owned by its directory's owner"
        );
    }
}

#[test]
fn nested_roots_given_to_two_runs_are_serialised() {
    let binary = env!("CARGO_BIN_EXE_wsgi-migrate");
    for in_git in [true, false] {
        let scratch = tempfile::tempdir().unwrap();
        let outer = scratch.path().join("work");
        let inner = outer.join("heat");
        support::copy_tree(&support::testdata().join("corpus-heat/before"), &inner);
        if in_git {
            git(&outer, &["init", "-q", "-b", "main"]);
            git(&outer, &["add", "-A"]);
            git(
                &outer,
                &[
                    "-c",
                    "user.name=T",
                    "-c",
                    "user.email=t@example.org",
                    "commit",
                    "-q",
                    "-m",
                    "import",
                ],
            );
        }
        let spawn = |root: &Path| {
            Command::new(binary)
                .args(["--color=never", "apply", "--quiet", "--allow-dirty"])
                .arg(root)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", scratch.path())
                .output()
        };
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| spawn(&outer));
            let second = scope.spawn(|| spawn(&inner));
            (
                first.join().unwrap().unwrap(),
                second.join().unwrap().unwrap(),
            )
        });
        assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
        assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
        let changed_nothing = [stdout(&first), stdout(&second)]
            .iter()
            .filter(|summary| summary.contains("changed 0 files"))
            .count();
        assert_eq!(
            changed_nothing,
            1,
            "exactly one run migrates: {}\n{}",
            describe(&first),
            describe(&second)
        );
        let scratch_copy = tempfile::tempdir().unwrap();
        support::copy_tree(&inner, scratch_copy.path());
        let _ = fs::remove_dir_all(scratch_copy.path().join(".git"));
        let differences = support::tree_differences(
            &support::testdata().join("corpus-heat/after"),
            scratch_copy.path(),
        );
        assert!(differences.is_empty(), "{differences}");
    }
}
