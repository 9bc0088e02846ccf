//! References to WSGI scripts in the files that deploy a service, one module per dialect.
//!
//! A dialect claims files by name alone (so the walker never reads a file no dialect wants),
//! then turns the mentions of mapped script names in a file into [`Finding`]s: `rewrite` with the
//! edits that repoint the reference at the module, `manual` with a message saying what a person
//! must do, or `ok` for a reference that needs nothing. Dialects are pure: text in, findings out.
//!
//! Adding a dialect means one new module implementing [`Dialect`] plus one line in
//! [`DIALECTS`], and its fixtures under `testdata/`.

pub mod apache;
pub mod command_line;
pub mod devstack;
pub mod directive;
pub mod dockerfile;
pub mod docs;
pub mod nginx;
pub mod other;
pub mod packaging;
pub mod puppet;
pub mod shell_script;
pub mod systemd;
#[cfg(test)]
pub(crate) mod testing;
pub mod uwsgi_ini;
pub mod uwsgi_json;
pub mod uwsgi_xml;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;

use crate::code::Code;
use crate::syntax::edit::Edit;

/// Every dialect, in the order they are asked about a file: the first that claims its name and
/// accepts its text wins. `other` comes last and takes any text file.
pub static DIALECTS: &[&dyn Dialect] = &[
    &docs::Docs,
    &devstack::Devstack,
    &uwsgi_ini::UwsgiIni,
    &systemd::Systemd,
    &dockerfile::Dockerfile,
    &shell_script::ShellScript,
    &yaml::Yaml,
    &uwsgi_json::UwsgiJson,
    &uwsgi_xml::UwsgiXml,
    &apache::Apache,
    &nginx::Nginx,
    &puppet::Puppet,
    &packaging::Packaging,
    &other::Other,
];

/// Words without which no file holds a directive (a place where a server or deployment tool is
/// told which WSGI application to load), whatever script it names: a file holding one is decoded
/// and read even when it names no script the map knows, so that loads of unknown scripts are
/// found. The search is a byte search, so case matters. `module`, `mount` and `wsgi` are too
/// common alone; they matter in uWSGI contexts, which say `uwsgi`.
pub const DIRECTIVE_KEYWORDS: &[&str] = &[
    // uWSGI in every syntax (`[uwsgi]`, `uwsgi --wsgi-file`, `iniset ... uwsgi`), the variables
    // it reads (`UWSGI_WSGI_FILE`) and DevStack's (`FOO_UWSGI`, `write_uwsgi_config`).
    "uwsgi",
    "UWSGI",
    "wsgi-file",
    "wsgi_file",
    "wsgi-script",
    "wsgi_script",
    // mod_wsgi (`WSGIScriptAlias` also covers `WSGIScriptAliasMatch`), and the `%PUBLICWSGI%`
    // placeholders DevStack's Apache templates are filled through.
    "WSGIScriptAlias",
    "WSGI%",
    // DevStack and other variables that hold the application (`MONASCA_LOG_API_WSGI=`).
    "_WSGI",
    // openstack-ansible's service dicts.
    "wsgi_name",
    "wsgi_path",
    // gunicorn's application argument.
    "gunicorn",
];

/// Whether `text` may hold a directive at all: a cheap test before reading it as one.
pub fn may_hold_directives(text: &str) -> bool {
    DIRECTIVE_KEYWORDS
        .iter()
        .any(|keyword| text.contains(keyword))
}

/// One config dialect.
pub trait Dialect: Sync {
    /// The name used in reports, e.g. `uwsgi-ini`.
    fn name(&self) -> &'static str;

    /// Whether a file at `path` (relative, `/`-separated) may be written in this dialect. Decided
    /// from the name alone, so that no file is read that no dialect could want.
    fn claims(&self, path: &str) -> bool;

    /// Whether a claimed file's text really is in this dialect, for names several dialects share
    /// (a `.conf` file may be Apache, nginx or uWSGI).
    fn accepts(&self, _text: &str) -> bool {
        true
    }

