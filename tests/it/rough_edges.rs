//! One test per rough edge a new user hit (issue 13): refusals on stderr, a dry-run diff of
//! several PATHs that `git apply` accepts, `check FILE` outside the current directory, `map`
//! publishing only its PATHs, summaries, one order, one example path, closed pipes, completions
//! and the manual page.

use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{self, describe, git, git_repository, stdout};

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-xdg"))
        .env_remove("WSGI_MIGRATE_OUTPUT_FORMAT")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn copy_case(case: &str, to: &Path) {
    support::copy_tree(&support::testdata().join(case).join("before"), to);
}

/// `git apply` the diff in `dir`, outside any repository.
fn git_apply(dir: &Path, diff: &str) {
    let patch = dir.join("../dry-run.patch");
    fs::write(&patch, diff).unwrap();
    let output = Command::new("git")
        .args(["apply", "--whitespace=nowarn"])
        .arg(&patch)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}\n{diff}", describe(&output));
}

#[test]
fn a_dry_run_of_several_paths_applies_from_the_directory_it_names() {
    // Run from inside one tree, naming a sibling: `apply --dry-run ../svc .`.
    let scratch = tempfile::tempdir().unwrap();
    let top = scratch.path().join("top");
    copy_case("corpus-glance", &top.join("svc"));
    copy_case("deploy-uwsgi-structured", &top.join("deploy"));
    let expected = scratch.path().join("expected");
    support::copy_tree(&top, &expected);
    let applied = run_in(&expected, &["apply", "svc", "deploy"]);
    assert_eq!(applied.status.code(), Some(0), "{}", describe(&applied));

    let dry = run_in(&top.join("deploy"), &["apply", "--dry-run", "../svc", "."]);
    assert_eq!(dry.status.code(), Some(0), "{}", describe(&dry));
    let top_canonical = top.canonicalize().unwrap();
    assert!(
        stderr(&dry).contains(&format!(
            "relative to `{}`: apply it there",
            top_canonical.display()
        )),
        "{}",
        describe(&dry)
    );
    assert!(!stdout(&dry).contains(".."), "{}", stdout(&dry));
    git_apply(&top, &stdout(&dry));
    assert_eq!(support::tree_differences(&expected, &top), "");

    // From a directory holding both trees, the diff applies right there.
    let again = scratch.path().join("again");
    copy_case("corpus-glance", &again.join("svc"));
    copy_case("deploy-uwsgi-structured", &again.join("deploy"));
    let dry = run_in(&again, &["apply", "--dry-run", "svc", "./deploy"]);
    assert_eq!(dry.status.code(), Some(0), "{}", describe(&dry));
    assert!(
        !stderr(&dry).contains("apply it there"),
        "{}",
        describe(&dry)
    );
    git_apply(&again, &stdout(&dry));
    assert_eq!(support::tree_differences(&expected, &again), "");
}

