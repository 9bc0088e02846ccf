//! systemd units (`*.service`, and their `.j2` and `.in` templates).
//!
//! `ExecStart=` and the other `Exec*=` settings hold command lines (continued over lines with
//! `\`, with systemd's `-`, `@`, `:`, `+` and `!` prefixes), read by
//! [`command_line`](crate::dialect::command_line): `uwsgi --wsgi-file /usr/bin/x` becomes
//! `uwsgi --module M:application`, a script run directly as PBR's dev server
//! (`ExecStart=/usr/bin/keystone-wsgi-public --port 5000 -- --config-file ...`) is reported with
//! the uWSGI and gunicorn commands that replace it. `Environment=` values are assignments:
//! `UWSGI_WSGI_FILE=P` becomes `UWSGI_MODULE=M:application`. A unit running
//! `uwsgi --ini /etc/nova/uwsgi.ini` names no script and is left alone (the ini is rewritten by the
//! uWSGI ini dialect).
//!
//! A bare script name in another setting (`SyslogIdentifier=nova-api-wsgi`) names the service
//! and is kept; a path there (`ConditionPathExists=/usr/bin/x`) is reported, since the unit would
//! change behaviour once the script is gone. Comment lines are reported, never rewritten.
//!
//! See: systemd.syntax(7), systemd.service(5) (`ExecStart=` prefixes), systemd.exec(5)
//! (`Environment=`); deploy-configs.md §13.

use std::ops::Range;

use crate::dialect::command_line;
use crate::dialect::{Context, Dialect, Finding, Mention, ScriptMap};
use crate::syntax::text;

pub struct Systemd;

const SUFFIXES: [&str; 3] = [".service", ".service.j2", ".service.in"];

/// One `Key=value` setting, joined over continuation lines.
struct Setting {
    key: Range<usize>,
    value: Range<usize>,
}

