//! The one model of "a WSGI server loads this", and the one decision made about it.
//!
//! A *directive* is a place where a server or a deployment tool is told which WSGI application
//! to load: uWSGI's `wsgi-file`/`module` in any syntax, mod_wsgi's `WSGIScriptAlias`, DevStack's
//! helpers and variables, a kolla `wsgi_file`, a command line's `--wsgi-file`. Each dialect only
//! *reads*: it finds its directives with their spans and says how the directive would be
//! written as a module load, if it can be. Whether the directive is a finding, of which kind,
//! with which message and fix, is decided here, once, for every dialect:
//!
//! - a script the map knows: rewrite it to the module (or report it, where the syntax cannot
//!   load a module, or the map's entry carries a caveat);
//! - a script the registry knows its project never migrated, or any other extensionless file,
//!   which is what PBR generated: `manual`, saying how to name its module;
//! - a `.py` or `.wsgi` file: `manual` (or a rewrite to the dotted module, when a planned tree
//!   holds that module and it defines `application`);
//! - a value a template or variable supplies that cannot be followed: one `manual` per directive;
//! - a module path: nothing to do, unless the map names another module for the same script;
//! - a commented-out directive that would load any of the above: `manual`, never rewritten.
//!
//! Mentions of a script's name that are not directives (prose, host names, packages, services,
//! processes) are no findings at all: only the dialects' own rules about copies of scripts and
//! the like add to what is decided here.

use std::ops::Range;

use crate::code::Code;
use crate::dialect::{Finding, GLANCE_WARNING, LoadedFile, ScriptMap};
use crate::project::registry;
use crate::syntax::edit::Edit;
use crate::syntax::python;

/// What a directive's value is to the server: a file to load, or a module path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loads {
    File,
    Module,
}

/// How a dialect writes the directive as a module load: the key to rename (if the module goes
/// under another key), the value to replace with `module:attribute`, and a closing name to
/// rename with the key (XML's `</wsgi-file>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub key: Option<(Range<usize>, &'static str)>,
    pub value: Range<usize>,
    pub closing: Option<(Range<usize>, &'static str)>,
}

/// One place where a server is told what to load.
#[derive(Debug, Clone)]
pub struct Directive {
    /// The value as written, without its quotes.
    pub value: Range<usize>,
    pub loads: Loads,
    /// The directive is in a comment: nobody runs it, so it is never rewritten.
    pub commented: bool,
    /// How to write it as a module load; `None` where the syntax cannot load a module (mod_wsgi).
    pub rewrite: Option<Rewrite>,
    /// What a person must do instead, where there is no rewrite: the dialect's own advice for
    /// the known module `module:attribute` (mod_wsgi needs a file, say).
    pub advice: Option<fn(&str, &ScriptMap, &str) -> String>,
    /// Modules the same config already loads beside this directive: uWSGI loads a `module`
    /// before a `wsgi-file`, so a config with both is a working transitional one.
    pub sibling_modules: Vec<String>,
    /// The server runs in uWSGI's HTTP mode, where Glance does not fully work.
    pub http_mode: bool,
    /// Why this directive is pinned to a release that ships no module, if it is.
    pub pinned: Option<String>,
    /// How to name the directive in messages (`wsgi-file`, `WSGIScriptAlias`).
    pub name: String,
}

impl Directive {
    pub fn new(name: impl Into<String>, value: Range<usize>, loads: Loads) -> Directive {
        Directive {
            value,
            loads,
            commented: false,
            rewrite: None,
            advice: None,
            sibling_modules: Vec::new(),
            http_mode: false,
            pinned: None,
            name: name.into(),
        }
    }
}

