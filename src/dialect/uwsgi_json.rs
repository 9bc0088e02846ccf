//! uWSGI JSON configs (`{"uwsgi": {"wsgi-file": "/usr/bin/nova-api-wsgi"}}`, loaded with
//! `--json file[:section]`), including `.json.j2` templates.
//!
//! `.json` is a common extension, so a file is read in this dialect only when it says `"uwsgi"`.
//! A small tokenizer finds each `"key": "value"` pair with the object it sits in (Jinja
//! `{% ... %}` and `{{ ... }}` outside strings are skipped). `"wsgi-file"` (at any depth: the key
//! only exists for uWSGI) and its alias `"file"` directly in a `"uwsgi"` (or `"uwsgi:NAME"`)
//! object become `"module": "nova.wsgi.osapi_compute:application"`: only the two strings' contents
//! are spliced, so spacing, key order and escapes elsewhere survive. An object that already sets
//! `"module"` (or `"wsgi"`) to the same application is a transitional config (uWSGI loads the
//! module first) and is `ok`. Any other mention is reported for a person.
//!
//! See: `deploy-configs.md` §2.3; <https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html>.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::{Context, Dialect, Finding, ScriptMap, looks_installed};

pub struct UwsgiJson;

const MODULE_KEYS: [&str; 2] = ["module", "wsgi"];
const HTTP_KEYS: [&str; 3] = ["http", "http-socket", "https"];

impl Dialect for UwsgiJson {
    fn name(&self) -> &'static str {
        "uwsgi-json"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        [".json", ".json.j2", ".json.tpl"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
    }

