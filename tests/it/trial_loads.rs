//! Loads met in real deployment trees that `check` must report, judged by location only.
//!
//! Each case is a small tree written from scratch after a line seen in a real repository (see the
//! comment on each). The expectation is where findings are, not their wording, so that the cases
//! hold while the messages change: every `must` line is listed by `check` (and, where given, has
//! that action in `scan --format json`), no `must_not` line is, and every line listed before
//! `apply` whose text `apply` leaves alone is still listed after it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::support::{describe, stdout, wsgi_migrate};

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    must: &'static [(&'static str, u32)],
    must_not: &'static [(&'static str, u32)],
    actions: &'static [(&'static str, u32, &'static str)],
}

const CASES: &[Case] = &[
    // A DevStack plugin reads a variable that `apply` turns into a module path: the copy into
    // cgi-bin and the `--wsgi-file` given that variable both break after the rewrite, so both are
    // loads to report, before and after `apply` (probe on main 4a77dc6 and 241c4cf: silent).
    Case {
        name: "devstack variable readers",
        files: &[(
            "devstack/plugin.sh",
            "#!/bin/bash\n\
             NOVA_UWSGI=$NOVA_BIN_DIR/nova-api-wsgi\n\
             NOVA_UWSGI_CONF=$NOVA_CONF_DIR/nova-api-uwsgi.ini\n\
             \n\
             function configure_nova_apache {\n\
             \x20   sudo mkdir -p /var/www/cgi-bin/nova\n\
             \x20   sudo cp \"$NOVA_UWSGI\" /var/www/cgi-bin/nova/nova-api\n\
             \x20   uwsgi --http :8774 --wsgi-file $NOVA_UWSGI &\n\
             }\n\
             \n\
             function start_nova_api {\n\
             \x20   write_uwsgi_config \"$NOVA_UWSGI_CONF\" \"$NOVA_UWSGI\" \"/compute\"\n\
             }\n",
        )],
        must: &[
            ("devstack/plugin.sh", 2),
            ("devstack/plugin.sh", 7),
            ("devstack/plugin.sh", 8),
        ],
        must_not: &[("devstack/plugin.sh", 3), ("devstack/plugin.sh", 6)],
        actions: &[
            ("devstack/plugin.sh", 7, "manual"),
            ("devstack/plugin.sh", 8, "manual"),
        ],
    },
    // zaqar `etc/uwsgi.conf`: uWSGI loads a file of the source tree that defines `application`.
    Case {
        name: "in-tree file in a uWSGI .conf",
        files: &[
            (
                "etc/uwsgi.conf",
                "[uwsgi]\n\
                 strict = true\n\
                 http = 127.0.0.1:8888\n\
                 wsgi-file = /opt/stack/quokka/quokka/transport/app.py\n\
                 master = true\n",
            ),
            ("quokka/__init__.py", ""),
            ("quokka/transport/__init__.py", ""),
            (
                "quokka/transport/app.py",
                "def _build():\n    return object()\n\n\napplication = _build()\n",
            ),
        ],
        must: &[("etc/uwsgi.conf", 4)],
        must_not: &[("etc/uwsgi.conf", 3)],
        actions: &[],
    },
    // openstack-helm `ovn/values.yaml`: a script in the LOCI venv `bin` that no map knows.
    Case {
        name: "unknown script in helm values",
        files: &[(
            "ovn/values.yaml",
            "conf:\n\
             \x20 ovn_logging_parser_uwsgi:\n\
             \x20   uwsgi:\n\
             \x20     processes: 1\n\
             \x20     wsgi-file: /var/lib/openstack/bin/quokka-ovn-log-parser-wsgi\n\
             \x20     http-socket: 0.0.0.0:9697\n",
        )],
        must: &[("ovn/values.yaml", 5)],
        must_not: &[],
        actions: &[("ovn/values.yaml", 5, "manual")],
    },
    // kolla-ansible `ansible/roles/trove/defaults/main.yml`: a never-migrated registry script in
    // a kolla service's `wsgi_file`, which the shared uWSGI role renders as `wsgi-file`.
    Case {
        name: "never-migrated script in a kolla wsgi_file",
        files: &[(
            "ansible/roles/trove/defaults/main.yml",
            "---\n\
             trove_services:\n\
             \x20 trove-api:\n\
             \x20   container_name: trove_api\n\
             \x20   group: trove-api\n\
             \x20   enabled: true\n\
             \x20   wsgi_file: \"/var/lib/kolla/venv/bin/trove-wsgi\"\n",
        )],
        must: &[("ansible/roles/trove/defaults/main.yml", 7)],
        must_not: &[
            ("ansible/roles/trove/defaults/main.yml", 3),
            ("ansible/roles/trove/defaults/main.yml", 5),
        ],
        actions: &[("ansible/roles/trove/defaults/main.yml", 7, "manual")],
    },
    // openstack-ansible-os_keystone `tasks/keystone_install.yml` (still at HEAD): mod_wsgi loads
    // the script through a symbolic link in cgi-bin.
    Case {
        name: "ansible link of a script into cgi-bin",
        files: &[(
            "tasks/main.yml",
            "---\n\
             - name: Create WSGI symlinks\n\
             \x20 ansible.builtin.file:\n\
             \x20   src: \"{{ keystone_bin }}/keystone-wsgi-public\"\n\
             \x20   dest: \"/var/www/cgi-bin/keystone/main\"\n\
             \x20   state: link\n",
        )],
        must: &[("tasks/main.yml", 4)],
        must_not: &[("tasks/main.yml", 2)],
        actions: &[],
    },
];

