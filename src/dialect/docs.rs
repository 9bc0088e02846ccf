//! Documentation (`.rst`, `.md`, `.txt`): a mention of a script is listed for a person, with
//! the replacements to write. Prose and examples need judgement (nova rewrote "nova-api-wsgi"
//! as "the Compute API"), so nothing here is rewritten.
//!
//! Release notes are history: `releasenotes/` shows the old script on purpose and is never
//! edited, so its mentions are listed as `ok`, as are translated `.po` catalogues.

use std::ops::Range;

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
