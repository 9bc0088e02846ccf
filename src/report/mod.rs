//! Findings as one flat list, and that list in the formats CI systems read: concise lines
//! (`path:line:col: CODE message`, what Zuul turns into Gerrit comments), JSON lines, GitHub
//! workflow commands, GitLab Code Quality, SARIF 2.1.0 and JUnit XML.
//!
//! Like [`crate::report::render`], this only formats: the list is built from a [`Plan`] that is already
//! made, and every format is a pure function of it. Each finding keeps its stable [`Code`], so
//! CI annotations, rule ids and fingerprints survive new releases.

pub mod commit_message;
pub mod render;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::json;
use similar::{DiffTag, TextDiff};

use crate::code::Code;
use crate::diagnostic::Severity;
use crate::dialect::Action;
use crate::plan::{Applicability, EntryStatus, FileChange, Plan};
use crate::report::render::Paths;

/// What a finding asks for, as the text views label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An error in the input: nothing is written while one is left.
    Error,
    /// A caution about the input or a rewrite.
    Warning,
    /// `apply` changes it.
    Rewrite,
    /// A person must change it.
    Manual,
    /// Seen; needs nothing.
    Ok,
}

impl Kind {
    /// Whether the text views show it without `--show-ok`.
    pub fn is_shown_by_default(self) -> bool {
        self != Kind::Ok
    }

    fn level(self) -> Level {
        match self {
            Kind::Error | Kind::Rewrite | Kind::Manual => Level::Error,
            Kind::Warning => Level::Warning,
            Kind::Ok => Level::Note,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warning,
    Note,
}

/// One line of a file that `apply` replaces: lines `start..=end` (1-based; `end < start` for an
/// insertion before `start`) become `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    pub start_line: usize,
    pub end_line: usize,
    /// Columns (1-based) when the replacement is a span inside lines rather than whole lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<(usize, usize)>,
    pub text: String,
}

/// One finding, with its file as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: String,
    /// 1-based; 0 when the finding concerns the whole file.
    pub line: usize,
    /// 1-based; findings are per line, so always 1.
    pub column: usize,
    pub code: Code,
    pub kind: Kind,
    /// The kind of file a reference is in (`uwsgi`, `apache`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<&'static str>,
    pub message: String,
    /// The edit `apply` makes at this place, when it makes one, or would make (display-only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<Replacement>,
    /// Whether `apply` writes `fix`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applicability: Option<Applicability>,
}

