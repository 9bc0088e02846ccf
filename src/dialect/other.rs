//! Any other text file: the catch-all, asked last, so it only sees files no dialect wanted.
//!
//! Without knowing the format, nothing is rewritten: every mention is reported with what to use
//! instead. A path to the script (`/usr/bin/nova-api-wsgi`) is most likely loaded or copied; a
//! bare name may equally be a service, process or socket name, so its message says so. Python
//! (charm constants) and Ruby (Chef recipe hashes) values usually feed a mod_wsgi template, where
//! the replacement depends on the distribution's packaging. In Python, a bare name in a comment
//! or docstring is prose (the modules this tool generates name their scripts there) and needs
//! nothing; a bare name in any other string may be joined to a directory, so it is reported.
//!
//! Files the planner reads itself (`setup.cfg`, `setup.py`, `pyproject.toml`,
//! `wsgi-migrate.toml`), anything under `.git/`, and files that are binary by name or content
//! are not claimed.
//!
//! See: deploy-configs.md §10, §11 and §15.

use std::ops::Range;

use crate::dialect::apache::{import_line, module_file};
use crate::dialect::{Context, Dialect, Finding, ScriptMap, path_start};

pub struct Other;

/// Read by the planner as project declarations, not as references.
/// Git's own files, which name paths to ignore, not scripts to load.
const GIT_FILES: [&str; 4] = [".gitignore", ".gitattributes", ".gitmodules", ".mailmap"];

const PLANNER_FILES: [&str; 4] = [
    "setup.cfg",
    "setup.py",
    "pyproject.toml",
    "wsgi-migrate.toml",
];

/// Extensions of files that are never text worth reading.
const BINARY: [&str; 24] = [
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".webp", ".pdf", ".gz", ".tgz", ".bz2", ".xz",
    ".zip", ".whl", ".tar", ".jar", ".pyc", ".pyo", ".so", ".mo", ".woff", ".woff2", ".ttf", ".db",
];

/// How much of a file is looked at for NUL bytes.
const SNIFF: usize = 8 * 1024;

impl Dialect for Other {
    fn name(&self) -> &'static str {
        "other"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        let lower = name.to_ascii_lowercase();
        !path.split('/').any(|component| component == ".git")
            && !PLANNER_FILES.contains(&name)
            && !GIT_FILES.contains(&name)
            && !BINARY.iter().any(|extension| lower.ends_with(extension))
    }

    fn accepts(&self, text: &str) -> bool {
        // A map printed by `wsgi-migrate map` names the scripts on purpose.
        !text.as_bytes()[..text.len().min(SNIFF)].contains(&0)
            && !text.starts_with(super::MAP_HEADER)
    }

    fn scan(&self, path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let language = match path.rsplit_once('.').map(|(_, extension)| extension) {
            Some("py") => Some("Python"),
            Some("rb") => Some("Ruby"),
            _ => None,
        };
        let prose = if language == Some("Python") {
            python_prose(text)
        } else {
            Vec::new()
        };
        map.mentions(text)
            .into_iter()
            .map(|mention| {
                let (start, script) = (mention.range.start, mention.script);
                // A path outside an install directory (`cs:noble/x`, `../x`) is a name too.
                let is_path = super::is_installed_path(text, mention.range.clone());
                if !is_path && prose.iter().any(|range| range.contains(&start)) {
                    return Finding::ok(
                        start,
                        script,
                        format!("a Python comment or docstring names `{script}` without a path; prose needs no change"),
                    );
                }
                // A bare name is almost always a service, container, group or application named
                // after the script (`_App('placement-api')`, an inventory group); reporting every
                // one would bury the real paths, which are reported.
                let bare = path_start(text, start) == start;
                if !is_path && (!bare || crate::dialect::is_bare_mention(text, mention.range.clone())) {
                    return Finding::ok(
                        start,
                        script,
                        format!("`{script}` here names a service, container, group or process, not the script file; a path to the script would be reported"),
                    );
                }
                Finding::manual(start, script, message(map, script, is_path, language))
            })
            .collect()
    }
}

