//! Real upstream files, judged line by line: loads that must be findings, mentions that must not.
//!
//! The files live in `../shared/corpus/realworld/` beside the checkout (never in this repository:
//! they are copies of other projects' files), and its README lists, for each numbered entry, the
//! lines `check` must and must not report. Each entry here is its own test, so a failure names
//! the case. As the README says, a case copies `realworld/<repo>/` on its own into a fresh
//! directory, commits it to a new git repository, runs `check` with the entry's map options and
//! reads the `FILE:LINE` of every line it prints (`FILE:LINE: ...` and `FILE:LINE:COL: ...` are
//! both accepted). Where the README names the action (`manual`, `rewrite`), `scan --format json`
//! must give it.
//!
//! Without `../shared` the tests say plainly that they did not run; under CI (`CI=true`, where
//! `../shared` is beside the checkout) a missing corpus is a failure.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{describe, git_repository, manifest_dir, read_tree, stdout, wsgi_migrate_in};

/// One judged run: a repository folder of the corpus, the options of `check`, and the lines.
struct Case {
    /// The README's entry ("11" is entry 11; a letter tells two runs of one entry apart).
    entry: &'static str,
    /// The folder under `realworld/`, copied on its own.
    repo: &'static str,
    /// The map options given to `check` and `scan`.
    args: &'static [&'static str],
    /// `(file, line)` that must be findings.
    must_report: &'static [(&'static str, u32)],
    /// `(file, lines)` that must not be findings.
    must_not_report: &'static [(&'static str, &'static [u32])],
    /// Files none of whose lines may be findings.
    silent_files: &'static [&'static str],
    /// `(file, line, action)` that `scan --format json` must give.
    actions: &'static [(&'static str, u32, &'static str)],
}

const NO_ARGS: &[&str] = &[];
const MOGAN_NAME: &[&str] = &["--name", "mogan-api-wsgi=mogan.wsgi.api"];

