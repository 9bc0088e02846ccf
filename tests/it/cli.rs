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
        stdout(&check).contains("setup.cfg:6:1: WM901 toy-api: target `toy.app:init()`"),
        "{}",
        describe(&check)
    );
    let apply = wsgi_migrate(&["apply", path(&bad)]);
    assert_eq!(apply.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&apply.stderr).contains("nothing written")
            && stdout(&apply).is_empty(),
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
        "setup.cfg:6:1: WM001 `toy-api` is a wsgi_scripts entry point; `wsgi-migrate apply` generates `toy.wsgi.api` and removes the entry point\n"
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
    for skipped in [".tox/py3", ".venv", "node_modules/x", "build/lib", "lib"] {
        let nested = dir.path().join(skipped);
        fs::create_dir_all(&nested).unwrap();
        fs::write(
            nested.join("uwsgi.ini"),
            "[uwsgi]\nwsgi-file = /usr/bin/toy-api\n",
        )
        .unwrap();
    }
    // Outside a git work tree (a `git archive` export, an sdist) no .gitignore applies: its
    // `lib` must not hide `lib/` (DevStack's `devstack/lib/<project>`).
    fs::write(dir.path().join(".gitignore"), "lib\n").unwrap();
    let output = wsgi_migrate(&["scan", "--format", "json", path(&dir)]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let files: Vec<&str> = report["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reference| reference["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["lib/uwsgi.ini"], "{}", describe(&output));
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

/// `map` prints TOML that `--map` accepts, and it gives the deployment repository exactly the
/// results that planning it together with the service repository gives.
#[test]
fn a_printed_map_gives_the_same_results_as_its_sources() {
    let service = crate::support::testdata().join("corpus-heat/before");
    let service = service.to_str().unwrap();
    let deploy = tempfile::tempdir().unwrap();
    fs::create_dir_all(deploy.path().join("etc")).unwrap();
    fs::write(
        deploy.path().join("etc/heat-api.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/heat-wsgi-api\n",
    )
    .unwrap();
    fs::write(
        deploy.path().join("etc/heat-api-cfn.ini"),
        "[uwsgi]\nwsgi-file = /usr/bin/heat-wsgi-api-cfn\n",
    )
    .unwrap();
    fs::write(
        deploy.path().join("README.md"),
        "Serve `heat-wsgi-api-cfn` with uWSGI.\n",
    )
    .unwrap();
    let names = ["--name", "heat-wsgi-api-cfn=cloudformation"];

    let together = wsgi_migrate(
        &[
            &["scan", "--format", "json"][..],
            &names,
            &[service, path(&deploy)],
        ]
        .concat(),
    );
    assert_eq!(together.status.code(), Some(0), "{}", describe(&together));
    let together: serde_json::Value = serde_json::from_str(&stdout(&together)).unwrap();
    let prefix = format!("{}/", path(&deploy));
    let mut from_sources: Vec<serde_json::Value> = together["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|reference| {
            let file = reference["file"]
                .as_str()?
                .strip_prefix(&prefix)?
                .to_owned();
            let mut reference = reference.clone();
            reference["file"] = file.into();
            Some(reference)
        })
        .collect();
    from_sources.sort_by_key(|reference| reference.to_string());
    assert_eq!(from_sources.len(), 3, "{from_sources:?}");
    assert!(from_sources.iter().any(|r| {
        r["message"]
            .as_str()
            .unwrap()
            .contains("heat.wsgi.cloudformation:application")
    }));

    let printed = wsgi_migrate(&[&["map", "--no-registry"][..], &names, &[service]].concat());
    assert_eq!(printed.status.code(), Some(0), "{}", describe(&printed));
    let map_file = deploy.path().join("map.toml");
    fs::write(&map_file, printed.stdout.clone()).unwrap();
    let map_arg = map_file.to_str().unwrap();

    let alone = wsgi_migrate(&["scan", "--format", "json", "--map", map_arg, path(&deploy)]);
    let alone: serde_json::Value = serde_json::from_str(&stdout(&alone)).unwrap();
    let mut from_map: Vec<serde_json::Value> = alone["references"].as_array().unwrap().clone();
    from_map.sort_by_key(|reference| reference.to_string());
    assert_eq!(from_sources, from_map);

    let reprinted = wsgi_migrate(&["map", "--no-registry", "--map", map_arg, path(&deploy)]);
    assert_eq!(stdout(&reprinted), stdout(&printed));
}

#[test]
fn a_bad_map_file_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let map_file = dir.path().join("map.toml");
    fs::write(
        &map_file,
        "[scripts]\nnova-api-wsgi = \"nova.wsgi.osapi_compute:application()\"\n",
    )
    .unwrap();
    let output = wsgi_migrate(&["scan", "--map", map_file.to_str().unwrap(), path(&dir)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("map.toml:2: `nova-api-wsgi`"), "{stderr}");
}

#[test]
fn a_tree_given_twice_or_nested_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    let nested = dir.path().join("etc");
    for args in [
        vec!["apply", path(&dir), path(&dir)],
        vec!["scan", path(&dir), nested.to_str().unwrap()],
    ] {
        let output = wsgi_migrate(&args);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("give each tree once"),
            "{}",
            describe(&output)
        );
    }
    assert!(!dir.path().join("toy/wsgi").exists());
}

