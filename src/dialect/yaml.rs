//! YAML deployment files: uWSGI YAML configs, openstack-helm values, kolla-ansible and
//! openstack-ansible role variables (`*.yaml`, `*.yml`, and their `.j2`/`.tpl` templates).
//!
//! The file is read line by line, never parsed and re-serialised: each `key: value` line is
//! placed in its mapping by indentation (sequence items start a new mapping), so the tool knows
//! a key's siblings and the key that holds its mapping. Edits touch only the key and the value,
//! so indentation, quoting, comments, Jinja and line endings survive.
//!
//! - `wsgi-file: /var/lib/openstack/bin/nova-api-wsgi` (at any depth: the key only exists for
//!   uWSGI, as in helm's `conf.nova_api_uwsgi.uwsgi`) and its alias `file:` directly under a
//!   `uwsgi:` key become `module: nova.wsgi.osapi_compute:application`, quoted as the value was.
//!   A mapping that already sets `module:` (or `wsgi:`) to the same application is a deliberate
//!   transitional config (uWSGI loads the module first), so it is `ok`.
//! - kolla-ansible service dicts: `wsgi_file: "/var/lib/kolla/venv/bin/x"` becomes
//!   `wsgi: "x.wsgi.api:application"`. A role file that reads the dict's `wsgi_file`
//!   (`service_uwsgi_config_wsgi_file: "{{ service.wsgi_file }}"`) is reported: it must pass
//!   `service_uwsgi_config_module: "{{ service.wsgi }}"` instead.
//! - openstack-ansible `wsgi_name:` and `wsgi_path:` are reported, not rewritten: the path is
//!   assembled in `vars/main.yml` (`nova_bin ~ '/' ~ value.wsgi_name`), so the service dict must
//!   get `wsgi:` and the concatenation must go; that line is reported too.
//! - openstack-helm overrides pinned to a release (`values_overrides/**/2024.2-*.yaml`) keep the
//!   script on purpose, and release notes record history: their mentions are `ok`, never edited.
//! - Comments, block scalars (embedded ini or Apache text) and any other key are reported with
//!   what to write instead.
//!
//! See: `deploy-configs.md` §2.3, §6 (kolla-ansible), §7 (openstack-ansible), §9
//! (openstack-helm), §14; <https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html>.

use std::ops::Range;

use crate::code::Code;
use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::{
    Action, Context, Dialect, Finding, ScriptMap, is_bare_mention, is_path_prefix,
};
use crate::syntax::text;

pub struct Yaml;

const SUFFIXES: [&str; 7] = [
    ".yaml",
    ".yml",
    ".yaml.j2",
    ".yml.j2",
    ".yaml.tpl",
    ".yml.tpl",
    ".yaml.template",
];

/// Keys that hold a module for uWSGI (`wsgi` is `module`'s alias; kolla's service dicts use it).
const MODULE_KEYS: [&str; 2] = ["module", "wsgi"];
/// Keys that put uWSGI in HTTP mode, where Glance must not run.
const HTTP_KEYS: [&str; 3] = ["http", "http-socket", "https"];
/// Directories of an Ansible role; the role is the path before them.
const ROLE_DIRS: [&str; 6] = ["defaults", "vars", "tasks", "handlers", "templates", "meta"];

