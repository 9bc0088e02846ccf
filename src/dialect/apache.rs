//! Apache httpd and mod_wsgi configuration: vhosts, `conf.d` snippets and their Jinja, ERB and
//! DevStack templates.
//!
//! mod_wsgi loads a *file*; it has no way to load a module path, so nothing here is rewritten.
//! Every `WSGIScriptAlias`, `WSGIScriptAliasMatch` and `WSGIImportScript` whose file is a mapped
//! script, and the old `Alias /x /path/script` spelling used with `SetHandler wsgi-script`, is
//! reported with the three ways out upstream used: a shim file at the same path, the module's own
//! `.py` file in site-packages, or a move to uWSGI/gunicorn behind a proxy module. `<Files>`,
//! `<FilesMatch>` and `<Directory>` blocks that name the script must move with the alias, so
//! they are reported too; commented-out lines are reported, not rewritten.
//!
//! Names derived from the script are fine as they are: `WSGIDaemonProcess`/`WSGIProcessGroup`
//! names, `process-group=` options, log files, `<Location>` URLs, and the uWSGI socket or
//! upstream in `ProxyPass "unix:/run/uwsgi/nova-api-wsgi.socket|uwsgi://..."` (which
//! [`ScriptMap::mentions`] does not see, because of the extension, so it is looked for here).
//! Apache's `\` line continuations join lines before a directive is read.
//!
//! See: deploy-configs.md §3 and §4; <https://modwsgi.readthedocs.io/en/master/configuration.html>.

use std::ops::Range;

use crate::code::Code;
use crate::dialect::directive::{self, Directive, Loads};
use crate::dialect::{
    Context, Dialect, Finding, GLANCE_WARNING, ScriptMap, is_script_path, path_start,
};
use crate::syntax::text;

pub struct Apache;

/// Directives (or section tags) at the start of a line that mark Apache configuration.
const MARKERS: [&str; 9] = [
    "WSGIScriptAlias",
    "WSGIDaemonProcess",
    "<VirtualHost",
    "<Directory",
    "<Location",
    "ProxyPass",
    "SetHandler",
    "Alias ",
    "Listen ",
];

const SUFFIXES: [&str; 6] = [
    ".conf",
    ".conf.j2",
    ".conf.erb",
    ".conf.tpl",
    ".template",
    ".vhost",
];

const DIRECTORIES: [&str; 5] = [
    "sites-available",
    "sites-enabled",
    "conf.d",
    "httpd",
    "apache2",
];

impl Dialect for Apache {
    fn name(&self) -> &'static str {
        "apache"
    }

    fn claims(&self, path: &str) -> bool {
        let mut components = path.split('/');
        let name = components.next_back().unwrap_or_default();
        SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
            || components.any(|directory| DIRECTORIES.contains(&directory))
    }

    fn accepts(&self, text: &str) -> bool {
        text::lines(text).any(|line| {
            let trimmed = trim_line_start(line.content);
            MARKERS.iter().any(|marker| trimmed.starts_with(marker))
        })
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let mut findings = Vec::new();
        // Read once per file, not once per mention: whether an `Alias` can hand a file to
        // mod_wsgi (`SetHandler wsgi-script` somewhere in the file).
        let wsgi_handler = contains_ignore_case(text, "wsgi-script");
        for range in logical_lines(text) {
            let content = &text[range.clone()];
            let trimmed = trim_line_start(content);
            let commented = trimmed.starts_with('#') || trimmed.starts_with("{#");
            let words = words(text, range.clone());
            let directive = words.first().map_or(String::new(), |word| {
                text[word.clone()]
                    .trim_start_matches("</")
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_ascii_lowercase()
            });
            // `# WSGIScriptAlias ...` has the directive in its second word.
            let hash_apart = commented
                && words
                    .first()
                    .is_some_and(|word| matches!(&text[word.clone()], "#" | "{#"));
            let uncommented = if hash_apart {
                words.get(1).map_or(String::new(), |word| {
                    text[word.clone()].to_ascii_lowercase()
                })
            } else {
                directive.trim_start_matches(['#', '{']).to_owned()
            };
            let uncommented = uncommented.as_str();
            let known = map.mentions(content);
            if let Some(file) = file_argument(uncommented)
                .filter(|_| loads_file(uncommented, wsgi_handler))
                .and_then(|index| file_word(text, &words, commented, index))
                && !known.iter().any(|mention| {
                    let start = range.start + mention.range.start;
                    file.start <= start && start < file.end
                })
            {
                let (start, end) = unquoted(text, file);
                let directive = Directive {
                    commented,
                    advice: Some(mod_wsgi_advice),
                    ..Directive::new(directive_name(uncommented), start..end, Loads::File)
                };
                findings.extend(directive::decide(&directive, text, map));
            }
            for mention in known {
                let start = range.start + mention.range.start;
                let end = range.start + mention.range.end;
                let script = mention.script;
                if commented {
                    if file_argument(uncommented).is_some() {
                        findings.push(
                            Finding::manual(start, script, commented_message(script, map))
                                .with_code(Code::CommentedLoad),
                        );
                    }
                    continue;
                }
                // Words come in text order: the one holding the mention is the last that starts
                // at or before it, found by a binary search on a long line.
                let Some(index) = words
                    .partition_point(|word| word.start <= start)
                    .checked_sub(1)
                    .filter(|&index| end <= words[index].end)
                else {
                    continue;
                };
                let word = words[index].clone();
                let mention = Spot { start, end, script };
                findings.push(classify(
                    text,
                    &directive,
                    index,
                    word,
                    &mention,
                    map,
                    wsgi_handler,
                ));
            }
            if !commented {
                for (at, script, socket) in sockets(content, map) {
                    findings.push(Finding::ok(
                        range.start + at,
                        script,
                        socket_message(script, &socket),
                    ));
                }
            }
        }
        findings
    }
}

