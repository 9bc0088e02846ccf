//! uWSGI ini files: `wsgi-file = /usr/local/bin/nova-api-wsgi` becomes
//! `module = nova.wsgi.osapi_compute:application`.
//!
//! uWSGI reads ini files with its own rules, not configparser's: a key and its value are split
//! on the first `=` and trimmed, `;` and `#` start a comment only at the start of a line, there
//! are no continuation lines and no quote stripping, and keys may repeat. Only `wsgi-file` and
//! its alias `file` in `[uwsgi]` and `[uwsgi:NAME]` sections load a script; both are rewritten
//! to `module` (never to the `mod:func()` factory form), keeping the line's indentation and
//! spacing. A section that already sets `module` (or its alias `wsgi`) to the same application
//! is a deliberate transitional config: uWSGI loads the module first and skips the file, so it
//! is left alone. Any other mention (a comment, another key) is reported for a person.
//!
//! See: <https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html>.

use crate::dialect::{Context, Dialect, Finding, GLANCE_WARNING, ScriptMap};
use crate::edit::Edit;
use crate::text;

pub struct UwsgiIni;

const SCRIPT_KEYS: [&str; 2] = ["wsgi-file", "file"];
const MODULE_KEYS: [&str; 2] = ["module", "wsgi"];

struct Setting<'t> {
    section: &'t str,
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

impl Dialect for UwsgiIni {
    fn name(&self) -> &'static str {
        "uwsgi-ini"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        [".ini", ".ini.j2", ".ini.tpl", ".ini.template", ".ini.erb"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let settings = settings(text);
        let sections = sections(text, &settings);
        let index = text::LineIndex::new(text);
        let mut findings = Vec::new();
        for mention in map.mentions(text) {
            let Some(module) = map.app_spec(mention.script) else {
                continue;
            };
            // Settings come in text order and their values do not overlap.
            let setting = settings
                [..settings.partition_point(|setting| setting.value.start <= mention.range.start)]
                .last()
                .filter(|setting| mention.range.end <= setting.value.end);
            let Some(setting) = setting.filter(|setting| is_uwsgi_section(setting.section)) else {
                let line_start = index.line_start(mention.range.start);
                let commented = text[line_start..].trim_start().starts_with(['#', ';']);
                let message = if commented {
                    format!(
                        "a comment mentions `{}`; if it shows a config line, write `module = {module}` there",
                        mention.script
                    )
                } else {
                    format!(
                        "mentions `{}` outside a uWSGI `wsgi-file` setting; if it loads the script, use `module = {module}` instead",
                        mention.script
                    )
                };
                findings.push(Finding::manual(
                    mention.range.start,
                    mention.script,
                    message,
                ));
                continue;
            };
            let key = &text[setting.key.clone()];
            let value = &text[setting.value.clone()];
            let loads_script = SCRIPT_KEYS.contains(&key)
                && (value == mention.script || value.ends_with(&format!("/{}", mention.script)));
            if !loads_script {
                findings.push(Finding::manual(
                    mention.range.start,
                    mention.script,
                    format!("`{key}` mentions `{}`; uWSGI should load `module = {module}` instead of the script", mention.script),
                ));
                continue;
            }
            let section = &sections[setting.section];
            let already = [module.as_str(), module.trim_end_matches(":application")]
                .iter()
                .any(|value| section.modules.contains(value));
            if already {
                findings.push(Finding::ok(
                    mention.range.start,
                    mention.script,
                    format!("transitional config: `module = {module}` is set too, and uWSGI loads it before `{key}`"),
                ));
                continue;
            }
            let http_mode = section.http_mode;
            let mut finding = Finding::rewrite(
                mention.range.start,
                mention.script,
                format!(
                    "replace `{}` with `module = {module}`",
                    &text[setting.key.start..setting.value.end]
                ),
                vec![
                    Edit::replace(setting.key.clone(), "module"),
                    Edit::replace(setting.value.clone(), module),
                ],
            );
            if http_mode && map.is_glance(mention.script) {
                finding = finding.warn(GLANCE_WARNING.to_owned());
            }
            findings.push(finding);
        }
        findings
    }
}

fn is_uwsgi_section(section: &str) -> bool {
    section == "uwsgi" || section.starts_with("uwsgi:")
}

/// What the settings of one section (all its parts, when its name repeats) say about how it
/// loads an application: read once per file, not once per mention.
#[derive(Default)]
struct Section<'t> {
    /// The values of its `module` and `wsgi` settings.
    modules: std::collections::HashSet<&'t str>,
    /// Whether it serves HTTP itself (`http`, `http-socket`, `https`).
    http_mode: bool,
}

fn sections<'t>(
    text: &'t str,
    settings: &[Setting<'t>],
) -> std::collections::HashMap<&'t str, Section<'t>> {
    let mut sections: std::collections::HashMap<&str, Section<'_>> =
        std::collections::HashMap::new();
    for setting in settings {
        let section = sections.entry(setting.section).or_default();
        let key = &text[setting.key.clone()];
        if MODULE_KEYS.contains(&key) {
            section.modules.insert(&text[setting.value.clone()]);
        }
        section.http_mode |= ["http", "http-socket", "https"].contains(&key);
    }
    sections
}

