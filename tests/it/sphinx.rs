//! The `conf.py` edit checked by Python itself: every form `wsgi_migrate::project::sphinx` edits still
//! parses with `ast.parse` afterwards, and its `apidoc_excluded_paths` list is the old one plus
//! `'wsgi'`, nothing lost, nothing merged. `python3` is required: without it the test fails.

use std::process::Command;

use wsgi_migrate::project::sphinx::{Exclusion, FORMS, exclude};

/// Prints the value of the last `apidoc_excluded_paths = [...]` assignment as JSON, or fails
/// with a syntax error.
const READ_LIST: &str = r#"
import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8", newline="").read())
value = None
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "apidoc_excluded_paths"
        for target in node.targets
    ):
        value = ast.literal_eval(node.value)
print(json.dumps(value))
"#;

fn python_list(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf.py");
    std::fs::write(&path, text).unwrap();
    let output = Command::new("python3")
        .args(["-c", READ_LIST])
        .arg(&path)
        .output()
        .expect("this test needs python3 on PATH");
    assert!(
        output.status.success(),
        "python3 cannot read {text:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a list of strings")
}

#[test]
fn edited_conf_py_parses_and_gains_exactly_the_new_path() {
    assert!(FORMS.len() >= 10);
    for (before, expected) in FORMS {
        let Exclusion::Edit(edit) = exclude(before, &["wsgi".to_owned()]) else {
            panic!("{before:?} is not edited");
        };
        let after = wsgi_migrate::syntax::edit::apply_edits(before, &[edit]).unwrap();
        assert_eq!(&after, expected);
        let mut list = python_list(before);
        list.push("wsgi".to_owned());
        assert_eq!(python_list(&after), list, "{before:?} became {after:?}");
    }
}