/// The README's entries, in its order.
const CASES: &[Case] = &[
    // 1. Prose comment in a start script (locistack).
    Case {
        entry: "1",
        repo: "locistack",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[("deploy/scripts/neutron/start-neutron-server.sh", &[11])],
        silent_files: &[],
        actions: &[],
    },
    // 2. Hostname in a URL, in a Sphinx include (cloudkitty).
    Case {
        entry: "2",
        repo: "cloudkitty",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[("api-ref/source/v2/summary/summary.inc", &[108, 115])],
        silent_files: &[],
        actions: &[],
    },
    // 3. Package install line (placement install guide).
    Case {
        entry: "3",
        repo: "placement",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[("doc/source/install/install-ubuntu.rst", &[58])],
        silent_files: &[],
        actions: &[],
    },
    // 4. Puppet resource names and parameter docs (puppet-aodh).
    Case {
        entry: "4",
        repo: "puppet-aodh",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[(
            "manifests/api.pp",
            &[19, 20, 23, 76, 92, 98, 99, 111, 120, 122],
        )],
        silent_files: &[],
        actions: &[],
    },
    // 5. Charm name in prose and commands (charm-neutron-openvswitch README).
    Case {
        entry: "5",
        repo: "charm-neutron-openvswitch",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[("README.md", &[12, 16, 23, 25, 29, 35, 119, 132, 147, 158])],
        silent_files: &[],
        actions: &[],
    },
    // 6. Charm name in a Juju bundle (the same repository and commit as 5).
    Case {
        entry: "6",
        repo: "charm-neutron-openvswitch",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[(
            "tests/bundles/noble-caracal.yaml",
            &[
                63, 64, 145, 146, 156, 158, 159, 160, 164, 191, 198, 203, 204, 208, 216,
            ],
        )],
        silent_files: &[],
        actions: &[],
    },
    // 7. Commented YAML toggle (devstack .zuul.yaml).
    Case {
        entry: "7",
        repo: "devstack",
        args: NO_ARGS,
        must_report: &[],
        must_not_report: &[(".zuul.yaml", &[408, 418, 667])],
        silent_files: &[],
        actions: &[],
    },
    // 8. A comment that mentions apidoc (trove conf.py, setup.cfg, package marker).
    Case {
        entry: "8",
        repo: "trove",
        args: NO_ARGS,
        must_report: &[("setup.cfg", 34)],
        must_not_report: &[("doc/source/conf.py", &[1, 44])],
        silent_files: &["doc/source/conf.py"],
        actions: &[],
    },
    // 9. A script outside the registry, in DevStack (gnocchi plugin.sh).
    Case {
        entry: "9",
        repo: "gnocchi",
        args: NO_ARGS,
        must_report: &[
            ("devstack/plugin.sh", 181),
            ("devstack/plugin.sh", 272),
            ("devstack/plugin.sh", 396),
        ],
        must_not_report: &[(
            "devstack/plugin.sh",
            &[8, 71, 384, 391, 394, 399, 401, 403, 419, 424],
        )],
        silent_files: &[],
        actions: &[],
    },
    // 10. A registry script that was never migrated, in a uWSGI ini (monasca-api).
    Case {
        entry: "10",
        repo: "monasca-api",
        args: NO_ARGS,
        must_report: &[("etc/api-uwsgi.ini", 2)],
        must_not_report: &[],
        silent_files: &[],
        actions: &[("etc/api-uwsgi.ini", 2, "manual")],
    },
    // 11. A `*.ini.sample` (mogan), with the module named: a rewrite.
    Case {
        entry: "11 (--name)",
        repo: "mogan",
        args: MOGAN_NAME,
        must_report: &[("etc/mogan-uwsgi.ini.sample", 2)],
        must_not_report: &[("etc/mogan-uwsgi.ini.sample", &[6])],
        silent_files: &[],
        actions: &[("etc/mogan-uwsgi.ini.sample", 2, "rewrite")],
    },
    // 11. The same file alone: the registry knows `mogan-api-wsgi` only as retired.
    Case {
        entry: "11 (alone)",
        repo: "mogan",
        args: NO_ARGS,
        must_report: &[("etc/mogan-uwsgi.ini.sample", 2)],
        must_not_report: &[("etc/mogan-uwsgi.ini.sample", &[6])],
        silent_files: &[],
        actions: &[("etc/mogan-uwsgi.ini.sample", 2, "manual")],
    },
    // 12. A never-migrated script in kolla-ansible, behind a Jinja variable.
    Case {
        entry: "12",
        repo: "kolla-ansible",
        args: NO_ARGS,
        must_report: &[("ansible/roles/trove/templates/trove-wsgi.conf.j2", 24)],
        must_not_report: &[(
            "ansible/roles/trove/templates/trove-wsgi.conf.j2",
            &[22, 23],
        )],
        silent_files: &[],
        actions: &[],
    },
    // 13. A templated `wsgi-file` (openstack-ansible-os_nova): one manual finding.
    Case {
        entry: "13",
        repo: "openstack-ansible-os_nova",
        args: NO_ARGS,
        must_report: &[("templates/nova-uwsgi.ini.j2", 12)],
        must_not_report: &[],
        silent_files: &[],
        actions: &[("templates/nova-uwsgi.ini.j2", 12, "manual")],
    },
];

#[test]
fn realworld_01_prose_comment() {
    judge("1");
}

#[test]
fn realworld_02_hostname_in_url() {
    judge("2");
}

#[test]
fn realworld_03_package_install() {
    judge("3");
}

#[test]
fn realworld_04_puppet_resources() {
    judge("4");
}

#[test]
fn realworld_05_charm_name_in_readme() {
    judge("5");
}

#[test]
fn realworld_06_charm_name_in_bundle() {
    judge("6");
}

#[test]
fn realworld_07_commented_yaml_toggle() {
    judge("7");
}

#[test]
fn realworld_08_apidoc_comment() {
    judge("8");
}

#[test]
fn realworld_09_unknown_script_in_devstack() {
    judge("9");
}

#[test]
fn realworld_10_never_migrated_script_in_uwsgi_ini() {
    judge("10");
}

#[test]
fn realworld_11_ini_sample_with_name() {
    judge("11 (--name)");
}

#[test]
fn realworld_11_ini_sample_alone() {
    judge("11 (alone)");
}

