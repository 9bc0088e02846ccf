//! `fleet` on a fleet of real git repositories in temp dirs, each with a bare repository as
//! `origin`: the dry run, one branch and commit per repository, the one map shared by services
//! and deployments, pushes to Gerrit's `refs/for` and to branches, read back from the bare
//! remotes, skipped and failed repositories, a second run that repeats nothing, and a run killed
//! half-way that the next run completes.

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{describe, git, stdout};

const TOPIC: &str = "remove-wsgi_scripts";

/// A scratch directory holding the fleet's repositories and their bare remotes.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn remote(&self, name: &str) -> PathBuf {
        self.dir.path().join("remotes").join(format!("{name}.git"))
    }

    /// A repository `name` holding `files`, committed on `main`, with a bare `origin` that has
    /// `main`.
    fn repository(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let root = self.path(name);
        for (path, text) in files {
            let file = root.join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, text).unwrap();
        }
        git(&root, &["init", "-q", "-b", "main"]);
        git(&root, &["config", "user.name", "Test Author"]);
        git(&root, &["config", "user.email", "author@example.org"]);
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "Initial import"]);
        let remote = self.remote(name);
        fs::create_dir_all(&remote).unwrap();
        git(&remote, &["init", "-q", "--bare", "-b", "main"]);
        git(
            &root,
            &["remote", "add", "origin", remote.to_str().unwrap()],
        );
        git(&root, &["push", "-q", "origin", "main"]);
        root
    }

    /// Run `wsgi-migrate fleet ARGS` with a hermetic git environment.
    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }

    fn command(&self, args: &[&str]) -> Command {
        let home = self.dir.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"));
        command
            .arg("--color=never")
            .arg("fleet")
            .args(args)
            .current_dir(home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".no-xdg"))
            .env_remove("WSGI_MIGRATE_FLEET_KILL_AFTER");
        command
    }
}

/// A service repository declaring `script` (unknown to the built-in registry) in `package`.
fn service(fleet: &Fleet, name: &str, package: &str, script: &str, extra: &[(&str, &str)]) {
    let setup_cfg = format!(
        "[metadata]\nname = {package}\n\n[files]\npackages =\n    {package}\n\n[entry_points]\nconsole_scripts =\n    {package}-manage = {package}.cmd:main\nwsgi_scripts =\n    {script} = {package}.api.app:init_application\n"
    );
    let init = format!("\"\"\"The {package} service.\"\"\"\n");
    let app = "CALLS = []\n\n\ndef init_application():\n    CALLS.append('init')\n\n    def application(environ, start_response):\n        start_response('200 OK', [('Content-Type', 'text/plain')])\n        return [b'ok']\n\n    return application\n";
    let mut files: Vec<(String, String)> = vec![
        ("setup.cfg".into(), setup_cfg),
        (format!("{package}/__init__.py"), init),
        (
            format!("{package}/cmd.py"),
            "def main():\n    pass\n".into(),
        ),
        (format!("{package}/api/__init__.py"), String::new()),
        (format!("{package}/api/app.py"), app.into()),
    ];
    files.extend(
        extra
            .iter()
            .map(|(path, text)| ((*path).to_owned(), (*text).to_owned())),
    );
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    fleet.repository(name, &files);
}

