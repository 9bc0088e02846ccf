//! The applier's promises: all or nothing, permissions kept, nothing written through a symbolic
//! link or outside the tree, and a file changed since planning is never overwritten.

use std::fs;
use std::path::Path;

use wsgi_migrate::effects::apply::apply;
use wsgi_migrate::plan::FileChange;

use crate::support::read_tree;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, contents).unwrap();
    }
    dir
}

fn create(path: &str, contents: &str) -> FileChange {
    FileChange::Create {
        path: path.to_owned(),
        contents: contents.to_owned(),
    }
}

fn modify(path: &str, before: &str, after: &str) -> FileChange {
    FileChange::Modify {
        path: path.to_owned(),
        before: before.to_owned(),
        after: after.to_owned(),
    }
}

fn run(root: &Path, changes: &[FileChange]) -> anyhow::Result<()> {
    let pairs: Vec<(&Path, &FileChange)> = changes.iter().map(|change| (root, change)).collect();
    apply(&pairs)
}

#[test]
fn writes_every_change() {
    let dir = tree(&[("setup.cfg", "a\n"), ("toy/app.py", "x\n")]);
    let changes = [
        modify("setup.cfg", "a\n", "b\n"),
        create("toy/wsgi/__init__.py", ""),
        create("toy/wsgi/api.py", "app\n"),
        FileChange::Rename {
            from: "toy/app.py".into(),
            to: "toy/moved/__init__.py".into(),
            contents: "x\n".into(),
        },
    ];
    run(dir.path(), &changes).unwrap();
    let files = read_tree(dir.path());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "setup.cfg",
            "toy/moved/__init__.py",
            "toy/wsgi/__init__.py",
            "toy/wsgi/api.py"
        ]
    );
    assert_eq!(files["setup.cfg"].as_deref(), Some(&b"b\n"[..]));
}

#[test]
fn a_failure_while_committing_restores_the_tree() {
    let dir = tree(&[("setup.cfg", "before\n"), ("devstack/settings", "X=1\n")]);
    let before = read_tree(dir.path());
    // The second creation of one path passes staging (nothing is there yet) and fails when
    // committed, after the first change was already renamed into place.
    let changes = [
        modify("setup.cfg", "before\n", "after\n"),
        create("toy/wsgi/api.py", "one\n"),
        modify("devstack/settings", "X=1\n", "X=2\n"),
        create("toy/wsgi/api.py", "two\n"),
    ];
    let error = run(dir.path(), &changes).unwrap_err();
    assert!(
        format!("{error:#}").contains("toy/wsgi/api.py"),
        "{error:#}"
    );
    assert_eq!(read_tree(dir.path()), before, "the tree changed");
}

#[test]
fn a_failure_while_staging_writes_nothing() {
    let dir = tree(&[
        ("setup.cfg", "before\n"),
        ("toy", "a file where a directory must go\n"),
    ]);
    let before = read_tree(dir.path());
    let changes = [
        modify("setup.cfg", "before\n", "after\n"),
        create("toy/wsgi/api.py", "x\n"),
    ];
    let error = run(dir.path(), &changes).unwrap_err();
    assert!(format!("{error:#}").contains("toy"), "{error:#}");
    assert_eq!(read_tree(dir.path()), before);
}

#[test]
fn a_file_changed_since_planning_is_not_overwritten() {
    let dir = tree(&[("setup.cfg", "edited by someone else\n")]);
    let error = run(dir.path(), &[modify("setup.cfg", "planned\n", "after\n")]).unwrap_err();
    assert!(
        format!("{error:#}").contains("changed since the plan was made"),
        "{error:#}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("setup.cfg")).unwrap(),
        "edited by someone else\n"
    );
}

#[test]
fn paths_outside_the_tree_are_refused() {
    let dir = tree(&[]);
    for path in ["../escape.py", "/tmp/absolute.py", "a/../../b.py", ""] {
        let error = run(dir.path(), &[create(path, "x\n")]).unwrap_err();
        assert!(
            format!("{error:#}").contains("refusing to write"),
            "{path}: {error:#}"
        );
    }
    assert!(read_tree(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_never_written_through() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("setup.cfg"), "outside\n").unwrap();
    let dir = tree(&[]);
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("setup.cfg"),
        dir.path().join("setup.cfg"),
    )
    .unwrap();
    for change in [
        create("linked/new.py", "x\n"),
        modify("setup.cfg", "outside\n", "inside\n"),
    ] {
        let error = run(dir.path(), &[change]).unwrap_err();
        assert!(format!("{error:#}").contains("symbolic link"), "{error:#}");
    }
    assert_eq!(
        fs::read_to_string(outside.path().join("setup.cfg")).unwrap(),
        "outside\n"
    );
    assert!(!outside.path().join("new.py").exists());
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_and_new_files_are_readable() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tree(&[("devstack/plugin.sh", "X=1\n")]);
    let plugin = dir.path().join("devstack/plugin.sh");
    fs::set_permissions(&plugin, fs::Permissions::from_mode(0o755)).unwrap();
    run(
        dir.path(),
        &[
            modify("devstack/plugin.sh", "X=1\n", "X=2\n"),
            create("toy/wsgi/api.py", "x\n"),
        ],
    )
    .unwrap();
    assert_eq!(
        fs::metadata(&plugin).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let created = fs::metadata(dir.path().join("toy/wsgi/api.py")).unwrap();
    assert_eq!(created.permissions().mode() & 0o777, 0o644);
}