#[test]
fn commit_options_without_a_commit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    for flag in [
        &["--signoff"][..],
        &["--split"],
        &["--message-file", "m.txt"],
    ] {
        let mut args = vec!["apply"];
        args.extend(flag);
        args.push(path(&dir));
        let output = wsgi_migrate(&args);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--commit") && stderr.contains("--topic"),
            "{}",
            describe(&output)
        );
        assert!(stdout(&output).is_empty(), "{}", describe(&output));
    }
    assert!(!dir.path().join("toy/wsgi").exists());
}

/// Flags that shape a commit make no sense with `--dry-run`, and clap says so before any work.
#[test]
fn dry_run_refuses_commit_flags() {
    let dir = tempfile::tempdir().unwrap();
    toy_project(dir.path());
    for flag in [
        &["--commit"][..],
        &["--topic", "t"],
        &["--commit", "--signoff"],
        &["--commit", "--split"],
        &["--commit", "--message-file", "m.txt"],
        &["--allow-dirty"],
        &["--pre-commit"],
    ] {
        let mut args = vec!["apply", "--dry-run"];
        args.extend(flag);
        args.push(path(&dir));
        let output = wsgi_migrate(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag:?}: {}",
            describe(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("cannot be used with"),
            "{flag:?}: {}",
            describe(&output)
        );
        assert!(stdout(&output).is_empty(), "{}", describe(&output));
    }
}

#[test]
fn fixes_are_kept_whole_with_their_applicability() {
    // The chart default is rewritten (a safe fix); the release-pinned override keeps the
    // script, and the same rewrite is shown as a display-only fix that `apply` never writes.
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(
        &crate::support::testdata().join("load-release-pinned/before"),
        dir.path(),
    );
    let output = wsgi_migrate(&["scan", "--output-format", "json", path(&dir)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let reference = |file: &str| {
        report["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|reference| reference["file"] == file)
            .unwrap_or_else(|| panic!("no reference in {file}: {report:#}"))
            .clone()
    };
    let default = reference("nova/values.yaml");
    assert_eq!(default["action"], "rewrite");
    assert_eq!(default["fix"]["applicability"], "safe");
    let pinned = reference("values_overrides/nova/loci-2025.1-ubuntu_noble.yaml");
    assert_eq!(pinned["action"], "ok");
    assert_eq!(pinned["code"], "WM108");
    assert_eq!(pinned["fix"]["applicability"], "display-only");
    let edits = pinned["fix"]["edits"].as_array().unwrap();
    assert!(
        edits
            .iter()
            .any(|edit| edit["content"] == "nova.wsgi.osapi_compute:application"),
        "{pinned:#}"
    );
    // At the script's name: `      wsgi-file: /var/lib/openstack/bin/` is 40 characters.
    assert_eq!(pinned["column"], 41, "{pinned:#}");
    // `apply` writes the safe fix only.
    let output = wsgi_migrate(&["apply", "-q", path(&dir)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let pinned_text = fs::read_to_string(
        dir.path()
            .join("values_overrides/nova/loci-2025.1-ubuntu_noble.yaml"),
    )
    .unwrap();
    assert!(pinned_text.contains("wsgi-file: /var/lib/openstack/bin/nova-api-wsgi"));
}
