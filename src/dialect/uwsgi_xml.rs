//! uWSGI XML configs (`<uwsgi><wsgi-file>/usr/bin/nova-api-wsgi</wsgi-file></uwsgi>`, loaded with
//! `--xml file[:id]`), including `.xml.j2` templates.
//!
//! `.xml` is a common extension, so a file is read in this dialect only when it has a `<uwsgi`
//! element. A small tag scanner pairs opening and closing tags (comments, `<?...?>`, `<!...>`
//! and self-closing tags are skipped). A `<wsgi-file>` element (at any depth: the option only
//! exists for uWSGI) or its alias `<file>` directly inside `<uwsgi>`, whose text is a path to a
//! script, becomes `<module>nova.wsgi.osapi_compute:application</module>`: both tag names and the
//! text are spliced, attributes and whitespace around the text are kept. A `<uwsgi>` element
//! that already has `<module>` (or `<wsgi>`) with the same application is a transitional config
//! (uWSGI loads the module first) and is `ok`. A mention in a comment or anywhere else is
//! reported for a person.
//!
//! See: `deploy-configs.md` §2.3; <https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html>.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::code::Code;
use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::{Context, Dialect, Finding, ScriptMap, looks_installed};

pub struct UwsgiXml;

const MODULE_TAGS: [&str; 2] = ["module", "wsgi"];
const HTTP_TAGS: [&str; 3] = ["http", "http-socket", "https"];

impl Dialect for UwsgiXml {
    fn name(&self) -> &'static str {
        "uwsgi-xml"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        [".xml", ".xml.j2", ".xml.tpl"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
    }

