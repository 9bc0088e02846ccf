//! uWSGI ini files: `wsgi-file = /usr/local/bin/nova-api-wsgi` becomes
//! `module = nova.wsgi.osapi_compute:application`.
//!
//! uWSGI reads ini files with its own rules, not configparser's: a key and its value are split
//! on the first `=` and trimmed, `;` and `#` start a comment only at the start of a line, there
//! are no continuation lines and no quote stripping, and keys may repeat. In `[uwsgi]` and
//! `[uwsgi:NAME]` sections, `wsgi-file` and its alias `file` load a file, `module` and its alias
//! `wsgi` a module, and `mount` either after its `MOUNTPOINT=`: these are the directives, and
//! [`directive::decide`] says what each needs. A rewrite turns `wsgi-file` into `module` (never
//! the `mod:func()` factory form), keeping the line's indentation and spacing; a section that
//! also loads the same module is a deliberate transitional config. A commented-out
//! `# wsgi-file = ...` is a directive nobody runs, reported, never rewritten; any other comment
//! is prose. In other sections (a supervisor `[program:x]`), a value is read as a command line,
//! as a shell script's would be.
//!
//! See: <https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html>.

use std::collections::HashMap;
use std::ops::Range;

use crate::dialect::apache::Apache;
use crate::dialect::command_line;
use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::nginx::Nginx;
use crate::dialect::{Context, Dialect, Finding, ScriptMap};
use crate::syntax::text;

pub struct UwsgiIni;

const SCRIPT_KEYS: [&str; 2] = ["wsgi-file", "file"];
const MODULE_KEYS: [&str; 2] = ["module", "wsgi"];
const HTTP_KEYS: [&str; 3] = ["http", "http-socket", "https"];

/// One `key = value` line, with the section it is in.
pub struct Setting<'t> {
    pub section: &'t str,
    pub key: Range<usize>,
    pub value: Range<usize>,
    /// Written after a `#` or `;`, as a commented-out setting.
    pub commented: bool,
}

impl Dialect for UwsgiIni {
    fn name(&self) -> &'static str {
        "uwsgi-ini"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        [
            ".ini",
            ".ini.j2",
            ".ini.tpl",
            ".ini.template",
            ".ini.erb",
            ".ini.sample",
            ".ini.example",
            ".ini.in",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
            || name.ends_with(".conf")
    }

    /// Apache and nginx share the `.conf` name: their files go to their dialects, unless a
    /// `[uwsgi]` section says otherwise.
    fn accepts(&self, text: &str) -> bool {
        let uwsgi_section = text::lines(text).any(|line| {
            let trimmed = line.content.trim_start_matches('\u{feff}').trim();
            trimmed == "[uwsgi]" || trimmed.starts_with("[uwsgi:")
        });
        uwsgi_section || !(Apache.accepts(text) || Nginx.accepts(text))
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let settings = settings(text);
        let sections = sections(text, &settings);
        let mut findings = Vec::new();
        let mut masked = None;
        for setting in &settings {
            if !is_uwsgi_section(setting.section) {
                if !setting.commented {
                    let masked = masked.get_or_insert_with(|| command_line::mask_templates(text));
                    findings.extend(command_line::scan_shell(
                        text,
                        masked,
                        setting.value.clone(),
                        map,
                    ));
                }
                continue;
            }
            if let Some(directive) = directive_of(text, setting, &sections) {
                findings.extend(directive::decide(&directive, text, map));
            }
        }
        findings
    }
}

/// The directive a setting in a uWSGI section is, if it is one.
fn directive_of(
    text: &str,
    setting: &Setting<'_>,
    sections: &HashMap<&str, Section<'_>>,
) -> Option<Directive> {
    let key = &text[setting.key.clone()];
    let (loads, value) = if SCRIPT_KEYS.contains(&key) {
        (Loads::File, setting.value.clone())
    } else if MODULE_KEYS.contains(&key) {
        (Loads::Module, setting.value.clone())
    } else if key == "mount" {
        // `mount = /mountpoint=app`: the application follows the first `=`.
        let equals = text[setting.value.clone()].find('=')?;
        let value = setting.value.start + equals + 1..setting.value.end;
        let loads = if text[value.clone()].contains('/') {
            Loads::File
        } else {
            Loads::Module
        };
        (loads, value)
    } else {
        return None;
    };
    let section = sections.get(setting.section);
    let new_key = (key != "mount").then_some((setting.key.clone(), "module"));
    Some(Directive {
        commented: setting.commented,
        rewrite: Some(Rewrite {
            key: new_key,
            value: value.clone(),
            closing: None,
        }),
        sibling_modules: section.map_or_else(Vec::new, |section| {
            section
                .modules
                .iter()
                .map(|module| (*module).to_owned())
                .collect()
        }),
        http_mode: section.is_some_and(|section| section.http_mode),
        ..Directive::new(directive_name(key), value, loads)
    })
}

/// What the settings of one section (all its parts, when its name repeats) say about how it
/// loads an application: read once per file, not once per directive, so that a file holding
/// many directives is read in linear time.
#[derive(Default)]
struct Section<'t> {
    /// The values of its `module` and `wsgi` settings (not commented out).
    modules: Vec<&'t str>,
    /// Whether it serves HTTP itself (`http`, `http-socket`, `https`).
    http_mode: bool,
}

fn sections<'t>(text: &'t str, settings: &[Setting<'t>]) -> HashMap<&'t str, Section<'t>> {
    let mut sections: HashMap<&str, Section<'_>> = HashMap::new();
    for setting in settings.iter().filter(|setting| !setting.commented) {
        let section = sections.entry(setting.section).or_default();
        let key = &text[setting.key.clone()];
        if MODULE_KEYS.contains(&key) {
            section.modules.push(&text[setting.value.clone()]);
        }
        section.http_mode |= HTTP_KEYS.contains(&key);
    }
    sections
}

