//! Hostile input, awkward files, faults and concurrency: each case asserts the message the user
//! sees and that the tree (and everything around it) is byte for byte as before.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{self, describe, read_tree, stdout, wsgi_migrate};

/// A scratch directory holding the project in `work/`, so that writes beside the tree show up.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(setup_cfg: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        fs::create_dir_all(work.join("toy")).unwrap();
        fs::write(work.join("setup.cfg"), setup_cfg).unwrap();
        fs::write(work.join("toy/__init__.py"), "").unwrap();
        fs::write(work.join("toy/app.py"), "def init():\n    return None\n\n\nclass App:\n    @classmethod\n    def build(cls):\n        return None\n").unwrap();
        Scratch { dir }
    }

    fn work(&self) -> std::path::PathBuf {
        self.dir.path().join("work")
    }

    fn work_str(&self) -> String {
        self.dir.path().join("work").to_str().unwrap().to_owned()
    }

    /// Everything under the scratch directory, the tree and its surroundings.
    fn snapshot(&self) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
        read_tree(self.dir.path())
    }
}

fn entry_points(lines: &[&str]) -> String {
    format!(
        "[metadata]\nname = toy\n\n[entry_points]\nwsgi_scripts =\n{}",
        lines
            .iter()
            .map(|line| format!("    {line}\n"))
            .collect::<String>()
    )
}