    /// Literal words besides script names that make a file worth scanning, for references that
    /// do not spell a script name (a DevStack call that passes a variable, say).
    fn keywords(&self) -> &'static [&'static str] {
        &[]
    }

    /// Record facts from this file that other files of the dialect need (a variable set in one
    /// file and used in another).
    fn collect(&self, _path: &str, _text: &str, _map: &ScriptMap, _context: &mut Context) {}

    /// The findings in one file.
    fn scan(&self, path: &str, text: &str, map: &ScriptMap, context: &Context) -> Vec<Finding>;
}

/// The dialects that claim `path`, in order; empty when no dialect wants the file.
pub fn candidates(path: &str) -> Vec<&'static dyn Dialect> {
    DIALECTS
        .iter()
        .copied()
        .filter(|dialect| dialect.claims(path))
        .collect()
}

/// The dialect a file is read in: the first candidate that accepts its text.
pub fn dialect_for(path: &str, text: &str) -> Option<&'static dyn Dialect> {
    candidates(path)
        .into_iter()
        .find(|dialect| dialect.accepts(text))
}

/// What a finding asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// `apply` changes it.
    Rewrite,
    /// A person must change it; the message says how.
    Manual,
    /// It refers to a script but needs no change.
    Ok,
}

/// A source file a directive loads, as written, and whether the directive can be rewritten to
/// load a module instead (mod_wsgi's cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    pub path: String,
    pub rewritable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Byte offset of the reference in the file; the planner turns it into a line.
    pub offset: usize,
    /// What kind of finding it is.
    pub code: Code,
    pub script: Option<String>,
    pub action: Action,
    pub message: String,
    /// What `apply` writes for a rewrite; for another action, the edits a person could make,
    /// shown and never written (a release-pinned override, a rewrite the map cautions against).
    pub edits: Vec<Edit>,
    /// A caution to show with the finding, whatever its action (Glance under uWSGI's HTTP mode).
    pub warning: Option<String>,
    /// The source file a directive loads, as written (`$FOO_DIR/foo/api/app.py`), for the
    /// planner to look up in the planned trees.
    pub loads_file: Option<LoadedFile>,
}

impl Finding {
    pub fn rewrite(offset: usize, script: &str, message: String, edits: Vec<Edit>) -> Finding {
        Finding {
            offset,
            code: Code::ScriptLoad,
            script: Some(script.to_owned()),
            action: Action::Rewrite,
            message,
            edits,
            warning: None,
            loads_file: None,
        }
    }

    /// The same finding, of another kind.
    pub fn with_code(self, code: Code) -> Finding {
        Finding { code, ..self }
    }

    /// The same finding, shown with a caution.
    pub fn warn(self, warning: String) -> Finding {
        Finding {
            warning: Some(warning),
            ..self
        }
    }

    pub fn manual(offset: usize, script: &str, message: String) -> Finding {
        Finding {
            offset,
            code: Code::ScriptReference,
            script: Some(script.to_owned()),
            action: Action::Manual,
            message,
            edits: Vec::new(),
            warning: None,
            loads_file: None,
        }
    }

    pub fn ok(offset: usize, script: &str, message: String) -> Finding {
        Finding {
            offset,
            code: Code::ScriptReference,
            script: Some(script.to_owned()),
            action: Action::Ok,
            message,
            edits: Vec::new(),
            warning: None,
            loads_file: None,
        }
    }
}

/// Facts one file contributes to how others are read.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Shell variables assigned a script path, by name, with the script; the calls that pass
    /// them get the name argument DevStack derives sockets and sites from.
    pub script_variables: BTreeMap<String, String>,
    /// Shell variables that hold a script's path before the migration or its module after it,
    /// with the script: a command that copies them or gives them to `--wsgi-file` breaks.
    pub application_variables: BTreeMap<String, String>,
    /// The application names a DevStack plugin (by the directory holding its `devstack/`)
    /// passes to `write_uwsgi_config`, derived or explicit: `remove_uwsgi_config` must be given
    /// one of them, or the Apache site is never disabled.
    pub uwsgi_app_names: BTreeMap<String, BTreeSet<String>>,
    /// DevStack variables that hold a module path (`IRONIC_UWSGI=ironic.wsgi:application`), with
    /// it: given to `remove_uwsgi_config` as the name, that path is the name DevStack uses.
    pub module_variables: BTreeMap<String, String>,
    /// Ansible roles (by path) whose service dicts load a mapped application; the lines of the
    /// role that read the dict's old keys must change with it.
    pub roles_loading_scripts: BTreeSet<String>,
}