/// Every finding of `plan`, in file and line order, each with its path as `paths` shows it.
pub fn findings(plan: &Plan, paths: Paths<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for entry in &plan.entry_points {
        let module = entry.module.as_deref().unwrap_or("?");
        let (kind, message) = match (entry.status, entry.remove) {
            (EntryStatus::Generate, remove) => (
                Kind::Rewrite,
                format!(
                    "`{}` is a wsgi_scripts entry point; `wsgi-migrate apply` generates `{module}`{}",
                    entry.script,
                    if remove {
                        " and removes the entry point"
                    } else {
                        " and keeps the entry point"
                    }
                ),
            ),
            (EntryStatus::Exists, true) => (
                Kind::Rewrite,
                format!(
                    "`{}` is still declared in wsgi_scripts although `{module}` exists; `wsgi-migrate apply` removes it",
                    entry.script
                ),
            ),
            (EntryStatus::Exists, false) => (
                Kind::Ok,
                format!(
                    "`{}` already has module `{module}`; the entry point is kept",
                    entry.script
                ),
            ),
            (EntryStatus::Error, _) => (
                Kind::Manual,
                format!(
                    "`{}` = `{}` is not migrated (see the error)",
                    entry.script, entry.target
                ),
            ),
        };
        out.push(Finding {
            file: entry.file.clone(),
            line: entry.line,
            column: 1,
            code: entry.code(),
            kind,
            dialect: None,
            message,
            fix: Vec::new(),
            applicability: None,
        });
    }
    for reference in &plan.references {
        let fix = reference.fix.as_ref();
        out.push(Finding {
            file: reference.file.clone(),
            line: reference.line,
            column: reference.column,
            code: reference.code,
            kind: match reference.action {
                Action::Rewrite => Kind::Rewrite,
                Action::Manual => Kind::Manual,
                Action::Ok => Kind::Ok,
            },
            dialect: Some(reference.dialect),
            message: reference.message.clone(),
            fix: fix.map_or_else(Vec::new, |fix| {
                fix.edits
                    .iter()
                    .map(|edit| Replacement {
                        start_line: edit.start_line,
                        end_line: edit.end_line,
                        columns: Some((edit.start_column, edit.end_column)),
                        text: edit.content.clone(),
                    })
                    .collect()
            }),
            applicability: fix.map(|fix| fix.applicability),
        });
    }
    for diagnostic in &plan.diagnostics {
        out.push(Finding {
            file: diagnostic.file.clone(),
            line: diagnostic.line.unwrap_or(0),
            column: 1,
            code: diagnostic.code,
            kind: match diagnostic.severity {
                Severity::Error => Kind::Error,
                Severity::Warning => Kind::Warning,
            },
            dialect: None,
            message: diagnostic.message.clone(),
            fix: Vec::new(),
            applicability: None,
        });
    }
    // Changes no finding accounts for (a missing `__init__.py`) are listed by file.
    if !plan.changes.is_empty()
        && !out
            .iter()
            .any(|finding| matches!(finding.kind, Kind::Rewrite | Kind::Manual))
    {
        for change in &plan.changes {
            out.push(Finding {
                file: change.path().to_owned(),
                line: 0,
                column: 1,
                code: Code::EntryPoint,
                kind: Kind::Rewrite,
                dialect: None,
                message: "`wsgi-migrate apply` would change this file".to_owned(),
                fix: Vec::new(),
                applicability: None,
            });
        }
    }
    attach_fixes(&mut out, plan);
    for finding in &mut out {
        finding.file = paths.show(&finding.file);
    }
    sort(&mut out);
    out
}

/// The one order every view uses: by file, then line, then code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.code, &a.message).cmp(&(&b.file, b.line, b.code, &b.message))
    });
}

/// Give each `rewrite` finding the lines `apply` replaces around it.
fn attach_fixes(findings: &mut [Finding], plan: &Plan) {
    // References carry their own fix; the lines of a file change stand in for the rest (entry
    // points, the docs exclusion). Only their files are diffed: a diff of a large file full of
    // rewritten references would cost more than the whole scan.
    let needs_lines = |finding: &Finding| {
        finding.kind == Kind::Rewrite && finding.line != 0 && finding.applicability.is_none()
    };
    let wanted: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|finding| needs_lines(finding))
        .map(|finding| finding.file.as_str())
        .collect();
    let mut by_file: BTreeMap<String, Vec<Replacement>> = BTreeMap::new();
    for change in &plan.changes {
        if let FileChange::Modify {
            path,
            before,
            after,
        } = change
            && wanted.contains(path.as_str())
        {
            by_file.insert(path.clone(), replacements(before, after));
        }
    }
    for finding in findings.iter_mut() {
        if !needs_lines(finding) {
            continue;
        }
        if let Some(replacements) = by_file.get(finding.file.as_str()) {
            finding.applicability = Some(Applicability::Safe);
            finding.fix = replacements
                .iter()
                .filter(|replacement| {
                    replacement.start_line <= finding.line && finding.line <= replacement.end_line
                })
                .cloned()
                .collect();
        }
    }
}

/// The changed line ranges between two texts.
fn replacements(before: &str, after: &str) -> Vec<Replacement> {
    let diff = TextDiff::from_lines(before, after);
    let new_lines: Vec<&str> = diff.new_slices().to_vec();
    diff.ops()
        .iter()
        .filter(|op| op.tag() != DiffTag::Equal)
        .map(|op| {
            let old = op.old_range();
            Replacement {
                start_line: old.start + 1,
                end_line: old.end,
                columns: None,
                text: new_lines[op.new_range()].concat(),
            }
        })
        .collect()
}

