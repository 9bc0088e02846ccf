//! Imports every module the testdata cases generate with a real `python3`, against the stub
//! factories in each `before/` tree, and checks that `application` is exactly what the entry
//! point's target returned, built once (`tests/python/check_imports.py`).

use std::process::Command;

use crate::support::{self, describe, stdout, wsgi_migrate};

#[test]
fn generated_modules_import_and_build_their_application_once() {
    let mut n_modules = 0;
    for entry in std::fs::read_dir(support::testdata()).unwrap() {
        let case = entry.unwrap().path();
        if !case.join("case.toml").exists() || !case.join("after").exists() {
            continue;
        }
        let scan = wsgi_migrate(&[
            "scan",
            "--format",
            "json",
            case.join("before").to_str().unwrap(),
        ]);
        assert_eq!(scan.status.code(), Some(0), "{}", describe(&scan));
        let report: serde_json::Value = serde_json::from_str(&stdout(&scan)).unwrap();
        let pairs: Vec<String> = report["entry_points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["status"] == "generate")
            .map(|entry| {
                format!(
                    "{}={}",
                    entry["module"].as_str().unwrap(),
                    entry["target"].as_str().unwrap()
                )
            })
            .collect();
        if pairs.is_empty() {
            continue;
        }
        n_modules += pairs.len();
        let output = Command::new("python3")
            .arg(support::manifest_dir().join("tests/python/check_imports.py"))
            .arg(case.join("after"))
            .args(&pairs)
            .output()
            .expect("python3 is needed for this test (install it; the test never skips)");
        assert!(
            output.status.success(),
            "{}: {}",
            case.display(),
            describe(&output)
        );
    }
    assert!(
        n_modules >= 10,
        "only {n_modules} generated modules were checked"
    );
}
