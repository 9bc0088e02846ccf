//! Every `--output-format` of `scan` and `check`, validated by the tools that read it: Zuul's
//! pattern for `concise`, the GitHub workflow-command syntax, GitLab Code Quality's fields, the
//! SARIF 2.1.0 JSON schema (vendored in tests/schemas/, checked with Python's `jsonschema`),
//! and an XML parser for JUnit. Each must carry every finding.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{self, describe, stdout};

/// Checks one format's output, in Python, with the libraries CI systems' own tooling uses.
const VALIDATE: &str = r#"
import json, os, re, sys
import xml.etree.ElementTree as ET

fmt, out_file, cwd, all_n, shown_n, schema_file = sys.argv[1:]
all_n, shown_n = int(all_n), int(shown_n)
text = open(out_file, encoding="utf-8").read()

def check(cond, msg):
    if not cond:
        sys.exit(f"{fmt}: {msg}")

def exists(path):
    check(os.path.isfile(os.path.join(cwd, path)), f"names a file that does not exist: {path}")

code = re.compile(r"^WM\d{3}$")
if fmt == "concise":
    lines = text.splitlines()
    check(len(lines) == shown_n, f"{len(lines)} lines for {shown_n} findings")
    for line in lines:
        m = re.match(r"^(.*):(\d+):(\d+): (.*)$", line)  # Zuul's tox role
        check(m, f"does not match Zuul's pattern: {line!r}")
        exists(m.group(1))
        check(int(m.group(2)) >= 1 and int(m.group(3)) >= 1, line)
        check(code.match(m.group(4).split(" ")[0]), f"no code: {line!r}")
elif fmt == "github":
    lines = text.splitlines()
    check(len(lines) == shown_n, f"{len(lines)} lines for {shown_n} findings")
    unescape = lambda s: s.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    for line in lines:
        m = re.match(r"^::(error|warning|notice) ([^:]*)::(.*)$", line)
        check(m, f"not a workflow command: {line!r}")
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        check(set(props) <= {"file", "line", "col", "endLine", "endColumn", "title"}, props)
        exists(unescape(props["file"]))
        check(code.match(unescape(props["title"]).split(" ")[0]), props)
        check("\n" not in m.group(3), line)
elif fmt == "json":
    doc = json.loads(text)
    items = doc["entry_points"] + doc["references"] + doc["diagnostics"]
    check(len(items) == all_n, f"{len(items)} items for {all_n} findings")
    for item in items:
        check(code.match(item["code"]), item)
        exists(item["file"])
elif fmt == "json-lines":
    items = [json.loads(line) for line in text.splitlines()]
    check(len(items) == all_n, f"{len(items)} lines for {all_n} findings")
elif fmt == "gitlab":
    issues = json.loads(text)
    check(len(issues) == all_n, f"{len(issues)} issues for {all_n} findings")
    prints = [issue["fingerprint"] for issue in issues]
    check(len(set(prints)) == len(prints), "fingerprints repeat")
    for issue in issues:
        check(issue["severity"] in {"info", "minor", "major", "critical", "blocker"}, issue)
        check(code.match(issue["check_name"]) and issue["description"], issue)
        exists(issue["location"]["path"])
        check(issue["location"]["lines"]["begin"] >= 1, issue)
elif fmt == "sarif":
    import jsonschema
    log = json.loads(text)
    schema = json.load(open(schema_file, encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    results = run["results"]
    check(len(results) == all_n, f"{len(results)} results for {all_n} findings")
    for result in results:
        check(rules[result["ruleIndex"]] == result["ruleId"], result)
        check(result["partialFingerprints"], result)
        for location in result["locations"]:
            exists(location["physicalLocation"]["artifactLocation"]["uri"].replace("%20", " "))
    check(any(result.get("fixes") for result in results), "no result carries its fix")
    print(len(rules))
elif fmt == "junit":
    root = ET.fromstring(text)
    cases = list(root.iter("testcase"))
    check(len(cases) == all_n, f"{len(cases)} test cases for {all_n} findings")
    failing = [case for case in cases if case.find("failure") is not None]
    check(len(failing) == shown_n, f"{len(failing)} failures for {shown_n} findings to act on")
    for case in cases:
        exists(case.get("file"))
else:
    sys.exit(f"unknown format {fmt}")
"#;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("WSGI_MIGRATE_OUTPUT_FORMAT")
        .output()
        .unwrap()
}

/// Two fixture trees side by side, so that paths carry their PATH prefix.
fn two_trees() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().unwrap();
    for case in ["corpus-glance", "deploy-apache"] {
        support::copy_tree(
            &support::testdata().join(case).join("before"),
            &scratch.path().join(case),
        );
    }
    scratch
}

/// (every finding, the findings to act on) from `json-lines`.
fn counts(dir: &Path, command: &str) -> (usize, usize) {
    let output = run_in(
        dir,
        &[
            command,
            "--output-format",
            "json-lines",
            "corpus-glance",
            "deploy-apache",
        ],
    );
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let shown = lines
        .iter()
        .filter(|finding| finding["kind"] != "ok")
        .count();
    assert!(
        shown > 0 && lines.len() > shown,
        "the trees need ok findings too"
    );
    (lines.len(), shown)
}

