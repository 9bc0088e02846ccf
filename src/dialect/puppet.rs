//! Puppet manifests (`*.pp`) and their templates (`*.epp`, `*.erb`).
//!
//! - A uWSGI option hash entry `'wsgi-file' => '/usr/bin/keystone-wsgi-public'` (as in
//!   `service::uwsgi { config => {...} }`) becomes `'module' => 'keystone.wsgi.api:application'`,
//!   keeping each side's quotes.
//! - `*_wsgi_script_source` and `*_wsgi_script_path` parameters (puppet-openstacklib's
//!   `openstacklib::wsgi::apache` copies that file and aliases the copy) are reported: mod_wsgi
//!   needs a file, and upstream puppet-* modules set them to the module's own file under
//!   `${pybasedir}` ("Replace wsgi script"), which depends on the distribution's Python layout.
//! - `wsgi_script_file` names the copy, not the source, and needs nothing.
//!
//! Comments and any other mention are reported for a person.
//!
//! See: deploy-configs.md §8; puppet-openstacklib `manifests/wsgi/apache.pp`.

use std::ops::Range;

use crate::code::Code;
use crate::dialect::apache::module_file;
use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::{Context, Dialect, Finding, ScriptMap, is_script_path, path_start};
use crate::syntax::text;

pub struct Puppet;

/// The puppet-* modules that moved their `*_wsgi_script_source` to the module's file upstream.
const UPSTREAM: [&str; 7] = [
    "nova",
    "keystone",
    "placement",
    "cinder",
    "heat",
    "neutron",
    "ironic",
];

impl Dialect for Puppet {
    fn name(&self) -> &'static str {
        "puppet"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        [".pp", ".epp", ".erb"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let mut findings = Vec::new();
        let http = ["http-socket", "'http'", "\"http\"", "'https'", "\"https\""]
            .iter()
            .any(|key| text.contains(key));
        for line in text::lines(text) {
            let content = line.content;
            let (strings, comment) = strings(content);
            for mention in map.mentions(content) {
                let (start, end, script) = (mention.range.start, mention.range.end, mention.script);
                let at = line.start + start;
                if let Some(comment) = comment.filter(|comment| *comment <= start) {
                    // Documentation and prose are comments too: only commented-out code (a
                    // hash entry or an assignment) is reported.
                    let code = &content[comment..];
                    if !(code.contains("=>") || code.contains(" = ")) {
                        continue;
                    }
                    findings.push(Finding::manual(
                        at,
                        script,
                        format!(
                            "commented-out code mentions the `{script}` script; if it is re-enabled, it needs the module instead ({}): update or delete the comment",
                            module_hint(map, script)
                        ),
                    ).with_code(Code::CommentedLoad));
                    continue;
                }
                let Some(string) = strings
                    .iter()
                    .find(|string| string.full.start < start && end < string.full.end)
                else {
                    // A bare word outside a string: a resource title or class parameter name.
                    continue;
                };
                let content_range = string.full.start + 1..string.full.end - 1;
                let from = path_start(content, start).max(content_range.start);
                let whole_path = from == content_range.start
                    && end == content_range.end
                    && is_script_path(&content[from..start]);
                let key = key_before(content, string.full.start);
                let finding = match key {
                    Some(Key::Hash(key)) if content[key.clone()] == *"wsgi-file" && whole_path => {
                        let value = line.start + content_range.start..line.start + content_range.end;
                        let directive = Directive {
                            rewrite: Some(Rewrite {
                                key: Some((line.start + key.start..line.start + key.end, "module")),
                                value: value.clone(),
                                closing: None,
                            }),
                            http_mode: http,
                            ..Directive::new("wsgi-file", value, Loads::File)
                        };
                        match directive::decide(&directive, text, map) {
                            Some(finding) => finding,
                            None => Finding::manual(at, script, generic(map, script)),
                        }
                    }
                    Some(Key::Name(name) | Key::Quoted(name))
                        if (name.ends_with("wsgi_script_source")
                            || name.ends_with("wsgi_script_path"))
                            && whole_path =>
                    {
                        Finding::manual(at, script, source_message(map, script))
                    }
                    Some(Key::Name(name) | Key::Quoted(name))
                        if name.ends_with("wsgi_script_file")
                            && content[content_range.clone()] == *script =>
                    {
                        Finding::ok(
                            at,
                            script,
                            "`wsgi_script_file` names the copy mod_wsgi loads, not the source script; it needs no change".to_owned(),
                        )
                    }
                    // A path to the installed script is most likely loaded or copied; a name
                    // (`package { 'neutron-api': }`, `Service['neutron-api']`) is a resource.
                    _ if crate::dialect::looks_installed(content, start..end) => {
                        Finding::manual(at, script, generic(map, script))
                    }
                    _ => Finding::ok(at, script, format!("`{script}` here names a package, service or resource, not the script file")),
                };
                findings.push(finding);
            }
        }
        findings
    }
}

/// A quoted string of a line, quotes included.
struct Quoted {
    full: Range<usize>,
}

/// The quoted strings of a Puppet line and where a `#` comment starts, if it does.
fn strings(line: &str) -> (Vec<Quoted>, Option<usize>) {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => return (found, Some(at)),
            quote @ (b'\'' | b'"') => {
                let start = at;
                at += 1;
                while at < bytes.len() && bytes[at] != quote {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                if at >= bytes.len() {
                    break;
                }
                found.push(Quoted {
                    full: start..at + 1,
                });
                at += 1;
            }
            _ => at += 1,
        }
    }
    (found, None)
}