/// What a directive's value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded<'m> {
    /// A script the map knows.
    Script(&'m str),
    /// A script whose project never shipped a module (the registry says so).
    Unmigrated(String),
    /// Any other extensionless file: a PBR-generated script nobody mapped.
    UnknownScript(String),
    /// A `.py` or `.wsgi` file, as written.
    File(String),
    /// A template or variable supplies the value.
    Templated,
    /// A module path.
    Module(String),
    /// Nothing a WSGI server loads (an empty value, a directory).
    Nothing,
}

/// What `value` (as written, without quotes) names, for a directive that loads `loads`.
pub fn classify<'m>(value: &str, loads: Loads, map: &'m ScriptMap) -> Loaded<'m> {
    let value = value.trim();
    if value.is_empty() {
        return Loaded::Nothing;
    }
    if loads == Loads::Module {
        // A templated module is the module branch of a template: what the migration writes.
        return Loaded::Module(value.to_owned());
    }
    let looked_up = lookup_argument(value);
    let value = looked_up.unwrap_or(value);
    // A word that names two scripts, or holds spaces or a list, is no path to one file.
    if map.mentions(value).len() > 1
        || without_templates(value).contains([' ', '\t', ',', '\'', '"', ';', '|'])
    {
        return Loaded::Nothing;
    }
    let name = last_component(value);
    if name.is_empty() {
        return Loaded::Nothing;
    }
    if let Some(script) = map
        .iter()
        .map(|(script, _)| script)
        .find(|script| *script == name)
    {
        return Loaded::Script(script);
    }
    if is_templated(name) {
        return Loaded::Templated;
    }
    // A file of an installed package (`.../site-packages/aodh/api/app`) is a source file too.
    let in_package = ["site-packages/", "dist-packages/"]
        .iter()
        .any(|packages| value.contains(packages));
    if name.ends_with(".py") || name.ends_with(".wsgi") || in_package {
        return Loaded::File(value.to_owned());
    }
    if python::script_name_problem(name).is_some()
        || name.contains('.')
        || SERVERS.contains(&name)
        || map.ships(name)
    {
        return Loaded::Nothing;
    }
    // A bare word (`True`, a service name) is no path to a generated script.
    if looked_up.is_none() && !value.contains('/') {
        return Loaded::Nothing;
    }
    match registry::lookup(name) {
        Some(known) if known.module.is_empty() => Loaded::Unmigrated(name.to_owned()),
        _ => Loaded::UnknownScript(name.to_owned()),
    }
}

/// Programs in a bin directory that serve applications rather than being one.
const SERVERS: [&str; 9] = [
    "uwsgi",
    "gunicorn",
    "python",
    "python3",
    "httpd",
    "apache2",
    "mod_wsgi-express",
    "waitress-serve",
    "uvicorn",
];

/// Whether a directive's value (`$FOO_DIR/foo/api/app.py`, `/opt/stack/foo/foo/api/app.py`)
/// names `file`, a path inside a planned tree (`foo/api/app.py`): the value is the path, or ends
/// with it after a `/`.
pub fn names_file(value: &str, file: &str) -> bool {
    value
        .strip_suffix(file)
        .is_some_and(|dir| dir.is_empty() || dir.ends_with('/'))
}

/// The argument of a `$(which x)`-style lookup, which finds the script on the PATH.
fn lookup_argument(value: &str) -> Option<&str> {
    ["$(which ", "$(type -p ", "$(command -v ", "`which "]
        .iter()
        .find_map(|open| value.strip_prefix(open))
        .map(|rest| rest.trim_end_matches([')', '`']).trim())
}

/// The last `/`-separated component of a path, counting a template expression as one
/// component however many slashes it holds.
pub fn last_component(value: &str) -> &str {
    let bytes = value.as_bytes();
    let mut depth = 0usize;
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(b"{{") || bytes[at..].starts_with(b"{%") {
            depth += 1;
            at += 2;
            continue;
        }
        if (bytes[at..].starts_with(b"}}") || bytes[at..].starts_with(b"%}")) && depth > 0 {
            depth -= 1;
            at += 2;
            continue;
        }
        if bytes[at] == b'/' && depth == 0 {
            start = at + 1;
        }
        at += 1;
    }
    &value[start..]
}