fn message(map: &ScriptMap, script: &str, is_path: bool, language: Option<&str>) -> String {
    let spec = map.app_spec(script).unwrap_or_default();
    let module = map.module(script).unwrap_or_default();
    let use_module = format!(
        "use the module `{spec}` instead (uWSGI `module`, gunicorn `{spec}`, mod_wsgi a shim file)"
    );
    match (language, is_path) {
        (Some(language), true) => format!(
            "a {language} value names the `{script}` script; if it feeds a mod_wsgi template (a charm's or Chef cookbook's `WSGIScriptAlias`), the right value depends on the packaging: a shim at this path containing `{}`, or the module's file {}; for uWSGI or gunicorn, use `{spec}`",
            import_line(map, script),
            module_file(module, "<site-packages>")
        ),
        (_, true) => format!(
            "mentions the `{script}` script: where this loads or copies the script, {use_module}"
        ),
        (_, false) => format!(
            "mentions `{script}`: if this refers to the script (not a service, process or socket name), {use_module}"
        ),
    }
}

/// The comments and triple-quoted strings (docstrings) of Python source. Other string literals
/// are skipped over so that a `#` or quote inside them is not misread.
fn python_prose(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut prose = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => {
                let end = text[at..].find('\n').map_or(text.len(), |found| at + found);
                prose.push(at..end);
                at = end;
            }
            quote @ (b'\'' | b'"') => {
                let triple = [quote; 3];
                if bytes[at..].starts_with(&triple) {
                    let end = bytes[at + 3..]
                        .windows(3)
                        .position(|window| window == triple)
                        .map_or(bytes.len(), |found| at + 3 + found + 3);
                    prose.push(at..end);
                    at = end;
                    continue;
                }
                at += 1;
                while at < bytes.len() && bytes[at] != quote && bytes[at] != b'\n' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            _ => at += 1,
        }
    }
    prose
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn scan(path: &str, text: &str) -> Vec<Finding> {
        let map = testing::map(&[
            ("keystone-wsgi-admin", "keystone.wsgi.api"),
            ("nova-api-wsgi", "nova.wsgi.osapi_compute"),
        ]);
        testing::report(&Other, path, text, &map)
    }

    #[test]
    fn claims_and_accepts() {
        assert!(Other.claims("hooks/keystone_utils.py"));
        assert!(Other.claims("Makefile"));
        assert!(!Other.claims(".git/config"));
        assert!(!Other.claims("sub/.git/HEAD"));
        assert!(!Other.claims("setup.cfg"));
        assert!(!Other.claims("sub/.gitignore"));
        assert!(!Other.claims("doc/logo.PNG"));
        assert!(Other.accepts("text\r\n"));
        assert!(!Other.accepts("PK\u{0}\u{3}"));
    }

    #[test]
    fn paths_and_names() {
        let findings = scan(
            "supervisord.cfg",
            "command=/usr/bin/nova-api-wsgi --port 8774\nprogram=nova-api-wsgi\n",
        );
        assert_eq!(
            findings[0].message,
            "mentions the `nova-api-wsgi` script: where this loads or copies the script, use the module `nova.wsgi.osapi_compute:application` instead (uWSGI `module`, gunicorn `nova.wsgi.osapi_compute:application`, mod_wsgi a shim file)"
        );
        assert_eq!(
            findings[1].action,
            Action::Ok,
            "a program name, not the script"
        );
        let findings = scan("run.cfg", "exec nova-api-wsgi --port 8774\n");
        assert_eq!(findings[0].action, Action::Manual, "run as a command");
    }

    #[test]
    fn charm_constants_and_python_prose() {
        let findings = scan(
            "hooks/keystone_utils.py",
            "admin_script='/usr/bin/keystone-wsgi-admin'\n",
        );
        assert_eq!(findings[0].action, Action::Manual);
        assert!(findings[0].message.starts_with("a Python value names"));
        assert!(
            findings[0]
                .message
                .contains("`<site-packages>/keystone/wsgi/api.py`")
        );
        let findings = scan(
            "nova/wsgi/osapi_compute.py",
            "\"\"\"WSGI application replacing the ``nova-api-wsgi`` script.\"\"\"\nx = '#' + 'nova-api-wsgi'  # nova-api-wsgi\n# see /usr/bin/nova-api-wsgi\n",
        );
        // Docstring, code string, comment: names only; the commented path is still reported.
        assert_eq!(
            actions(&findings),
            [Action::Ok, Action::Ok, Action::Ok, Action::Manual]
        );
    }
}