/// The fleet of the issue: two services (acme with a `.gitreview`), three deployments, one
/// repository migrated earlier, one with uncommitted changes and one whose plan fails.
fn build_fleet() -> Fleet {
    let fleet = Fleet::new();
    service(
        &fleet,
        "acme",
        "acme",
        "acme-api-wsgi",
        &[(
            ".gitreview",
            "[gerrit]\nhost=review.example.org\nport=29418\nproject=acme/acme.git\n",
        )],
    );
    service(&fleet, "widget", "widget", "widget-wsgi", &[]);
    fleet.repository(
        "deploy-uwsgi",
        &[
            (
                "etc/uwsgi/acme-api.ini",
                "[uwsgi]\nwsgi-file = /usr/local/bin/acme-api-wsgi\nprocesses = 2\n",
            ),
            (
                "etc/uwsgi/widget.ini",
                "[uwsgi]\nhttp-socket = 127.0.0.1:8080\nwsgi-file = /usr/local/bin/widget-wsgi\n",
            ),
            // `broken` declares this script, but its plan fails and writes nothing, so the
            // module it would get does not exist: the config is left alone.
            (
                "etc/uwsgi/broken.ini",
                "[uwsgi]\nwsgi-file = /usr/local/bin/broken-admin-wsgi\n",
            ),
        ],
    );
    fleet.repository(
        "deploy-devstack",
        &[(
            "devstack/lib/acme",
            "#!/bin/bash\n# lib/acme\nACME_BIN_DIR=$(get_python_exec_prefix)\nACME_UWSGI=$ACME_BIN_DIR/acme-api-wsgi\nACME_UWSGI_CONF=/etc/acme/acme-api-uwsgi.ini\n\nfunction configure_acme {\n    write_uwsgi_config \"$ACME_UWSGI_CONF\" \"$ACME_UWSGI\" \"/acme\"\n}\n",
        )],
    );
    fleet.repository(
        "deploy-apache",
        &[
            (
                "apache/widget.conf",
                "<VirtualHost *:8080>\n    WSGIScriptAlias / /usr/local/bin/widget-wsgi\n</VirtualHost>\n",
            ),
            (
                "uwsgi/widget.ini",
                "[uwsgi]\nwsgi-file = /usr/local/bin/widget-wsgi\n",
            ),
        ],
    );
    // Migrated by an earlier `apply` and committed: nothing left to do.
    service(&fleet, "gadget", "gadget", "gadget-wsgi", &[]);
    let gadget = fleet.path("gadget");
    let output = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["apply", "-q"])
        .arg(&gadget)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    git(&gadget, &["add", "-A"]);
    git(&gadget, &["commit", "-q", "-m", "Migrate gadget"]);
    git(&gadget, &["push", "-q", "origin", "main"]);
    fleet.repository(
        "deploy-dirty",
        &[(
            "etc/uwsgi/acme.ini",
            "[uwsgi]\nwsgi-file = /usr/local/bin/acme-api-wsgi\n",
        )],
    );
    fs::write(
        fleet.path("deploy-dirty/etc/uwsgi/acme.ini"),
        "[uwsgi]\nwsgi-file = /usr/local/bin/acme-api-wsgi\nprocesses = 4\n",
    )
    .unwrap();
    fleet.repository(
        "broken",
        &[
            (
                "setup.cfg",
                "[metadata]\nname = broken\n\n[entry_points]\nwsgi_scripts =\n    broken-api = broken.app:init()\n    broken-admin-wsgi = broken.app:init\n",
            ),
            ("broken/__init__.py", ""),
            ("broken/app.py", "def init():\n    pass\n"),
        ],
    );
    // The list file names the deployments, relative to itself.
    fs::write(
        fleet.path("fleet.txt"),
        "# deployments\ndeploy-uwsgi\n\ndeploy-devstack\ndeploy-apache\n# already done, dirty, broken\ngadget\ndeploy-dirty\nbroken\n",
    )
    .unwrap();
    fleet
}

const MIGRATED: [&str; 5] = [
    "acme",
    "widget",
    "deploy-uwsgi",
    "deploy-devstack",
    "deploy-apache",
];

fn fleet_args<'a>(fleet: &'a Fleet, extra: &[&'a str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        fleet.path("acme").display().to_string(),
        fleet.path("widget").display().to_string(),
        "--repos".into(),
        fleet.path("fleet.txt").display().to_string(),
    ];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    args
}

fn run(fleet: &Fleet, extra: &[&str]) -> Output {
    let args = fleet_args(fleet, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fleet.run(&args)
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", describe(output)))
}

/// The JSON row of the repository whose path ends with `/name`.
fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            row["repository"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{name}"))
        })
        .unwrap_or_else(|| panic!("no row for {name} in {report:#}"))
}

/// The table line of the repository `name`.
fn line<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|first| first.ends_with(&format!("/{name}")))
        })
        .unwrap_or_else(|| panic!("no line for {name} in\n{text}"))
}