/// `value` with every `{{ ... }}`, `{% ... %}` and `<% ... %>` expression blanked out.
fn without_templates(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(open) = ["{{", "{%", "<%"]
        .iter()
        .filter_map(|open| rest.find(open).map(|at| (at, *open)))
        .min()
    {
        let (at, open) = open;
        out.push_str(&rest[..at]);
        let close = match open {
            "{{" => "}}",
            "{%" => "%}",
            _ => "%>",
        };
        match rest[at..].find(close) {
            Some(end) => {
                out.push('T');
                rest = &rest[at + end + close.len()..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a value, or part of one, is filled in by a template engine or a shell.
pub fn is_templated(value: &str) -> bool {
    ["{{", "{%", "$", "<%", "%("]
        .iter()
        .any(|marker| value.contains(marker))
        || placeholder(value)
}

/// A DevStack-style `%NAME%` placeholder, filled in by `sed`.
fn placeholder(value: &str) -> bool {
    value
        .split('%')
        .skip(1)
        .step_by(2)
        .any(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        && value.matches('%').count() >= 2
}

/// The directives written out in a line of prose or of a file in no known syntax (docs, a
/// Sphinx include, a README): `WSGIScriptAlias URL FILE`, `wsgi-file = FILE`, `wsgi-file: FILE`,
/// `--wsgi-file FILE`, `UWSGI_WSGI_FILE=FILE`. Each comes with its name and the span of the
/// file, quotes and backticks excluded; offsets are relative to `line`.
pub fn in_prose(line: &str) -> Vec<(&'static str, Range<usize>)> {
    let mut found = Vec::new();
    let lower = line.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("wsgiscriptalias").map(|at| from + at) {
        from = at + "wsgiscriptalias".len();
        let name = if lower[from..].starts_with("match") {
            from += "match".len();
            "WSGIScriptAliasMatch"
        } else {
            "WSGIScriptAlias"
        };
        let words = prose_words(line, from);
        if let Some(file) = words.get(1) {
            found.push((name, file.clone()));
        }
    }
    for key in ["wsgi-file", "wsgi_file", "UWSGI_WSGI_FILE"] {
        let mut from = 0;
        while let Some(at) = line[from..].find(key).map(|at| from + at) {
            from = at + key.len();
            let before_ok = at == 0
                || !line.as_bytes()[at - 1].is_ascii_alphanumeric()
                    && line.as_bytes()[at - 1] != b'_';
            let rest = &line[from..];
            let separator = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let after = &rest[separator..];
            let value_from = if let Some(stripped) = after.strip_prefix(['=', ':']) {
                from + separator + 1 + (stripped.len() - stripped.trim_start().len())
            } else if separator > 0 && line[..at].ends_with("--") {
                from + separator
            } else {
                continue;
            };
            if let (true, Some(word)) = (before_ok, prose_words(line, value_from).first()) {
                let name = if key == "UWSGI_WSGI_FILE" {
                    key
                } else {
                    "wsgi-file"
                };
                found.push((name, word.clone()));
            }
        }
    }
    found
}

/// The words of `line` from `from`, without the quotes or backticks around them.
fn prose_words(line: &str, from: usize) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let bytes = line.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'`' | b'"' | b'\'' | b'\\') {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !matches!(bytes[at], b' ' | b'\t' | b'`' | b'"' | b'\'' | b'\\') {
            at += 1;
        }
        if start < at {
            words.push(start..at);
        }
        if words.len() == 3 {
            break;
        }
    }
    words
}

/// The finding a directive in `text` is, if any: the one decision every dialect uses.
pub fn decide(directive: &Directive, text: &str, map: &ScriptMap) -> Option<Finding> {
    let at = directive.value.start;
    let value = &text[directive.value.clone()];
    let loaded = classify(value, directive.loads, map);
    let shown = value.trim();
    if directive.commented {
        return commented(directive, &loaded, map, at);
    }
    match loaded {
        // At the script's name, where the dialects' other findings about it are.
        Loaded::Script(script) => {
            let at = at + value.rfind(script).unwrap_or(0);
            Some(known_script(directive, text, script, map, at))
        }
        Loaded::Unmigrated(name) => Some(
            Finding::manual(
                at,
                &name,
                format!(
                    "loads `{name}`, a PBR-generated script that current pip no longer installs, and \
                     its project never shipped a module: write one that exposes `application` and \
                     name it with `--name {name}=PACKAGE.wsgi.SERVER` or `--map`"
                ),
            )
            .with_code(Code::UnmigratedScriptLoad),
        ),
        Loaded::UnknownScript(name) => Some(
            Finding::manual(
                at,
                &name,
                format!(
                    "loads `{name}`, a PBR-generated script that current pip no longer installs: \
                     name its module with `--name {name}=PACKAGE.wsgi.SERVER` or `--map FILE`, or \
                     plan the service repository alongside"
                ),
            )
            .with_code(Code::UnknownScriptLoad),
        ),
        Loaded::File(path) => in_tree_file(directive, &path, map, at),
        // Beside a module branch, a templated file is the fallback the migration keeps; under
        // mod_wsgi, which can only load a file, the value is judged where it is defined.
        Loaded::Templated if !directive.sibling_modules.is_empty() || directive.rewrite.is_none() => {
            None
        }
        Loaded::Templated => {
            let instead = if directive.rewrite.is_some() {
                "add a branch that loads the service's module (`PACKAGE.wsgi.SERVER:application`) \
                 instead"
            } else {
                "make it name a file that imports `application` from the service's module (mod_wsgi \
                 cannot load a module path)"
            };
            Some(Finding {
                script: None,
                ..Finding::manual(
                    at,
                    "",
                    format!(
                        "`{}` loads `{shown}`, which a template or variable fills in: where it names \
                         a PBR-generated script, {instead}",
                        directive.name
                    ),
                )
                .with_code(Code::TemplatedLoad)
            })
        }
        Loaded::Module(module) => module_load(directive, &module, at),
        Loaded::Nothing => None,
    }
}

/// The edits that make a directive load `spec`.
fn rewrite_edits(rewrite: &Rewrite, spec: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    if let Some((range, key)) = &rewrite.key {
        edits.push(Edit::replace(range.clone(), *key));
    }
    edits.push(Edit::replace(rewrite.value.clone(), spec));
    if let Some((range, key)) = &rewrite.closing {
        edits.push(Edit::replace(range.clone(), *key));
    }
    edits
}

/// `replace `wsgi-file = /usr/bin/x` with `module = x.wsgi.api:application``: the directive as
/// written, and as the edits leave it.
fn replacement_message(text: &str, rewrite: &Rewrite, edits: &[Edit]) -> String {
    let start = rewrite
        .key
        .as_ref()
        .map_or(rewrite.value.start, |(key, _)| {
            key.start.min(rewrite.value.start)
        });
    let end = rewrite
        .closing
        .as_ref()
        .map_or(rewrite.value.end, |(closing, _)| {
            closing.end.max(rewrite.value.end)
        });
    // Show the quotes around a quoted key and value too.
    let quoted = |at: usize| matches!(text.as_bytes().get(at), Some(b'"' | b'\''));
    let start = if start > 0 && quoted(start - 1) {
        start - 1
    } else {
        start
    };
    let end = if quoted(end) { end + 1 } else { end };
    let shifted: Vec<Edit> = edits
        .iter()
        .map(|edit| {
            Edit::replace(
                edit.range.start - start..edit.range.end - start,
                edit.replacement.clone(),
            )
        })
        .collect();
    let before = &text[start..end];
    let after =
        crate::syntax::edit::apply_edits(before, &shifted).unwrap_or_else(|_| before.to_owned());
    format!("replace `{before}` with `{after}`")
}

fn known_script(
    directive: &Directive,
    text: &str,
    script: &str,
    map: &ScriptMap,
    at: usize,
) -> Finding {
    let target = map.target(script).expect("a script the map knows");
    let spec = target.spec();
    if let Some(why) = &directive.pinned {
        // The rewrite is kept, to be shown, never written.
        return Finding {
            edits: directive
                .rewrite
                .as_ref()
                .map_or_else(Vec::new, |rewrite| rewrite_edits(rewrite, &spec)),
            ..Finding::ok(at, script, why.clone())
        }
        .with_code(Code::ReleasePinned);
    }
    if directive
        .sibling_modules
        .iter()
        .any(|module| [spec.as_str(), target.module.as_str()].contains(&module.as_str()))
    {
        return Finding::ok(
            at,
            script,
            format!(
                "transitional config: `{spec}` is loaded too, and uWSGI loads the module before `{}`",
                directive.name
            ),
        )
        .with_code(Code::ScriptLoad);
    }
    let Some(rewrite) = &directive.rewrite else {
        let message = match directive.advice {
            Some(advice) => advice(script, map, &spec),
            None => format!("loads the `{script}` script; load `{spec}` instead"),
        };
        return Finding::manual(at, script, message).with_code(Code::ScriptLoad);
    };
    let edits = rewrite_edits(rewrite, &spec);
    let message = replacement_message(text, rewrite, &edits);
    let mut finding = Finding::rewrite(at, script, message, edits);
    if directive.http_mode && map.is_glance(script) {
        finding = finding.warn(GLANCE_WARNING.to_owned());
    }
    finding
}

fn in_tree_file(directive: &Directive, path: &str, map: &ScriptMap, at: usize) -> Option<Finding> {
    // mod_wsgi can only load a file: a module's own `.py` file is what the migration gives it.
    if directive.rewrite.is_none() && path.ends_with(".py") {
        return None;
    }
    Some(Finding {
        loads_file: Some(LoadedFile {
            path: path.to_owned(),
            rewritable: directive.rewrite.is_some(),
        }),
        ..in_tree_load(directive, path, map, at)
    })
}

fn in_tree_load(directive: &Directive, path: &str, map: &ScriptMap, at: usize) -> Finding {
    let name = last_component(path);
    let instead = map
        .file_module(path)
        .map(|module| format!("the module `{module}:application`"))
        .unwrap_or_else(|| {
            "the service's `PACKAGE.wsgi.SERVER:application` module (plan the service repository \
             alongside to have it generated)"
                .to_owned()
        });
    if let (Some(module), Some(rewrite)) = (map.file_module(path), &directive.rewrite) {
        let spec = format!("{module}:application");
        let edits = rewrite_edits(rewrite, &spec);
        return Finding {
            script: None,
            ..Finding::rewrite(
                at,
                name,
                format!(
                    "`{}` loads the file `{name}`; load `{spec}` instead",
                    directive.name
                ),
                edits,
            )
        }
        .with_code(Code::InTreeFileLoad);
    }
    Finding {
        script: None,
        ..Finding::manual(
            at,
            name,
            format!(
                "`{}` loads the file `{path}`, not a module: load {instead} instead",
                directive.name
            ),
        )
    }
    .with_code(Code::InTreeFileLoad)
}

fn module_load(directive: &Directive, module: &str, at: usize) -> Option<Finding> {
    Some(
        Finding {
            script: None,
            ..Finding::ok(
                at,
                "",
                format!("`{}` loads the module `{module}`", directive.name),
            )
        }
        .with_code(Code::ModuleLoad),
    )
}

fn commented(
    directive: &Directive,
    loaded: &Loaded<'_>,
    map: &ScriptMap,
    at: usize,
) -> Option<Finding> {
    let (script, instead) = match loaded {
        Loaded::Script(script) => (*script, format!("`{}`", map.app_spec(script)?)),
        Loaded::Unmigrated(name) | Loaded::UnknownScript(name) => {
            (name.as_str(), "the service's module".to_owned())
        }
        Loaded::File(path) => (last_component(path), "the service's module".to_owned()),
        Loaded::Templated | Loaded::Module(_) | Loaded::Nothing => return None,
    };
    Some(
        Finding::manual(
            at,
            script,
            format!(
                "a commented-out `{}` loads `{script}` (commented-out config is not rewritten); \
                 if you keep it, load {instead} there",
                directive.name
            ),
        )
        .with_code(Code::CommentedLoad),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::testing;

    fn loaded(value: &str) -> Loaded<'static> {
        let map = Box::leak(Box::new(testing::map(&[(
            "nova-api-wsgi",
            "nova.wsgi.osapi_compute",
        )])));
        classify(value, Loads::File, map)
    }

    #[test]
    fn values_are_classified_by_what_they_name() {
        assert_eq!(
            loaded("/usr/local/bin/nova-api-wsgi"),
            Loaded::Script("nova-api-wsgi")
        );
        assert_eq!(
            loaded("$(which nova-api-wsgi)"),
            Loaded::Script("nova-api-wsgi")
        );
        assert_eq!(
            loaded("{{ nova_bin }}/nova-api-wsgi"),
            Loaded::Script("nova-api-wsgi")
        );
        assert_eq!(
            loaded("/usr/local/bin/foo-api-wsgi"),
            Loaded::UnknownScript("foo-api-wsgi".into())
        );
        assert_eq!(
            loaded("$FOO_BIN_DIR/foo-api"),
            Loaded::UnknownScript("foo-api".into())
        );
        assert_eq!(
            loaded("/usr/local/bin/monasca-api-wsgi"),
            Loaded::Unmigrated("monasca-api-wsgi".into())
        );
        assert_eq!(
            loaded("$FOO_DIR/foo/api/app.py"),
            Loaded::File("$FOO_DIR/foo/api/app.py".into())
        );
        assert_eq!(
            loaded("{{ nova_bin }}/{{ item.wsgi_name }}"),
            Loaded::Templated
        );
        assert_eq!(loaded("$wsgi"), Loaded::Templated);
        assert_eq!(loaded("%WSGIAPP%"), Loaded::Templated);
        assert_eq!(loaded(""), Loaded::Nothing);
        assert_eq!(loaded("/etc/nova/"), Loaded::Nothing);
        assert_eq!(
            loaded("/usr/lib/python3/dist-packages/aodh/api/app"),
            Loaded::File("/usr/lib/python3/dist-packages/aodh/api/app".into())
        );
    }

    #[test]
    fn directives_are_read_out_of_prose() {
        assert!(in_prose("wsgi-file = \\ \\").is_empty());
        let line = "Run ``uwsgi --wsgi-file /usr/bin/x-api --http :80`` or set `WSGIScriptAlias / \"/usr/bin/x-api\"`; wsgi-file = a; foo-wsgi-file b";
        let found: Vec<(&str, &str)> = in_prose(line)
            .into_iter()
            .map(|(name, range)| (name, &line[range]))
            .collect();
        assert_eq!(
            found,
            vec![
                ("WSGIScriptAlias", "/usr/bin/x-api"),
                ("wsgi-file", "/usr/bin/x-api"),
                ("wsgi-file", "a;"),
            ]
        );
    }

    #[test]
    fn last_components_skip_slashes_inside_templates() {
        assert_eq!(last_component("{{ a/b }}"), "{{ a/b }}");
        assert_eq!(last_component("/x/{{ a/b }}"), "{{ a/b }}");
        assert_eq!(last_component("/usr/bin/x"), "x");
    }
}