#[test]
fn devstack_variable_readers() {
    judge("devstack variable readers");
}

#[test]
fn in_tree_file_in_a_uwsgi_conf() {
    judge("in-tree file in a uWSGI .conf");
}

#[test]
fn unknown_script_in_helm_values() {
    judge("unknown script in helm values");
}

#[test]
fn never_migrated_script_in_a_kolla_wsgi_file() {
    judge("never-migrated script in a kolla wsgi_file");
}

#[test]
fn ansible_link_of_a_script_into_cgi_bin() {
    judge("ansible link of a script into cgi-bin");
}

fn judge(name: &str) {
    let case = CASES
        .iter()
        .find(|case| case.name == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in case.files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let root = dir.path().to_str().unwrap();
    let mut problems = Vec::new();

    let check = wsgi_migrate(&["check", root]);
    let before = locations(&stdout(&check));
    for &(file, line) in case.must {
        if !before.contains(&(file.to_owned(), line)) {
            problems.push(format!("{file}:{line} must be reported and is not"));
        }
    }
    for &(file, line) in case.must_not {
        if before.contains(&(file.to_owned(), line)) {
            problems.push(format!("{file}:{line} must not be reported and is"));
        }
    }
    if check.status.code() != Some(1) {
        problems.push("check must exit 1".to_owned());
    }
    if !case.actions.is_empty() {
        let scan = wsgi_migrate(&["scan", "--format", "json", root]);
        let report: serde_json::Value = serde_json::from_str(&stdout(&scan))
            .unwrap_or_else(|error| panic!("scan JSON: {error}: {}", describe(&scan)));
        for &(file, line, action) in case.actions {
            let found = report.as_object().into_iter().flat_map(|map| map.values());
            let found: Vec<String> = found
                .flat_map(|items| items.as_array().into_iter().flatten())
                .filter(|item| {
                    item["file"] == file && item["line"].as_u64() == Some(u64::from(line))
                })
                .filter_map(|item| item["action"].as_str().map(str::to_owned))
                .collect();
            if !found.iter().any(|found| found == action) {
                problems.push(format!("{file}:{line} must be `{action}`; it is {found:?}"));
            }
        }
    }

    // Nothing vanishes: a reported line whose text apply leaves alone is still reported.
    let texts = line_texts(dir.path(), &before);
    let applied = wsgi_migrate(&["apply", "--quiet", root]);
    if applied.status.code() != Some(0) {
        problems.push(format!("apply: {}", describe(&applied)));
    }
    let after_check = wsgi_migrate(&["check", root]);
    let after = line_texts(dir.path(), &locations(&stdout(&after_check)));
    for (file, text) in &texts {
        let unchanged = fs::read_to_string(dir.path().join(file))
            .is_ok_and(|content| content.lines().any(|line| line == text));
        if unchanged && !after.contains(&(file.clone(), text.clone())) {
            problems.push(format!(
                "{file}: `{text}` was reported before apply, is unchanged, and is not reported after"
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "{name}:\n  {}\ncheck before apply {}\ncheck after apply {}",
        problems.join("\n  "),
        describe(&check),
        describe(&after_check)
    );
}

/// `(file, line)` of each line of `check` output that starts with `FILE:LINE:` (or
/// `FILE:LINE:COL:`), after an optional `error: `/`warning: `.
fn locations(output: &str) -> BTreeSet<(String, u32)> {
    output
        .lines()
        .filter_map(|line| {
            let line = line
                .strip_prefix("error: ")
                .or_else(|| line.strip_prefix("warning: "))
                .unwrap_or(line);
            let mut parts = line.splitn(3, ':');
            let file = parts.next()?;
            let number = parts.next()?.parse().ok()?;
            (!file.is_empty() && !file.contains(' ')).then(|| (file.to_owned(), number))
        })
        .collect()
}

/// The text of each located line, read from the tree as it is now.
fn line_texts(root: &Path, found: &BTreeSet<(String, u32)>) -> BTreeSet<(String, String)> {
    found
        .iter()
        .filter_map(|(file, line)| {
            let content = fs::read_to_string(root.join(file)).ok()?;
            let text = content
                .lines()
                .nth(usize::try_from(*line).ok()?.checked_sub(1)?)?;
            Some((file.clone(), text.to_owned()))
        })
        .collect()
}