impl Dialect for Yaml {
    fn name(&self) -> &'static str {
        "yaml"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
    }

    fn keywords(&self) -> &'static [&'static str] {
        &["wsgi_name", "wsgi_file"]
    }

    fn collect(&self, path: &str, text: &str, map: &ScriptMap, context: &mut Context) {
        let document = Document::read(text);
        for entry in &document.entries {
            let Some(value) = &entry.value else {
                continue;
            };
            let key = &text[entry.key.clone()];
            let value_text = &text[value.inner.clone()];
            let loads_mapped_app = match key {
                "wsgi_name" | "wsgi_path" | "wsgi_file" => !map.mentions(value_text).is_empty(),
                "wsgi" => map
                    .iter()
                    .any(|(_, target)| value_text == target.spec() || value_text == target.module),
                _ => false,
            };
            if loads_mapped_app {
                context
                    .roles_loading_scripts
                    .insert(role_of(path).to_owned());
            }
        }
    }

    fn scan(&self, path: &str, text: &str, map: &ScriptMap, context: &Context) -> Vec<Finding> {
        let document = Document::read(text);
        let before = Before::new(text);
        let mut findings = Vec::new();
        let history = path.starts_with("releasenotes/") || path.contains("/releasenotes/");
        let pinned = pinned_release(path);
        for mention in map.mentions(text) {
            let script = mention.script;
            let at = mention.range.start;
            let Some(app) = map.app_spec(script) else {
                continue;
            };
            if history {
                findings.push(Finding::ok(
                    at,
                    script,
                    "release notes record history; never edited".to_owned(),
                ));
                continue;
            }
            if let Some(release) = pinned {
                let why = format!(
                    "version-gated override for OpenStack {release}: it keeps `{script}` for the images of \
                     that release (Helm merges it over the chart's values; with `module` set too, uWSGI \
                     loads the module first and falls back to the file), so it is never rewritten; delete \
                     the override when {release} is no longer deployed"
                );
                // The rewrite a load here would get is kept, display-only.
                let load = document
                    .entry_at(at)
                    .and_then(|entry| Some((entry, entry.value.as_ref()?)))
                    .filter(|(_, value)| value.inner.end == mention.range.end)
                    .and_then(|(entry, value)| {
                        let new_key = load_key(text, entry)?;
                        let directive = Directive {
                            pinned: Some(why.clone()),
                            ..load_directive(text, &document, entry, value, new_key)
                        };
                        directive::decide(&directive, text, map)
                    });
                findings.push(load.unwrap_or_else(|| {
                    Finding::ok(at, script, why).with_code(Code::ReleasePinned)
                }));
                continue;
            }
            if inside(&document.comments, &mention.range) {
                // Only a commented-out setting that loads the script, or a path to it, is
                // config; a name in prose or a commented-out service toggle is not.
                let directive_key = [
                    "wsgi_file",
                    "wsgi_name",
                    "wsgi_path",
                    "wsgi-file",
                    "WSGIScriptAlias",
                ]
                .iter()
                .any(|key| before.holds(at, key));
                if !directive_key && !crate::dialect::looks_installed(text, mention.range.clone()) {
                    continue;
                }
                let setting = if ["wsgi_file", "wsgi_name", "wsgi_path"]
                    .iter()
                    .any(|key| before.holds(at, key))
                {
                    format!("wsgi: \"{app}\"")
                } else {
                    format!("module: {app}")
                };
                findings.push(
                    Finding::manual(
                        at,
                        script,
                        format!(
                            "a comment mentions `{script}` (commented-out config is not rewritten); if \
                             it shows a setting, write `{setting}` there"
                        ),
                    )
                    .with_code(Code::CommentedLoad),
                );
                continue;
            }
            if inside(&document.blocks, &mention.range) {
                // Embedded config text: names (process groups, hosts) are kept; a path to the
                // script, or a directive's file, is reported.
                let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
                let line_end = text[at..].find('\n').map_or(text.len(), |end| at + end);
                let in_directive =
                    directive::in_prose(&text[line_start..line_end])
                        .iter()
                        .any(|(_, value)| {
                            line_start + value.start <= at && at < line_start + value.end
                        });
                if !in_directive && !crate::dialect::looks_installed(text, mention.range.clone()) {
                    findings.push(Finding::ok(at, script, bare_name_message(script)));
                    continue;
                }
                findings.push(
                    Finding::manual(
                        at,
                        script,
                        format!(
                            "a block scalar (embedded config text) mentions `{script}`; {}",
                            hint(&before, at, script, map)
                        ),
                    )
                    .with_code(if in_directive {
                        Code::ScriptLoad
                    } else {
                        Code::ScriptReference
                    }),
                );
                continue;
            }
            if document
                .entry_at(at)
                .is_some_and(|entry| entry.key == mention.range)
            {
                findings.push(Finding::ok(
                    at,
                    script,
                    format!("`{script}` here is a mapping key naming a service, not the script file; names are kept"),
                ));
                continue;
            }
            let entry = document.entry_at(at).filter(|entry| {
                entry
                    .value
                    .as_ref()
                    .is_some_and(|value| contains(&value.inner, &mention.range))
            });
            let Some(entry) = entry else {
                if is_bare_mention(text, mention.range.clone())
                    || (crate::dialect::path_start(text, at) < at
                        && !crate::dialect::looks_installed(text, mention.range.clone()))
                {
                    findings.push(Finding::ok(at, script, bare_name_message(script)));
                    continue;
                }
                findings.push(Finding::manual(
                    at,
                    script,
                    format!(
                        "mentions `{script}` outside a `wsgi-file` setting; {}",
                        hint(&before, at, script, map)
                    ),
                ));
                continue;
            };
            findings.push(self.setting(&before, &document, entry, &mention.range, script, map));
        }
        if !history && pinned.is_none() {
            findings.extend(role_reads(path, text, &document, context));
            findings.extend(unmapped_loads(text, &document, map));
        }
        findings
    }
}

/// The directives whose value names no script the map knows: a script nobody mapped, a
/// never-migrated one, an in-tree file or a template (`wsgi_file: "/var/lib/kolla/venv/bin/x"`).
fn unmapped_loads(text: &str, document: &Document, map: &ScriptMap) -> Vec<Finding> {
    let mut findings = Vec::new();
    for entry in &document.entries {
        let Some(value) = &entry.value else { continue };
        if !map.mentions(&text[value.inner.clone()]).is_empty() {
            continue;
        }
        let Some(new_key) = load_key(text, entry) else {
            continue;
        };
        let directive = load_directive(text, document, entry, value, new_key);
        findings.extend(directive::decide(&directive, text, map));
    }
    findings
}

/// The message for a name that is not a path: a service, container, group or process named after
/// the script.
fn bare_name_message(script: &str) -> String {
    format!(
        "`{script}` here names a service, container, group or process, not the script file; names are kept"
    )
}