/// A mention with absolute offsets.
struct Spot<'m> {
    start: usize,
    end: usize,
    script: &'m str,
}

/// Directives whose file argument (at this word index, the directive being 0) is loaded.
fn file_argument(directive: &str) -> Option<usize> {
    match directive {
        "wsgiscriptalias"
        | "wsgiscriptaliasmatch"
        | "alias"
        | "aliasmatch"
        | "scriptalias"
        | "scriptaliasmatch" => Some(2),
        "wsgiimportscript" => Some(1),
        _ => None,
    }
}

/// The finding for one mention inside word `index` of a directive.
fn classify(
    text: &str,
    directive: &str,
    index: usize,
    word: Range<usize>,
    mention: &Spot<'_>,
    map: &ScriptMap,
    wsgi_handler: bool,
) -> Finding {
    let Spot { start, end, script } = *mention;
    let (inner_start, inner_end) = unquoted(text, word.clone());
    let token_start = path_start(text, start).max(inner_start);
    let whole_path =
        token_start == inner_start && end == inner_end && is_script_path(&text[token_start..start]);
    let bare = start == inner_start && end == inner_end;
    let after_equals = text[inner_start..start].ends_with('=');
    if let Some(file_index) = file_argument(directive) {
        let loads = loads_file(directive, wsgi_handler);
        if index == file_index && whole_path && loads {
            let path = &text[inner_start..inner_end];
            let mut message = String::new();
            if directive == "wsgiimportscript" {
                message.push_str(
                    "`WSGIImportScript` preloads the script and must name the same file as the `WSGIScriptAlias`. ",
                );
            }
            message.push_str(&mod_wsgi_choices(text, path, script, map));
            let finding = Finding::manual(start, script, message).with_code(Code::ScriptLoad);
            return if map.is_glance(script) {
                finding.warn(GLANCE_WARNING.to_owned())
            } else {
                finding
            };
        }
        if index == 1 && file_index == 2 {
            return Finding::ok(
                start,
                script,
                format!("`{script}` here is part of the URL path, not the script file"),
            );
        }
        if index > file_index && after_equals {
            return Finding::ok(
                start,
                script,
                "names a process or application group, not the script".to_owned(),
            );
        }
    }
    match directive {
        "wsgidaemonprocess"
        | "wsgiprocessgroup"
        | "wsgiapplicationgroup"
        | "wsgirestrictprocess"
            if bare || after_equals =>
        {
            Finding::ok(
                start,
                script,
                "names a process group, not the script".to_owned(),
            )
        }
        "errorlog" | "customlog" | "transferlog" | "globallog" => {
            Finding::ok(start, script, "names a log file, not the script".to_owned())
        }
        "proxypass" | "proxypassmatch" | "proxypassreverse" | "proxy" | "proxymatch"
        | "proxyset" | "balancermember" => Finding::ok(
            start,
            script,
            format!(
                "names the uWSGI socket or proxy upstream `{script}`, not the script; the uWSGI side must keep that name (e.g. DevStack's name argument)"
            ),
        ),
        "location" | "locationmatch" => Finding::ok(
            start,
            script,
            format!("`{script}` here is part of the URL path, not the script file"),
        ),
        "files" | "filesmatch" | "directory" | "directorymatch" => {
            let file = module_file_name(map.module(script).unwrap_or_default());
            Finding::manual(
                start,
                script,
                format!(
                    "`<{}>` names the `{script}` script and must move with the `WSGIScriptAlias`: keep it if a shim stays at the script's path, or make it match `{file}` if the alias now points at the module's file",
                    directive_display(directive)
                ),
            )
        }
        _ if text[word.start..].starts_with("{%") && whole_path_in(text, start, word.start) => {
            let path_from = path_start(text, start).max(word.start);
            let path = &text[path_from..end];
            Finding::manual(
                start,
                script,
                format!(
                    "a template variable holds the path of the `{script}` script; where it feeds `WSGIScriptAlias`: {}",
                    mod_wsgi_choices(text, path, script, map)
                ),
            )
        }
        _ => {
            let has_directory = token_start < start && is_script_path(&text[token_start..start]);
            if has_directory {
                Finding::manual(start, script, generic(script, map, true))
            } else {
                Finding::ok(
                    start,
                    script,
                    format!("names `{script}` without loading it"),
                )
            }
        }
    }
}