/// How many findings each code has, in code order.
pub fn statistics(findings: &[Finding]) -> Vec<(Code, usize)> {
    let mut counts: BTreeMap<Code, usize> = BTreeMap::new();
    for finding in findings {
        *counts.entry(finding.code).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// `path:line:col: CODE message`, one line per finding; Zuul's pattern
/// `^(.*):(\d+):(\d+): (.*)$` matches every line. A finding about a whole file is at 1:1.
pub fn concise(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {}",
            finding.file,
            finding.line.max(1),
            finding.column,
            finding.code,
            one_line(&finding.message)
        );
    }
    out
}

/// One JSON object per line.
pub fn json_lines(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&serde_json::to_string(finding).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`.
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let command = match finding.kind.level() {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let mut properties = format!("file={}", github_property(&finding.file));
        if finding.line > 0 {
            let _ = write!(properties, ",line={},col={}", finding.line, finding.column);
        }
        let title = format!("{} {}", finding.code, finding.code.name());
        let _ = writeln!(
            out,
            "::{command} {properties},title={}::{}",
            github_property(&title),
            github_data(&finding.message)
        );
    }
    out
}

fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitLab Code Quality: a JSON array of issues with stable fingerprints.
pub fn gitlab(findings: &[Finding]) -> String {
    let issues: Vec<serde_json::Value> = findings
        .iter()
        .zip(fingerprints(findings))
        .map(|(finding, fingerprint)| {
            json!({
                "description": format!("{} {}", finding.code, finding.message),
                "check_name": finding.code.as_str(),
                "fingerprint": fingerprint,
                "severity": match finding.kind {
                    Kind::Error => "critical",
                    Kind::Rewrite | Kind::Manual => "major",
                    Kind::Warning => "minor",
                    Kind::Ok => "info",
                },
                "location": {
                    "path": finding.file,
                    "lines": { "begin": finding.line.max(1) },
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}

/// A fingerprint per finding that survives lines moving: the code, file and message, and how
/// many identical findings came before in the file.
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: BTreeMap<(Code, &str, &str), usize> = BTreeMap::new();
    findings
        .iter()
        .map(|finding| {
            let occurrence = seen
                .entry((finding.code, &finding.file, &finding.message))
                .or_default();
            let key = format!(
                "{}\0{}\0{}\0{occurrence}",
                finding.code, finding.file, finding.message
            );
            *occurrence += 1;
            format!(
                "{:016x}{:016x}",
                fnv1a(0xcbf2_9ce4_8422_2325, &key),
                fnv1a(0x8422_2325_cbf2_9ce4, &key)
            )
        })
        .collect()
}

fn fnv1a(seed: u64, text: &str) -> u64 {
    text.bytes().fold(seed, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SARIF 2.1.0: one run whose driver lists every code as a rule.
pub fn sarif(findings: &[Finding]) -> String {
    let rules: Vec<serde_json::Value> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "name": code.name(),
                "shortDescription": { "text": code.summary() },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .zip(fingerprints(findings))
        .map(|(finding, fingerprint)| {
            let uri = uri(&finding.file);
            let mut location = json!({ "artifactLocation": { "uri": uri } });
            if finding.line > 0 {
                location["region"] =
                    json!({ "startLine": finding.line, "startColumn": finding.column });
            }
            let mut result = json!({
                "ruleId": finding.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|code| *code == finding.code).unwrap_or(0),
                "level": match finding.kind.level() {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Note => "note",
                },
                "kind": if finding.kind == Kind::Ok { "pass" } else { "fail" },
                "message": { "text": finding.message },
                "locations": [ { "physicalLocation": location } ],
                "partialFingerprints": { "wsgiMigrate/v1": fingerprint },
            });
            if !finding.fix.is_empty() {
                let replacements: Vec<serde_json::Value> = finding
                    .fix
                    .iter()
                    .map(|replacement| {
                        let deleted = if let Some((start, end)) = replacement.columns {
                            json!({ "startLine": replacement.start_line, "startColumn": start, "endLine": replacement.end_line, "endColumn": end })
                        } else if replacement.end_line < replacement.start_line {
                            json!({ "startLine": replacement.start_line, "startColumn": 1, "endLine": replacement.start_line, "endColumn": 1 })
                        } else {
                            json!({ "startLine": replacement.start_line, "endLine": replacement.end_line })
                        };
                        json!({ "deletedRegion": deleted, "insertedContent": { "text": replacement.text } })
                    })
                    .collect();
                let description = match finding.applicability {
                    Some(Applicability::DisplayOnly) => {
                        "what a migration would write; `wsgi-migrate apply` leaves it to a person"
                    }
                    _ => "what `wsgi-migrate apply` writes",
                };
                result["fixes"] = json!([{
                    "description": { "text": description },
                    "artifactChanges": [{ "artifactLocation": { "uri": uri }, "replacements": replacements }],
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "wsgi-migrate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://pypi.org/project/wsgi-migrate/",
                "rules": rules,
            } },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

/// A relative URI reference for a `/`-separated path.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// JUnit XML: one test case per finding, failing unless it needs nothing.
pub fn junit(findings: &[Finding]) -> String {
    let failures = findings
        .iter()
        .filter(|finding| finding.kind != Kind::Ok)
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"wsgi-migrate\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        findings.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"wsgi-migrate\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        findings.len()
    );
    for finding in findings {
        let location = format!(
            "{}:{}:{}",
            finding.file,
            finding.line.max(1),
            finding.column
        );
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
            xml(&format!("{} {location}", finding.code)),
            xml(&finding.file),
            xml(&finding.file),
            finding.line.max(1)
        );
        if finding.kind == Kind::Ok {
            out.push_str("/>\n");
            continue;
        }
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
            xml(&one_line(&finding.message)),
            finding.code,
            xml(&format!("{location}: {} {}", finding.code, finding.message))
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            // XML 1.0 cannot carry other control characters at all.
            c if c < ' ' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(file: &str, line: usize, kind: Kind, message: &str) -> Finding {
        Finding {
            file: file.to_owned(),
            line,
            column: 1,
            code: Code::ScriptLoad,
            kind,
            dialect: None,
            message: message.to_owned(),
            fix: Vec::new(),
            applicability: None,
        }
    }

    #[test]
    fn concise_lines_have_line_and_column() {
        let lines = concise(&[
            finding("a b/c.ini", 3, Kind::Rewrite, "one\ntwo"),
            finding("d", 0, Kind::Error, "whole file"),
        ]);
        assert_eq!(
            lines,
            "a b/c.ini:3:1: WM101 one two\nd:1:1: WM101 whole file\n"
        );
    }

    #[test]
    fn github_escapes_properties_and_data() {
        let line = github(&[finding("x,y:z", 2, Kind::Manual, "50% done\nnext")]);
        assert_eq!(
            line,
            "::error file=x%2Cy%3Az,line=2,col=1,title=WM101 script-load::50%25 done%0Anext\n"
        );
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = finding("f", 1, Kind::Rewrite, "m");
        let mut moved = a.clone();
        moved.line = 9;
        let first = fingerprints(&[a.clone(), a.clone()]);
        assert_ne!(first[0], first[1], "identical findings get distinct prints");
        assert_eq!(
            fingerprints(&[moved])[0],
            first[0],
            "moving a line keeps it"
        );
    }

    #[test]
    fn replacements_cover_changed_lines() {
        let fixes = replacements("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(
            fixes,
            vec![
                Replacement {
                    start_line: 2,
                    end_line: 2,
                    columns: None,
                    text: "B\n".to_owned()
                },
                Replacement {
                    start_line: 4,
                    end_line: 3,
                    columns: None,
                    text: "d\n".to_owned()
                }
            ]
        );
    }

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(xml("<a & \"b\">\u{1}"), "&lt;a &amp; &quot;b&quot;&gt;?");
    }

    #[test]
    fn uri_encodes_spaces() {
        assert_eq!(uri("a b/c%.ini"), "a%20b/c%25.ini");
    }
}