#[test]
fn check_file_plans_the_repository_that_contains_it() {
    let scratch = tempfile::tempdir().unwrap();
    // A git repository somewhere else, and a project outside any repository.
    let repo = git_repository(&support::testdata().join("corpus-glance/before"));
    let plain = scratch.path().join("elsewhere/plain");
    copy_case("corpus-glance", &plain);
    let cwd = scratch.path().join("cwd");
    fs::create_dir_all(&cwd).unwrap();
    // Something the current directory holds, which must not be planned.
    fs::write(
        cwd.join("setup.cfg"),
        "[entry_points]\nwsgi_scripts =\n    bad = not a target\n",
    )
    .unwrap();

    let in_repo = repo.path().join("setup.cfg");
    let output = run_in(&cwd, &["check", in_repo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let root = repo.path().canonicalize().unwrap();
    assert_eq!(
        stdout(&output),
        format!(
            "{}/setup.cfg:49:1: WM001 `glance-wsgi-api` is a wsgi_scripts entry point; `wsgi-migrate apply` generates `glance.wsgi.api` and removes the entry point\n",
            root.display()
        )
    );

    // Not in git: the nearest directory with a setup.cfg is the project, shown relative.
    let ini = plain.join("httpd/glance-api-uwsgi.ini");
    let output = run_in(
        &scratch.path().join("elsewhere"),
        &["check", "--output-format", "concise", ini.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).starts_with("plain/httpd/glance-api-uwsgi.ini:18:28: WM101 replace"),
        "{}",
        describe(&output)
    );
    // The module is known from the project's own setup.cfg, which was planned too.
    assert!(stdout(&output).contains("glance.wsgi.api:application"));
}

#[test]
fn map_prints_only_what_the_paths_declare_unless_asked() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("corpus-glance", &scratch.path().join("svc"));
    let own = run_in(scratch.path(), &["map", "svc"]);
    assert_eq!(own.status.code(), Some(0), "{}", describe(&own));
    let scripts: Vec<String> = stdout(&own)
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(
        scripts,
        [
            "[scripts]",
            "glance-wsgi-api = \"glance.wsgi.api:application\""
        ],
        "{}",
        describe(&own)
    );
    let everything = run_in(scratch.path(), &["map", "--registry", "svc"]);
    assert!(
        stdout(&everything).contains("nova-api-wsgi = \"nova.wsgi.osapi_compute:application\""),
        "{}",
        describe(&everything)
    );
}

#[test]
fn map_prints_no_partial_map_when_it_fails() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("corpus-glance", &scratch.path().join("svc"));
    copy_case("invalid-entries", &scratch.path().join("bad"));
    let output = run_in(scratch.path(), &["map", "svc", "bad"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert_eq!(stdout(&output), "", "{}", describe(&output));
    assert!(
        stderr(&output).contains("no map printed"),
        "{}",
        describe(&output)
    );
}

#[test]
fn refusals_and_errors_go_to_stderr_without_the_diff() {
    let repo = git_repository(&support::testdata().join("corpus-glance/before"));
    let dir = repo.path();
    let tracked = dir.join("glance/common/wsgi_app.py");
    let mut text = fs::read_to_string(&tracked).unwrap();
    text.push_str("# an edit of the user's\n");
    fs::write(&tracked, text).unwrap();
    let refused = run_in(dir, &["apply", "."]);
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    assert_eq!(stdout(&refused), "", "{}", describe(&refused));
    let text = stderr(&refused);
    assert!(
        text.contains("uncommitted changes") && text.contains("glance/common/wsgi_app.py"),
        "{text}"
    );
    assert!(!text.contains("diff --git"), "{text}");

    // An error in the input: the listing and the verdict are on stderr.
    let scratch = tempfile::tempdir().unwrap();
    copy_case("invalid-entries", scratch.path());
    let failed = run_in(scratch.path(), &["apply", "."]);
    assert_eq!(failed.status.code(), Some(2), "{}", describe(&failed));
    assert_eq!(stdout(&failed), "", "{}", describe(&failed));
    assert!(
        stderr(&failed).contains("nothing written"),
        "{}",
        describe(&failed)
    );
}

#[test]
fn the_summary_counts_warnings() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("corpus-glance", scratch.path());
    let output = run_in(scratch.path(), &["scan"]);
    assert!(
        stdout(&output).contains("0 errors, 1 warning"),
        "{}",
        describe(&output)
    );
}

#[test]
fn json_and_text_list_findings_in_one_order() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("deploy-apache", scratch.path());
    let json = run_in(scratch.path(), &["scan", "--output-format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let positions = |items: &serde_json::Value| -> Vec<(String, u64)> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                (
                    item["file"].as_str().unwrap().to_owned(),
                    item["line"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let references = positions(&doc["references"]);
    let mut sorted = references.clone();
    sorted.sort();
    assert_eq!(
        references, sorted,
        "JSON references are in file and line order"
    );
    assert!(references.len() > 5);
    // The text views list the same references in the same order.
    let concise = run_in(
        scratch.path(),
        &["scan", "--output-format", "concise", "--show-ok"],
    );
    let listed: Vec<(String, u64)> = stdout(&concise)
        .lines()
        .map(|line| {
            let mut parts = line.splitn(3, ':');
            (
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let mut from_json = positions(&doc["references"]);
    from_json.extend(positions(&doc["diagnostics"]));
    from_json.extend(positions(&doc["entry_points"]));
    from_json.sort();
    assert_eq!(listed, from_json);
}

#[test]
fn kept_entry_points_are_not_called_gone() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("corpus-nova", scratch.path());
    let output = run_in(
        scratch.path(),
        &["check", "--keep-entry-points", "--show-ok", "."],
    );
    let text = stdout(&output);
    assert!(text.contains("doc/source/user/wsgi.rst:17:"), "{text}");
    assert!(!text.contains("no longer exists"), "{text}");
}

#[test]
fn one_example_path_everywhere() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("corpus-glance", scratch.path());
    let notes = scratch.path().join("releasenotes/notes");
    fs::create_dir_all(&notes).unwrap();
    let repo = git_repository(scratch.path());
    let output = run_in(scratch.path(), &["apply", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let note = fs::read_dir(&notes)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = fs::read_to_string(note).unwrap();
    assert!(
        text.contains("wsgi-file = /usr/local/bin/glance-wsgi-api"),
        "{text}"
    );
    let committed = run_in(repo.path(), &["apply", "--commit", "."]);
    assert_eq!(committed.status.code(), Some(0), "{}", describe(&committed));
    let message = git(repo.path(), &["log", "-1", "--format=%B"]);
    assert!(
        message.contains("wsgi-file = /usr/local/bin/glance-wsgi-api"),
        "{message}"
    );
    let readme = fs::read_to_string(support::manifest_dir().join("README.md")).unwrap();
    assert!(!readme.contains("/usr/bin/nova-api-wsgi") && !readme.contains("wsgi-file = /bin/"));
}

/// `wsgi-migrate scan | head -1`: a closed pipe ends the program quietly, never with a panic.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("deploy-apache", scratch.path());
    for args in [
        &["scan", "-v", "."][..],
        &["check", "."],
        &["apply", "--dry-run", "."],
        &["man"],
        &["completions", "bash"],
        &["--help"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
            .args(args)
            .current_dir(scratch.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the program writes.
        drop(child.stdout.take());
        let mut errors = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut errors)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(
            !errors.contains("panicked") && status.code() != Some(101),
            "{args:?}: {status:?}\n{errors}"
        );
    }
}

#[test]
fn bash_completes_subcommands() {
    let output = run_in(Path::new("."), &["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("wsgi-migrate.bash");
    fs::write(&script, stdout(&output)).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{}", describe(&syntax));
    // Source it and call the completion function as bash would for `wsgi-migrate ch<TAB>`.
    let completed = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && COMP_WORDS=(wsgi-migrate ch) COMP_CWORD=1 COMP_LINE='wsgi-migrate ch' COMP_POINT=15 \
             && _wsgi__migrate wsgi-migrate ch wsgi-migrate && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(completed.status.success(), "{}", describe(&completed));
    assert_eq!(stdout(&completed), "check\n", "{}", describe(&completed));
    let all = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && COMP_WORDS=(wsgi-migrate '') COMP_CWORD=1 && _wsgi__migrate wsgi-migrate '' wsgi-migrate && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    let words = stdout(&all);
    for command in [
        "scan",
        "apply",
        "check",
        "verify",
        "map",
        "completions",
        "man",
    ] {
        assert!(
            words.lines().any(|word| word == command),
            "{command}: {words}"
        );
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = run_in(Path::new("."), &["completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            describe(&output)
        );
        assert!(stdout(&output).contains("wsgi-migrate"), "{shell}");
    }
}

#[test]
fn the_manual_page_renders() {
    let output = run_in(Path::new("."), &["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let scratch = tempfile::tempdir().unwrap();
    let page = scratch.path().join("wsgi-migrate.1");
    fs::write(&page, stdout(&output)).unwrap();
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .expect("man must be installed: scripts/test installs man-db");
    assert!(rendered.status.success(), "{}", describe(&rendered));
    let text = stdout(&rendered);
    for word in ["wsgi-migrate", "SYNOPSIS", "scan", "check", "--color"] {
        assert!(text.contains(word), "{word}: {text}");
    }
}

#[test]
fn readme_installs_with_the_lock_file() {
    let readme = fs::read_to_string(support::manifest_dir().join("README.md")).unwrap();
    assert!(readme.contains("cargo install --locked"));
    assert!(!readme.contains("cargo install --path .\n"));
}

/// `apply` lists what is left for a person as `scan` does: under the file, wrapped.
#[test]
fn apply_groups_and_wraps_what_is_left_for_a_person() {
    let scratch = tempfile::tempdir().unwrap();
    copy_case("deploy-apache", scratch.path());
    let output = run_in(scratch.path(), &["apply", "--dry-run", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = stderr(&output);
    assert!(
        text.lines()
            .any(|line| line == "etc/apache2/sites-available/keystone"),
        "{text}"
    );
    assert!(
        text.contains("      6 manual WM101 [apache] mod_wsgi cannot load"),
        "{text}"
    );
    assert!(!text.contains("keystone:6: manual:"), "{text}");
    for line in text.lines().filter(|line| line.starts_with(' ')) {
        assert!(line.chars().count() <= 100 || line.contains('`'), "{line}");
    }
}