/// What a WSGI server should load instead of a script, and what is known about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTarget {
    /// The dotted module, e.g. `nova.wsgi.osapi_compute`.
    pub module: String,
    /// The attribute holding the application, almost always `application`.
    pub attribute: String,
    /// The upstream project, when the registry knows it (`openstack/glance`).
    pub project: Option<String>,
    /// Why a rewrite to this module must not be made blindly (a release gap), if anything.
    pub caveat: Option<String>,
}

impl AppTarget {
    /// `module:application`, with nothing else known.
    pub fn module(module: &str) -> AppTarget {
        AppTarget {
            module: module.to_owned(),
            attribute: "application".to_owned(),
            project: None,
            caveat: None,
        }
    }

    /// `module:attribute`, what a WSGI server is given.
    pub fn spec(&self) -> String {
        format!("{}:{}", self.module, self.attribute)
    }
}

/// The application that replaces each script: the needles every dialect searches for.
#[derive(Debug, Clone, Default)]
pub struct ScriptMap {
    targets: BTreeMap<String, AppTarget>,
    matcher: Option<AhoCorasick>,
    names: Vec<String>,
    /// Every name and every dialect keyword, for deciding whether a file is worth decoding.
    prefilter: Prefilter,
    /// Modules in the planned trees that define `application`, by their file's path from the
    /// directory they are imported from (`foo/api/app.py` holds `foo.api.app`).
    files: BTreeMap<String, String>,
    /// Scripts a planned project ships itself (setuptools' or PBR's `scripts`): pip still
    /// installs them, so loading them needs nothing.
    shipped: BTreeSet<String>,
}

/// A fast literal search for "does this file mention anything at all": SIMD Teddy for up to
/// 64 needles (ripgrep's choice), an automaton beyond that. Unlike a leftmost-longest
/// automaton its speed does not depend on the order of the needles.
#[derive(Debug, Clone, Default)]
struct Prefilter {
    packed: Option<aho_corasick::packed::Searcher>,
    automaton: Option<AhoCorasick>,
}

impl Prefilter {
    fn new(needles: &[&str]) -> Prefilter {
        let needles = essential(needles);
        if needles.is_empty() {
            return Prefilter::default();
        }
        let packed = aho_corasick::packed::Config::new()
            .builder()
            .extend(&needles)
            .build();
        let automaton = match packed {
            Some(_) => None,
            None => AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(needles)
                .ok(),
        };
        Prefilter { packed, automaton }
    }

    fn is_match(&self, haystack: &[u8]) -> bool {
        match (&self.packed, &self.automaton) {
            (Some(packed), _) => packed.find(haystack).is_some(),
            (None, Some(automaton)) => automaton.is_match(haystack),
            (None, None) => false,
        }
    }
}

/// The needles a "does anything match" search needs: a needle holding another (`write_uwsgi_config`
/// holds `uwsgi`) matches only where that one does, and the fewer the needles, the longer the
/// search stays on the SIMD path (Teddy takes at most 64).
fn essential<'n>(needles: &[&'n str]) -> Vec<&'n str> {
    let mut unique: Vec<&str> = needles.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique
        .iter()
        .copied()
        .filter(|needle| {
            !unique
                .iter()
                .any(|other| other != needle && !other.is_empty() && needle.contains(other))
        })
        .collect()
}