impl Yaml {
    /// The finding for a mention inside the value of `entry`.
    fn setting(
        &self,
        before: &Before<'_>,
        document: &Document,
        entry: &Entry,
        mention: &Range<usize>,
        script: &str,
        map: &ScriptMap,
    ) -> Finding {
        let text = before.text;
        let at = mention.start;
        let app = map.app_spec(script).unwrap_or_default();
        let key = &text[entry.key.clone()];
        let Some(value) = &entry.value else {
            return Finding::manual(at, script, format!("`{key}` mentions `{script}`"));
        };
        let raw = &text[value.outer.clone()];
        let under_uwsgi = entry
            .parent
            .as_deref()
            .is_some_and(|parent| parent == "uwsgi" || parent.starts_with("uwsgi:"));
        let new_key = match key {
            "wsgi-file" => "module",
            "file" if under_uwsgi => "module",
            "wsgi_file" => "wsgi",
            "wsgi_name" => {
                return Finding::manual(
                    at,
                    script,
                    format!(
                        "openstack-ansible builds the uWSGI `wsgi-file` path from `wsgi_name` \
                         (`<service>_bin ~ '/' ~ value.wsgi_name` in vars/main.yml): in this service dict \
                         replace `wsgi_name: {raw}` with `wsgi: \"{app}\"` and delete that `wsgi_path` line; \
                         ansible-role-uwsgi renders `wsgi = {app}` when `wsgi` is set instead of `wsgi_path`"
                    ),
                );
            }
            "wsgi_path" => {
                return Finding::manual(
                    at,
                    script,
                    format!(
                        "openstack-ansible passes `wsgi_path` to ansible-role-uwsgi, which renders it as \
                         `wsgi-file`: replace `wsgi_path: {raw}` with `wsgi: \"{app}\"` in this service dict \
                         and drop any `wsgi_path` that vars/main.yml sets for it; the role renders \
                         `wsgi = {app}` when `wsgi` is set instead of `wsgi_path`"
                    ),
                );
            }
            _ if value.inner == *mention && is_name_key(key) => {
                return Finding::ok(
                    at,
                    script,
                    format!(
                        "`{key}` names a service or process after `{script}`, not the script file; names are kept"
                    ),
                );
            }
            // Container images (`kolla/aodh-api`) and bare names are named after services.
            _ if is_bare_mention(text, mention.clone())
                || key == "image"
                || key.ends_with("_image") =>
            {
                return Finding::ok(at, script, bare_name_message(script));
            }
            _ if crate::dialect::path_start(text, mention.start) < mention.start
                && !crate::dialect::looks_installed(text, mention.clone()) =>
            {
                return Finding::ok(
                    at,
                    script,
                    format!(
                        "`{key}` names `{script}` in a path that is no installed script (a log or data directory)"
                    ),
                );
            }
            _ => {
                return Finding::manual(
                    at,
                    script,
                    format!(
                        "`{key}` mentions `{script}`, not a uWSGI `wsgi-file` setting; {}",
                        hint(before, at, script, map)
                    ),
                );
            }
        };
        if mention.end != value.inner.end
            || !is_path_prefix(&text[value.inner.start..mention.start])
        {
            return Finding::manual(
                at,
                script,
                format!(
                    "`{key}: {raw}` is not a plain path to `{script}`; set `{new_key}: {app}` instead by hand"
                ),
            );
        }
        let directive = load_directive(text, document, entry, value, new_key);
        let finding = directive::decide(&directive, text, map).unwrap_or_else(|| {
            Finding::manual(
                at,
                script,
                format!("set `{new_key}: {app}` instead by hand"),
            )
        });
        if key == "wsgi_file" && finding.action == Action::Rewrite {
            let message = format!(
                "{}; the role must then pass the module (`service_uwsgi_config_module: \"{{{{ service.wsgi }}}}\"`) \
                 to service-uwsgi-config",
                finding.message
            );
            return Finding { message, ..finding };
        }
        finding
    }
}

/// The key a file-loading entry becomes: `module` for uWSGI's `wsgi-file` (and `file` under
/// `uwsgi:`), `wsgi` for kolla's `wsgi_file`; `None` for any other entry.
fn load_key(text: &str, entry: &Entry) -> Option<&'static str> {
    let under_uwsgi = entry
        .parent
        .as_deref()
        .is_some_and(|parent| parent == "uwsgi" || parent.starts_with("uwsgi:"));
    match &text[entry.key.clone()] {
        "wsgi-file" => Some("module"),
        "file" if under_uwsgi => Some("module"),
        "wsgi_file" => Some("wsgi"),
        _ => None,
    }
}

/// A uWSGI file key (`wsgi-file`, `file` under `uwsgi:`, kolla's `wsgi_file`) as a directive,
/// rewritten to `new_key`, with the modules and HTTP options of its mapping.
fn load_directive(
    text: &str,
    document: &Document,
    entry: &Entry,
    value: &Value,
    new_key: &'static str,
) -> Directive {
    Directive {
        rewrite: Some(Rewrite {
            key: Some((entry.key.clone(), new_key)),
            value: value.inner.clone(),
            closing: None,
        }),
        sibling_modules: document
            .modules
            .get(&entry.mapping)
            .cloned()
            .unwrap_or_default(),
        http_mode: document.http_mappings.contains(&entry.mapping),
        ..Directive::new(&text[entry.key.clone()], value.inner.clone(), Loads::File)
    }
}

/// Lines that read a service dict's `wsgi_name` or `wsgi_file` in a role whose service dicts
/// load a mapped application: they must change with the dict, and name no script themselves.
fn role_reads(path: &str, text: &str, document: &Document, context: &Context) -> Vec<Finding> {
    if !context.roles_loading_scripts.contains(role_of(path)) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for line in text::lines(text) {
        for attribute in ["wsgi_name", "wsgi_file"] {
            let Some(read) = attribute_read(line.content, attribute) else {
                continue;
            };
            let at = line.start + read.at;
            if inside(&document.comments, &(at..at + 1)) {
                continue;
            }
            let owner = &line.content[read.owner.clone()];
            let message = if attribute == "wsgi_name" {
                "builds the uWSGI `wsgi-file` path from the service dict's `wsgi_name`: once each service \
                 dict sets `wsgi: \"<module>:application\"` instead, delete this line so that \
                 ansible-role-uwsgi renders `wsgi = <module>:application` (it renders `wsgi-file` only \
                 while `wsgi_path` is set)"
                    .to_owned()
            } else {
                format!(
                    "reads the service dict's `wsgi_file`, which becomes `wsgi` (a module): pass \
                     `service_uwsgi_config_module: \"{{{{ {owner}.wsgi }}}}\"` to service-uwsgi-config \
                     instead of the wsgi file"
                )
            };
            findings.push(Finding {
                offset: at,
                code: Code::TemplatedLoad,
                script: None,
                action: Action::Manual,
                message,
                edits: Vec::new(),
                warning: None,
                loads_file: None,
            });
        }
    }
    findings
}