fn rev(dir: &Path, spec: &str) -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", spec])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Every ref of a bare remote, `refname oid`.
fn remote_refs(fleet: &Fleet, name: &str) -> Vec<String> {
    git(
        &fleet.remote(name),
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

/// Everything a run could change in a repository: status, branches, refs, HEAD.
fn repository_state(dir: &Path) -> String {
    git(dir, &["status", "--porcelain"])
        + &git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"])
        + &git(dir, &["symbolic-ref", "HEAD"])
}

#[test]
fn a_dry_run_shows_the_whole_fleet_and_writes_nothing() {
    let fleet = build_fleet();
    let names = [
        "acme",
        "widget",
        "deploy-uwsgi",
        "deploy-devstack",
        "deploy-apache",
        "gadget",
        "deploy-dirty",
        "broken",
    ];
    let before: Vec<String> = names
        .iter()
        .map(|name| repository_state(&fleet.path(name)))
        .collect();

    let output = run(&fleet, &["--dry-run", "--diff"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = stdout(&output);
    // One map: the deployments use the modules the services in the same run choose, for
    // scripts the built-in registry does not know.
    assert!(
        text.contains("+module = acme.wsgi.api:application"),
        "{text}"
    );
    assert!(
        text.contains("+module = widget.wsgi.api:application"),
        "{text}"
    );
    assert!(
        text.contains("+ACME_UWSGI=acme.wsgi.api:application"),
        "{text}"
    );
    assert!(!text.contains("broken.wsgi"), "{text}");
    let table_start = text.find("repository  ").expect("a table header");
    let table = &text[table_start..];
    assert!(
        table.starts_with("repository") && table.lines().next().unwrap().ends_with("would"),
        "{table}"
    );
    for name in MIGRATED {
        assert!(line(table, name).ends_with("  migrate"), "{table}");
    }
    let acme: Vec<&str> = line(table, "acme").split_whitespace().collect();
    // entry points, modules, files (module, its package, setup.cfg), manual
    assert_eq!(acme[1..5], ["1", "1", "3", "0"], "{table}");
    let apache: Vec<&str> = line(table, "deploy-apache").split_whitespace().collect();
    assert_eq!(apache[1..5], ["0", "0", "1", "1"], "{table}");
    assert!(
        line(table, "gadget").ends_with("  already migrated"),
        "{table}"
    );
    assert!(
        line(table, "deploy-dirty").contains("skipped: uncommitted changes (etc/uwsgi/acme.ini)"),
        "{table}"
    );
    let broken = line(table, "broken");
    assert!(
        broken.contains("error: setup.cfg:6:") && broken.contains("broken.app:init()"),
        "{table}"
    );
    // Failures last, then the total.
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[lines.len() - 2], broken, "{table}");
    assert_eq!(
        lines[lines.len() - 1],
        "wsgi-migrate: 8 repositories: 5 to migrate, 1 already migrated, 1 skipped, 1 failed; would change 10 files, 2 references left for a person",
        "{table}"
    );

    let output = run(&fleet, &["--dry-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["topic"], TOPIC);
    for name in MIGRATED {
        assert_eq!(row(&report, name)["outcome"], "migrate", "{report:#}");
    }
    assert_eq!(row(&report, "gadget")["outcome"], "already-migrated");
    assert_eq!(row(&report, "deploy-dirty")["outcome"], "skipped");
    assert_eq!(row(&report, "broken")["outcome"], "error");
    assert!(
        row(&report, "broken")["reason"]
            .as_str()
            .unwrap()
            .starts_with("setup.cfg:6: "),
        "{report:#}"
    );
    assert_eq!(row(&report, "deploy-uwsgi")["files"], 2);
    // `broken.ini` still loads the failed service's script, which no module replaces.
    assert_eq!(row(&report, "deploy-uwsgi")["manual"], 1);
    assert_eq!(row(&report, "deploy-apache")["manual"], 1);
    assert_eq!(
        report["totals"],
        serde_json::json!({
            "repositories": 8, "migrate": 5, "migrated": 0, "already_migrated": 1,
            "nothing_to_do": 0, "skipped": 1, "failed": 1, "files": 10, "manual": 2, "pushed": 0
        })
    );
    let last = report["repositories"].as_array().unwrap().last().unwrap();
    assert_eq!(last["outcome"], "error");

    let after: Vec<String> = names
        .iter()
        .map(|name| repository_state(&fleet.path(name)))
        .collect();
    assert_eq!(before, after, "a dry run changed a repository");
}

#[test]
fn one_change_per_repository_pushed_for_review_and_a_second_run_repeats_nothing() {
    let fleet = build_fleet();
    let output = run(&fleet, &["--push", "--format", "json"]);
    // broken fails, so the run fails; the others still go on.
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);

    for name in MIGRATED {
        let dir = fleet.path(name);
        let entry = row(&report, name);
        assert_eq!(entry["outcome"], "migrated", "{report:#}");
        assert_eq!(entry["branch"], TOPIC);
        // On the topic branch, one commit on top of main, with the Change-Id reported.
        assert_eq!(
            git(&dir, &["symbolic-ref", "--short", "HEAD"]).trim(),
            TOPIC
        );
        let tip = rev(&dir, TOPIC).unwrap();
        assert_eq!(entry["commit"], tip.as_str());
        assert_eq!(
            git(&dir, &["rev-list", "--count", &format!("main..{TOPIC}")]).trim(),
            "1"
        );
        let message = git(&dir, &["log", "-1", "--format=%B", TOPIC]);
        let change_id = entry["change_id"].as_str().unwrap();
        assert!(change_id.starts_with('I') && change_id.len() == 41);
        assert!(
            message.contains(&format!("\nChange-Id: {change_id}\n")),
            "{message}"
        );
        assert!(git(&dir, &["status", "--porcelain"]).is_empty());
    }
    // The Change-Ids differ from repository to repository.
    let mut change_ids: Vec<&str> = MIGRATED
        .iter()
        .map(|name| row(&report, name)["change_id"].as_str().unwrap())
        .collect();
    change_ids.sort_unstable();
    change_ids.dedup();
    assert_eq!(change_ids.len(), MIGRATED.len());

    // The deployments are rewritten to the services' modules.
    assert_eq!(
        fs::read_to_string(fleet.path("deploy-uwsgi/etc/uwsgi/acme-api.ini")).unwrap(),
        "[uwsgi]\nmodule = acme.wsgi.api:application\nprocesses = 2\n"
    );
    assert_eq!(
        fs::read_to_string(fleet.path("deploy-uwsgi/etc/uwsgi/widget.ini")).unwrap(),
        "[uwsgi]\nhttp-socket = 127.0.0.1:8080\nmodule = widget.wsgi.api:application\n"
    );
    assert_eq!(
        fs::read_to_string(fleet.path("deploy-uwsgi/etc/uwsgi/broken.ini")).unwrap(),
        "[uwsgi]\nwsgi-file = /usr/local/bin/broken-admin-wsgi\n"
    );
    assert!(
        fs::read_to_string(fleet.path("deploy-devstack/devstack/lib/acme"))
            .unwrap()
            .contains("\nACME_UWSGI=acme.wsgi.api:application\n")
    );
    assert!(fleet.path("acme/acme/wsgi/api.py").is_file());
    assert!(fleet.path("widget/widget/wsgi/api.py").is_file());

    // Pushed: acme has a .gitreview, so Gerrit's ref with the topic, from main; the others
    // their topic branch. Read back from the bare remotes.
    let acme_tip = rev(&fleet.path("acme"), TOPIC).unwrap();
    let gerrit_ref = format!("refs/for/main%topic={TOPIC}");
    assert_eq!(row(&report, "acme")["pushed"]["ref"], gerrit_ref.as_str());
    assert_eq!(row(&report, "acme")["pushed"]["status"], "pushed");
    assert!(
        remote_refs(&fleet, "acme").contains(&format!("{gerrit_ref} {acme_tip}")),
        "{:?}",
        remote_refs(&fleet, "acme")
    );
    assert!(
        !remote_refs(&fleet, "acme")
            .iter()
            .any(|line| line.starts_with(&format!("refs/heads/{TOPIC}")))
    );
    for name in &MIGRATED[1..] {
        let tip = rev(&fleet.path(name), TOPIC).unwrap();
        assert_eq!(
            row(&report, name)["pushed"]["ref"],
            format!("refs/heads/{TOPIC}").as_str()
        );
        assert!(
            remote_refs(&fleet, name).contains(&format!("refs/heads/{TOPIC} {tip}")),
            "{name}: {:?}",
            remote_refs(&fleet, name)
        );
    }

    // Skipped and failed repositories are reported, untouched and not pushed.
    assert_eq!(row(&report, "deploy-dirty")["outcome"], "skipped");
    assert_eq!(row(&report, "broken")["outcome"], "error");
    assert_eq!(row(&report, "gadget")["outcome"], "already-migrated");
    for name in ["deploy-dirty", "broken", "gadget"] {
        let dir = fleet.path(name);
        assert_eq!(rev(&dir, TOPIC), None, "{name}");
        assert_eq!(
            git(&dir, &["symbolic-ref", "--short", "HEAD"]).trim(),
            "main"
        );
        assert_eq!(remote_refs(&fleet, name).len(), 1, "{name}");
        assert!(row(&report, name)["pushed"].is_null());
    }
    assert_eq!(
        fs::read_to_string(fleet.path("deploy-dirty/etc/uwsgi/acme.ini")).unwrap(),
        "[uwsgi]\nwsgi-file = /usr/local/bin/acme-api-wsgi\nprocesses = 4\n"
    );
    assert_eq!(report["totals"]["pushed"], 5);
    assert_eq!(report["totals"]["migrated"], 5);

    // A second run: nothing committed, nothing pushed, the same commits and Change-Ids. A
    // Gerrit remote turns `refs/for/...` into a change and keeps no such ref: delete it, so that
    // a second push would show.
    git(&fleet.remote("acme"), &["update-ref", "-d", &gerrit_ref]);
    assert_eq!(
        rev(
            &fleet.path("acme"),
            &format!("refs/wsgi-migrate/pushed/origin/{TOPIC}")
        ),
        Some(acme_tip.clone())
    );
    let states: Vec<String> = MIGRATED
        .iter()
        .map(|name| repository_state(&fleet.path(name)))
        .collect();
    let remotes: Vec<Vec<String>> = MIGRATED
        .iter()
        .map(|name| remote_refs(&fleet, name))
        .collect();
    let again = run(&fleet, &["--push"]);
    assert_eq!(again.status.code(), Some(1), "{}", describe(&again));
    let text = stdout(&again);
    for name in MIGRATED {
        let line = line(&text, name);
        assert!(line.ends_with("  already migrated"), "{text}");
        let tip = rev(&fleet.path(name), TOPIC).unwrap();
        assert!(line.contains(&tip[..12]), "{text}");
        assert!(
            line.contains(row(&report, name)["change_id"].as_str().unwrap()),
            "{text}"
        );
        assert!(line.contains("(already)"), "{text}");
    }
    assert!(
        text.trim_end().ends_with("; 0 pushed"),
        "{}",
        describe(&again)
    );
    let states_after: Vec<String> = MIGRATED
        .iter()
        .map(|name| repository_state(&fleet.path(name)))
        .collect();
    let remotes_after: Vec<Vec<String>> = MIGRATED
        .iter()
        .map(|name| remote_refs(&fleet, name))
        .collect();
    assert_eq!(states, states_after);
    assert_eq!(remotes, remotes_after);
    assert!(
        !remote_refs(&fleet, "acme")
            .iter()
            .any(|line| line.starts_with("refs/for/")),
        "pushed to Gerrit again"
    );

    // Back on main, the migration beside it is still found, and not made again.
    let widget = fleet.path("widget");
    git(&widget, &["checkout", "-q", "main"]);
    let tip = rev(&widget, TOPIC).unwrap();
    let output = fleet.run(&[widget.to_str().unwrap(), "--push"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = stdout(&output);
    assert!(
        line(&text, "widget").ends_with("  already migrated"),
        "{text}"
    );
    assert!(line(&text, "widget").contains(&tip[..12]), "{text}");
    assert_eq!(rev(&widget, TOPIC).unwrap(), tip);
    assert_eq!(
        git(&widget, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "main"
    );
    // Once main moves on, the old migration is not silently reused.
    fs::write(widget.join("NEWS"), "news\n").unwrap();
    git(&widget, &["add", "NEWS"]);
    git(&widget, &["commit", "-q", "-m", "News"]);
    let output = fleet.run(&[widget.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        line(&stdout(&output), "widget").contains(&format!(
            "error: branch `{TOPIC}` holds a migration made on another commit than HEAD"
        )),
        "{}",
        describe(&output)
    );
}

#[test]
fn a_run_killed_after_two_repositories_completes_on_the_next_run() {
    let fleet = build_fleet();
    let mut command = fleet.command(&[]);
    command
        .args(fleet_args(&fleet, &["--push", "--jobs", "2"]))
        .env("WSGI_MIGRATE_FLEET_KILL_AFTER", "2");
    let killed = command.output().unwrap();
    assert_eq!(killed.status.signal(), Some(9), "{}", describe(&killed));
    // The first two repositories have their commit, the rest nothing; nothing was pushed.
    let tips: Vec<Option<String>> = MIGRATED
        .iter()
        .map(|name| rev(&fleet.path(name), TOPIC))
        .collect();
    assert!(tips[0].is_some() && tips[1].is_some(), "{tips:?}");
    assert!(tips[2..].iter().all(Option::is_none), "{tips:?}");
    for name in MIGRATED {
        assert_eq!(remote_refs(&fleet, name).len(), 1, "{name}");
    }

    let output = run(&fleet, &["--push", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    for (name, tip) in MIGRATED.iter().zip(&tips) {
        let entry = row(&report, name);
        let now = rev(&fleet.path(name), TOPIC).unwrap();
        match tip {
            // Committed before the kill: kept as it was, and pushed now.
            Some(tip) => {
                assert_eq!(entry["outcome"], "already-migrated", "{report:#}");
                assert_eq!(&now, tip);
            }
            None => assert_eq!(entry["outcome"], "migrated", "{report:#}"),
        }
        assert_eq!(entry["commit"], now.as_str());
        assert_eq!(entry["pushed"]["status"], "pushed", "{report:#}");
        assert_eq!(
            git(
                &fleet.path(name),
                &["rev-list", "--count", &format!("main..{TOPIC}")]
            )
            .trim(),
            "1"
        );
    }
    assert_eq!(report["totals"]["pushed"], 5);
}

#[test]
fn pushes_go_in_batches_and_a_rejection_is_reported_verbatim() {
    let fleet = Fleet::new();
    let ini = |script: &str| format!("[uwsgi]\nwsgi-file = /usr/bin/{script}\n");
    for name in ["one", "two", "three"] {
        fleet.repository(name, &[("uwsgi.ini", &ini("nova-api-wsgi"))]);
    }
    // git takes a path relative to the work tree as a remote's URL, and so does the fleet.
    git(
        &fleet.path("two"),
        &["remote", "set-url", "origin", "../remotes/two.git"],
    );
    // The remote of `three` already has a different topic branch: not a fast-forward.
    let three = fleet.path("three");
    git(&three, &["checkout", "-q", "-b", "elsewhere"]);
    fs::write(three.join("other"), "other\n").unwrap();
    git(&three, &["add", "-A"]);
    git(&three, &["commit", "-q", "-m", "Other"]);
    git(
        &three,
        &[
            "push",
            "-q",
            "origin",
            &format!("elsewhere:refs/heads/{TOPIC}"),
        ],
    );
    git(&three, &["checkout", "-q", "main"]);
    git(&three, &["branch", "-q", "-D", "elsewhere"]);
    // The remote of `four` cannot take the branch: it refuses the update itself.
    fleet.repository("four", &[("uwsgi.ini", &ini("nova-api-wsgi"))]);
    fs::write(
        fleet
            .remote("four")
            .join(format!("refs/heads/{TOPIC}.lock")),
        "",
    )
    .unwrap();
    // A repository in the middle of a merge is skipped.
    let merging = fleet.repository("merging", &[("uwsgi.ini", &ini("nova-api-wsgi"))]);
    git(&merging, &["checkout", "-q", "-b", "side"]);
    fs::write(merging.join("uwsgi.ini"), ini("side")).unwrap();
    git(&merging, &["commit", "-q", "-am", "Side"]);
    git(&merging, &["checkout", "-q", "main"]);
    fs::write(merging.join("uwsgi.ini"), ini("main")).unwrap();
    git(&merging, &["commit", "-q", "-am", "Main"]);
    let conflict = Command::new("git")
        .args(["merge", "-q", "side"])
        .current_dir(&merging)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(!conflict.status.success(), "{}", describe(&conflict));
    // A bare repository is skipped.
    let bare = fleet.remote("one");

    let output = fleet.run(&[
        fleet.path("one").to_str().unwrap(),
        fleet.path("two").to_str().unwrap(),
        three.to_str().unwrap(),
        fleet.path("four").to_str().unwrap(),
        merging.to_str().unwrap(),
        bare.to_str().unwrap(),
        "--push",
        "--batch",
        "2",
        "--sleep",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("wsgi-migrate: pushed batch 1 of 2 (2 repositories); waiting 0 s"),
        "{stderr}"
    );
    assert_eq!(row(&report, "one")["pushed"]["batch"], 1);
    assert_eq!(row(&report, "two")["pushed"]["batch"], 1);
    assert!(
        remote_refs(&fleet, "two").contains(&format!(
            "refs/heads/{TOPIC} {}",
            rev(&fleet.path("two"), TOPIC).unwrap()
        )),
        "{report:#}"
    );
    // The registry knows nova-api-wsgi.
    assert_eq!(
        fs::read_to_string(fleet.path("one/uwsgi.ini")).unwrap(),
        "[uwsgi]\nmodule = nova.wsgi.osapi_compute:application\n"
    );
    let three_row = row(&report, "three");
    assert_eq!(three_row["outcome"], "error");
    let reason = three_row["reason"].as_str().unwrap();
    // libgit2's words, as it gives them.
    assert_eq!(
        reason,
        "push to `origin` failed: cannot push non-fastforwardable reference"
    );
    // Its commit is made and reported all the same, so the next run only pushes.
    assert_eq!(three_row["commit"], rev(&three, TOPIC).unwrap().as_str());
    assert_eq!(row(&report, "one.git")["outcome"], "skipped");
    assert_eq!(row(&report, "one.git")["reason"], "bare repository");
    let order: Vec<&str> = report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "migrated", "migrated", "skipped", "skipped", "error", "error"
        ]
    );
    assert_eq!(
        row(&report, "merging")["reason"],
        "in the middle of a merge"
    );
    // The remote's own refusal, as it words it, from the push's status report.
    let four = row(&report, "four")["reason"].as_str().unwrap();
    assert!(
        four.starts_with(&format!(
            "`origin` rejected the push: refs/heads/{TOPIC}: failed to lock file"
        )),
        "{four}"
    );
    assert_eq!(report["totals"]["files"], 4);
    assert_eq!(report["totals"]["pushed"], 2);
}

#[test]
fn usage_errors_exit_2() {
    let fleet = Fleet::new();
    let output = fleet.run(&[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let output = fleet.run(&[".", "--batch", "2"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    fleet.repository("one", &[("README", "one\n")]);
    let one = fleet.path("one");
    let output = fleet.run(&[one.to_str().unwrap(), one.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let output = fleet.run(&[one.to_str().unwrap(), "--topic", "bad..topic"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`bad..topic` is not a valid branch name"),
        "{}",
        describe(&output)
    );
    let output = fleet.run(&["--repos", "missing.txt"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    // A repository with nothing to do: exit 0. It is on a branch named like the topic, whose
    // tip has a Change-Id as every OpenStack commit has: that is no migration to push.
    fs::write(one.join("README"), "one, two\n").unwrap();
    git(
        &one,
        &[
            "commit",
            "-q",
            "-am",
            "Update\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567",
        ],
    );
    git(&one, &["checkout", "-q", "-b", TOPIC]);
    let output = fleet.run(&[one.to_str().unwrap(), "--push", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(
        row(&report, "one")["outcome"],
        "nothing-to-do",
        "{report:#}"
    );
    assert!(row(&report, "one")["commit"].is_null(), "{report:#}");
    assert_eq!(remote_refs(&fleet, "one").len(), 1);
    let output = fleet.run(&[one.to_str().unwrap()]);
    assert!(
        stdout(&output).contains("nothing to do"),
        "{}",
        describe(&output)
    );
}

#[test]
fn the_fleets_plans_are_those_of_planning_the_repositories_together() {
    let fleet = build_fleet();
    let names = [
        "acme",
        "widget",
        "deploy-uwsgi",
        "deploy-devstack",
        "deploy-apache",
        "gadget",
    ];
    let paths: Vec<String> = names
        .iter()
        .map(|name| fleet.path(name).display().to_string())
        .collect();
    let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
    args.extend(["--dry-run", "--diff", "--jobs", "3"]);
    let output = fleet.run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = stdout(&output);
    let fleet_diff = &text[..text.find("repository  ").unwrap()];

    let mut apply = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"));
    apply
        .args(["--color=never", "apply", "--dry-run"])
        .args(&paths);
    let output = apply.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(fleet_diff.contains("+module = acme.wsgi.api:application"));
    // `apply --dry-run` of several PATHs shows them relative to their common directory (named
    // on stderr), so that `git apply` accepts the diff there; the fleet shows them as given.
    let common = fleet
        .path(names[0])
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap();
    assert_eq!(
        fleet_diff.replace(&format!("{}/", common.display()), ""),
        stdout(&output)
    );
}