/// Whether a directive with a file argument loads it as WSGI: `Alias` only does under
/// `SetHandler wsgi-script` (`wsgi_handler`, read once per file), `ScriptAlias` never.
fn loads_file(directive: &str, wsgi_handler: bool) -> bool {
    match directive {
        "alias" | "aliasmatch" => wsgi_handler,
        "scriptalias" | "scriptaliasmatch" => false,
        _ => true,
    }
}

/// The word holding the file argument at `index` (the directive being 0), skipping the `#` of
/// a commented-out directive written apart from it.
fn file_word(
    text: &str,
    words: &[Range<usize>],
    commented: bool,
    index: usize,
) -> Option<Range<usize>> {
    let offset =
        usize::from(commented && matches!(text[words.first()?.clone()].trim(), "#" | "{#"));
    words.get(index + offset).cloned()
}

fn directive_name(directive: &str) -> &'static str {
    match directive {
        "wsgiscriptaliasmatch" => "WSGIScriptAliasMatch",
        "wsgiimportscript" => "WSGIImportScript",
        "alias" | "aliasmatch" => "Alias",
        _ => "WSGIScriptAlias",
    }
}

/// What to do where mod_wsgi loads a script whose module is `spec`: mod_wsgi needs a file.
pub(crate) fn mod_wsgi_advice(script: &str, map: &ScriptMap, _spec: &str) -> String {
    mod_wsgi_message("the script's path", script, map)
}

/// Whether the mention at `start` ends a path token that begins after `floor`.
fn whole_path_in(text: &str, start: usize, floor: usize) -> bool {
    let from = path_start(text, start).max(floor);
    from < start && is_script_path(&text[from..start])
}

fn directive_display(directive: &str) -> &'static str {
    match directive {
        "files" => "Files",
        "filesmatch" => "FilesMatch",
        "directory" => "Directory",
        _ => "DirectoryMatch",
    }
}

/// The §3.4 choices, made concrete for one script at `path` (as written in the config).
fn mod_wsgi_choices(text: &str, path: &str, script: &str, map: &ScriptMap) -> String {
    let shown = match resolve_template(text, path) {
        Some(resolved) => format!("`{path}` (`{resolved}`)"),
        None => format!("`{path}`"),
    };
    mod_wsgi_message(&shown, script, map)
}

/// The §3.4 choices for a mod_wsgi load of `script`, with a shim at `shim_at`.
fn mod_wsgi_message(shim_at: &str, script: &str, map: &ScriptMap) -> String {
    let module = map.module(script).unwrap_or_default();
    let spec = map.app_spec(script).unwrap_or_default();
    format!(
        "mod_wsgi cannot load a module path. Choose: (a) keep this line and install a shim at {shim_at} containing `#!/usr/bin/env python3` and `{}`; (b) point it (and the matching `<Directory>`/`WSGIImportScript`) at the module's installed file {} (the directory depends on the Python version and install layout); (c) serve `{spec}` with uWSGI or gunicorn behind mod_proxy_uwsgi/mod_proxy_http",
        import_line(map, script),
        module_file(module, "<site-packages>")
    )
}