struct AttributeRead {
    /// Where `.attribute` (or `['attribute']`) starts in the line.
    at: usize,
    /// The expression whose attribute is read (`service`, `value`, `item.value`).
    owner: Range<usize>,
}

/// The first `<expr>.attribute` or `<expr>['attribute']` in a line.
fn attribute_read(line: &str, attribute: &str) -> Option<AttributeRead> {
    let bytes = line.as_bytes();
    let is_name = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    for (at, _) in line.match_indices(attribute) {
        let end = at + attribute.len();
        if bytes.get(end).is_some_and(|byte| is_name(*byte)) {
            continue;
        }
        let access_start = if at >= 1 && bytes[at - 1] == b'.' {
            at - 1
        } else if at >= 2
            && matches!(bytes[at - 1], b'\'' | b'"')
            && bytes[at - 2] == b'['
            && bytes.get(end) == Some(&bytes[at - 1])
        {
            at - 2
        } else {
            continue;
        };
        let mut owner_start = access_start;
        while owner_start > 0 && (is_name(bytes[owner_start - 1]) || bytes[owner_start - 1] == b'.')
        {
            owner_start -= 1;
        }
        if owner_start == access_start {
            continue;
        }
        return Some(AttributeRead {
            at: access_start,
            owner: owner_start..access_start,
        });
    }
    None
}

/// What to write instead of a mention outside a `wsgi-file` setting, from the text before it.
fn hint(before: &Before<'_>, at: usize, script: &str, map: &ScriptMap) -> String {
    let app = map.app_spec(script).unwrap_or_default();
    let module = map.module(script).unwrap_or_default();
    let previous = before
        .previous_line(at)
        .trim_end_matches(['"', '\'', ',', ' ', '\r']);
    if before.holds(at, "--wsgi-file") || previous.ends_with("--wsgi-file") {
        format!(
            "the uWSGI command line loads the script: replace `--wsgi-file <path>` with `--module {app}`"
        )
    } else if before.holds(at, "WSGIScript") {
        format!(
            "mod_wsgi needs a file: point it at a file containing `from {module} import application`, \
             or serve the application with uWSGI (`module = {app}`)"
        )
    } else if before.holds(at, "wsgi-file") {
        format!("replace `wsgi-file = <path>` with `module = {app}`")
    } else {
        format!(
            "if it loads the script, point it at the module `{app}` instead (uWSGI: `module: {app}`)"
        )
    }
}

/// Keys whose value is a name (of a service, process, container or inventory group), never a
/// path.
fn is_name_key(key: &str) -> bool {
    key == "name" || key == "group" || key.ends_with("_name") || key.starts_with("procname")
}

/// The release an openstack-helm override is pinned to: a file or directory under
/// `values_overrides/` named like `2024.2-ubuntu_jammy.yaml`.
fn pinned_release(path: &str) -> Option<&str> {
    let mut components = path.split('/');
    components.find(|component| *component == "values_overrides")?;
    components.find_map(|component| {
        // `2024.2-ubuntu_jammy.yaml`, or with a prefix: `loci-2025.1-ubuntu_noble.yaml`.
        let component = component
            .match_indices("20")
            .map(|(at, _)| &component[at..])
            .find(|rest| {
                let bytes = rest.as_bytes();
                bytes.len() >= 6
                    && bytes[2].is_ascii_digit()
                    && bytes[3].is_ascii_digit()
                    && bytes[4] == b'.'
                    && bytes[5].is_ascii_digit()
            })?;
        let bytes = component.as_bytes();
        let release = bytes.len() >= 6
            && bytes[..2] == *b"20"
            && bytes[2].is_ascii_digit()
            && bytes[3].is_ascii_digit()
            && bytes[4] == b'.'
            && bytes[5].is_ascii_digit();
        if !release {
            return None;
        }
        let end = 5 + bytes[5..].iter().take_while(|b| b.is_ascii_digit()).count();
        Some(&component[..end])
    })
}

/// The Ansible role a file belongs to (the path before `defaults/`, `tasks/`...), or the file
/// itself when it is not in a role.
fn role_of(path: &str) -> &str {
    let mut offset = 0;
    for component in path.split('/') {
        if ROLE_DIRS.contains(&component) {
            return &path[..offset];
        }
        offset += component.len() + 1;
    }
    path
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Whether one of `ranges` (in text order, not overlapping: one per line) holds `inner`.
fn inside(ranges: &[Range<usize>], inner: &Range<usize>) -> bool {
    text::holding(ranges, inner).is_some()
}

/// The words `hint` and the comment check look for before a mention on its line.
const BEFORE_WORDS: [&str; 6] = [
    "--wsgi-file",
    "WSGIScript",
    "wsgi-file",
    "wsgi_file",
    "wsgi_name",
    "wsgi_path",
];

/// What the text before a mention holds, answered without rereading the line for every mention
/// (a long line with many mentions would make that quadratic).
struct Before<'t> {
    text: &'t str,
    index: text::LineIndex,
    words: Vec<text::Occurrences>,
}

