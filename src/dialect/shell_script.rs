//! Shell scripts: container entrypoints, start scripts, CI helpers (`*.sh`, `*.bash`, their
//! `.j2`/`.tpl`/`.in` templates, extensionless `entrypoint*`, `docker-entrypoint*`, `start-*`, and
//! extensionless files under `bin/` or `scripts/` that start with a shell shebang or none).
//!
//! The whole file is read as command lines, `\` continuations joined, and each is handed to
//! [`command_line`](crate::dialect::command_line): `uwsgi --wsgi-file $(which keystone-wsgi-public)`
//! becomes `uwsgi --module keystone.wsgi.api:application`, `UWSGI_WSGI_FILE=...` becomes
//! `UWSGI_MODULE=...`, and a script run as a dev server, given to gunicorn or copied is reported.
//! A here-document that writes a uWSGI ini gets its `wsgi-file = P` line rewritten to
//! `module = M:application`. Commented-out lines are reported, never rewritten: nobody runs them,
//! and a person should decide whether they are worth keeping.
//!
//! See: deploy-configs.md §2.4 (CLI), §5 (dev servers), §13 (shell entrypoints), §15.4–5.

use crate::dialect::command_line;
use crate::dialect::{Context, Dialect, Finding, ScriptMap};
use crate::syntax::text;

pub struct ShellScript;

const SUFFIXES: [&str; 8] = [
    ".sh",
    ".bash",
    ".sh.j2",
    ".sh.tpl",
    ".sh.in",
    ".sh.erb",
    ".bash.j2",
    ".sh.template",
];
const PREFIXES: [&str; 3] = ["entrypoint", "docker-entrypoint", "start-"];
const SCRIPT_DIRS: [&str; 2] = ["bin", "scripts"];
const SHELLS: [&str; 6] = ["sh", "bash", "dash", "ash", "ksh", "zsh"];

impl Dialect for ShellScript {
    fn name(&self) -> &'static str {
        "shell"
    }

    fn claims(&self, path: &str) -> bool {
        let mut components = path.rsplit('/');
        let name = components.next().unwrap_or(path);
        if SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
            return true;
        }
        if name.contains('.') {
            return false;
        }
        PREFIXES.iter().any(|prefix| name.starts_with(prefix))
            || components.any(|dir| SCRIPT_DIRS.contains(&dir))
    }

    /// A shebang, when there is one, must name a shell: `bin/` also holds Python tools.
    fn accepts(&self, text: &str) -> bool {
        let text = &text[text::bom_len(text)..];
        let Some(shebang) = text.strip_prefix("#!") else {
            return true;
        };
        let line = shebang.lines().next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(interpreter) = words.next() else {
            return false;
        };
        let mut name = interpreter.rsplit('/').next().unwrap_or(interpreter);
        if name == "env" {
            name = words
                .find(|word| !word.starts_with('-'))
                .unwrap_or_default();
        }
        SHELLS.contains(&name)
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let mentions = map.mentions(text);
        if mentions.is_empty() && !super::may_hold_directives(text) {
            return Vec::new();
        }
        let start = text::bom_len(text);
        let mut masked = command_line::mask_templates(text);
        let bodies = command_line::blank_here_documents(&mut masked, start..text.len());
        let mut findings = command_line::scan_shell(text, &masked, start..text.len(), map);
        for body in bodies {
            findings.extend(command_line::scan_here_document(text, body, map));
        }
        let found = command_line::found(&findings);
        let comments = command_line::Comments::new(text);
        for mention in mentions {
            if found.contains(&mention.range.start) {
                continue;
            }
            findings.extend(if comments.holds(mention.range.start) {
                command_line::comment_finding(text, &mention, map)
            } else {
                Some(command_line::other_finding(
                    &mention,
                    map,
                    "where this tool reads no command",
                ))
            });
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn run(text: &str) -> (String, Vec<Finding>) {
        let map = testing::map(&[
            ("nova-api-wsgi", "nova.wsgi.osapi_compute"),
            ("keystone-wsgi-public", "keystone.wsgi.api"),
        ]);
        testing::run(&ShellScript, "entrypoint.sh", text, &map)
    }

    #[test]
    fn rewrites_continued_commands_and_reports_the_rest() {
        let before = "#!/bin/bash\r\nset -e\r\n# uwsgi --wsgi-file /usr/bin/nova-api-wsgi\r\nexec uwsgi --master \\\r\n    --wsgi-file /var/lib/openstack/bin/nova-api-wsgi \\\r\n    --http-socket :8774\r\nkeystone-wsgi-public --port 5000 -- --config-file /etc/keystone/keystone.conf &\r\n";
        let (after, findings) = run(before);
        assert_eq!(
            after,
            "#!/bin/bash\r\nset -e\r\n# uwsgi --wsgi-file /usr/bin/nova-api-wsgi\r\nexec uwsgi --master \\\r\n    --module nova.wsgi.osapi_compute:application \\\r\n    --http-socket :8774\r\nkeystone-wsgi-public --port 5000 -- --config-file /etc/keystone/keystone.conf &\r\n"
        );
        assert_eq!(
            actions(&findings),
            vec![Action::Manual, Action::Rewrite, Action::Manual]
        );
        assert!(findings[0].message.starts_with("commented-out"));
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert!(findings.iter().all(|f| f.action != Action::Rewrite));
    }

    #[test]
    fn every_mention_but_prose_gets_one_finding() {
        // The name in the trailing comment is prose: no finding.
        let text = "X=\"{% if a %}/usr/bin/nova-api-wsgi{% endif %}\"\necho 'nova-api-wsgi' # nova-api-wsgi\n";
        let (_, findings) = run(text);
        assert_eq!(findings.len(), 2, "{findings:?}");
    }

    #[test]
    fn claims_scripts_by_name() {
        for path in [
            "docker/entrypoint.sh",
            "tools/run.bash",
            "templates/start.sh.j2",
            "docker-entrypoint",
            "images/nova/start-nova-api",
            "scripts/nova/start",
            "bin/bootstrap",
        ] {
            assert!(ShellScript.claims(path), "{path}");
        }
        for path in [
            "bin/tool.py",
            "README",
            "src/start.rs",
            "etc/entrypoint.conf",
        ] {
            assert!(!ShellScript.claims(path), "{path}");
        }
        assert!(ShellScript.accepts("#!/usr/bin/env bash\nx\n"));
        assert!(ShellScript.accepts("uwsgi\n"));
        assert!(!ShellScript.accepts("#!/usr/bin/python3\nimport x\n"));
    }
}