/// `apply` refuses, naming each file:line with its message, and changes nothing anywhere.
fn assert_refused(scratch: &Scratch, extra_args: &[&str], expected: &[&str]) {
    let before = scratch.snapshot();
    let work = scratch.work_str();
    let mut args = vec!["apply"];
    args.extend(extra_args);
    args.push(&work);
    let output = wsgi_migrate(&args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert_eq!(stdout(&output), "", "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    for message in expected {
        assert!(text.contains(message), "missing {message:?} in:\n{text}");
    }
    assert!(text.contains("nothing written"), "{text}");
    assert_eq!(
        scratch.snapshot(),
        before,
        "apply changed files although it refused"
    );
}

#[test]
fn script_names_that_are_paths_or_hold_control_characters() {
    let scratch = Scratch::new(&entry_points(&[
        "../evil = toy.app:init",
        "/etc/cron.d/evil = toy.app:init",
        "sub/dir = toy.app:init",
        "win\\dows = toy.app:init",
        "..  = toy.app:init",
        "bell\u{7}name = toy.app:init",
        "nul\u{0}name = toy.app:init",
        "good-api = toy.app:init",
    ]));
    assert_refused(
        &scratch,
        &[],
        &[
            "setup.cfg:6: error: script name `../evil` contains a path separator",
            "setup.cfg:7: error: script name `/etc/cron.d/evil` contains a path separator",
            "setup.cfg:8: error: script name `sub/dir` contains a path separator",
            "setup.cfg:9: error: script name `win\\dows` contains a path separator",
            "setup.cfg:10: error: script name `..` is not a file name",
            "setup.cfg:11: error: script name `bell\\u{7}name` contains a control character",
            "setup.cfg:12: error: script name `nul\\u{0}name` contains a control character",
        ],
    );
}

#[test]
fn targets_that_are_not_dotted_identifier_paths() {
    let scratch = Scratch::new(&entry_points(&[
        "a = toy.app:init; import os",
        "b = toy.app:init()",
        "c = toy/app:init",
        "d = toy.class:init",
        "e = toy.app:import",
        "f = toy.\u{430}pp:init",
        "g = toy.app",
        "h = toy.app:A.b.c",
    ]));
    assert_refused(
        &scratch,
        &[],
        &[
            "setup.cfg:6: error: a: target `toy.app:init; import os`",
            "setup.cfg:7: error: b: target `toy.app:init()`",
            "setup.cfg:8: error: c: target `toy/app:init`: `toy/app` is not a dotted module path",
            "setup.cfg:9: error: d: target `toy.class:init`: `toy.class` is not a dotted module path",
            "setup.cfg:10: error: e: target `toy.app:import`",
            "setup.cfg:11: error: f: target `toy.\\u{430}pp:init`",
            "setup.cfg:12: error: g: target `toy.app` has no `:attribute`",
            "setup.cfg:13: error: h: target `toy.app:A.b.c`",
        ],
    );
}

#[test]
fn a_script_declared_twice() {
    let scratch = Scratch::new(&entry_points(&[
        "toy-api = toy.app:init",
        "toy-api = toy.app:App.build",
    ]));
    assert_refused(
        &scratch,
        &[],
        &["setup.cfg:7: error: script `toy-api` is already declared at setup.cfg:6"],
    );
}

#[test]
fn two_scripts_on_one_module_with_different_targets() {
    let scratch = Scratch::new(&entry_points(&[
        "toy-api = toy.app:init",
        "toy-cfn = toy.app:App.build",
    ]));
    assert_refused(
        &scratch,
        &["--name", "toy-api=api", "--name", "toy-cfn=api"],
        &[
            "setup.cfg:6: error: toy-api: scripts `toy-api`, `toy-cfn` would share module `toy.wsgi.api` but call different targets",
            "setup.cfg:7: error: toy-cfn: scripts `toy-api`, `toy-cfn` would share module `toy.wsgi.api`",
        ],
    );
}

#[test]
fn module_names_that_are_not_identifiers() {
    let scratch = Scratch::new(&entry_points(&["toy-api = toy.app:init"]));
    assert_refused(
        &scratch,
        &["--name", "toy-api=../../etc"],
        &["setup.cfg:6: error: toy-api: --name toy-api=../../etc"],
    );
    assert_refused(
        &scratch,
        &["--name", "toy-api=class"],
        &["`class` is not a valid Python module name"],
    );
}

#[test]
fn awkward_files_do_not_stop_the_scan() {
    let scratch = Scratch::new(&entry_points(&["toy-api = toy.app:init"]));
    let work = scratch.work();
    // Not UTF-8, binary, empty, huge, deeply nested, and a symlink loop.
    fs::create_dir_all(work.join("etc")).unwrap();
    fs::write(
        work.join("etc/latin1.ini"),
        b"[uwsgi]\n# caf\xe9\nwsgi-file = /usr/bin/toy-api\n",
    )
    .unwrap();
    fs::write(
        work.join("etc/blob.bin"),
        b"\x00\x01toy-api\x00/usr/bin/toy-api",
    )
    .unwrap();
    fs::write(work.join("etc/empty.ini"), b"").unwrap();
    fs::write(work.join("empty.cfg"), b"").unwrap();
    let huge = fs::File::create(work.join("etc/huge.ini")).unwrap();
    huge.set_len(51 * 1024 * 1024).unwrap();
    let mut deep = work.join("deep");
    for level in 0..120 {
        deep.push(format!("d{level}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(
        deep.join("uwsgi.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/toy-api\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&work, work.join("deep/loop")).unwrap();

    let output = wsgi_migrate(&["scan", "--format", "json", &scratch.work_str()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let files: Vec<&str> = report["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("deep/d0/d1/") && files[0].ends_with("/d119/uwsgi.ini"),
        "{files:?}"
    );
    let warnings: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                d["severity"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        warnings.contains(&"warning etc/latin1.ini: not read: not UTF-8 text".to_owned()),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"warning etc/huge.ini: not read: larger than 8 MiB".to_owned()),
        "{warnings:?}"
    );
    assert_eq!(report["entry_points"][0]["status"], "generate");
}

#[test]
fn a_dangling_symlink_where_a_file_must_go_stops_apply() {
    let scratch = Scratch::new(&entry_points(&["toy-api = toy.app:init"]));
    let work = scratch.work();
    fs::create_dir_all(work.join("toy/wsgi")).unwrap();
    std::os::unix::fs::symlink(
        "/nonexistent/elsewhere.py",
        work.join("toy/wsgi/__init__.py"),
    )
    .unwrap();
    let before = scratch.snapshot();
    let output = wsgi_migrate(&["apply", &scratch.work_str()]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is a symbolic link"),
        "{}",
        describe(&output)
    );
    assert_eq!(scratch.snapshot(), before);
}

/// A disk that fills up half-way: a small tmpfs holding the tree and a file that leaves it
/// almost no room. Needs root to mount; CI runs as root.
#[test]
fn a_full_disk_leaves_the_tree_as_it_was() {
    let mount_point = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(mount_point.path())
        .output()
        .is_ok_and(|output| output.status.success());
    if !mounted {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must be able to mount a tmpfs (it runs as root)"
        );
        eprintln!(
            "a_full_disk_leaves_the_tree_as_it_was: cannot mount a tmpfs here (not root); run as root to check it"
        );
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(mount_point.path());
    let work = mount_point.path().join("work");
    support::copy_tree(&support::testdata().join("corpus-nova/before"), &work);
    // Fill the disk, leaving less room than the new modules need.
    let filler = work.join("filler");
    let mut size = 256 * 1024;
    while size > 0 && fs::write(&filler, vec![b'x'; size]).is_err() {
        size -= 4096;
    }
    let before = read_tree(&work);
    let output = wsgi_migrate(&["apply", work.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("No space left on device") || stderr.contains("cannot write"),
        "{stderr}"
    );
    assert_eq!(
        read_tree(&work),
        before,
        "a failed apply left changes behind"
    );
}

#[test]
fn two_applies_at_once_never_interleave() {
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    support::copy_tree(&support::testdata().join("corpus-heat/before"), &work);
    let binary = env!("CARGO_BIN_EXE_wsgi-migrate");
    let spawn = || {
        Command::new(binary)
            .args(["--color=never", "apply", "--quiet"])
            .arg(&work)
            .output()
    };
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(spawn);
        let second = scope.spawn(spawn);
        (
            first.join().unwrap().unwrap(),
            second.join().unwrap().unwrap(),
        )
    });
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
    let summaries = [stdout(&first), stdout(&second)];
    let changed_nothing = summaries
        .iter()
        .filter(|summary| summary.contains("changed 0 files"))
        .count();
    assert_eq!(
        changed_nothing, 1,
        "exactly one run migrates, the other finds nothing left: {summaries:?}"
    );
    let differences =
        support::tree_differences(&support::testdata().join("corpus-heat/after"), &work);
    assert!(differences.is_empty(), "{differences}");
}