impl<'t> Before<'t> {
    fn new(text: &'t str) -> Before<'t> {
        Before {
            text,
            index: text::LineIndex::new(text),
            words: BEFORE_WORDS
                .iter()
                .map(|word| text::Occurrences::new(text, word))
                .collect(),
        }
    }

    /// Whether `word` (one of [`BEFORE_WORDS`]) occurs between the start of the line holding
    /// `at` and `at`.
    fn holds(&self, at: usize, word: &str) -> bool {
        let line_start = self.index.line_start(at);
        BEFORE_WORDS
            .iter()
            .position(|known| *known == word)
            .is_some_and(|known| self.words[known].within(line_start..at))
    }

    /// The line before the one holding `at` (the one before that when it is empty, as
    /// `str::lines` reads the text up to there), or "" on the first line.
    fn previous_line(&self, at: usize) -> &'t str {
        let line = self.index.line_of(at);
        let line_start = self.index.line_start(at);
        let from = self
            .index
            .start_of(line.saturating_sub(2))
            .unwrap_or_default();
        self.text[from..line_start.saturating_sub(1).max(from)]
            .lines()
            .next_back()
            .unwrap_or_default()
    }
}

/// A scalar value on a `key: value` line.
struct Value {
    /// The value without its quotes.
    inner: Range<usize>,
    /// The value with its quotes.
    outer: Range<usize>,
}

/// One `key: value` (or `key:`) line.
struct Entry {
    /// The key without quotes.
    key: Range<usize>,
    /// `None` when the value is on later lines (a nested mapping, a sequence, a block scalar).
    value: Option<Value>,
    /// Entries with the same id are siblings in one mapping.
    mapping: usize,
    /// The key whose value the mapping is.
    parent: Option<String>,
}

/// What a line-based reading of a YAML file tells about its bytes.
struct Document {
    entries: Vec<Entry>,
    /// The values of the `module`/`wsgi` entries of each mapping, by mapping.
    modules: std::collections::HashMap<usize, Vec<String>>,
    /// The mappings that serve HTTP themselves (an `http`, `http-socket` or `https` key).
    http_mappings: std::collections::HashSet<usize>,
    /// `# ...` comments (whole lines or trailing), and Jinja `{# ... #}` lines.
    comments: Vec<Range<usize>>,
    /// The lines of block scalars (`key: |`).
    blocks: Vec<Range<usize>>,
}

/// A mapping open at some indentation while the lines are read.
struct Frame {
    indent: usize,
    id: usize,
    /// The key whose value this mapping is.
    parent: Option<String>,
    /// The last key read in this mapping: the parent of a deeper one.
    last_key: Option<String>,
}

impl Document {
    fn read(text: &str) -> Document {
        let mut document = Document {
            entries: Vec::new(),
            modules: std::collections::HashMap::new(),
            http_mappings: std::collections::HashSet::new(),
            comments: Vec::new(),
            blocks: Vec::new(),
        };
        let mut stack: Vec<Frame> = Vec::new();
        let mut next_id = 0;
        let mut block_indent: Option<usize> = None;
        for line in text::lines(text) {
            let start = line.start_after_bom();
            let content = &text[start..line.content_end];
            let trimmed = content.trim_start_matches([' ', '\t']);
            let indent = content.len() - trimmed.len();
            if let Some(parent_indent) = block_indent {
                if trimmed.trim_end().is_empty() || indent > parent_indent {
                    document.blocks.push(start..line.content_end);
                    continue;
                }
                block_indent = None;
            }
            if trimmed.trim_end().is_empty() {
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with("{#") {
                document.comments.push(start + indent..line.content_end);
                continue;
            }
            if trimmed.starts_with("{%") {
                continue;
            }
            if trimmed.trim_end() == "---" || trimmed.starts_with("--- ") || trimmed == "..." {
                stack.clear();
                continue;
            }
            // Sequence dashes: `- key: value` starts a new mapping at the key's column.
            let mut column = indent;
            let mut rest = trimmed;
            let mut item = false;
            while rest.trim_end() == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
                item = true;
                let after = &rest[1..];
                let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
                column += 1 + spaces;
                rest = &after[spaces..];
            }
            let rest_start = start + column;
            if item {
                while stack.last().is_some_and(|frame| frame.indent > indent) {
                    stack.pop();
                }
            }
            let Some((key, after_colon)) = parse_key(rest) else {
                if let Some(comment) = trailing_comment(rest) {
                    document
                        .comments
                        .push(rest_start + comment..line.content_end);
                }
                continue;
            };
            while stack.last().is_some_and(|frame| frame.indent > column) {
                stack.pop();
            }
            if item || stack.last().is_none_or(|frame| frame.indent != column) {
                let parent = stack.last().and_then(|frame| frame.last_key.clone());
                stack.push(Frame {
                    indent: column,
                    id: next_id,
                    parent,
                    last_key: None,
                });
                next_id += 1;
            }
            let Some(frame) = stack.last_mut() else {
                continue;
            };
            let key_range = rest_start + key.start..rest_start + key.end;
            frame.last_key = Some(text[key_range.clone()].to_owned());
            let parent = frame.parent.clone();
            let mapping = frame.id;
            let (value, comment, block) = parse_value(rest, after_colon);
            if let Some(comment) = comment {
                document
                    .comments
                    .push(rest_start + comment..line.content_end);
            }
            if block {
                block_indent = Some(column);
            }
            document.entries.push(Entry {
                key: key_range,
                value: value.map(|(inner, outer, _quote)| Value {
                    inner: rest_start + inner.start..rest_start + inner.end,
                    outer: rest_start + outer.start..rest_start + outer.end,
                }),
                mapping,
                parent,
            });
        }
        for entry in &document.entries {
            let key = &text[entry.key.clone()];
            if HTTP_KEYS.contains(&key) {
                document.http_mappings.insert(entry.mapping);
            }
            if let Some(value) = entry.value.as_ref().filter(|_| MODULE_KEYS.contains(&key)) {
                document
                    .modules
                    .entry(entry.mapping)
                    .or_default()
                    .push(text[value.inner.clone()].to_owned());
            }
        }
        document
    }