#[test]
fn every_format_is_valid_and_carries_every_finding() {
    let scratch = two_trees();
    let dir = scratch.path();
    let schema = support::manifest_dir().join("tests/schemas/sarif-2.1.0-rtm.5.json");
    for command in ["scan", "check"] {
        let (all, shown) = counts(dir, command);
        for format in [
            "concise",
            "github",
            "json",
            "json-lines",
            "gitlab",
            "sarif",
            "junit",
        ] {
            let file = dir.join(format!("{command}.{format}.out"));
            let output = run_in(
                dir,
                &[
                    command,
                    "--output-format",
                    format,
                    "--output-file",
                    file.to_str().unwrap(),
                    "corpus-glance",
                    "deploy-apache",
                ],
            );
            let wanted = if command == "check" { 1 } else { 0 };
            assert_eq!(
                output.status.code(),
                Some(wanted),
                "{command} {format}: {}",
                describe(&output)
            );
            assert!(stdout(&output).is_empty(), "--output-file writes no stdout");
            let validated = Command::new(support::python())
                .args(["-c", VALIDATE, format])
                .arg(&file)
                .arg(dir)
                .args([all.to_string(), shown.to_string()])
                .arg(&schema)
                .output()
                .unwrap();
            assert!(
                validated.status.success(),
                "{command} --output-format {format}: {}\n{}",
                describe(&validated),
                fs::read_to_string(&file).unwrap_or_default()
            );
            if format == "sarif" {
                assert_eq!(
                    stdout(&validated).trim(),
                    wsgi_migrate::code::Code::ALL.len().to_string(),
                    "the driver lists every rule"
                );
            }
        }
        // `--show-ok` lists the ok findings in the line formats too.
        let all_lines = run_in(
            dir,
            &[
                command,
                "--output-format=concise",
                "--show-ok",
                "corpus-glance",
                "deploy-apache",
            ],
        );
        assert_eq!(stdout(&all_lines).lines().count(), all);
    }
}

#[test]
fn the_environment_chooses_the_format_and_the_flag_wins() {
    let scratch = two_trees();
    let dir = scratch.path();
    let with_env = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
            .args(args)
            .current_dir(dir)
            .env("WSGI_MIGRATE_OUTPUT_FORMAT", "github")
            .output()
            .unwrap()
    };
    let github = with_env(&["check", "corpus-glance"]);
    assert!(
        stdout(&github).starts_with("::error file=httpd/glance-api-uwsgi.ini,line=18,col=28,"),
        "{}",
        describe(&github)
    );
    let concise = with_env(&["check", "--output-format", "concise", "corpus-glance"]);
    assert!(
        stdout(&concise).starts_with("httpd/glance-api-uwsgi.ini:18:28: WM101 "),
        "{}",
        describe(&concise)
    );
}

#[test]
fn statistics_count_each_code_and_exit_zero_passes() {
    let scratch = two_trees();
    let dir = scratch.path();
    let stats = run_in(dir, &["check", "--statistics", "corpus-glance"]);
    assert_eq!(stats.status.code(), Some(1), "{}", describe(&stats));
    let text = stdout(&stats);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert!(
        rows.iter()
            .any(|row| row[..3] == ["1", "WM101", "script-load"]),
        "{text}"
    );
    assert!(rows.iter().any(|row| row[..2] == ["1", "WM001"]), "{text}");

    let zero = run_in(dir, &["check", "--exit-zero", "corpus-glance"]);
    assert_eq!(zero.status.code(), Some(0), "{}", describe(&zero));
    assert!(!stdout(&zero).is_empty());

    // -q drops the summary of the grouped view, and keeps the findings.
    let quiet = run_in(dir, &["scan", "-q", "corpus-glance"]);
    let loud = run_in(dir, &["scan", "corpus-glance"]);
    assert!(stdout(&loud).contains("1 entry point (1 module to generate"));
    assert!(!stdout(&quiet).contains("entry point (") && stdout(&quiet).contains("WM101"));
}

#[test]
fn text_views_hide_ok_findings_and_count_them() {
    let scratch = two_trees();
    let dir = scratch.path();
    let grouped = stdout(&run_in(dir, &["scan", "deploy-apache"]));
    assert!(!grouped.contains(" ok WM"), "{grouped}");
    assert!(
        grouped.contains("that need nothing not shown (--show-ok shows them)"),
        "{grouped}"
    );
    let everything = stdout(&run_in(dir, &["scan", "-v", "deploy-apache"]));
    assert!(everything.contains(" ok WM"), "{everything}");
    assert!(!everything.contains("not shown"), "{everything}");
}

/// Grouped lines stay inside the width, and the file is named once, as the heading.
#[test]
fn grouped_lines_are_wrapped_and_name_the_file_once() {
    let scratch = two_trees();
    let dir = scratch.path();
    let text = stdout(&run_in(dir, &["scan", "-v", "deploy-apache"]));
    let mut headings = 0;
    for line in text.lines() {
        // Only an unbreakable code span may run over the width.
        assert!(
            line.chars().count() <= 100 || line.contains('`'),
            "too long: {line}"
        );
        if !line.starts_with(' ')
            && !line.is_empty()
            && !line.contains("entry point")
            && !line.contains("change, ")
        {
            headings += 1;
            assert!(!line.contains(':'), "a heading is just the file: {line}");
        } else if line.starts_with(' ') {
            assert!(
                !line.contains("deploy-apache/"),
                "the file repeated: {line}"
            );
        }
    }
    assert!(headings > 3, "{text}");
}
