//! Review-ready commits in real git repositories: the topic branch, the Change-Id, `--split`,
//! the release note, and the refusals that protect a user's work.

use std::fs;
use std::path::Path;

use crate::support::{self, describe, git, git_repository, read_tree, stdout, wsgi_migrate_in};

/// placement: a rename of `placement/wsgi.py`, a docs conf with apidoc, and reno notes.
fn placement_repository() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("placement");
    support::copy_tree(&support::testdata().join("corpus-placement/before"), &tree);
    fs::create_dir_all(tree.join("releasenotes/notes")).unwrap();
    fs::write(
        tree.join("releasenotes/notes/initial-0123456789abcdef.yaml"),
        "---\nprelude: >\n  First release.\n",
    )
    .unwrap();
    fs::create_dir_all(tree.join("doc/source")).unwrap();
    fs::write(
        tree.join("doc/source/conf.py"),
        "extensions = ['sphinxcontrib.apidoc']\napidoc_module_dir = '../../placement'\napidoc_excluded_paths = [\n    'tests',\n]\n",
    )
    .unwrap();
    git_repository(&tree)
}

fn path(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

fn log(dir: &Path, format: &str) -> Vec<String> {
    git(dir, &["log", &format!("--format={format}"), "main.."])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn topic_commits_on_a_new_branch_with_a_change_id() {
    let repo = placement_repository();
    let dir = repo.path();
    let main_before = git(dir, &["rev-parse", "main"]);
    let output = wsgi_migrate_in(
        dir,
        &["apply", "--topic", "remove-wsgi_scripts", path(&repo)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stdout(&output).contains("next: git review -t remove-wsgi_scripts"),
        "{}",
        describe(&output)
    );

    assert_eq!(
        git(dir, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "remove-wsgi_scripts"
    );
    assert_eq!(
        git(dir, &["rev-parse", "main"]),
        main_before,
        "the old branch moved"
    );
    assert_eq!(
        git(dir, &["status", "--porcelain"]),
        "",
        "the tree is not clean after the commit"
    );

    let message = git(dir, &["log", "-1", "--format=%B"]);
    let subject = message.lines().next().unwrap();
    assert!(subject.len() <= 50, "{subject}");
    let trailers: Vec<&str> = message
        .lines()
        .filter(|line| line.starts_with("Change-Id: "))
        .collect();
    assert_eq!(trailers.len(), 1, "{message}");
    let id = trailers[0].trim_start_matches("Change-Id: ");
    assert!(
        id.len() == 41 && id.starts_with('I') && id[1..].chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(
        git(dir, &["log", "-1", "--format=%an <%ae>"]).trim(),
        "Test Author <author@example.org>"
    );

    let files = git(dir, &["show", "--name-status", "--format=", "HEAD"]);
    for expected in [
        "placement/wsgi/api.py",
        "placement/wsgi/__init__.py",
        "setup.cfg",
        "doc/source/conf.py",
        "releasenotes/notes/add-placement-wsgi-module-",
    ] {
        assert!(
            files.contains(expected),
            "{expected} not committed:\n{files}"
        );
    }
    assert!(
        files.contains("placement/wsgi.py"),
        "the rename is committed:\n{files}"
    );
    assert_eq!(log(dir, "%s").len(), 1);
}

#[test]
fn the_release_note_is_reno_yaml_and_the_docs_exclusion_is_added() {
    let repo = placement_repository();
    let output = wsgi_migrate_in(repo.path(), &["apply", "--allow-dirty", path(&repo)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let notes = repo.path().join("releasenotes/notes");
    let note = fs::read_dir(&notes)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("add-placement-wsgi-module-")
        })
        .expect("a features note");
    let check = std::process::Command::new(support::python())
        .args(["-c", "import sys, yaml; note = yaml.safe_load(open(sys.argv[1])); print(sorted(note)); assert isinstance(note['features'], list) and isinstance(note['upgrade'], list); assert 'placement.wsgi.api:application' in note['features'][0]; assert 'placement-api' in note['upgrade'][0]"])
        .arg(&note)
        .output()
        .expect("python runs");
    assert!(
        check.status.success(),
        "the note is not the YAML reno expects (PyYAML comes from scripts/test): {}",
        describe(&check)
    );
    let conf = fs::read_to_string(repo.path().join("doc/source/conf.py")).unwrap();
    assert!(
        conf.ends_with("apidoc_excluded_paths = [\n    'tests',\n    'wsgi/api.py',\n]\n"),
        "{conf}"
    );

    // A second run writes no second note.
    let again = wsgi_migrate_in(repo.path(), &["apply", "--allow-dirty", path(&repo)]);
    assert!(
        stdout(&again).contains("changed 0 files"),
        "{}",
        describe(&again)
    );
}

#[test]
fn split_makes_upstreams_two_commits() {
    let repo = placement_repository();
    let dir = repo.path();
    let output = wsgi_migrate_in(
        dir,
        &[
            "apply",
            "--topic",
            "remove-wsgi_scripts",
            "--split",
            "--signoff",
            path(&repo),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let subjects = log(dir, "%s");
    assert_eq!(
        subjects,
        vec![
            "setup: Remove pbr's wsgi_scripts",
            "Add WSGI modules for the wsgi scripts"
        ]
    );
    let first = git(dir, &["show", "--name-only", "--format=", "HEAD~1"]);
    let second = git(dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        first.contains("placement/wsgi/api.py") && !first.contains("setup.cfg"),
        "{first}"
    );
    assert!(
        first.contains("releasenotes/notes/add-placement-wsgi-module-"),
        "{first}"
    );
    assert!(
        second.contains("setup.cfg")
            && second.contains("releasenotes/notes/remove-placement-wsgi-scripts-"),
        "{second}"
    );
    assert!(!second.contains("placement/wsgi/api.py"), "{second}");
    for message in [
        git(dir, &["log", "-1", "--format=%B", "HEAD~1"]),
        git(dir, &["log", "-1", "--format=%B", "HEAD"]),
    ] {
        let trailers: Vec<&str> = message
            .lines()
            .skip_while(|line| !line.starts_with("Signed-off-by:"))
            .filter(|line| !line.is_empty())
            .collect();
        assert_eq!(trailers.len(), 2, "{message}");
        assert_eq!(
            trailers[0],
            "Signed-off-by: Test Author <author@example.org>"
        );
        assert!(trailers[1].starts_with("Change-Id: I"), "{message}");
    }
    assert_eq!(git(dir, &["status", "--porcelain"]), "");
}

#[test]
fn a_message_file_replaces_the_generated_message() {
    let repo = placement_repository();
    let message = repo.path().join("../message.txt");
    fs::write(
        &message,
        "Use module paths for placement\n\nCloses-Bug: #2109577\n",
    )
    .unwrap();
    let output = wsgi_migrate_in(
        repo.path(),
        &[
            "apply",
            "--commit",
            "--message-file",
            message.to_str().unwrap(),
            path(&repo),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let body = git(repo.path(), &["log", "-1", "--format=%B"]);
    assert!(
        body.starts_with("Use module paths for placement\n\nCloses-Bug: #2109577\nChange-Id: I"),
        "{body}"
    );
    assert_eq!(
        git(repo.path(), &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
}

#[test]
fn a_dirty_tree_is_refused_and_nothing_is_written() {
    let repo = placement_repository();
    let mut setup_cfg = fs::read_to_string(repo.path().join("setup.cfg")).unwrap();
    setup_cfg.push_str("# a local edit, not committed\n");
    fs::write(repo.path().join("setup.cfg"), setup_cfg).unwrap();
    fs::write(
        repo.path().join("notes.txt"),
        "untracked, not touched by the plan\n",
    )
    .unwrap();
    let before = read_tree(repo.path());
    let output = wsgi_migrate_in(
        repo.path(),
        &["apply", "--topic", "remove-wsgi_scripts", path(&repo)],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert_eq!(
        stdout(&output),
        "",
        "the refusal goes to stderr alone, with no diff"
    );
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        text.contains("setup.cfg (modified)") && text.contains("--allow-dirty"),
        "{text}"
    );
    assert!(
        !text.contains("notes.txt"),
        "an untracked file the plan does not touch is not in the way: {text}"
    );
    assert_eq!(
        read_tree(repo.path()),
        before,
        "the refusal wrote something"
    );
    assert_eq!(
        git(repo.path(), &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
}

#[test]
fn a_topic_branch_pointing_elsewhere_is_refused() {
    let repo = placement_repository();
    git(repo.path(), &["branch", "remove-wsgi_scripts"]);
    fs::write(repo.path().join("README.rst"), "Placement\n").unwrap();
    git(repo.path(), &["add", "README.rst"]);
    git(repo.path(), &["commit", "-q", "-m", "Add a README"]);
    let before = read_tree(repo.path());
    let output = wsgi_migrate_in(
        repo.path(),
        &["apply", "--topic", "remove-wsgi_scripts", path(&repo)],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("already exists and points at"),
        "{}",
        describe(&output)
    );
    assert_eq!(read_tree(repo.path()), before);
}

#[test]
fn commit_and_topic_need_git_and_an_identity() {
    // Outside a repository, apply works but --commit cannot.
    let plain = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::testdata().join("corpus-glance/before"),
        plain.path(),
    );
    let before = read_tree(plain.path());
    let output = wsgi_migrate_in(plain.path(), &["apply", "--commit", path(&plain)]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is not in a git repository"),
        "{}",
        describe(&output)
    );
    assert_eq!(read_tree(plain.path()), before);

    // A repository without user.name: a clear error, nothing written.
    let repo = placement_repository();
    git(repo.path(), &["config", "--unset", "user.name"]);
    git(repo.path(), &["config", "--unset", "user.email"]);
    let before = read_tree(repo.path());
    let output = wsgi_migrate_in(repo.path(), &["apply", "--commit", path(&repo)]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("user.name"),
        "{}",
        describe(&output)
    );
    assert_eq!(read_tree(repo.path()), before);
}

#[test]
fn tracked_files_are_scanned_even_when_an_ignore_pattern_matches() {
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("deploy");
    fs::create_dir_all(tree.join("etc")).unwrap();
    fs::write(
        tree.join("etc/nova-api-uwsgi.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/nova-api-wsgi\n",
    )
    .unwrap();
    fs::write(
        tree.join("etc/local.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/nova-api-wsgi\n",
    )
    .unwrap();
    fs::write(tree.join(".gitignore"), "etc/*.ini\n").unwrap();
    let repo = git_repository(&tree);
    git(repo.path(), &["add", "-f", "etc/nova-api-uwsgi.ini"]);
    git(
        repo.path(),
        &["commit", "-q", "-m", "Track one ignored file"],
    );
    let output = wsgi_migrate_in(repo.path(), &["check", path(&repo)]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let listing = stdout(&output);
    assert!(
        listing.contains("etc/nova-api-uwsgi.ini:2:22:"),
        "{listing}"
    );
    assert!(
        !listing.contains("etc/local.ini"),
        "an ignored untracked file is not part of the repository: {listing}"
    );
}

#[test]
fn only_the_plans_files_are_committed_and_staged_work_stays_staged() {
    let repo = placement_repository();
    fs::write(repo.path().join("unrelated.txt"), "staged by the user\n").unwrap();
    git(repo.path(), &["add", "unrelated.txt"]);
    let output = wsgi_migrate_in(
        repo.path(),
        &["apply", "--allow-dirty", "--commit", path(&repo)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let committed = git(repo.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains("unrelated.txt"), "{committed}");
    assert!(committed.contains("placement/wsgi/api.py"), "{committed}");
    assert_eq!(
        git(repo.path(), &["status", "--porcelain"]),
        "A  unrelated.txt\n"
    );
}

#[test]
fn a_failed_write_or_nothing_to_do_leaves_the_branch_alone() {
    let repo = git_repository(&support::testdata().join("corpus-glance/before"));
    // A directory where the generated package's __init__.py must go: the write fails.
    fs::create_dir_all(repo.path().join("glance/wsgi/__init__.py")).unwrap();
    let output = wsgi_migrate_in(
        repo.path(),
        &[
            "apply",
            "--allow-dirty",
            "--topic",
            "remove-wsgi_scripts",
            path(&repo),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert_eq!(
        git(repo.path(), &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
    assert_eq!(
        git(repo.path(), &["branch", "--list", "remove-wsgi_scripts"]),
        ""
    );

    let migrated = placement_repository();
    let first = wsgi_migrate_in(migrated.path(), &["apply", "--commit", path(&migrated)]);
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    let again = wsgi_migrate_in(
        migrated.path(),
        &["apply", "--topic", "remove-wsgi_scripts", path(&migrated)],
    );
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
    assert_eq!(
        git(
            migrated.path(),
            &["branch", "--list", "remove-wsgi_scripts"]
        ),
        "",
        "no branch without a commit"
    );
}

#[test]
fn a_repository_without_commits_is_refused_before_writing() {
    let scratch = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::testdata().join("corpus-glance/before"),
        scratch.path(),
    );
    git(scratch.path(), &["init", "-q", "-b", "main"]);
    git(scratch.path(), &["config", "user.name", "Test Author"]);
    git(
        scratch.path(),
        &["config", "user.email", "author@example.org"],
    );
    let before = read_tree(scratch.path());
    let output = wsgi_migrate_in(
        scratch.path(),
        &[
            "apply",
            "--allow-dirty",
            "--commit",
            scratch.path().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no commit yet")
            && !String::from_utf8_lossy(&output.stderr).contains("class="),
        "{}",
        describe(&output)
    );
    assert_eq!(read_tree(scratch.path()), before);
}

#[test]
fn a_tree_inside_an_ignored_directory_is_still_scanned() {
    let repo = placement_repository();
    fs::write(repo.path().join(".gitignore"), "build/\n").unwrap();
    let nested = repo.path().join("build/deploy");
    fs::create_dir_all(&nested).unwrap();
    fs::write(
        nested.join("uwsgi.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/placement-api\n",
    )
    .unwrap();
    let output = wsgi_migrate_in(repo.path(), &["check", nested.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).starts_with("uwsgi.ini:2:22: WM101 replace"),
        "{}",
        describe(&output)
    );
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `apply` must refuse with exit 2, `message` on stderr, nothing on stdout, and nothing
/// written or committed.
fn assert_refused_before_writing(repo: &Path, args: &[&str], message: &str) {
    let before = read_tree(repo);
    let head = git(repo, &["rev-parse", "HEAD"]);
    let mut all = vec!["apply"];
    all.extend_from_slice(args);
    let path = repo.to_str().unwrap();
    all.push(path);
    let output = wsgi_migrate_in(repo, &all);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains(message), "{}", describe(&output));
    assert!(!stderr.contains("class="), "libgit2 internals: {stderr}");
    assert_eq!(stdout(&output), "", "a refusal prints nothing on stdout");
    assert_eq!(read_tree(repo), before, "the refusal wrote something");
    assert_eq!(git(repo, &["rev-parse", "HEAD"]), head, "a commit was made");
}

#[test]
fn skip_worktree_and_assume_unchanged_edits_are_dirty() {
    for flag in ["--skip-worktree", "--assume-unchanged"] {
        let repo = placement_repository();
        let dir = repo.path();
        git(dir, &["update-index", flag, "setup.cfg"]);
        let mut setup_cfg = fs::read_to_string(dir.join("setup.cfg")).unwrap();
        setup_cfg.push_str("# password = hunter2\n");
        fs::write(dir.join("setup.cfg"), &setup_cfg).unwrap();
        assert_eq!(
            git(dir, &["status", "--porcelain"]),
            "",
            "git status hides the edit"
        );
        let hidden = format!("setup.cfg (modified, hidden by {})", &flag[2..]);
        assert_refused_before_writing(dir, &["--commit"], &hidden);
        assert_refused_before_writing(dir, &[], &hidden);
        // --allow-dirty cannot put the hidden edit into a commit either.
        assert_refused_before_writing(
            dir,
            &["--allow-dirty", "--topic", "remove-wsgi_scripts"],
            "setup.cfg (modified, hidden by",
        );
    }
}

#[test]
fn allow_dirty_commits_only_the_plans_bytes_and_names_what_it_leaves_out() {
    let repo = placement_repository();
    let dir = repo.path();
    fs::write(dir.join("README.rst"), "local notes\n").unwrap();
    git(dir, &["add", "README.rst"]);
    git(dir, &["commit", "-q", "-m", "README"]);
    fs::write(dir.join("README.rst"), "local notes, edited\n").unwrap();
    let output = wsgi_migrate_in(dir, &["apply", "--allow-dirty", "--commit", path(&repo)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stdout(&output).contains("stay out of the commit")
            && stdout(&output).contains("README.rst (modified)"),
        "{}",
        describe(&output)
    );
    let committed = git(dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains("README.rst"), "{committed}");
    // Every committed blob is byte for byte what the plan wrote to the work tree.
    for file in committed.lines().filter(|file| dir.join(file).exists()) {
        assert_eq!(
            git(dir, &["show", &format!("HEAD:{file}")]).into_bytes(),
            fs::read(dir.join(file)).unwrap(),
            "{file}"
        );
    }
    assert_eq!(git(dir, &["status", "--porcelain"]), " M README.rst\n");

    // A file the plan changes that holds the user's own edit is refused, named.
    let repo = placement_repository();
    let dir = repo.path();
    let mut setup_cfg = fs::read_to_string(dir.join("setup.cfg")).unwrap();
    setup_cfg.push_str("# not for review\n");
    fs::write(dir.join("setup.cfg"), &setup_cfg).unwrap();
    assert_refused_before_writing(dir, &["--allow-dirty", "--commit"], "setup.cfg (modified)");
}

#[test]
fn an_index_lock_is_refused_before_writing() {
    let repo = placement_repository();
    fs::write(repo.path().join(".git/index.lock"), "").unwrap();
    assert_refused_before_writing(
        repo.path(),
        &["--commit"],
        "index.lock` exists: another git command is running",
    );
    // Without a commit, git is not touched and the lock does not matter.
    let output = wsgi_migrate_in(repo.path(), &["apply", path(&repo)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn a_locked_branch_is_refused_before_writing() {
    let repo = placement_repository();
    fs::write(repo.path().join(".git/refs/heads/main.lock"), "").unwrap();
    assert_refused_before_writing(repo.path(), &["--commit"], "branch `main` is locked");
    fs::remove_file(repo.path().join(".git/refs/heads/main.lock")).unwrap();
    fs::write(
        repo.path().join(".git/refs/heads/remove-wsgi_scripts.lock"),
        "",
    )
    .unwrap();
    assert_refused_before_writing(
        repo.path(),
        &["--topic", "remove-wsgi_scripts"],
        "branch `remove-wsgi_scripts` is locked",
    );
}

#[test]
fn a_topic_checked_out_in_another_worktree_is_refused() {
    let repo = placement_repository();
    let scratch = tempfile::tempdir().unwrap();
    let other = scratch.path().join("other");
    git(
        repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "remove-wsgi_scripts",
            other.to_str().unwrap(),
        ],
    );
    assert_refused_before_writing(
        repo.path(),
        &["--topic", "remove-wsgi_scripts"],
        "branch `remove-wsgi_scripts` is checked out in the worktree",
    );
    // From the linked worktree, the main one's branch is refused the same way.
    let before = read_tree(&other);
    let output = wsgi_migrate_in(
        &other,
        &["apply", "--topic", "main", other.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr_of(&output).contains("branch `main` is checked out in the worktree"),
        "{}",
        describe(&output)
    );
    assert_eq!(read_tree(&other), before);
    // And a commit in the linked worktree itself works, its journal in its own git dir.
    let output = wsgi_migrate_in(&other, &["apply", "--commit", other.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(git(&other, &["status", "--porcelain"]), "");
    assert_eq!(git(repo.path(), &["status", "--porcelain"]), "");
}

#[test]
fn a_separate_git_dir_repository_is_used_as_git_sees_it() {
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("placement");
    let git_dir = scratch.path().join("placement.git");
    support::copy_tree(&support::testdata().join("corpus-placement/before"), &tree);
    git(
        &tree,
        &[
            "init",
            "-q",
            "-b",
            "main",
            "--separate-git-dir",
            git_dir.to_str().unwrap(),
        ],
    );
    git(&tree, &["config", "user.name", "Test Author"]);
    git(&tree, &["config", "user.email", "author@example.org"]);
    git(&tree, &["add", "-A"]);
    git(&tree, &["commit", "-q", "-m", "Initial import"]);
    let output = wsgi_migrate_in(&tree, &["apply", "--commit", tree.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stdout(&output).contains("3 files"),
        "the work tree is where the .git file is: {}",
        describe(&output)
    );
    let committed = git(&tree, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(committed.contains("placement/wsgi/api.py"), "{committed}");
    assert_eq!(git(&tree, &["status", "--porcelain"]), "");
    assert!(!git_dir.join("wsgi-migrate-journal").exists());
}

#[test]
fn a_sparse_checkout_is_not_dirty() {
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("placement");
    support::copy_tree(&support::testdata().join("corpus-placement/before"), &tree);
    fs::create_dir_all(tree.join("other")).unwrap();
    fs::write(tree.join("other/big.txt"), "not checked out\n").unwrap();
    let repo = git_repository(&tree);
    let dir = repo.path();
    git(
        dir,
        &["sparse-checkout", "set", "--no-cone", "/*", "!/other/"],
    );
    assert!(!dir.join("other/big.txt").exists());
    assert_eq!(git(dir, &["status", "--porcelain"]), "");
    let output = wsgi_migrate_in(dir, &["apply", "--commit", path(&repo)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(git(dir, &["status", "--porcelain"]), "");
    let tree_files = git(dir, &["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(
        tree_files.contains("other/big.txt"),
        "the file outside the sparse checkout stays in the commit: {tree_files}"
    );
}

#[test]
fn a_new_repository_lists_every_untracked_file() {
    let scratch = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::testdata().join("corpus-glance/before"),
        scratch.path(),
    );
    git(scratch.path(), &["init", "-q", "-b", "main"]);
    let output = wsgi_migrate_in(scratch.path(), &["apply", scratch.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = stderr_of(&output);
    for file in [
        "setup.cfg",
        "httpd/glance-api-uwsgi.ini",
        "glance/__init__.py",
        "glance/common/wsgi_app.py",
    ] {
        assert!(
            stderr.contains(&format!("{file} (untracked)")),
            "{file} is not listed: {stderr}"
        );
    }
    assert_eq!(stdout(&output), "");
}