/// What a value is assigned to.
enum Key<'l> {
    /// A quoted hash key before `=>`: the range of its text inside the quotes.
    Hash(Range<usize>),
    /// A quoted hash key's text, when the caller only needs the name.
    Quoted(&'l str),
    /// `$name = value`, `name => value` or `$ns::name = value`: the name without `$`.
    Name(&'l str),
}

/// The key or variable that the string starting at `value_start` is assigned to.
fn key_before(line: &str, value_start: usize) -> Option<Key<'_>> {
    let before = line[..value_start].trim_end();
    if let Some(left) = before.strip_suffix("=>") {
        let left = left.trim_end();
        if let Some(quote) = left.chars().last().filter(|c| *c == '\'' || *c == '"') {
            let open = left[..left.len() - 1].rfind(quote)?;
            let key = open + 1..left.len() - 1;
            return Some(if line[key.clone()].contains("wsgi_script") {
                Key::Quoted(&line[key])
            } else {
                Key::Hash(key)
            });
        }
        return Some(Key::Name(trailing_name(left)));
    }
    let left = before.strip_suffix('=')?;
    if left.ends_with(['=', '!', '<', '>', '+', '-']) {
        return None;
    }
    Some(Key::Name(trailing_name(left.trim_end())))
}

fn trailing_name(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '$'))
        .map_or(0, |(at, c)| at + c.len_utf8());
    text[start..].trim_start_matches('$')
}

fn source_message(map: &ScriptMap, script: &str) -> String {
    let module = map.module(script).unwrap_or_default();
    let package = module.split('.').next().unwrap_or_default();
    let upstream = if UPSTREAM.contains(&package) {
        format!("puppet-{package} did upstream")
    } else {
        "the puppet-openstack modules did upstream (\"Replace wsgi script\")".to_owned()
    };
    format!(
        "mod_wsgi copies this file; set it to the module's file {} in double quotes (`$pybasedir` is puppet-openstacklib's `openstacklib::defaults::pybasedir`), as {upstream}",
        module_file(module, "${pybasedir}")
    )
}

fn module_hint(map: &ScriptMap, script: &str) -> String {
    let module = map.module(script).unwrap_or_default();
    let spec = map.app_spec(script).unwrap_or_default();
    format!(
        "uWSGI `'module' => '{spec}'`, mod_wsgi the module's file {}",
        module_file(module, "${pybasedir}")
    )
}

fn generic(map: &ScriptMap, script: &str) -> String {
    format!(
        "mentions the `{script}` script; where this loads or copies the script, use the module instead ({})",
        module_hint(map, script)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn run(text: &str) -> (String, Vec<Finding>) {
        let map = testing::map(&[
            ("keystone-wsgi-public", "keystone.wsgi.api"),
            ("nova-api-wsgi", "nova.wsgi.osapi_compute"),
            ("glance-wsgi-api", "glance.wsgi.api"),
            ("aodh-api", "aodh.wsgi.api"),
        ]);
        testing::run(&Puppet, "x.pp", text, &map)
    }

    #[test]
    fn uwsgi_hashes_are_rewritten_keeping_quotes() {
        let before = "  config => {\r\n    'wsgi-file' => '/usr/bin/keystone-wsgi-public',\r\n    \"wsgi-file\"=>\"${bin}/glance-wsgi-api\",\r\n    'http-socket' => '0.0.0.0:9292',\r\n  }\r\n";
        let (after, findings) = run(before);
        assert_eq!(
            after,
            "  config => {\r\n    'module' => 'keystone.wsgi.api:application',\r\n    \"module\"=>\"glance.wsgi.api:application\",\r\n    'http-socket' => '0.0.0.0:9292',\r\n  }\r\n"
        );
        assert!(findings[0].warning.is_none());
        assert!(findings[1].warning.as_deref().unwrap().contains("Glance"));
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert!(findings.is_empty());
    }

    #[test]
    fn a_key_after_a_multibyte_character_does_not_panic() {
        // Found by `scripts/fuzz` (dialect_puppet): the name before `=` was cut one byte after
        // the start of a multibyte character.
        let text = "\u{fffd}='nova-api-wsgi'";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        assert!(findings.iter().all(|finding| finding.edits.is_empty()));
        let (after, _) = run("é$nova_api_wsgi_script_source = '/usr/bin/nova-api-wsgi'");
        assert!(after.starts_with('é'));
    }

    #[test]
    fn script_sources_get_the_module_file() {
        let text = "  $nova_api_wsgi_script_source = '/usr/bin/nova-api-wsgi'\n  $aodh_wsgi_script_path = \"/usr/bin/aodh-api\"\n";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        assert_eq!(findings[0].action, Action::Manual);
        assert_eq!(
            findings[0].message,
            "mod_wsgi copies this file; set it to the module's file `${pybasedir}/nova/wsgi/osapi_compute.py` in double quotes (`$pybasedir` is puppet-openstacklib's `openstacklib::defaults::pybasedir`), as puppet-nova did upstream"
        );
        assert!(
            findings[1]
                .message
                .contains("`${pybasedir}/aodh/wsgi/api.py`")
        );
        assert!(findings[1].message.ends_with("(\"Replace wsgi script\")"));
    }

    #[test]
    fn copies_comments_and_others() {
        let text = "    wsgi_script_file => 'nova-api-wsgi',\n# 'wsgi-file' => '/usr/bin/nova-api-wsgi',\nexec { 'x': command => '/usr/bin/nova-api-wsgi --port 8774' }\n    wsgi_script_source   => $::nova::params::nova_api_wsgi_script_source,\n";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        assert_eq!(
            actions(&findings),
            [Action::Ok, Action::Manual, Action::Manual]
        );
        assert!(findings[1].message.starts_with("commented-out"));
        assert!(
            findings[2]
                .message
                .starts_with("mentions the `nova-api-wsgi` script")
        );
    }
}