    /// The last entry whose key starts at or before `at`: the one on the line of `at`, when
    /// that line has one, found by a binary search (entries are one per line, in order).
    fn entry_at(&self, at: usize) -> Option<&Entry> {
        let candidates = self.entries.partition_point(|entry| entry.key.start <= at);
        candidates.checked_sub(1).map(|last| &self.entries[last])
    }
}

/// The key of a `key: value` line (without quotes) and the offset just past its `:`.
fn parse_key(rest: &str) -> Option<(Range<usize>, usize)> {
    let bytes = rest.as_bytes();
    let first = *bytes.first()?;
    if first == b'"' || first == b'\'' {
        let close = closing_quote(rest, 0)?;
        let after = &rest[close + 1..];
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        let colon = close + 1 + spaces;
        if bytes.get(colon) != Some(&b':') || !ends_token(bytes.get(colon + 1)) {
            return None;
        }
        return Some((1..close, colon + 1));
    }
    if b"[{&*!|>%@`?#,".contains(&first) {
        return None;
    }
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b':' && ends_token(bytes.get(at + 1)) {
            let key = rest[..at].trim_end();
            if key.is_empty() || key.contains(" #") {
                return None;
            }
            return Some((0..key.len(), at + 1));
        }
        if bytes[at] == b'#' && at > 0 && bytes[at - 1] == b' ' {
            return None;
        }
        at += 1;
    }
    None
}

fn ends_token(byte: Option<&u8>) -> bool {
    matches!(byte, None | Some(b' ' | b'\t'))
}

/// The index of the quote closing the one at `open`: `\"` escapes in double quotes, `''` in
/// single ones.
fn closing_quote(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = bytes[open];
    let mut at = open + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            byte if byte == quote => {
                if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') {
                    at += 2;
                } else {
                    return Some(at);
                }
            }
            _ => at += 1,
        }
    }
    None
}

