//! Lists the data-driven cases under `testdata/` for the integration tests, so that each case
//! is its own `#[test]` and a failure names its case (tests/it/fixtures.rs includes the list).

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=testdata");
    let mut names: Vec<String> = std::fs::read_dir("testdata")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().join("case.toml").is_file())
                .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::new();
    for name in &names {
        let ident: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let _ = writeln!(
            out,
            "#[test]\nfn case_{ident}() {{\n    run_named({name:?});\n}}\n"
        );
    }
    let _ = writeln!(out, "const CASE_NAMES: &[&str] = &{names:?};");
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(std::path::Path::new(&dir).join("fixture_cases.rs"), out)
        .expect("OUT_DIR is writable");
}