fn commented_message(script: &str, map: &ScriptMap) -> String {
    let module = map.module(script).unwrap_or_default();
    format!(
        "commented-out line mentions the `{script}` script; if it is re-enabled, mod_wsgi needs a shim file containing `{}` or the module's file {}: update or delete the comment",
        import_line(map, script),
        module_file(module, "<site-packages>")
    )
}

/// The message for a mention this dialect does not understand.
fn generic(script: &str, map: &ScriptMap, is_path: bool) -> String {
    let spec = map.app_spec(script).unwrap_or_default();
    let how = format!(
        "use the module `{spec}` (uWSGI `module`, gunicorn `{spec}`, mod_wsgi a shim file containing `{}`)",
        import_line(map, script)
    );
    if is_path {
        format!("mentions the `{script}` script; where this loads or copies the script, {how}")
    } else {
        format!(
            "mentions `{script}`; if this refers to the script (not a process, site or socket name), {how}"
        )
    }
}

pub(crate) fn socket_message(script: &str, socket: &str) -> String {
    format!(
        "names the uWSGI socket `{socket}`, not the script; the uWSGI side must keep creating it under that name (e.g. DevStack's name argument `{script}`)"
    )
}

/// `from M import application` (with `as application` for another attribute).
pub(crate) fn import_line(map: &ScriptMap, script: &str) -> String {
    let Some(target) = map.target(script) else {
        return String::new();
    };
    if target.attribute == "application" {
        format!("from {} import application", target.module)
    } else {
        format!(
            "from {} import {} as application",
            target.module, target.attribute
        )
    }
}

/// The installed file of `module` under `base`, in backticks: `nova.wsgi.osapi_compute` is
/// `nova/wsgi/osapi_compute.py`. A module named `wsgi` is usually a package (ironic's
/// `ironic/wsgi/__init__.py`) but may be a flat file (freezer-api's `freezer_api/wsgi.py`).
pub(crate) fn module_file(module: &str, base: &str) -> String {
    let path = module.replace('.', "/");
    if module.rsplit('.').next() == Some("wsgi") {
        format!("`{base}/{path}/__init__.py` (or `{base}/{path}.py` where it is a flat module)")
    } else {
        format!("`{base}/{path}.py`")
    }
}

/// The file name a `<Files>` block would match for the module's file.
fn module_file_name(module: &str) -> String {
    match module.rsplit('.').next() {
        Some("wsgi") | None => "__init__.py".to_owned(),
        Some(last) => format!("{last}.py"),
    }
}

/// Every `<script>.socket` or `<script>.sock` in `line`: the uWSGI sockets named after scripts,
/// as (offset, script, socket file name).
pub(crate) fn sockets<'m>(line: &str, map: &'m ScriptMap) -> Vec<(usize, &'m str, String)> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    for (script, _) in map.iter() {
        for (at, _) in line.match_indices(script) {
            let end = at + script.len();
            let before_ok = at == 0 || {
                let byte = bytes[at - 1];
                !(byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'+' | b'.'))
            };
            let rest = &line[end..];
            let extension = [".socket", ".sock"].into_iter().find(|extension| {
                rest.strip_prefix(extension).is_some_and(|after| {
                    !after
                        .bytes()
                        .next()
                        .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
                })
            });
            if let (true, Some(extension)) = (before_ok, extension) {
                found.push((at, script, format!("{script}{extension}")));
            }
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    found
}

/// `{{ var }}/x` with `{% set var = '/some/dir' %}` in the same file becomes `/some/dir/x`.
fn resolve_template(text: &str, path: &str) -> Option<String> {
    let rest = path.strip_prefix("{{")?;
    let close = rest.find("}}")?;
    let variable = rest[..close].trim();
    if variable.is_empty()
        || !variable
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let tail = &rest[close + 2..];
    text.match_indices("set ").find_map(|(at, found)| {
        let after = text[at + found.len()..].trim_start();
        let after = after.strip_prefix(variable)?.trim_start();
        let after = after.strip_prefix('=')?.trim_start();
        let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let value = &after[1..];
        let value = &value[..value.find(quote)?];
        Some(format!("{value}{tail}"))
    })
}