type ParsedValue = (Range<usize>, Range<usize>, &'static str);

/// The scalar after a key (inner range, outer range, quote), the start of a trailing comment,
/// and whether a block scalar starts here; offsets are in `rest`.
fn parse_value(rest: &str, after_colon: usize) -> (Option<ParsedValue>, Option<usize>, bool) {
    let after = &rest[after_colon..];
    let start = after_colon + (after.len() - after.trim_start_matches([' ', '\t']).len());
    let value = rest[start..].trim_end();
    if value.is_empty() {
        return (None, None, false);
    }
    if value.starts_with('#') {
        return (None, Some(start), false);
    }
    if value.starts_with('|') || value.starts_with('>') {
        let comment = trailing_comment(&rest[start..]).map(|at| start + at);
        return (None, comment, true);
    }
    if value.starts_with('"') || value.starts_with('\'') {
        let quote = if value.starts_with('"') { "\"" } else { "'" };
        let Some(close) = closing_quote(rest, start) else {
            return (None, None, false);
        };
        let comment = trailing_comment(&rest[close + 1..]).map(|at| close + 1 + at);
        return (
            Some((start + 1..close, start..close + 1, quote)),
            comment,
            false,
        );
    }
    let comment = trailing_comment(&rest[start..]).map(|at| start + at);
    let end = comment.unwrap_or(rest.len());
    let end = start + rest[start..end].trim_end().len();
    (Some((start..end, start..end, "")), comment, false)
}

/// Where a ` #` comment starts in an unquoted stretch (quoted parts skipped).
fn trailing_comment(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' | b'\''
                if at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'[' | b'{' | b',') =>
            {
                at = closing_quote(text, at).map_or(bytes.len(), |close| close + 1);
            }
            b'#' if at == 0 || matches!(bytes[at - 1], b' ' | b'\t') => return Some(at),
            _ => at += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::testing::{self, actions, in_project};

    fn map() -> ScriptMap {
        testing::map_with(&[
            (
                "nova-api-wsgi",
                in_project("nova.wsgi.osapi_compute", "openstack/nova"),
            ),
            (
                "keystone-wsgi-public",
                in_project("keystone.wsgi.api", "openstack/keystone"),
            ),
            (
                "glance-wsgi-api",
                in_project("glance.wsgi.api", "openstack/glance"),
            ),
            (
                "trove-wsgi",
                in_project("trove.cmd.app_wsgi", "openstack/trove"),
            ),
        ])
    }

    /// `scan` only, with a context the test collected itself.
    fn scan_with(path: &str, text: &str, context: &Context) -> (String, Vec<Finding>) {
        testing::run_with_context(&Yaml, path, text, &map(), context)
    }

    fn scan(path: &str, text: &str) -> (String, Vec<Finding>) {
        testing::run(&Yaml, path, text, &map())
    }

    #[test]
    fn claims_yaml_names() {
        for path in [
            "nova/values.yaml",
            "defaults/main.yml",
            "t/x.yaml.j2",
            "t/x.yml.j2",
            "t/x.yaml.tpl",
        ] {
            assert!(Yaml.claims(path), "{path}");
        }
        assert!(!Yaml.claims("x.json"));
        assert!(!Yaml.claims("yaml/x.ini"));
    }

    #[test]
    fn helm_values_keep_indentation_quotes_and_comments() {
        let text = "conf:\r\n  nova_api_uwsgi:\r\n    uwsgi:\r\n      master: true\r\n      wsgi-file: /var/lib/openstack/bin/nova-api-wsgi  # the API\r\n  keystone_uwsgi:\r\n    uwsgi:\r\n      file: \"{{ bin }}/keystone-wsgi-public\"\r\n";
        let (after, findings) = scan("nova/values.yaml", text);
        assert_eq!(actions(&findings), vec![Action::Rewrite, Action::Rewrite]);
        assert_eq!(
            after,
            "conf:\r\n  nova_api_uwsgi:\r\n    uwsgi:\r\n      master: true\r\n      module: nova.wsgi.osapi_compute:application  # the API\r\n  keystone_uwsgi:\r\n    uwsgi:\r\n      module: \"keystone.wsgi.api:application\"\r\n"
        );
        let (again, findings) = scan("nova/values.yaml", &after);
        assert_eq!(again, after);
        assert!(findings.is_empty());
    }

    #[test]
    fn single_quotes_and_quoted_keys() {
        let (after, _) = scan(
            "x.yaml",
            "uwsgi:\n  'wsgi-file': '/usr/bin/nova-api-wsgi'\n",
        );
        assert_eq!(
            after,
            "uwsgi:\n  'module': 'nova.wsgi.osapi_compute:application'\n"
        );
    }

    #[test]
    fn unmapped_loads_are_manual() {
        let text = "monasca:\n  wsgi_file: \"/var/lib/kolla/venv/bin/monasca-api-wsgi\"\nlogs:\n  - /var/log/containers/httpd/nova-api-wsgi:/var/log/httpd\n# placement-api: false\n";
        let (after, findings) = scan("ansible/roles/monasca/defaults/main.yml", text);
        assert_eq!(after, text);
        let codes: Vec<(Code, Action)> = findings.iter().map(|f| (f.code, f.action)).collect();
        // The log directory is named after the service and the toggle is commented out: the
        // only manual finding is the load.
        let manual: Vec<Code> = codes
            .iter()
            .filter(|(_, action)| *action == Action::Manual)
            .map(|(code, _)| *code)
            .collect();
        assert_eq!(manual, vec![Code::UnmigratedScriptLoad], "{codes:?}");
    }

    #[test]
    fn file_only_under_uwsgi() {
        let text = "app:\n  file: /usr/bin/nova-api-wsgi\nuwsgi:\n  socket: /run/x\n  file: /usr/bin/nova-api-wsgi\n";
        let (after, findings) = scan("x.yml", text);
        assert_eq!(actions(&findings), vec![Action::Manual, Action::Rewrite]);
        assert_eq!(
            after,
            "app:\n  file: /usr/bin/nova-api-wsgi\nuwsgi:\n  socket: /run/x\n  module: nova.wsgi.osapi_compute:application\n"
        );
    }

    #[test]
    fn transitional_mapping_is_ok() {
        let text = "uwsgi:\n  module: \"nova.wsgi.osapi_compute:application\"\n  nested:\n    x: 1\n  wsgi-file: /usr/bin/nova-api-wsgi\nother:\n  wsgi-file: /usr/bin/nova-api-wsgi\n";
        let (_, findings) = scan("x.yaml", text);
        assert_eq!(actions(&findings), vec![Action::Ok, Action::Rewrite]);
    }

    #[test]
    fn comments_blocks_and_other_keys_are_manual() {
        let text = "uwsgi:\n  # wsgi-file: /usr/bin/nova-api-wsgi\n  procname: nova-api-wsgi\n  exec-pre-app: nova-api-wsgi --x\n  wsgi-file: /usr/bin/nova-api-wsgi --x\nconf:\n  vhost: |\n    WSGIScriptAlias / /usr/bin/keystone-wsgi-public\n    wsgi-file = /usr/bin/nova-api-wsgi\ncommand:\n  - uwsgi\n  - --wsgi-file\n  - /usr/bin/nova-api-wsgi\nx: 1 # nova-api-wsgi\n";
        // The trailing comment is prose: no finding.
        let (after, findings) = scan("x.yaml", text);
        assert_eq!(after, text);
        assert_eq!(
            actions(&findings),
            vec![
                Action::Manual,
                Action::Ok,
                Action::Manual,
                Action::Manual,
                Action::Manual,
                Action::Manual,
                Action::Manual
            ]
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert!(messages[0].contains("commented-out"));
        assert!(messages[1].contains("`procname` names"));
        assert!(messages[2].contains("`exec-pre-app` mentions"));
        assert!(messages[3].contains("not a plain path"));
        assert!(messages[4].contains("mod_wsgi"));
        assert!(messages[5].contains("`module = nova.wsgi.osapi_compute:application`"));
        assert!(messages[6].contains("--module nova.wsgi.osapi_compute:application"));
    }

    #[test]
    fn pinned_overrides_and_release_notes_are_ok() {
        let text = "conf:\n  nova_api_uwsgi:\n    uwsgi:\n      wsgi-file: /var/lib/openstack/bin/nova-api-wsgi\n";
        for path in [
            "values_overrides/nova/2024.2-ubuntu_jammy.yaml",
            "values_overrides/manila/loci-2025.1-ubuntu_noble.yaml",
            "values_overrides/2025.1/nova.yaml",
            "releasenotes/notes/x-123.yaml",
        ] {
            let (after, findings) = scan(path, text);
            assert_eq!(after, text);
            assert_eq!(actions(&findings), vec![Action::Ok], "{path}");
        }
        let (_, findings) = scan("values_overrides/nova/2024.2-ubuntu_jammy.yaml", text);
        assert!(findings[0].message.contains("OpenStack 2024.2:"));
        let (_, findings) = scan("values_overrides/nova/apparmor.yaml", text);
        assert_eq!(actions(&findings), vec![Action::Rewrite]);
    }

    #[test]
    fn kolla_service_dict_and_its_reader() {
        let defaults = "trove_services:\n  trove-api:\n    container_name: trove_api\n    wsgi_file: \"/var/lib/kolla/venv/bin/trove-wsgi\"\n    haproxy:\n      x: 1\n";
        let tasks = "- include_role:\n    name: service-uwsgi-config\n  vars:\n    service_uwsgi_config_wsgi_file: \"{{ service.wsgi_file }}\"\n";
        let mut context = Context::default();
        Yaml.collect(
            "ansible/roles/trove/defaults/main.yml",
            defaults,
            &map(),
            &mut context,
        );
        let (after, findings) =
            scan_with("ansible/roles/trove/defaults/main.yml", defaults, &context);
        assert_eq!(actions(&findings), vec![Action::Rewrite]);
        assert_eq!(
            after,
            "trove_services:\n  trove-api:\n    container_name: trove_api\n    wsgi: \"trove.cmd.app_wsgi:application\"\n    haproxy:\n      x: 1\n"
        );
        let (_, findings) = scan_with("ansible/roles/trove/tasks/config.yml", tasks, &context);
        assert_eq!(actions(&findings), vec![Action::Manual]);
        assert!(findings[0].script.is_none());
        assert!(
            findings[0]
                .message
                .contains("service_uwsgi_config_module: \"{{ service.wsgi }}\"")
        );
        // After the rewrite the role still loads a mapped app, so the reader is still reported.
        let mut context = Context::default();
        Yaml.collect(
            "ansible/roles/trove/defaults/main.yml",
            &after,
            &map(),
            &mut context,
        );
        let (_, findings) = scan_with("ansible/roles/trove/tasks/config.yml", tasks, &context);
        assert_eq!(actions(&findings), vec![Action::Manual]);
        // Another role's reader is not.
        let (_, findings) = scan_with("ansible/roles/nova/tasks/config.yml", tasks, &context);
        assert!(findings.is_empty());
    }

    #[test]
    fn openstack_ansible_is_manual() {
        let defaults = "nova_services:\n  nova-api-os-compute:\n    wsgi_app: True\n    wsgi_name: nova-api-wsgi\nkeystone_services:\n  keystone-wsgi-public:\n    wsgi_path: \"{{ keystone_bin }}/keystone-wsgi-public\"\n";
        let vars = "uwsgi:\n  - 'wsgi_path':  nova_bin ~ '/' ~ value.wsgi_name,\n";
        let mut context = Context::default();
        Yaml.collect("defaults/main.yml", defaults, &map(), &mut context);
        let (after, findings) = scan_with("defaults/main.yml", defaults, &context);
        assert_eq!(after, defaults);
        assert_eq!(
            actions(&findings),
            vec![Action::Manual, Action::Ok, Action::Manual]
        );
        assert!(
            findings[0]
                .message
                .contains("`wsgi: \"nova.wsgi.osapi_compute:application\"`")
        );
        assert!(
            findings[2]
                .message
                .contains("`wsgi: \"keystone.wsgi.api:application\"`")
        );
        let (_, findings) = scan_with("vars/main.yml", vars, &context);
        assert_eq!(actions(&findings), vec![Action::Manual]);
        assert!(findings[0].message.contains("delete this line"));
        assert_eq!(findings[0].offset, vars.find(".wsgi_name").unwrap());
    }

    #[test]
    fn glance_in_http_mode_is_warned_about() {
        let (_, findings) = scan(
            "x.yaml",
            "uwsgi:\n  http-socket: :9292\n  wsgi-file: /usr/bin/glance-wsgi-api\n",
        );
        assert!(findings[0].warning.as_deref().unwrap().contains("Glance"));
        let (_, findings) = scan(
            "x.yaml",
            "uwsgi:\n  socket: /run/g.sock\n  wsgi-file: /usr/bin/glance-wsgi-api\n",
        );
        assert!(findings[0].warning.is_none());
    }

    #[test]
    fn sequence_items_are_separate_mappings() {
        let text = "apps:\n  - module: nova.wsgi.osapi_compute:application\n  - wsgi-file: /usr/bin/nova-api-wsgi\n  -\n    module: nova.wsgi.osapi_compute\n    wsgi-file: /usr/bin/nova-api-wsgi\n";
        let (_, findings) = scan("x.yaml", text);
        assert_eq!(actions(&findings), vec![Action::Rewrite, Action::Ok]);
    }

    #[test]
    fn bom_and_jinja_templates() {
        let text = "\u{feff}uwsgi:\n{% if tls %}\n  https: :8774\n{% endif %}\n  wsgi-file: {{ nova_bin }}/nova-api-wsgi\n";
        let (after, findings) = scan("templates/nova-api.yaml.j2", text);
        assert_eq!(actions(&findings), vec![Action::Rewrite]);
        assert_eq!(
            after,
            "\u{feff}uwsgi:\n{% if tls %}\n  https: :8774\n{% endif %}\n  module: nova.wsgi.osapi_compute:application\n"
        );
    }

    #[test]
    fn helpers() {
        assert!(is_path_prefix(""));
        assert!(is_path_prefix("/usr/bin/"));
        assert!(is_path_prefix("{{ bin_dir }}/"));
        assert!(!is_path_prefix("x /usr/bin/"));
        assert!(!is_path_prefix("/usr/bin"));
        assert_eq!(
            pinned_release("a/values_overrides/n/2025.10-x.yaml"),
            Some("2025.10")
        );
        assert_eq!(pinned_release("values_overrides/n/ubuntu.yaml"), None);
        assert_eq!(pinned_release("2025.1-x.yaml"), None);
        assert_eq!(
            role_of("ansible/roles/nova/tasks/config.yml"),
            "ansible/roles/nova/"
        );
        assert_eq!(role_of("vars/main.yml"), "");
        assert_eq!(role_of("x/values.yaml"), "x/values.yaml");
    }
}