impl ScriptMap {
    pub fn new(targets: BTreeMap<String, AppTarget>) -> ScriptMap {
        let names: Vec<String> = targets.keys().cloned().collect();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&names)
            .ok();
        let keywords = DIALECTS
            .iter()
            .flat_map(|dialect| dialect.keywords().iter().copied())
            .chain(DIRECTIVE_KEYWORDS.iter().copied());
        let needles: Vec<&str> = names.iter().map(String::as_str).chain(keywords).collect();
        let prefilter = Prefilter::new(&needles);
        ScriptMap {
            targets,
            matcher,
            names,
            prefilter,
            files: BTreeMap::new(),
            shipped: BTreeSet::new(),
        }
    }

    /// The same map, knowing which scripts the planned projects ship as plain files.
    pub fn with_shipped(self, shipped: BTreeSet<String>) -> ScriptMap {
        ScriptMap { shipped, ..self }
    }

    /// Whether a planned project ships `script` itself, so that pip still installs it.
    pub fn ships(&self, script: &str) -> bool {
        self.shipped.contains(script)
    }

    /// The same map, knowing which module files of the planned trees define `application`.
    pub fn with_files(mut self, files: BTreeMap<String, String>) -> ScriptMap {
        self.files.extend(files);
        self
    }

    /// The module a directive's file path loads, when a planned tree holds that file and it
    /// defines `application`: `$FOO_DIR/foo/api/app.py` is `foo.api.app`.
    pub fn file_module(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(file, _)| directive::names_file(path, file))
            .map(|(_, module)| module.as_str())
    }

    /// A map from script names to modules exposing `application`.
    pub fn from_modules(modules: BTreeMap<String, String>) -> ScriptMap {
        ScriptMap::new(
            modules
                .into_iter()
                .map(|(script, module)| (script, AppTarget::module(&module)))
                .collect(),
        )
    }

    pub fn target(&self, script: &str) -> Option<&AppTarget> {
        self.targets.get(script)
    }

    /// The dotted module replacing `script`.
    pub fn module(&self, script: &str) -> Option<&str> {
        self.targets
            .get(script)
            .map(|target| target.module.as_str())
    }

    /// `module:attribute`, what a WSGI server is given.
    pub fn app_spec(&self, script: &str) -> Option<String> {
        self.targets.get(script).map(AppTarget::spec)
    }

    /// Whether `script` belongs to Glance, which must not run under mod_wsgi or uWSGI's HTTP
    /// mode (its docs: no chunked transfer encoding there, so image import breaks).
    pub fn is_glance(&self, script: &str) -> bool {
        self.targets.get(script).is_some_and(|target| {
            target.project.as_deref() == Some("openstack/glance")
                || target.module.starts_with("glance.")
        })
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &AppTarget)> {
        self.targets
            .iter()
            .map(|(script, target)| (script.as_str(), target))
    }

    /// Every mention of a script name in `text` that stands as a whole name: not part of a
    /// longer name (`nova-api` inside `nova-api-wsgi`), not followed by an extension, and not a
    /// directory (`/etc/kolla/aodh-api/`).
    pub fn mentions<'m>(&'m self, text: &str) -> Vec<Mention<'m>> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let bytes = text.as_bytes();
        let is_name_byte =
            |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'+');
        matcher
            .find_iter(text)
            .filter(|found| {
                let before_ok = found.start() == 0 || {
                    let byte = bytes[found.start() - 1];
                    !is_name_byte(byte) && byte != b'.'
                };
                let after_ok = match bytes.get(found.end()) {
                    None => true,
                    Some(b'.') => !bytes
                        .get(found.end() + 1)
                        .is_some_and(|next| next.is_ascii_alphanumeric()),
                    // `.../aodh-api/conf` is a directory named after a service, not the script.
                    Some(b'/') => false,
                    Some(byte) => !is_name_byte(*byte),
                };
                before_ok && after_ok
            })
            .map(|found| Mention {
                range: found.range(),
                script: &self.names[found.pattern().as_usize()],
            })
            .collect()
    }

    /// Whether `bytes` hold any script name or dialect keyword at all: the cheap test that
    /// decides whether a file is decoded and given to a dialect.
    pub fn may_matter(&self, bytes: &[u8]) -> bool {
        self.prefilter.is_match(bytes)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention<'m> {
    pub range: Range<usize>,
    pub script: &'m str,
}

