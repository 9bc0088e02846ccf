//! Documentation (`.rst`, `.md`, `.txt`): a mention of a script is listed for a person, with
//! the replacements to write. Prose and examples need judgement (nova rewrote "nova-api-wsgi"
//! as "the Compute API"), so nothing here is rewritten.
//!
//! Release notes are history: `releasenotes/` shows the old script on purpose and is never
//! edited, so its mentions are listed as `ok`, as are translated `.po` catalogues.

use std::ops::Range;

use crate::code::Code;
use crate::dialect::directive::{self, Directive, Loads};
use crate::dialect::{Context, Dialect, Finding, ScriptMap};
use crate::syntax::text;

pub struct Docs;

impl Dialect for Docs {
    fn name(&self) -> &'static str {
        "docs"
    }

    fn claims(&self, path: &str) -> bool {
        [".rst", ".md", ".txt", ".po", ".inc"]
            .iter()
            .any(|suffix| path.ends_with(suffix))
    }

    fn scan(&self, path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let history = path.starts_with("releasenotes/")
            || path.contains("/releasenotes/")
            || path.ends_with(".po");
        let mut findings = Vec::new();
        let mut handled: Vec<Range<usize>> = Vec::new();
        for line in text::lines(text) {
            if history {
                break;
            }
            for (name, value) in directive::in_prose(line.content) {
                let value = line.start + value.start..line.start + value.end;
                let directive = Directive {
                    advice: Some(advice),
                    ..Directive::new(name, value.clone(), Loads::File)
                };
                if let Some(finding) = directive::decide(&directive, text, map) {
                    handled.push(value);
                    findings.push(finding);
                }
            }
        }
        // Looked up by a binary search: a page of many directives and mentions stays linear.
        handled.sort_by_key(|range| range.start);
        for mention in map.mentions(text) {
            let (start, script) = (mention.range.start, mention.script);
            if crate::syntax::text::holding(&handled, &mention.range).is_some() {
                continue;
            }
            if history {
                findings.push(Finding::ok(
                    start,
                    script,
                    "release notes and translations record history; never edited".to_owned(),
                ));
                continue;
            }
            if super::is_installed_path(text, mention.range.clone()) {
                let spec = map.app_spec(script).unwrap_or_default();
                findings.push(Finding::manual(start, script, advice(script, map, &spec)));
            } else if instructs_a_load(text, mention.range.clone()) {
                // "Point the `WSGIScriptAlias` directive at the `x` script": a directive told in
                // words.
                let spec = map.app_spec(script).unwrap_or_default();
                findings.push(
                    Finding::manual(start, script, advice(script, map, &spec))
                        .with_code(Code::ScriptLoad),
                );
            } else {
                // Prose, a host, a package or a service named after the script: no directive.
                findings.push(Finding::ok(
                    start,
                    script,
                    format!("names `{script}` in prose, not as a file a server loads"),
                ));
            }
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

/// Directive names that, in the same sentence as a script's name, tell a reader to load it.
const DIRECTIVE_WORDS: [&str; 4] = [
    "WSGIScriptAlias",
    "wsgi-file",
    "wsgi_file",
    "UWSGI_WSGI_FILE",
];

/// How far a sentence is looked at on either side of a mention: enough for a sentence, and a
/// bound that keeps a page of many mentions linear.
const SENTENCE: usize = 300;

/// Whether the sentence around the mention at `range` names a directive (`Modify the
/// ``WSGIScriptAlias`` directive to point to the ``ironic-api-wsgi`` script`): prose that tells a
/// reader to load the script. A sentence ends at `. `, a blank line or a list marker, and is
/// looked for on the mention's line and the line before it.
fn instructs_a_load(text: &str, range: std::ops::Range<usize>) -> bool {
    // The mention's line and the one before it (a sentence wrapped once), at most SENTENCE
    // bytes either way.
    let near = boundary(text, range.start.saturating_sub(SENTENCE), false);
    let line_start = text[near..range.start]
        .rfind('\n')
        .map_or(near, |at| near + at + 1);
    let floor = if line_start > near {
        text[near..line_start - 1]
            .rfind('\n')
            .map_or(near, |at| near + at + 1)
    } else {
        near
    };
    let far = boundary(text, (range.end + SENTENCE).min(text.len()), true);
    let ceiling = text[range.end..far]
        .find('\n')
        .map_or(far, |at| range.end + at);
    let before = &text[floor..range.start];
    let after = &text[range.end..ceiling];
    let ends = |stretch: &str| ["\n\n", ". ", ".\n", "#. "].map(|end| stretch.find(end));
    let start = ["\n\n", ". ", ".\n"]
        .iter()
        .filter_map(|end| before.rfind(end).map(|at| at + end.len()))
        .max()
        .unwrap_or(0);
    let end = ends(after)
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(after.len());
    let sentence = [&before[start..], &after[..end]];
    DIRECTIVE_WORDS
        .iter()
        .any(|word| sentence.iter().any(|part| part.contains(word)))
}

/// The nearest character boundary at or after (`up`) or before `at`.
fn boundary(text: &str, mut at: usize, up: bool) -> usize {
    while !text.is_char_boundary(at) {
        if up {
            at += 1;
        } else {
            at -= 1;
        }
    }
    at
}

/// What documentation that tells a server to load a script should say instead.
fn advice(script: &str, map: &ScriptMap, spec: &str) -> String {
    let module = map.module(script).unwrap_or_default();
    format!(
        "mentions `{script}`, a PBR-generated WSGI script being retired; where it means the script, \
         write `module = {spec}` (uWSGI), `gunicorn {spec}`, or for mod_wsgi a file containing \
         `from {module} import application`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing;

    #[test]
    fn docs_are_manual_and_release_notes_ok() {
        let map = testing::map(&[("placement-api", "placement.wsgi.api")]);
        let text = "Run ``uwsgi --wsgi-file /usr/local/bin/placement-api``.\n";
        let (_, findings) = testing::run(&Docs, "doc/source/install.rst", text, &map);
        assert_eq!(findings[0].action, Action::Manual);
        assert!(
            findings[0]
                .message
                .contains("module = placement.wsgi.api:application")
        );
        let (_, findings) = testing::run(&Docs, "releasenotes/notes/x.yaml.rst", text, &map);
        assert_eq!(findings[0].action, Action::Ok);
    }

    #[test]
    fn prose_that_points_a_directive_at_a_script_is_a_load() {
        let map = testing::map(&[("ironic-api-wsgi", "ironic.wsgi")]);
        let text = "   #. Modify the ``WSGIScriptAlias`` directive to point to the automatically\n      generated ``ironic-api-wsgi`` script.\n\n.. note::\n   The file ``ironic-api-wsgi`` is generated by pbr.\n";
        let (_, findings) = testing::run(&Docs, "doc/source/install/mod_wsgi.inc", text, &map);
        let actions: Vec<Action> = findings.iter().map(|finding| finding.action).collect();
        assert_eq!(actions, vec![Action::Manual, Action::Ok], "{findings:?}");
    }

    #[test]
    fn prose_and_hosts_are_no_findings_but_unknown_loads_are() {
        let map = testing::map(&[("cloudkitty-api", "cloudkitty.wsgi.api")]);
        let text = "curl http://cloudkitty-api:8889/v2\n# apt install cloudkitty-api\nSet ``WSGIScriptAlias / /usr/bin/foo-api``.\n";
        let (_, findings) = testing::run(&Docs, "api-ref/source/summary.inc", text, &map);
        let manual: Vec<&Finding> = findings
            .iter()
            .filter(|finding| finding.action == Action::Manual)
            .collect();
        assert_eq!(manual.len(), 1, "{findings:?}");
        assert_eq!(manual[0].code, crate::code::Code::UnknownScriptLoad);
    }
}