impl Dialect for Systemd {
    fn name(&self) -> &'static str {
        "systemd"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let mentions = map.mentions(text);
        if mentions.is_empty() && !super::may_hold_directives(text) {
            return Vec::new();
        }
        let mut masked = command_line::mask_templates(text);
        let settings = settings(text, &mut masked);
        let mut findings = Vec::new();
        for setting in &settings {
            let key = &text[setting.key.clone()];
            if key.starts_with("Exec") {
                let start = setting.value.start
                    + text[setting.value.clone()]
                        .bytes()
                        .take_while(|byte| matches!(byte, b'-' | b'@' | b':' | b'+' | b'!'))
                        .count();
                findings.extend(command_line::scan_shell(
                    text,
                    &masked,
                    start..setting.value.end,
                    map,
                ));
            } else if key == "Environment" {
                findings.extend(command_line::scan_shell(
                    text,
                    &masked,
                    setting.value.clone(),
                    map,
                ));
            }
        }
        let found = command_line::found(&findings);
        // Settings come in text order and do not overlap: a binary search finds a mention's,
        // and a line index its line, however many mentions there are.
        let index = text::LineIndex::new(text);
        for mention in mentions {
            if found.contains(&mention.range.start) {
                continue;
            }
            let setting = settings
                [..settings.partition_point(|setting| setting.value.start <= mention.range.start)]
                .last()
                .filter(|setting| mention.range.end <= setting.value.end);
            let line_start = index.line_start(mention.range.start);
            let finding = match setting {
                _ if line_is_comment(&text[line_start..mention.range.start]) => {
                    command_line::comment_finding(text, &mention, map)
                }
                Some(setting) => Some(other_setting(text, setting, &mention, map)),
                None => Some(command_line::other_finding(
                    &mention,
                    map,
                    "outside a unit setting",
                )),
            };
            findings.extend(finding);
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

/// A mention in a setting that is neither a command line nor an environment: a bare name names
/// the service, a path is reported.
fn other_setting(text: &str, setting: &Setting, mention: &Mention<'_>, map: &ScriptMap) -> Finding {
    let key = &text[setting.key.clone()];
    let script = mention.script;
    let app = map.app_spec(script).unwrap_or_default();
    let value = &text[setting.value.clone()];
    let bare = value
        .split(|c: char| !(c.is_ascii_alphanumeric() || "-_./+%@".contains(c)))
        .any(|word| word == script)
        && !text[..mention.range.start].ends_with('/');
    if bare {
        return Finding::ok(
            mention.range.start,
            script,
            format!("`{key}=` uses `{script}` as a name, not the script file; names are kept"),
        );
    }
    Finding::manual(
        mention.range.start,
        script,
        format!(
            "`{key}=` refers to the `{script}` script, which goes away with the migration: update \
             or delete it (the application is now the module `{app}`)"
        ),
    )
}

/// Whether `before`, the start of a line up to a mention, opens a comment.
fn line_is_comment(before: &str) -> bool {
    before
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['#', ';'])
}

/// Every `Key=value` setting, with continuation lines joined. Comment lines inside a continued
/// value are blanked in `masked`, as systemd skips them.
fn settings(text: &str, masked: &mut String) -> Vec<Setting> {
    let mut settings = Vec::new();
    let mut lines = text::lines(text).peekable();
    while let Some(line) = lines.next() {
        let start = line.start_after_bom();
        let content = &text[start..line.content_end];
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';', '[']) {
            continue;
        }
        let Some(equals) = trimmed.find('=') else {
            continue;
        };
        let key_start = start + (content.len() - trimmed.len());
        let key = trimmed[..equals].trim_end();
        let mut value_end = line.content_end;
        let mut continued = content.trim_end().ends_with('\\');
        while continued {
            let Some(next) = lines.peek().copied() else {
                break;
            };
            lines.next();
            let next_trimmed = next.content.trim_start();
            if next_trimmed.starts_with(['#', ';']) {
                command_line::blank(masked, next.range(), false);
                continue;
            }
            value_end = next.content_end;
            continued = next.content.trim_end().ends_with('\\');
        }
        let raw_value = &trimmed[equals + 1..];
        let value_start = key_start + equals + 1 + (raw_value.len() - raw_value.trim_start().len());
        settings.push(Setting {
            key: key_start..key_start + key.len(),
            value: value_start..value_end.max(value_start),
        });
    }
    settings
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
        testing::run(&Systemd, "x.service", text, &map)
    }

    #[test]
    fn rewrites_exec_lines_and_environment() {
        let before = "[Unit]\r\nDescription=Nova API (nova-api-wsgi)\r\n[Service]\r\nSyslogIdentifier=nova-api-wsgi\r\nEnvironment=\"UWSGI_WSGI_FILE=/usr/bin/nova-api-wsgi\" OTHER=1\r\nExecStart=-/usr/bin/uwsgi --master \\\r\n# --wsgi-file /usr/bin/keystone-wsgi-public \\\r\n  --wsgi-file=/usr/bin/nova-api-wsgi\r\nExecStartPre=/usr/bin/uwsgi --ini /etc/nova/uwsgi.ini\r\n";
        let (after, findings) = run(before);
        assert_eq!(
            after,
            "[Unit]\r\nDescription=Nova API (nova-api-wsgi)\r\n[Service]\r\nSyslogIdentifier=nova-api-wsgi\r\nEnvironment=\"UWSGI_MODULE=nova.wsgi.osapi_compute:application\" OTHER=1\r\nExecStart=-/usr/bin/uwsgi --master \\\r\n# --wsgi-file /usr/bin/keystone-wsgi-public \\\r\n  --module=nova.wsgi.osapi_compute:application\r\nExecStartPre=/usr/bin/uwsgi --ini /etc/nova/uwsgi.ini\r\n"
        );
        assert_eq!(
            actions(&findings),
            vec![
                Action::Ok,
                Action::Ok,
                Action::Rewrite,
                Action::Manual,
                Action::Rewrite
            ]
        );
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert!(findings.iter().all(|f| f.action != Action::Rewrite));
    }

    #[test]
    fn dev_servers_and_paths_are_manual() {
        let text = "[Unit]\nConditionPathExists=/usr/bin/keystone-wsgi-public\n[Service]\nExecStart=/usr/bin/keystone-wsgi-public --port 5000 -- --config-file=/etc/keystone/keystone.conf\n";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(findings[0].message.starts_with("`ConditionPathExists=`"));
        assert!(findings[1].message.contains(
            "`uwsgi --http-socket :5000 --module keystone.wsgi.api:application --pyargv \"--config-file=/etc/keystone/keystone.conf\"`"
        ));
    }

    #[test]
    fn claims_units() {
        assert!(Systemd.claims("files/nova-api.service"));
        assert!(Systemd.claims("templates/nova-api.service.j2"));
        assert!(Systemd.claims("nova-api.service.in"));
        assert!(!Systemd.claims("nova-api.socket"));
    }
}