fn trim_line_start(line: &str) -> &str {
    line.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

fn contains_ignore_case(text: &str, needle: &str) -> bool {
    text.to_ascii_lowercase().contains(needle)
}

/// The byte range of each logical line: physical lines ending in `\` continue on the next one.
/// A range ends before the line ending of its last physical line.
fn logical_lines(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for line in text::lines(text) {
        let from = *start.get_or_insert(line.start);
        if line.content.ends_with('\\') && line.end > line.content_end {
            continue;
        }
        ranges.push(from..line.content_end);
        start = None;
    }
    if let Some(from) = start {
        ranges.push(from..text.len());
    }
    ranges
}

/// The words of a logical line: split on blanks and continuations, keeping `"..."` and template
/// expressions (`{{ }}`, `{% %}`, `<% %>`, `${ }`) whole even when they contain spaces.
fn words(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let end = range.end;
    let is_break = |at: usize| {
        matches!(bytes[at], b' ' | b'\t' | b'\r' | b'\n')
            || (bytes[at] == b'\\' && at + 1 < end && matches!(bytes[at + 1], b'\r' | b'\n'))
    };
    let mut words = Vec::new();
    let mut at = range.start;
    while at < end {
        if is_break(at) {
            at += 1;
            continue;
        }
        let start = at;
        while at < end && !is_break(at) {
            if bytes[at] == b'"' {
                at += 1;
                while at < end && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at = (at + 1).min(end);
                continue;
            }
            if let Some(length) = template_length(&bytes[at..end]) {
                at += length;
                continue;
            }
            at += 1;
        }
        words.push(start..at.min(end));
    }
    words
}

/// The length of a template expression starting `rest`, up to its closing delimiter.
fn template_length(rest: &[u8]) -> Option<usize> {
    [
        (&b"{{"[..], &b"}}"[..]),
        (b"{%", b"%}"),
        (b"<%", b"%>"),
        (b"${", b"}"),
    ]
    .into_iter()
    .find(|(open, _)| rest.starts_with(open))
    .map(|(open, close)| {
        rest[open.len()..]
            .windows(close.len())
            .position(|window| window == close)
            .map_or(rest.len(), |at| open.len() + at + close.len())
    })
}

/// The range of a word without its surrounding double quotes.
fn unquoted(text: &str, word: Range<usize>) -> (usize, usize) {
    let value = &text[word.clone()];
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        (word.start + 1, word.end - 1)
    } else {
        (word.start, word.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing;

    fn map() -> ScriptMap {
        testing::map(&[
            ("nova-api-wsgi", "nova.wsgi.osapi_compute"),
            ("keystone-wsgi-public", "keystone.wsgi.api"),
            ("glance-wsgi-api", "glance.wsgi.api"),
            ("ironic-api-wsgi", "ironic.wsgi"),
        ])
    }

    fn scan(text: &str) -> Vec<(Action, String)> {
        testing::report(&Apache, "x.conf", text, &map())
            .into_iter()
            .map(|finding| (finding.action, finding.message))
            .collect()
    }

    #[test]
    fn claims_and_accepts() {
        for path in [
            "httpd/nova.conf",
            "templates/nova-api-wsgi.conf.j2",
            "etc/apache2/watcher",
            "files/apache-nova-api.template",
        ] {
            assert!(Apache.claims(path), "{path}");
        }
        assert!(!Apache.claims("etc/nova/api-paste.ini"));
        assert!(Apache.accepts("<VirtualHost *:80>\n</VirtualHost>\n"));
        assert!(Apache.accepts("\u{feff}  WSGIScriptAlias / /usr/bin/x\n"));
        assert!(!Apache.accepts("server {\n  listen 80;\n  location / { uwsgi_pass x; }\n}\n"));
    }

    #[test]
    fn script_aliases_get_the_three_choices() {
        let found = scan(
            "{% set wsgi_directory = '/var/lib/kolla/venv/bin' %}\nWSGIScriptAlias / {{ wsgi_directory }}/nova-api-wsgi process-group=nova-api-wsgi\r\n",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, Action::Manual);
        assert_eq!(
            found[0].1,
            "mod_wsgi cannot load a module path. Choose: (a) keep this line and install a shim at `{{ wsgi_directory }}/nova-api-wsgi` (`/var/lib/kolla/venv/bin/nova-api-wsgi`) containing `#!/usr/bin/env python3` and `from nova.wsgi.osapi_compute import application`; (b) point it (and the matching `<Directory>`/`WSGIImportScript`) at the module's installed file `<site-packages>/nova/wsgi/osapi_compute.py` (the directory depends on the Python version and install layout); (c) serve `nova.wsgi.osapi_compute:application` with uWSGI or gunicorn behind mod_proxy_uwsgi/mod_proxy_http"
        );
        assert_eq!(found[1].0, Action::Ok);
    }

    #[test]
    fn quoted_import_scripts_and_packages() {
        let text = "WSGIImportScript \"/usr/bin/ironic-api-wsgi\" process-group=ironic\nWSGIScriptAlias /image \"/usr/bin/glance-wsgi-api\"\n";
        let (_, findings) = testing::run(&Apache, "x.conf", text, &map());
        assert_eq!(findings.len(), 2);
        assert!(
            findings[0]
                .message
                .starts_with("`WSGIImportScript` preloads")
        );
        assert!(findings[0].message.contains("`/usr/bin/ironic-api-wsgi`"));
        assert!(
            findings[0]
                .message
                .contains("`<site-packages>/ironic/wsgi/__init__.py` (or `<site-packages>/ironic/wsgi.py` where it is a flat module)")
        );
        assert!(findings[0].warning.is_none());
        assert!(findings[1].warning.as_deref().unwrap().contains("Glance"));
    }

    #[test]
    fn path_prefix_alias_needs_a_wsgi_handler() {
        let with_handler = "Alias /identity /usr/local/bin/keystone-wsgi-public\n<Location /identity>\n    SetHandler wsgi-script\n</Location>\n";
        let found = scan(with_handler);
        assert_eq!(found.len(), 1);
        assert!(found[0].1.starts_with("mod_wsgi cannot load a module path"));
        let found = scan("Alias /identity /usr/local/bin/keystone-wsgi-public\n");
        assert!(
            found[0]
                .1
                .starts_with("mentions the `keystone-wsgi-public` script")
        );
    }

    #[test]
    fn names_are_ok_and_companions_manual() {
        let text = "WSGIDaemonProcess nova-api-wsgi \\\n    processes=2 threads=1 display-name=nova-api-wsgi\nWSGIProcessGroup nova-api-wsgi\nErrorLog /var/log/apache2/nova-api-wsgi\n<Location /nova-api-wsgi>\n<FilesMatch \"^nova-api-wsgi$\">\n";
        let found = scan(text);
        let actions: Vec<Action> = found.iter().map(|(action, _)| *action).collect();
        assert_eq!(
            actions,
            [
                Action::Ok,
                Action::Ok,
                Action::Ok,
                Action::Ok,
                Action::Ok,
                Action::Manual
            ]
        );
        assert!(found[5].1.contains("match `osapi_compute.py`"));
    }

    #[test]
    fn sockets_and_comments() {
        let text = "ProxyPass \"/compute\" \"unix:/var/run/uwsgi/nova-api-wsgi.socket|uwsgi://uwsgi-uds-nova-api-wsgi\" retry=0\n# WSGIScriptAlias / /usr/bin/nova-api-wsgi\n  #ProxyPass / unix:/run/nova-api-wsgi.sock|uwsgi://x\n";
        let (_, findings) = testing::run(&Apache, "x.conf", text, &map());
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].action, Action::Ok);
        assert_eq!(
            findings[0].offset,
            text.find("nova-api-wsgi.socket").unwrap()
        );
        assert!(findings[0].message.contains("`nova-api-wsgi.socket`"));
        assert_eq!(findings[1].action, Action::Manual);
        assert!(findings[1].message.starts_with("commented-out"));
    }

    #[test]
    fn unknown_directives_are_manual() {
        let found = scan("Define NOVA nova-api-wsgi\nSetEnv X /usr/bin/nova-api-wsgi\n");
        assert!(
            found[0]
                .1
                .starts_with("names `nova-api-wsgi` without loading it")
        );
        assert!(
            found[1]
                .1
                .starts_with("mentions the `nova-api-wsgi` script; where")
        );
    }

    #[test]
    fn words_keep_templates_and_quotes_whole() {
        let text = "A \"b c\" {{ d }}/e <%= @f %> \\\n  g";
        let found: Vec<&str> = words(text, 0..text.len())
            .into_iter()
            .map(|word| &text[word])
            .collect();
        assert_eq!(found, ["A", "\"b c\"", "{{ d }}/e", "<%= @f %>", "g"]);
        assert_eq!(logical_lines(text).len(), 1);
        assert_eq!(logical_lines(text)[0], 0..text.len());
    }
}
