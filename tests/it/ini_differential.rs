//! Differential test of `wsgi_migrate::syntax::ini` against Python's `configparser`.
//!
//! Every file in `testdata/ini/` is read by `tests/python/configparser_dump.py` (a
//! `RawConfigParser` with its defaults, as pbr uses) and by [`IniDocument::parse`]; both must
//! agree on the sections, keys and values, in order. Files named `reject-*` are ones configparser
//! refuses: both sides must reject them. All other files must be accepted by both.
//!
//! `python3` is required: without it the test fails rather than silently passing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wsgi_migrate::syntax::ini::IniDocument;

/// `(section, [(key, value)])` in file order.
type Sections = Vec<(String, Vec<(String, String)>)>;

/// What configparser made of a file.
#[derive(Debug)]
enum PythonResult {
    Accepted {
        sections: Sections,
        defaults: Vec<(String, String)>,
    },
    Rejected {
        error: String,
    },
}

const DEFAULT_SECTION: &str = "DEFAULT";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = manifest_dir().join("testdata/ini");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.is_file()
                && !path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

fn is_reject_case(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("reject-"))
}

fn pairs(value: &Value, what: &str) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected a list, got {value}"))
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(key), Value::String(value)]) => (key.clone(), value.clone()),
            _ => panic!("{what}: expected a [key, value] pair, got {pair}"),
        })
        .collect()
}

fn run_python(path: &Path) -> PythonResult {
    let script = manifest_dir().join("tests/python/configparser_dump.py");
    let output = match Command::new("python3").arg(&script).arg(path).output() {
        Ok(output) => output,
        Err(error) => panic!(
            "this test needs `python3` on PATH to compare against configparser, \
             and running it failed: {error}"
        ),
    };
    assert!(
        output.status.success(),
        "{} {} exited with {}:\n{}",
        script.display(),
        path.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "bad JSON from the dump script for {}: {error}",
            path.display()
        )
    });
    match json["ok"].as_bool() {
        Some(true) => {
            let sections = json["sections"]
                .as_array()
                .expect("`sections` is a list")
                .iter()
                .map(|section| match section.as_array().map(Vec::as_slice) {
                    Some([Value::String(name), options]) => (name.clone(), pairs(options, name)),
                    _ => panic!("expected a [section, options] pair, got {section}"),
                })
                .collect();
            let defaults = pairs(&json["defaults"], DEFAULT_SECTION);
            PythonResult::Accepted { sections, defaults }
        }
        Some(false) => PythonResult::Rejected {
            error: json["error"]
                .as_str()
                .unwrap_or("<no error name>")
                .to_owned(),
        },
        None => panic!(
            "dump script output for {} has no `ok`: {json}",
            path.display()
        ),
    }
}

/// Our reading in the same shape as the dump script's: `[DEFAULT]` options apart.
fn ours(doc: &IniDocument<'_>) -> (Sections, Vec<(String, String)>) {
    let mut sections = Vec::new();
    let mut defaults = Vec::new();
    for section in &doc.sections {
        let name = doc.section_name(section);
        let options: Vec<(String, String)> = section
            .options
            .iter()
            .map(|option| (option.key.clone(), doc.value(option)))
            .collect();
        if name == DEFAULT_SECTION {
            defaults.extend(options);
        } else {
            sections.push((name.to_owned(), options));
        }
    }
    (sections, defaults)
}

#[test]
fn ini_agrees_with_python_configparser() {
    let files = corpus_files();
    let accepted = files.iter().filter(|path| !is_reject_case(path)).count();
    let rejected = files.len() - accepted;
    assert!(
        accepted >= 17 && rejected >= 3,
        "testdata/ini/ is incomplete: {files:?}"
    );

    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let doc = IniDocument::parse(&text);
        match (run_python(path), is_reject_case(path)) {
            (PythonResult::Accepted { sections, defaults }, false) => {
                if !doc.errors.is_empty() {
                    failures.push(format!(
                        "{name}: configparser accepts it, we report {:?}",
                        doc.errors
                    ));
                    continue;
                }
                let (our_sections, our_defaults) = ours(&doc);
                if our_sections != sections || our_defaults != defaults {
                    failures.push(format!(
                        "{name}: readings differ\n  configparser: {sections:?} defaults {defaults:?}\n  \
                         ours:         {our_sections:?} defaults {our_defaults:?}"
                    ));
                }
            }
            (PythonResult::Rejected { error }, true) => {
                if doc.errors.is_empty() {
                    failures.push(format!("{name}: configparser raises {error}, we accept it"));
                }
            }
            (PythonResult::Accepted { .. }, true) => {
                failures.push(format!(
                    "{name}: a `reject-` case that configparser accepts"
                ));
            }
            (PythonResult::Rejected { error }, false) => {
                failures.push(format!(
                    "{name}: configparser raises {error} on a case meant to be valid"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files disagree:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
