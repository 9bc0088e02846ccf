//! nginx configuration in front of uWSGI (`uwsgi_pass`) or another WSGI server (`proxy_pass`).
//!
//! nginx never loads a script itself: `uwsgi_pass unix:///run/uwsgi/nova-api-wsgi.socket;`, an
//! `upstream` block, a `location` or a log file only carry names derived from the script, which
//! stay valid as long as the uWSGI side keeps them, so they are `ok`. uWSGI's dynamic apps are the
//! exception: `uwsgi_param UWSGI_FILE /usr/bin/x;` (or `UWSGI_SCRIPT`) makes uWSGI load the script
//! named by nginx, and is reported with the module form (`UWSGI_MODULE` and `UWSGI_CALLABLE`).
//! Nothing is rewritten; comments and any other mention are reported for a person.
//!
//! See: deploy-configs.md §4; <https://uwsgi-docs.readthedocs.io/en/latest/DynamicApps.html>.

use std::ops::Range;

use crate::dialect::apache::{import_line, socket_message, sockets};
use crate::dialect::{Context, Dialect, Finding, ScriptMap, is_script_path, path_start};

pub struct Nginx;

const MARKERS: [&str; 6] = [
    "server {",
    "server{",
    "location ",
    "upstream ",
    "uwsgi_pass",
    "proxy_pass",
];

/// What a directive's arguments name, for directives that never load a script.
fn naming(directive: &str) -> Option<&'static str> {
    Some(match directive {
        "uwsgi_pass" | "proxy_pass" | "grpc_pass" | "fastcgi_pass" | "scgi_pass" | "server" => {
            "names the socket or upstream"
        }
        "upstream" => "names the upstream",
        "location" => "matches the URL path",
        "server_name" => "names the host",
        "access_log" | "error_log" => "names the log",
        _ => return None,
    })
}

/// `uwsgi_param` variables that make uWSGI load a script file.
const FILE_PARAMS: [&str; 3] = ["UWSGI_FILE", "UWSGI_SCRIPT", "UWSGI_WSGI_FILE"];