    fn accepts(&self, text: &str) -> bool {
        text.contains("<uwsgi")
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let tree = Tree::read(text);
        // What a directive needs from its siblings, and what a mention needs from comments and
        // loads, is read once per file and looked up: many elements and mentions stay linear.
        let mut comments = tree.comments.clone();
        comments.sort_by_key(|comment| comment.start);
        let commented_loads: Vec<bool> = comments
            .iter()
            .map(|comment| text[comment.clone()].contains("<wsgi-file>"))
            .collect();
        let mut modules: HashMap<usize, Vec<&str>> = HashMap::new();
        let mut http_parents = HashSet::new();
        for element in &tree.elements {
            let name = &text[element.name.clone()];
            if MODULE_TAGS.contains(&name) {
                modules
                    .entry(element.parent_id)
                    .or_default()
                    .push(&text[element.value(text)]);
            }
            if HTTP_TAGS.contains(&name) {
                http_parents.insert(element.parent_id);
            }
        }
        let mut findings = Vec::new();
        let mut loads: Vec<Range<usize>> = Vec::new();
        for element in tree.elements.iter().filter(|element| !element.has_children) {
            let name = &text[element.name.clone()];
            let in_uwsgi = element.parent.as_deref() == Some("uwsgi");
            let kind = if name == "wsgi-file" || (name == "file" && in_uwsgi) {
                Loads::File
            } else if MODULE_TAGS.contains(&name) && in_uwsgi {
                Loads::Module
            } else {
                continue;
            };
            let value = element.value(text);
            let directive = Directive {
                rewrite: Some(Rewrite {
                    key: Some((element.name.clone(), "module")),
                    value: value.clone(),
                    closing: Some((element.close_name.clone(), "module")),
                }),
                sibling_modules: modules
                    .get(&element.parent_id)
                    .map_or_else(Vec::new, |modules| {
                        modules.iter().map(|module| (*module).to_owned()).collect()
                    }),
                http_mode: http_parents.contains(&element.parent_id),
                ..Directive::new(format!("<{name}>"), value, kind)
            };
            if let Some(finding) = directive::decide(&directive, text, map) {
                loads.push(element.content.clone());
                findings.push(finding);
            }
        }
        loads.sort_by_key(|load| load.start);
        for mention in map.mentions(text) {
            let (script, at) = (mention.script, mention.range.start);
            if crate::syntax::text::holding(&loads, &mention.range).is_some() {
                continue;
            }
            let app = map.app_spec(script).unwrap_or_default();
            // A comment is prose unless it holds a commented-out element that loads the
            // script; anything else is reported only where it is a path to the script.
            if let Some(comment) = crate::syntax::text::holding(&comments, &mention.range) {
                let holds_element = commented_loads[comment];
                if holds_element {
                    findings.push(
                        Finding::manual(
                            at,
                            script,
                            format!(
                                "a comment mentions `{script}` (commented-out config is not \
                                 rewritten); if it shows a setting, write `<module>{app}</module>` there"
                            ),
                        )
                        .with_code(Code::CommentedLoad),
                    );
                }
                continue;
            }
            if !looks_installed(text, mention.range.clone()) {
                continue;
            }
            findings.push(Finding::manual(
                at,
                script,
                format!(
                    "mentions `{script}` outside a uWSGI `<wsgi-file>` element; if it loads the \
                     script, use `<module>{app}</module>` instead"
                ),
            ));
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

/// One element with its opening and closing tags.
struct Element {
    /// The name in the opening tag.
    name: Range<usize>,
    /// The name in the closing tag.
    close_name: Range<usize>,
    /// Everything between the tags.
    content: Range<usize>,
    has_children: bool,
    /// Elements with the same parent id are siblings (0 is the document).
    parent_id: usize,
    /// The parent element's name.
    parent: Option<String>,
}

impl Element {
    /// The text content without surrounding whitespace.
    fn value(&self, text: &str) -> Range<usize> {
        let content = &text[self.content.clone()];
        let start = self.content.start + (content.len() - content.trim_start().len());
        start..start + content.trim().len()
    }
}

struct Open {
    id: usize,
    name: Range<usize>,
    content_start: usize,
    has_children: bool,
}

struct Tree {
    elements: Vec<Element>,
    comments: Vec<Range<usize>>,
}

impl Tree {
    fn read(text: &str) -> Tree {
        let bytes = text.as_bytes();
        let mut tree = Tree {
            elements: Vec::new(),
            comments: Vec::new(),
        };
        let mut stack: Vec<Open> = Vec::new();
        let mut next_id = 1;
        let mut at = 0;
        while let Some(offset) = text[at..].find('<') {
            let open = at + offset;
            let rest = &text[open..];
            let skip_to = |close: &str| {
                rest.find(close)
                    .map_or(text.len(), |end| open + end + close.len())
            };
            if rest.starts_with("<!--") {
                at = skip_to("-->");
                tree.comments.push(open..at);
                continue;
            }
            if rest.starts_with("<![CDATA[") {
                at = skip_to("]]>");
                continue;
            }
            if rest.starts_with("<?") {
                at = skip_to("?>");
                continue;
            }
            if rest.starts_with("<!") {
                at = skip_to(">");
                continue;
            }
            let closing = rest.starts_with("</");
            let name_start = open + if closing { 2 } else { 1 };
            let name_len = bytes[name_start..]
                .iter()
                .take_while(|byte| {
                    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b':' | b'.')
                })
                .count();
            let Some(tag_end) = text[name_start..].find('>').map(|end| name_start + end) else {
                break;
            };
            at = tag_end + 1;
            if name_len == 0 {
                continue;
            }
            let name = name_start..name_start + name_len;
            if closing {
                let Some(depth) = stack
                    .iter()
                    .rposition(|element| text[element.name.clone()] == text[name.clone()])
                else {
                    continue;
                };
                // Elements left open inside this one are its children all the same.
                if stack.len() > depth + 1 {
                    stack[depth].has_children = true;
                }
                stack.truncate(depth + 1);
                let Some(element) = stack.pop() else {
                    continue;
                };
                let (parent_id, parent) = stack.last_mut().map_or((0, None), |parent| {
                    parent.has_children = true;
                    (parent.id, Some(text[parent.name.clone()].to_owned()))
                });
                tree.elements.push(Element {
                    name: element.name,
                    close_name: name,
                    content: element.content_start..open,
                    has_children: element.has_children,
                    parent_id,
                    parent,
                });
                continue;
            }
            if bytes[tag_end - 1] == b'/' {
                if let Some(parent) = stack.last_mut() {
                    parent.has_children = true;
                }
                continue;
            }
            stack.push(Open {
                id: next_id,
                name,
                content_start: tag_end + 1,
                has_children: false,
            });
            next_id += 1;
        }
        tree
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn rewrite(text: &str) -> (String, Vec<Finding>) {
        let map = testing::nova_and_glance();
        testing::run(&UwsgiXml, "x.xml", text, &map)
    }

    #[test]
    fn claims_and_accepts() {
        assert!(UwsgiXml.claims("etc/uwsgi/nova.xml"));
        assert!(UwsgiXml.claims("t/nova.xml.j2"));
        assert!(!UwsgiXml.claims("nova.xmlx"));
        assert!(UwsgiXml.accepts("<uwsgi id=\"x\">"));
        assert!(!UwsgiXml.accepts("<project><name>nova-api-wsgi</name></project>"));
    }

    #[test]
    fn rewrites_tags_and_text() {
        let text = "<?xml version=\"1.0\"?>\r\n<uwsgi id=\"api\">\r\n  <master/>\r\n  <wsgi-file> /usr/local/bin/nova-api-wsgi </wsgi-file>\r\n  <file>{{ bin }}/glance-wsgi-api</file>\r\n</uwsgi>\r\n";
        let (after, findings) = rewrite(text);
        assert_eq!(actions(&findings), vec![Action::Rewrite, Action::Rewrite]);
        assert_eq!(
            after,
            "<?xml version=\"1.0\"?>\r\n<uwsgi id=\"api\">\r\n  <master/>\r\n  <module> nova.wsgi.osapi_compute:application </module>\r\n  <module>glance.wsgi.api:application</module>\r\n</uwsgi>\r\n"
        );
        assert!(rewrite(&after).1.iter().all(|f| f.action == Action::Ok));
    }

    #[test]
    fn an_element_around_an_unclosed_one_is_not_rewritten_whole() {
        // Found by `scripts/fuzz` (dialect_uwsgi_xml): `<h>` is never closed, so `<file>` did
        // not know it had children and its whole content overlapped the `<wsgi-file>` edits.
        let text = "<uwsgi><file><h><wsgi-file>/glance-wsgi-api</wsgi-file>/nova-api-wsgi</file>";
        let (after, findings) = rewrite(text);
        assert_eq!(
            after,
            "<uwsgi><file><h><module>glance.wsgi.api:application</module>/nova-api-wsgi</file>"
        );
        // `/nova-api-wsgi` is no path into a bin directory: only the load is a finding.
        assert_eq!(actions(&findings), vec![Action::Rewrite]);
    }

    #[test]
    fn other_mentions_are_manual() {
        let text = "<uwsgi>\n  <!-- <wsgi-file>/usr/bin/nova-api-wsgi</wsgi-file> -->\n  <procname>nova-api-wsgi</procname>\n  <app><file>/usr/bin/nova-api-wsgi</file></app>\n  <wsgi-file>/usr/bin/nova-api-wsgi --x</wsgi-file>\n</uwsgi>\n";
        let (after, findings) = rewrite(text);
        assert_eq!(after, text);
        // `<procname>` names a process: no finding.
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|f| f.action == Action::Manual));
        assert!(findings[0].message.contains("commented-out"));
    }

    #[test]
    fn transitional_and_glance() {
        let (_, findings) = rewrite(
            "<uwsgi><module>nova.wsgi.osapi_compute:application</module><wsgi-file>/usr/bin/nova-api-wsgi</wsgi-file></uwsgi>",
        );
        assert_eq!(findings[0].action, Action::Ok);
        let (_, findings) = rewrite(
            "<uwsgi><http>:9292</http><wsgi-file>/usr/bin/glance-wsgi-api</wsgi-file></uwsgi>",
        );
        assert_eq!(findings[0].action, Action::Rewrite);
        assert!(findings[0].warning.is_some());
    }
}