#[test]
fn realworld_11_ini_sample_apply_rewrites_only_line_2() {
    let Some(corpus) = corpus() else {
        return;
    };
    let source = corpus.join("mogan");
    let repo = git_repository(&source);
    let home = tempfile::tempdir().unwrap();
    let path = repo.path().to_str().unwrap();
    let mut args = vec!["apply", "--quiet"];
    args.extend_from_slice(MOGAN_NAME);
    args.push(path);
    let output = wsgi_migrate_in(home.path(), &args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "apply: {}",
        describe(&output)
    );

    let file = "etc/mogan-uwsgi.ini.sample";
    let original = fs::read_to_string(source.join(file)).unwrap();
    let old_line = "wsgi-file = /usr/local/bin/mogan-api-wsgi";
    assert_eq!(
        original.split('\n').nth(1),
        Some(old_line),
        "the corpus file changed; update this test"
    );
    let mut lines: Vec<&str> = original.split('\n').collect();
    lines[1] = "module = mogan.wsgi.api:application";
    let wanted = lines.join("\n");
    let written = fs::read_to_string(repo.path().join(file)).unwrap();
    assert_eq!(written, wanted, "apply must change line 2 and nothing else");

    // No other file was written, created or removed.
    let before = read_tree(&source);
    let after: std::collections::BTreeMap<_, _> = read_tree(repo.path())
        .into_iter()
        .filter(|(path, _)| path != ".git" && !path.starts_with(".git/"))
        .collect();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "apply created or removed files"
    );
    for (path, content) in &before {
        if path != file {
            assert_eq!(content, &after[path], "apply changed {path}");
        }
    }
}

#[test]
fn realworld_12_kolla_template_variable() {
    judge("12");
}

#[test]
fn realworld_13_templated_wsgi_file() {
    judge("13");
}

#[test]
fn realworld_every_case_has_a_test() {
    // Every entry of the table is judged by one of the tests above; a table entry without a
    // test would be silently ignored.
    let source = include_str!("realworld.rs");
    for case in CASES {
        assert!(
            source.contains(&format!("judge(\"{}\")", case.entry)),
            "entry {} has no test",
            case.entry
        );
    }
    let Some(corpus) = corpus() else {
        return;
    };
    // ... and every repository folder of the corpus is judged by some entry.
    for entry in fs::read_dir(&corpus).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                CASES.iter().any(|case| case.repo == name),
                "realworld/{name} is judged by no entry"
            );
        }
    }
}

/// The corpus folder, or `None` (said plainly) when it is absent outside CI.
#[expect(
    clippy::print_stderr,
    reason = "a test that cannot run must say so where `cargo test` shows it"
)]
fn corpus() -> Option<PathBuf> {
    let dir = manifest_dir().join("../shared/corpus/realworld");
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map_or(true, |value| value != "true"),
        "CI=true but {} is absent: the real-world acceptance tests cannot run",
        dir.display()
    );
    eprintln!(
        "NOT RUN: {} is absent, so this real-world test did not run",
        dir.display()
    );
    None
}