    fn accepts(&self, text: &str) -> bool {
        text.contains("\"uwsgi")
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let pairs = pairs(text);
        // What a directive needs from its object, and what a mention needs from the loads, is
        // read once per file and looked up: many objects and mentions stay linear.
        let mut modules: HashMap<usize, Vec<&str>> = HashMap::new();
        let mut http_objects = HashSet::new();
        for pair in &pairs {
            let key = &text[pair.key.clone()];
            if let Some(value) = pair.value.as_ref().filter(|_| MODULE_KEYS.contains(&key)) {
                modules
                    .entry(pair.object)
                    .or_default()
                    .push(&text[value.clone()]);
            }
            if HTTP_KEYS.contains(&key) {
                http_objects.insert(pair.object);
            }
        }
        let mut findings = Vec::new();
        let mut loads: Vec<Range<usize>> = Vec::new();
        for pair in &pairs {
            let Some(value) = pair.value.clone() else {
                continue;
            };
            let key = &text[pair.key.clone()];
            let in_uwsgi = pair
                .object_key
                .as_deref()
                .is_some_and(|name| name == "uwsgi" || name.starts_with("uwsgi:"));
            let kind = if key == "wsgi-file" || (key == "file" && in_uwsgi) {
                Loads::File
            } else if MODULE_KEYS.contains(&key) && in_uwsgi {
                Loads::Module
            } else {
                continue;
            };
            let directive = Directive {
                rewrite: Some(Rewrite {
                    key: Some((pair.key.clone(), "module")),
                    value: value.clone(),
                    closing: None,
                }),
                sibling_modules: modules.get(&pair.object).map_or_else(Vec::new, |modules| {
                    modules.iter().map(|module| (*module).to_owned()).collect()
                }),
                http_mode: http_objects.contains(&pair.object),
                ..Directive::new(key, value.clone(), kind)
            };
            if let Some(finding) = directive::decide(&directive, text, map) {
                loads.push(value);
                findings.push(finding);
            }
        }
        // Any other path to an installed script is reported; names are not.
        loads.sort_by_key(|load| load.start);
        for mention in map.mentions(text) {
            let script = mention.script;
            if crate::syntax::text::holding(&loads, &mention.range).is_some()
                || !looks_installed(text, mention.range.clone())
            {
                continue;
            }
            let app = map.app_spec(script).unwrap_or_default();
            findings.push(Finding::manual(
                mention.range.start,
                script,
                format!(
                    "mentions `{script}` outside a uWSGI `\"wsgi-file\"` setting; if it loads the \
                     script, use `\"module\": \"{app}\"` instead"
                ),
            ));
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

/// One `"key": value` member of an object.
#[derive(Debug)]
struct Pair {
    /// The key's characters, without quotes.
    key: Range<usize>,
    /// The value's characters without quotes, when it is a string.
    value: Option<Range<usize>>,
    /// Members with the same id are in the same object.
    object: usize,
    /// The key the object is the value of (`None` at the top level or in an array).
    object_key: Option<String>,
}

/// An open object or array while the text is tokenized.
struct Container {
    object: bool,
    id: usize,
    /// The key this container is the value of.
    key: Option<String>,
    /// In an object: the key read and waiting for its value.
    pending: Option<Range<usize>>,
}

/// Every member of every object, in order. Unknown bytes and Jinja are skipped, so a broken
/// file yields fewer pairs (and more manual findings), never a panic.
fn pairs(text: &str) -> Vec<Pair> {
    let bytes = text.as_bytes();
    let mut pairs = Vec::new();
    let mut stack: Vec<Container> = Vec::new();
    let mut next_id = 0;
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.starts_with(b"{%") || rest.starts_with(b"{#") || rest.starts_with(b"{{") {
            let close: &[u8] = match rest[1] {
                b'%' => b"%}",
                b'#' => b"#}",
                _ => b"}}",
            };
            at += memchr::memmem::find(&rest[2..], close).map_or(rest.len(), |end| end + 4);
            continue;
        }
        match bytes[at] {
            b'{' | b'[' => {
                let key = stack
                    .last_mut()
                    .and_then(|top| top.pending.take())
                    .map(|key| text[key].to_owned());
                stack.push(Container {
                    object: bytes[at] == b'{',
                    id: next_id,
                    key,
                    pending: None,
                });
                next_id += 1;
                at += 1;
            }
            b'}' | b']' => {
                stack.pop();
                at += 1;
            }
            b'"' => {
                let (inner_end, next) = string_end(bytes, at);
                let inner = at + 1..inner_end;
                at = next;
                let Some(top) = stack.last_mut() else {
                    continue;
                };
                if !top.object {
                    continue;
                }
                match top.pending.take() {
                    None => top.pending = Some(inner),
                    Some(key) => pairs.push(Pair {
                        key,
                        value: Some(inner),
                        object: top.id,
                        object_key: top.key.clone(),
                    }),
                }
            }
            b',' => {
                // A key whose value was not a string (a number, `true`, a Jinja expression).
                if let Some(top) = stack.last_mut()
                    && let Some(key) = top.pending.take()
                {
                    pairs.push(Pair {
                        key,
                        value: None,
                        object: top.id,
                        object_key: top.key.clone(),
                    });
                }
                at += 1;
            }
            _ => at += 1,
        }
    }
    pairs
}

/// Where the string starting with the quote at `open` ends: the end of its characters and the
/// index past its closing quote (an unterminated string ends at the line's end).
fn string_end(bytes: &[u8], open: usize) -> (usize, usize) {
    let mut at = open + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return (at, at + 1),
            b'\n' => return (at, at),
            _ => at += 1,
        }
    }
    (bytes.len(), bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn rewrite(text: &str) -> (String, Vec<Finding>) {
        let map = testing::nova_and_glance();
        testing::run(&UwsgiJson, "x.json", text, &map)
    }

    #[test]
    fn claims_and_accepts() {
        assert!(UwsgiJson.claims("etc/uwsgi/nova.json"));
        assert!(UwsgiJson.claims("templates/nova.json.j2"));
        assert!(!UwsgiJson.claims("nova.yaml"));
        assert!(UwsgiJson.accepts("{\"uwsgi\": {}}"));
        assert!(!UwsgiJson.accepts("{\"name\": \"nova-api-wsgi\"}"));
    }

    #[test]
    fn rewrites_key_and_value_only() {
        let text = "{\r\n  \"uwsgi\": {\r\n    \"master\": true,\r\n    \"wsgi-file\" :  \"\\/usr\\/bin\\/nova-api-wsgi\",\r\n    \"processes\": 4\r\n  },\r\n  \"uwsgi:dev\": {\"file\": \"{{ bin }}/glance-wsgi-api\"}\r\n}";
        let (after, findings) = rewrite(text);
        assert_eq!(actions(&findings), vec![Action::Rewrite, Action::Rewrite]);
        assert_eq!(
            after,
            "{\r\n  \"uwsgi\": {\r\n    \"master\": true,\r\n    \"module\" :  \"nova.wsgi.osapi_compute:application\",\r\n    \"processes\": 4\r\n  },\r\n  \"uwsgi:dev\": {\"module\": \"glance.wsgi.api:application\"}\r\n}"
        );
        assert!(rewrite(&after).1.iter().all(|f| f.action == Action::Ok));
    }

    #[test]
    fn other_mentions_are_manual() {
        let text = "{\"uwsgi\": {\"procname\": \"nova-api-wsgi\", \"wsgi-file\": [\"/usr/bin/nova-api-wsgi\"], \"x\": {\"file\": \"/usr/bin/nova-api-wsgi\"}, \"wsgi-file\": \"/usr/bin/nova-api-wsgi --x\"}}";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        // `procname` names a process: no finding.
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|f| f.action == Action::Manual));
    }

    #[test]
    fn transitional_and_glance() {
        let (_, findings) = rewrite(
            "{\"uwsgi\": {\"module\": \"nova.wsgi.osapi_compute\", \"wsgi-file\": \"/usr/bin/nova-api-wsgi\"}}",
        );
        assert_eq!(findings[0].action, Action::Ok);
        let (_, findings) = rewrite(
            "{\"uwsgi\": {\"http\": \":9292\", \"wsgi-file\": \"/usr/bin/glance-wsgi-api\"}}",
        );
        assert_eq!(findings[0].action, Action::Rewrite);
        assert!(findings[0].warning.is_some());
    }

    #[test]
    fn jinja_outside_strings_is_skipped() {
        let text = "{\"uwsgi\": {\n{% if x %}\n\"workers\": {{ n }},\n{% endif %}\n\"wsgi-file\": \"/usr/bin/nova-api-wsgi\"}}\n";
        let (after, _) = rewrite(text);
        assert!(after.contains("\"module\": \"nova.wsgi.osapi_compute:application\""));
    }
}