/// The first line of a printed map (`wsgi-migrate map`), by which a map kept in a repository is
/// recognised: it names scripts on purpose.
pub const MAP_HEADER: &str =
    "# Which module replaces which PBR wsgi script; read by `wsgi-migrate --map FILE`.";

/// The caution for a Glance application served by mod_wsgi or by uWSGI's HTTP mode.
pub const GLANCE_WARNING: &str = "Glance's own documentation says Glance does not fully work under mod_wsgi or \
    uWSGI's HTTP mode (no chunked transfer encoding, and image import breaks): check that uploads \
    and imports work in this deployment, or serve glance-api another way";

/// The path-like token that ends with the mention at `range`: `/usr/bin/x`, `$X_BIN_DIR/x`,
/// `${X_BIN_DIR}/x`, `%X_BIN_DIR%/x`, `{{ bin }}/x` or just `x`. It stops at whitespace, quotes,
/// `=`, `:-` and the `{` of an enclosing `${...}`.
pub fn path_start(text: &str, mention_start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = mention_start;
    let mut depth = 0usize;
    while at > 0 {
        let byte = bytes[at - 1];
        match byte {
            b'}' => depth += 1,
            b'{' if depth == 0 => break,
            b'{' => depth -= 1,
            b' ' | b'\t' if depth > 0 => {}
            b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'=' | b'(' | b')' | b';' | b'|'
            | b'&' | b'<' | b'>' | b',' | b'`' | b'[' | b']' => {
                break;
            }
            b'-' if depth == 0 && at >= 2 && bytes[at - 2] == b':' => break,
            _ => {}
        }
        at -= 1;
    }
    at
}

/// Whether the mention at `range` stands alone, with no directory before it, not inside a
/// `$(which ...)` lookup and not run as a command with options after it: then it names a
/// service, container, group or process after the script, which keeps its name, rather than
/// the script file.
pub fn is_bare_mention(text: &str, range: Range<usize>) -> bool {
    let before = &text[..range.start];
    let after = text[range.end..].trim_start_matches([' ', '\t']);
    path_start(text, range.start) == range.start
        && !["$(which ", "$(type -p ", "$(command -v "]
            .iter()
            .any(|lookup| before.ends_with(lookup))
        && !(after.starts_with('-') && text[range.end..].starts_with([' ', '\t']))
}

/// Whether the mention at `range` ends a path into a directory scripts are installed in (a
/// `bin`, `sbin` or `cgi-bin`, `$X_BIN_DIR`, `{{ x_bin }}`, a `$(which ...)`), rather than a
/// log, data or config directory named after the service.
pub fn looks_installed(text: &str, range: Range<usize>) -> bool {
    let from = path_start(text, range.start);
    let directory = &text[from..range.start];
    (!directory.is_empty() && directory.to_ascii_lowercase().contains("bin"))
        || ["$(which ", "$(type -p ", "$(command -v "]
            .iter()
            .any(|lookup| text[..range.start].ends_with(lookup))
}

/// Whether the mention at `range` is a path to the installed script (`/usr/bin/x`,
/// `$X_BIN_DIR/x`, `cgi-bin/x`): a directory leads to it, and it is an install directory, not a
/// host (`http://x`), a log directory or a charm store name (`cs:noble/x`).
pub fn is_installed_path(text: &str, range: Range<usize>) -> bool {
    let from = path_start(text, range.start);
    from < range.start && is_script_path(&text[from..range.start]) && looks_installed(text, range)
}

/// The last component of a `/`-separated relative path, the way the plan names files.
pub fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// Whether the token from `start` to the mention is a directory path leading to the script (or
/// the bare script name), rather than some other word that happens to end with it: a URL's
/// host is not a file.
pub fn is_script_path(token: &str) -> bool {
    // `http://nova-api:8774/` names a host, not a file.
    token.is_empty() || (token.ends_with('/') && !token.ends_with("//"))
}

