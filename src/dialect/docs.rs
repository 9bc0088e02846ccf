//! Documentation (`.rst`, `.md`, `.txt`): a mention of a script is listed for a person, with
//! the replacements to write. Prose and examples need judgement (nova rewrote "nova-api-wsgi"
//! as "the Compute API"), so nothing here is rewritten.
//!
//! Release notes are history: `releasenotes/` shows the old script on purpose and is never
//! edited, so its mentions are listed as `ok`, as are translated `.po` catalogues.

use crate::dialect::{Context, Dialect, Finding, ScriptMap};

pub struct Docs;

impl Dialect for Docs {
    fn name(&self) -> &'static str {
        "docs"
    }

    fn claims(&self, path: &str) -> bool {
        [".rst", ".md", ".txt", ".po"]
            .iter()
            .any(|suffix| path.ends_with(suffix))
    }

    fn scan(&self, path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let history = path.starts_with("releasenotes/")
            || path.contains("/releasenotes/")
            || path.ends_with(".po");
        map.mentions(text)
            .into_iter()
            .map(|mention| {
                let script = mention.script;
                let app = map.app_spec(script).unwrap_or_default();
                let module = map.module(script).unwrap_or_default();
                if history {
                    return Finding::ok(mention.range.start, script, "release notes and translations record history; never edited".to_owned());
                }
                Finding::manual(
                    mention.range.start,
                    script,
                    format!(
                        "mentions `{script}`, a PBR-generated WSGI script being retired; where it means the script, \
                         write `module = {app}` (uWSGI), `gunicorn {app}`, or for mod_wsgi a file containing \
                         `from {module} import application`"
                    ),
                )
            })
            .collect()
    }
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
}