fn judge(entry: &str) {
    let case = CASES
        .iter()
        .find(|case| case.entry == entry)
        .unwrap_or_else(|| panic!("no entry {entry} in the table"));
    let Some(corpus) = corpus() else {
        return;
    };
    let source = corpus.join(case.repo);
    for (file, _) in case.must_report {
        assert!(
            source.join(file).is_file(),
            "realworld/{}/{file} is missing",
            case.repo
        );
    }
    for (file, _) in case.must_not_report {
        assert!(
            source.join(file).is_file(),
            "realworld/{}/{file} is missing",
            case.repo
        );
    }
    let repo = git_repository(&source);
    let home = tempfile::tempdir().unwrap();

    let check = run(home.path(), "check", &[], case.args, repo.path());
    let findings = locations(&stdout(&check));
    let mut problems = Vec::new();
    for &(file, line) in case.must_report {
        if !findings.contains(&(file.to_owned(), line)) {
            problems.push(format!("{file}:{line} must be reported and is not"));
        }
    }
    for &(file, lines) in case.must_not_report {
        for &line in lines {
            if findings.contains(&(file.to_owned(), line)) {
                problems.push(format!("{file}:{line} must not be reported and is"));
            }
        }
    }
    for &file in case.silent_files {
        for (found, line) in &findings {
            if found == file {
                problems.push(format!("{file}:{line}: no line of {file} may be reported"));
            }
        }
    }
    let wanted_code = if case.must_report.is_empty() { 0 } else { 1 };
    if check.status.code() != Some(wanted_code) {
        problems.push(format!("check must exit {wanted_code}"));
    }

    if !case.actions.is_empty() {
        let scan = run(
            home.path(),
            "scan",
            &["--format", "json"],
            case.args,
            repo.path(),
        );
        let actions = scan_actions(&scan);
        for &(file, line, action) in case.actions {
            let found: Vec<&str> = actions
                .iter()
                .filter(|(f, l, _)| f == file && *l == u64::from(line))
                .map(|(_, _, action)| action.as_str())
                .collect();
            if !found.contains(&action) {
                problems.push(format!(
                    "{file}:{line} must be `{action}` in `scan --format json`; it is {found:?}"
                ));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "realworld entry {} ({}):\n  {}\ncheck {}",
        case.entry,
        case.repo,
        problems.join("\n  "),
        describe(&check)
    );
}

fn run(home: &Path, command: &str, flags: &[&str], map: &[&str], repo: &Path) -> Output {
    let mut args = vec![command];
    args.extend_from_slice(flags);
    args.extend_from_slice(map);
    args.push(repo.to_str().unwrap());
    wsgi_migrate_in(home, &args)
}

/// The `(file, line)` of every line of `check` output that starts with a location: `FILE:LINE:`
/// or `FILE:LINE:COL:`, optionally after `error: ` or `warning: `.
fn locations(output: &str) -> BTreeSet<(String, u32)> {
    output.lines().filter_map(location).collect()
}

fn location(line: &str) -> Option<(String, u32)> {
    let line = line
        .strip_prefix("error: ")
        .or_else(|| line.strip_prefix("warning: "))
        .unwrap_or(line);
    let parts: Vec<&str> = line.split(':').collect();
    // The first part after the path made only of digits is the line number.
    (1..parts.len().saturating_sub(1)).find_map(|index| {
        let number = parts[index];
        let path = parts[..index].join(":");
        if path.is_empty()
            || path.contains(' ')
            || number.is_empty()
            || !number.bytes().all(|byte| byte.is_ascii_digit())
        {
            return None;
        }
        Some((path, number.parse().ok()?))
    })
}

/// `(file, line, action)` of every finding in `scan --format json`: each object with those
/// three fields in any top-level array (`references` today).
fn scan_actions(scan: &Output) -> Vec<(String, u64, String)> {
    assert_eq!(scan.status.code(), Some(0), "scan: {}", describe(scan));
    let report: serde_json::Value = serde_json::from_str(&stdout(scan))
        .unwrap_or_else(|error| panic!("scan JSON: {error}: {}", describe(scan)));
    let mut actions = Vec::new();
    for items in report.as_object().into_iter().flat_map(|map| map.values()) {
        for item in items.as_array().into_iter().flatten() {
            if let (Some(file), Some(line), Some(action)) = (
                item["file"].as_str(),
                item["line"].as_u64(),
                item["action"].as_str(),
            ) {
                actions.push((file.to_owned(), line, action.to_owned()));
            }
        }
    }
    actions
}

#[test]
fn locations_accept_line_and_column_forms() {
    assert_eq!(
        location("etc/a.ini:2: mentions it"),
        Some(("etc/a.ini".to_owned(), 2))
    );
    assert_eq!(
        location("etc/a.ini:2:1: WM101 loads it"),
        Some(("etc/a.ini".to_owned(), 2))
    );
    assert_eq!(
        location("error: setup.cfg:34: bad entry"),
        Some(("setup.cfg".to_owned(), 34))
    );
    assert_eq!(location("wsgi-migrate: 3 findings"), None);
    assert_eq!(location("note: see https://example.org:8080/x"), None);
}