fn directive_name(key: &str) -> &'static str {
    match key {
        "wsgi-file" => "wsgi-file",
        "file" => "file",
        "module" => "module",
        "wsgi" => "wsgi",
        _ => "mount",
    }
}

pub fn is_uwsgi_section(section: &str) -> bool {
    section == "uwsgi" || section.starts_with("uwsgi:")
}

/// Every `key = value` line with its section, as uWSGI splits it, and every commented-out one.
pub fn settings(text: &str) -> Vec<Setting<'_>> {
    let mut section = "";
    let mut settings = Vec::new();
    for line in text::lines(text) {
        let start = line.start_after_bom();
        let content = &text[start..line.content_end];
        let mut trimmed = content.trim_start();
        let mut commented = false;
        if let Some(rest) = trimmed.strip_prefix([';', '#']) {
            commented = true;
            trimmed = rest.trim_start_matches([';', '#', ' ', '\t']);
        }
        let trimmed_start = line.content_end - trimmed.len();
        if let Some(name) = trimmed
            .trim_end()
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            if !commented {
                section = name.trim();
            }
            continue;
        }
        let Some(equals) = trimmed.find('=') else {
            continue;
        };
        let key = trimmed[..equals].trim_end();
        if commented && (key.is_empty() || key.contains(char::is_whitespace)) {
            // Prose in a comment, not a setting someone commented out.
            continue;
        }
        let raw_value = &trimmed[equals + 1..];
        let value = raw_value.trim();
        let value_start =
            trimmed_start + equals + 1 + (raw_value.len() - raw_value.trim_start().len());
        settings.push(Setting {
            section,
            key: trimmed_start..trimmed_start + key.len(),
            value: value_start..value_start + value.len(),
            commented,
        });
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::dialect::{Action, testing};

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
    fn commented_settings_are_manual_and_names_are_nothing() {
        let text = "[uwsgi:x]\n# wsgi-file = /usr/bin/glance-wsgi-api\n# glance-wsgi-api serves images\nprocname = glance-wsgi-api\nsocket = /run/glance-wsgi-api.socket\n";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].action, Action::Manual);
        assert_eq!(findings[0].code, Code::CommentedLoad);
    }

    #[test]
    fn other_sections_are_read_as_command_lines() {
        let text = "[program:g]\ncommand = uwsgi --http :80 --wsgi-file /usr/bin/glance-wsgi-api\n";
        let (after, findings) = rewrite(text);
        assert_eq!(
            after,
            "[program:g]\ncommand = uwsgi --http :80 --module glance.wsgi.api:application\n"
        );
        assert_eq!(findings.len(), 1);
    }

    #[test]
    fn unknown_unmigrated_and_templated_loads_are_manual() {
        let text = "[uwsgi]\nwsgi-file = /usr/local/bin/foo-api-wsgi\n[uwsgi:m]\nwsgi-file = /usr/local/bin/monasca-api-wsgi\n[uwsgi:t]\nwsgi-file = {{ nova_bin }}/{{ item.wsgi_name }}\n[uwsgi:b]\nmodule = {{ module }}\nwsgi-file = {{ file }}\n";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        let codes: Vec<(Code, Action)> = findings.iter().map(|f| (f.code, f.action)).collect();
        assert_eq!(
            codes,
            vec![
                (Code::UnknownScriptLoad, Action::Manual),
                (Code::UnmigratedScriptLoad, Action::Manual),
                (Code::TemplatedLoad, Action::Manual),
                // The module branch of a template, and its fallback beside it.
                (Code::ModuleLoad, Action::Ok),
            ]
        );
    }

    #[test]
    fn mount_points_load_their_application() {
        let (after, _) = rewrite("[uwsgi]\nmount = /identity=/usr/bin/keystone-wsgi-public\n");
        assert_eq!(
            after,
            "[uwsgi]\nmount = /identity=keystone.wsgi.api:application\n"
        );
    }

    #[test]
    fn samples_are_claimed() {
        assert!(UwsgiIni.claims("etc/mogan-uwsgi.ini.sample"));
    }

    #[test]
    fn transitional_configs_are_ok() {
        let text =
            "[uwsgi]\nmodule = glance.wsgi.api:application\nwsgi-file = /usr/bin/glance-wsgi-api\n";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        assert_eq!(findings[0].action, Action::Ok);
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
        // The module load and the two transitional files.
        assert_eq!(findings.len(), 3);
        assert!(
            findings
                .iter()
                .all(|finding| finding.action == crate::dialect::Action::Ok)
        );
        let text = "[uwsgi]\nwsgi-file = /usr/bin/glance-wsgi-api\n[uwsgi:x]\nhttp = :80\n[uwsgi]\nhttp = :81\n";
        let (_, findings) = rewrite(text);
        assert!(findings[0].warning.is_some());
        // Names outside any setting, and in a comment, are no loads.
        let (_, findings) = rewrite("x glance-wsgi-api ; glance-wsgi-api\n# glance-wsgi-api\n");
        assert!(findings.is_empty());
    }

    #[test]
    fn second_run_finds_nothing() {
        let (after, _) = rewrite("[uwsgi]\nwsgi-file = /usr/local/bin/keystone-wsgi-public\n");
        assert!(
            rewrite(&after)
                .1
                .iter()
                .all(|finding| finding.action == Action::Ok)
        );
    }
}