/// Every `key = value` line with its section, as uWSGI splits it.
fn settings(text: &str) -> Vec<Setting<'_>> {
    let mut section = "";
    let mut settings = Vec::new();
    for line in text::lines(text) {
        let start = line.start_after_bom();
        let content = &text[start..line.content_end];
        let trimmed = content.trim_start();
        let trimmed_start = start + (content.len() - trimmed.len());
        if trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        if let Some(name) = trimmed
            .trim_end()
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = name.trim();
            continue;
        }
        let Some(equals) = trimmed.find('=') else {
            continue;
        };
        let key = trimmed[..equals].trim_end();
        let raw_value = &trimmed[equals + 1..];
        let value = raw_value.trim();
        let value_start =
            trimmed_start + equals + 1 + (raw_value.len() - raw_value.trim_start().len());
        settings.push(Setting {
            section,
            key: trimmed_start..trimmed_start + key.len(),
            value: value_start..value_start + value.len(),
        });
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::testing;

    fn rewrite(text: &str) -> (String, Vec<Finding>) {
        let map = testing::map(&[
            ("keystone-wsgi-public", "keystone.wsgi.api"),
            ("glance-wsgi-api", "glance.wsgi.api"),
        ]);
        testing::run(&UwsgiIni, "x.ini", text, &map)
    }

    #[test]
    fn rewrites_wsgi_file_keeping_spacing() {
        let (after, _) = rewrite(
            "[uwsgi]\r\nwsgi-file = /usr/local/bin/keystone-wsgi-public\r\n  file=%(bin)/glance-wsgi-api\r\n",
        );
        assert_eq!(
            after,
            "[uwsgi]\r\nmodule = keystone.wsgi.api:application\r\n  module=glance.wsgi.api:application\r\n"
        );
    }

    #[test]
    fn other_sections_and_comments_are_manual() {
        let text = "[app]\nwsgi-file = /usr/bin/glance-wsgi-api\n[uwsgi:x]\n# wsgi-file = /usr/bin/glance-wsgi-api\nprocname = glance-wsgi-api\n";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        assert_eq!(findings.len(), 3);
        assert!(
            findings
                .iter()
                .all(|finding| finding.action == crate::dialect::Action::Manual)
        );
    }

    #[test]
    fn transitional_configs_are_ok() {
        let text =
            "[uwsgi]\nmodule = glance.wsgi.api:application\nwsgi-file = /usr/bin/glance-wsgi-api\n";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        assert_eq!(findings[0].action, crate::dialect::Action::Ok);
    }

    #[test]
    fn glance_in_http_mode_is_warned_about() {
        let (_, findings) = rewrite(
            "[uwsgi]\nhttp-socket = 127.0.0.1:60999\nwsgi-file = /usr/bin/glance-wsgi-api\n",
        );
        assert!(findings[0].warning.as_deref().unwrap().contains("Glance"));
        let (_, findings) =
            rewrite("[uwsgi]\nsocket = /run/g.sock\nwsgi-file = /usr/bin/glance-wsgi-api\n");
        assert!(findings[0].warning.is_none());
    }

    #[test]
    fn repeated_sections_share_their_settings() {
        // `[uwsgi]` twice is one section: the module set in the first part makes the file in
        // the second transitional, and the HTTP socket in the second warns about the first.
        let text = "[uwsgi]\nmodule = glance.wsgi.api\nwsgi-file = /usr/bin/glance-wsgi-api\n[uwsgi:x]\n[uwsgi]\nwsgi-file = /usr/bin/glance-wsgi-api\nhttp = :80\n";
        let (_, findings) = rewrite(text);
        assert_eq!(findings.len(), 2);
        assert!(
            findings
                .iter()
                .all(|finding| finding.action == crate::dialect::Action::Ok)
        );
        let text = "[uwsgi]\nwsgi-file = /usr/bin/glance-wsgi-api\n[uwsgi:x]\nhttp = :80\n[uwsgi]\nhttp = :81\n";
        let (_, findings) = rewrite(text);
        assert!(findings[0].warning.is_some());
        // A mention on a long line outside any setting is found from its line's start.
        let (_, findings) = rewrite("x glance-wsgi-api ; glance-wsgi-api\n# glance-wsgi-api\n");
        assert_eq!(findings.len(), 3);
        assert!(findings[0].message.starts_with("mentions"));
        assert!(findings[1].message.starts_with("mentions"));
        assert!(findings[2].message.starts_with("a comment"));
    }

    #[test]
    fn second_run_finds_nothing() {
        let (after, _) = rewrite("[uwsgi]\nwsgi-file = /usr/local/bin/keystone-wsgi-public\n");
        assert!(rewrite(&after).1.is_empty());
    }
}
