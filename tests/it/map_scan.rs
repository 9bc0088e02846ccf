//! One answer per script, on both sides: for every testdata case whose tree declares entry
//! points, `map` (what deployment repositories are rewritten with) and `scan` (what the service
//! repository is migrated to) give the same module for every script that has one.

use crate::support::{self, copy_tree, describe, stdout, wsgi_migrate};

#[test]
fn map_and_scan_give_the_same_module_for_every_script() {
    let mut compared = 0;
    let mut cases_compared = 0;
    for case in support::cases() {
        let scratch = tempfile::tempdir().unwrap();
        let work = scratch.path().join("work");
        copy_tree(&case.dir.join("before"), &work);
        let run = |command: &str| {
            let mut args = vec![command, "--format", "json"];
            args.extend(case.args.iter().map(String::as_str));
            args.push(work.to_str().unwrap());
            wsgi_migrate(&args)
        };
        let scan = run("scan");
        let report: serde_json::Value =
            serde_json::from_str(&stdout(&scan)).unwrap_or_else(|error| {
                panic!("{}: scan JSON: {error}\n{}", case.name, describe(&scan))
            });
        let entries = report["entry_points"].as_array().unwrap();
        if entries.is_empty() {
            continue;
        }
        let map = run("map");
        // Both commands report the same problems: an error makes both exit 2.
        assert_eq!(
            map.status.code(),
            scan.status.code().filter(|code| *code != 1).or(Some(0)),
            "{}: {}",
            case.name,
            describe(&map)
        );
        // A map with errors is not printed at all, lest a partial one look complete.
        if map.status.code() == Some(2) {
            assert_eq!(stdout(&map), "", "{}: {}", case.name, describe(&map));
            continue;
        }
        let map: serde_json::Value = serde_json::from_str(&stdout(&map))
            .unwrap_or_else(|error| panic!("{}: map JSON: {error}", case.name));
        let mut compared_here = 0;
        for entry in entries {
            let script = entry["script"].as_str().unwrap();
            let Some(module) = entry["module"].as_str() else {
                assert_eq!(entry["status"], "error", "{}: {entry}", case.name);
                continue;
            };
            let mapped = &map["scripts"][script];
            assert_eq!(
                mapped["module"].as_str(),
                Some(module),
                "{}: `{script}`: scan says `{module}`, map says {mapped}",
                case.name
            );
            assert_eq!(mapped["source"], "declared", "{}: {script}", case.name);
            compared_here += 1;
        }
        compared += compared_here;
        cases_compared += usize::from(compared_here > 0);
    }
    assert!(
        cases_compared >= 30 && compared >= 40,
        "only {compared} scripts in {cases_compared} cases were compared"
    );
}