impl Dialect for Nginx {
    fn name(&self) -> &'static str {
        "nginx"
    }

    fn claims(&self, path: &str) -> bool {
        let mut components = path.split('/');
        let name = components.next_back().unwrap_or_default();
        name.ends_with(".conf")
            || name.ends_with(".conf.j2")
            || name.starts_with("nginx")
            || components.any(|directory| directory == "nginx" || directory.starts_with("sites-"))
    }

    fn accepts(&self, text: &str) -> bool {
        MARKERS.iter().any(|marker| text.contains(marker))
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let (statements, comments) = parse(text);
        // Comments and statements come in text order and do not overlap: a binary search finds
        // a mention's, however many there are.
        let last_from = |ranges: &[Range<usize>], at: usize| {
            ranges[..ranges.partition_point(|range| range.start <= at)]
                .last()
                .is_some_and(|range| range.contains(&at))
        };
        let in_comment = |at: usize| last_from(&comments, at);
        let mut findings = Vec::new();
        for mention in map.mentions(text) {
            let (start, script) = (mention.range.start, mention.script);
            let spec = map.app_spec(script).unwrap_or_default();
            if in_comment(start) {
                findings.push(Finding::manual(
                    start,
                    script,
                    format!(
                        "commented-out line mentions the `{script}` script; if it is re-enabled, have uWSGI load the module `{spec}` instead: update or delete the comment"
                    ),
                ));
                continue;
            }
            let statement = statements
                [..statements.partition_point(|statement| statement.range.start <= start)]
                .last()
                .filter(|statement| statement.range.contains(&start));
            let directive = statement.and_then(|statement| statement.words.first());
            let directive = directive.map_or("", |word| &text[word.clone()]);
            let parameter = statement
                .and_then(|statement| statement.words.get(1))
                .map_or("", |word| &text[word.clone()]);
            if directive == "uwsgi_param" && FILE_PARAMS.contains(&parameter) {
                let target = map.target(script);
                let module = target.map_or("", |target| target.module.as_str());
                let attribute = target.map_or("application", |target| target.attribute.as_str());
                findings.push(Finding::manual(
                    start,
                    script,
                    format!(
                        "`uwsgi_param {parameter}` makes uWSGI load the `{script}` script: use `uwsgi_param UWSGI_MODULE {module};` and `uwsgi_param UWSGI_CALLABLE {attribute};`, or configure the module in uWSGI itself (`module = {spec}`)"
                    ),
                ));
                continue;
            }
            if let Some(what) = naming(directive) {
                findings.push(Finding::ok(
                    start,
                    script,
                    format!("`{directive}` {what} `{script}`, not the script"),
                ));
                continue;
            }
            let from = path_start(text, start);
            let message = if from < start && is_script_path(&text[from..start]) {
                format!(
                    "mentions the `{script}` script; where this loads or copies the script, use the module `{spec}` instead (uWSGI `module`, gunicorn `{spec}`, mod_wsgi a shim file containing `{}`)",
                    import_line(map, script)
                )
            } else {
                format!(
                    "mentions `{script}`; if this refers to the script (not a socket, upstream or log name), have the WSGI server load the module `{spec}` instead"
                )
            };
            findings.push(Finding::manual(start, script, message));
        }
        for statement in &statements {
            let line = &text[statement.range.clone()];
            for (at, script, socket) in sockets(line, map) {
                findings.push(Finding::ok(
                    statement.range.start + at,
                    script,
                    socket_message(script, &socket),
                ));
            }
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

struct Statement {
    /// From the first word to before the `;`, `{` or `}` that ends it.
    range: Range<usize>,
    words: Vec<Range<usize>>,
}

/// Close the statement made of `words`, if any.
fn finish(words: &mut Vec<Range<usize>>, statements: &mut Vec<Statement>) {
    if let (Some(first), Some(last)) = (words.first(), words.last()) {
        statements.push(Statement {
            range: first.start..last.end,
            words: std::mem::take(words),
        });
    }
}

/// The statements and comments of an nginx file. A statement ends at `;`, `{` or `}`; `#` at the
/// start of a word comments out the rest of the line; quotes keep blanks and `;` in a word.
fn parse(text: &str) -> (Vec<Statement>, Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut statements = Vec::new();
    let mut comments = Vec::new();
    let mut words: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b' ' | b'\t' | b'\r' | b'\n' => at += 1,
            b'#' => {
                let end = text[at..].find('\n').map_or(text.len(), |found| at + found);
                comments.push(at..end);
                at = end;
            }
            b';' | b'{' | b'}' => {
                finish(&mut words, &mut statements);
                at += 1;
            }
            _ => {
                let start = at;
                while at < bytes.len()
                    && !matches!(bytes[at], b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}')
                {
                    if matches!(bytes[at], b'"' | b'\'') {
                        let quote = bytes[at];
                        at += 1;
                        while at < bytes.len() && bytes[at] != quote {
                            at += if bytes[at] == b'\\' { 2 } else { 1 };
                        }
                    }
                    at += 1;
                }
                let end = at.min(bytes.len());
                words.push(start..end);
                at = end;
            }
        }
    }
    finish(&mut words, &mut statements);
    (statements, comments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing;

    fn scan(text: &str) -> Vec<Finding> {
        let map = testing::map(&[
            ("nova-api-wsgi", "nova.wsgi.osapi_compute"),
            ("placement-api", "placement.wsgi.api"),
        ]);
        testing::report(&Nginx, "nginx.conf", text, &map)
    }

    #[test]
    fn claims_and_accepts() {
        assert!(Nginx.claims("etc/nginx/sites-enabled/nova"));
        assert!(Nginx.claims("templates/nginx-placement.j2"));
        assert!(!Nginx.claims("etc/nova/nova.ini"));
        assert!(Nginx.accepts("server {\r\n    listen 80;\r\n}\r\n"));
        assert!(!Nginx.accepts("[uwsgi]\nmodule = x\n"));
    }

    #[test]
    fn sockets_and_upstreams_are_ok() {
        let text = "upstream placement-api {\n    server unix:/run/uwsgi/placement-api.sock;\n}\nserver {\n    location /compute {\n        uwsgi_pass unix:///run/uwsgi/nova-api-wsgi.socket;\n    }\n}\n";
        let findings = scan(text);
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|finding| finding.action == Action::Ok));
        assert_eq!(findings[1].offset, text.find("placement-api.sock").unwrap());
        assert!(findings[2].message.contains("`nova-api-wsgi.socket`"));
    }

    #[test]
    fn dynamic_apps_and_comments_are_manual() {
        let text = "location / {\r\n    uwsgi_param UWSGI_FILE /usr/bin/nova-api-wsgi;\r\n    # uwsgi_param UWSGI_SCRIPT /usr/bin/placement-api;\r\n    root /usr/bin/placement-api;\r\n}\r\n";
        let findings = scan(text);
        assert_eq!(findings.len(), 3);
        assert!(
            findings
                .iter()
                .all(|finding| finding.action == Action::Manual)
        );
        assert_eq!(
            findings[0].message,
            "`uwsgi_param UWSGI_FILE` makes uWSGI load the `nova-api-wsgi` script: use `uwsgi_param UWSGI_MODULE nova.wsgi.osapi_compute;` and `uwsgi_param UWSGI_CALLABLE application;`, or configure the module in uWSGI itself (`module = nova.wsgi.osapi_compute:application`)"
        );
        assert!(findings[1].message.starts_with("commented-out"));
        assert!(
            findings[2]
                .message
                .starts_with("mentions the `placement-api` script")
        );
    }

    #[test]
    fn quoted_words_keep_semicolons() {
        let (statements, comments) = parse("a \"b; c\" d;\n# x; y\ne 'f g';");
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0].words.len(), 3);
        assert_eq!(comments.len(), 1);
    }
}