/// Whether `prefix` is the directory part of a path to the script: empty, or ending with `/`
/// and holding no whitespace outside `{{ ... }}`.
pub fn is_path_prefix(prefix: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    if !prefix.ends_with('/') {
        return false;
    }
    let mut depth = 0usize;
    let bytes = prefix.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(b"{{") {
            depth += 1;
            at += 2;
            continue;
        }
        if bytes[at..].starts_with(b"}}") && depth > 0 {
            depth -= 1;
            at += 2;
            continue;
        }
        if depth == 0 && (bytes[at].is_ascii_whitespace() || matches!(bytes[at], b'#' | b',')) {
            return false;
        }
        at += 1;
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_whole_names() {
        let map = testing::map(&[
            ("nova-api", "pkg.wsgi.api"),
            ("nova-api-wsgi", "pkg.wsgi.api"),
        ]);
        let text = "nova-api-wsgi /usr/bin/nova-api nova-api-wsgi.conf my-nova-api x.nova-api nova-api-wsgi.";
        let found: Vec<_> = map
            .mentions(text)
            .into_iter()
            .map(|m| (m.range.start, m.script))
            .collect();
        assert_eq!(
            found,
            vec![
                (0, "nova-api-wsgi"),
                (23, "nova-api"),
                (74, "nova-api-wsgi")
            ]
        );
    }

    #[test]
    fn the_prefilter_passes_directives_that_load_unknown_scripts() {
        let map = testing::map(&[("nova-api-wsgi", "nova.wsgi.osapi_compute")]);
        for text in [
            "[uwsgi]\nwsgi-file = /usr/local/bin/foo-api-wsgi\n",
            "FOO_UWSGI=$FOO_BIN_DIR/foo-api-wsgi\n",
            "WSGIScriptAlias / /usr/bin/foo-api\n",
            "WSGIScriptAliasMatch ^/foo /usr/bin/foo-api\n",
            "wsgi_file: /var/lib/kolla/venv/bin/foo-wsgi\n",
            "iniset \"$conf\" uwsgi wsgi-file \"$wsgi\"\n",
            "write_uwsgi_config \"$FOO_CONF\" \"$FOO_WSGI\" \"/foo\"\n",
            "[uwsgi]\nmount = /foo=foo/api/app.py\n",
            "exec gunicorn foo.api.app:application\n",
            "<uwsgi><module>foo.wsgi.api:application</module></uwsgi>\n",
            "UWSGI_MODULE=foo.wsgi.api:application\n",
            "foo_wsgi_name: foo-api-wsgi\n",
            "run nova-api-wsgi\n",
        ] {
            assert!(map.may_matter(text.as_bytes()), "{text}");
        }
        for text in [
            "import os\nmodule = load(name)\n",
            "mount -t tmpfs none /mnt\n",
            "",
        ] {
            assert!(!map.may_matter(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn the_prefilter_keeps_only_needles_that_hold_no_other() {
        assert_eq!(
            essential(&[
                "write_uwsgi_config",
                "uwsgi",
                "nova-api",
                "nova-api-wsgi",
                "uwsgi"
            ]),
            vec!["nova-api", "uwsgi"]
        );
        // The registry's names and every keyword fit Teddy's 64 needles with room to spare.
        let names: Vec<&str> = crate::project::registry::scripts()
            .iter()
            .map(|script| script.name.as_str())
            .collect();
        let keywords = DIALECTS
            .iter()
            .flat_map(|dialect| dialect.keywords().iter().copied())
            .chain(DIRECTIVE_KEYWORDS.iter().copied());
        let needles: Vec<&str> = names.iter().copied().chain(keywords).collect();
        assert!(!names.is_empty());
        assert!(
            essential(&needles).len() <= 60,
            "{}",
            essential(&needles).len()
        );
    }

    #[test]
    fn path_tokens() {
        for (text, start) in [
            ("X=$X_BIN_DIR/x-wsgi", 2),
            ("X=${X:-${X_BIN_DIR}/x-wsgi}", 7),
            ("wsgi-file = /usr/local/bin/x-wsgi", 12),
            ("\"{{ bin_dir }}/x-wsgi\"", 1),
            ("run x-wsgi", 4),
        ] {
            let mention = text.rfind("x-wsgi").unwrap();
            assert_eq!(path_start(text, mention), start, "{text}");
        }
    }
}
