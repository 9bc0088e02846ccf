//! The noise fixtures (`testdata/noise-*`): script names that are not loads (prose, host names,
//! packages, Puppet resources, charms, commented toggles, a Sphinx comment). `fixtures.rs` checks
//! them after `apply`; here `check` runs on the untouched `before/` tree, where nothing but a
//! `wsgi_scripts` entry point in `setup.cfg` may be listed.

use crate::support::{cases, copy_tree, describe, stdout, wsgi_migrate};

#[test]
fn noise_fixtures_report_nothing_before_apply() {
    let noise: Vec<_> = cases()
        .into_iter()
        .filter(|case| case.name.starts_with("noise-"))
        .collect();
    let filtered = std::env::var("CASES").is_ok();
    assert!(
        filtered || noise.len() >= 7,
        "only {} noise cases",
        noise.len()
    );
    let mut failures = Vec::new();
    for case in &noise {
        let scratch = tempfile::tempdir().unwrap();
        copy_tree(&case.dir.join("before"), scratch.path());
        let mut args = vec!["check"];
        args.extend(case.args.iter().map(String::as_str));
        args.push(scratch.path().to_str().unwrap());
        let output = wsgi_migrate(&args);
        let listing = stdout(&output);
        let unexpected: Vec<&str> = listing
            .lines()
            .filter(|line| !line.starts_with("setup.cfg:"))
            .collect();
        let wanted_code = if listing.is_empty() { 0 } else { 1 };
        if !unexpected.is_empty() || output.status.code() != Some(wanted_code) {
            failures.push(format!("== {}\n{}", case.name, describe(&output)));
        }
    }
    assert!(
        failures.is_empty(),
        "noise reported as findings:\n{}",
        failures.join("\n")
    );
}
