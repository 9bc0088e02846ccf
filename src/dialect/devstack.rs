//! DevStack and its plugins (`lib/<service>` and `stackrc` in DevStack itself; `devstack/plugin.sh`,
//! `devstack/settings`, `devstack/lib/*` in a service): the variables that hold a script path and
//! the helpers that turn them into a uWSGI config.
//!
//! - `X_UWSGI=$X_BIN_DIR/x-wsgi` (and `${X_BIN_DIR}`, `${X_UWSGI:-...}` defaults, absolute bin
//!   dirs, `$(which x-wsgi)`) becomes `X_UWSGI=x.wsgi.api:application`.
//! - `write_uwsgi_config CONF WSGI URL` derives the uWSGI socket, the Apache site and the
//!   process name from `basename WSGI`. Once `WSGI` is a module path those names would change
//!   (upstream core DevStack renamed them and broke sockets, sites and upgrade jobs), so the call
//!   gains the name argument with the old basename: a 5th argument, with `""` for an absent 4th
//!   (`write_local_uwsgi_http_config` takes it 4th). `remove_uwsgi_config`'s second argument, which
//!   DevStack now reads as that name, becomes the same name.
//! - `iniset FILE uwsgi wsgi-file PATH` becomes `iniset FILE uwsgi module M:application`.
//!
//! Any other mention, including commented-out code, is reported for a person.
//!
//! See: DevStack `lib/apache` (`write_uwsgi_config`, `remove_uwsgi_config`).

use std::ops::Range;

use crate::code::Code;
use crate::dialect::apache;
use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::{Context, Dialect, Finding, ScriptMap, is_script_path, path_start};
use crate::syntax::edit::Edit;
use crate::syntax::shell::{self, Token};
use crate::syntax::text;

pub struct Devstack;

const WRITE: &str = "write_uwsgi_config";
const WRITE_HTTP: &str = "write_local_uwsgi_http_config";
const REMOVE: &str = "remove_uwsgi_config";

impl Dialect for Devstack {
    fn name(&self) -> &'static str {
        "devstack"
    }

    fn claims(&self, path: &str) -> bool {
        let components: Vec<&str> = path.split('/').collect();
        let Some((file, dirs)) = components.split_last() else {
            return false;
        };
        // Templates and package lists under `files/` are not shell; other dialects read them.
        if dirs.contains(&"files")
            || [".rst", ".md", ".txt"]
                .iter()
                .any(|suffix| file.ends_with(suffix))
        {
            return false;
        }
        // A plugin's `devstack/` directory, or DevStack itself: `lib/<service>`, `stackrc` and
        // the top-level scripts.
        dirs.contains(&"devstack")
            || (dirs.last() == Some(&"lib") && !file.contains('.'))
            || matches!(
                *file,
                "stackrc"
                    | "stack.sh"
                    | "unstack.sh"
                    | "clean.sh"
                    | "functions"
                    | "functions-common"
                    | "openrc"
            )
    }

    fn keywords(&self) -> &'static [&'static str] {
        &[WRITE, WRITE_HTTP, REMOVE]
    }

    fn collect(&self, path: &str, text: &str, map: &ScriptMap, context: &mut Context) {
        for line in text::lines(text) {
            for call in calls(line.content) {
                if let Some(name) = written_name(line.content, &call, context) {
                    // By the plugin, and by the plugin and the config file both helpers get.
                    let conf = call
                        .args
                        .first()
                        .map_or("", |arg| &line.content[arg.clone()]);
                    for key in [app_names_key(path, ""), app_names_key(path, conf)] {
                        context
                            .uwsgi_app_names
                            .entry(key)
                            .or_default()
                            .insert(name.clone());
                    }
                }
            }
            let Some(assignment) = assignment(line.content) else {
                continue;
            };
            if let Some((_, script)) = script_path_in(line.content, assignment.value.clone(), map) {
                context
                    .script_variables
                    .insert(assignment.name.to_owned(), script.to_owned());
                context
                    .application_variables
                    .insert(assignment.name.to_owned(), script.to_owned());
                continue;
            }
            let value = &line.content[unquoted(
                line.content,
                default_value(line.content, assignment.value.clone()),
            )];
            if !value.contains('/') && !directive::is_templated(value) && value.contains('.') {
                context
                    .module_variables
                    .insert(assignment.name.to_owned(), value.to_owned());
            }
            if let Some((script, _)) = map
                .iter()
                .find(|(_, target)| value == target.spec() || value == target.module)
            {
                context
                    .application_variables
                    .insert(assignment.name.to_owned(), script.to_owned());
            }
        }
    }

    fn scan(&self, path: &str, text: &str, map: &ScriptMap, context: &Context) -> Vec<Finding> {
        let mut findings = Vec::new();
        // A helper that also sets `module` has its module branch: a templated `wsgi-file` there
        // is the fallback for a script path, kept on purpose (DevStack's `lib/apache`).
        let module_branch =
            text::lines(text).any(|line| {
                calls(line.content).iter().any(|call| {
                    call.function == "iniset"
                        && call.args.get(1).is_some_and(|arg| {
                            shell::unquote(&line.content[arg.clone()]) == "uwsgi"
                        })
                        && call.args.get(2).is_some_and(|arg| {
                            shell::unquote(&line.content[arg.clone()]) == "module"
                        })
                })
            });
        for line in text::lines(text) {
            let content = line.content;
            let at = |offset: usize| line.start + offset;
            let mut handled: Vec<Range<usize>> = Vec::new();
            if let Some(rest) = content.trim_start().strip_prefix('#') {
                let offset = content.len() - rest.len();
                if let Some(assignment) = assignment(rest) {
                    let value = unquoted(rest, default_value(rest, assignment.value.clone()));
                    let value = offset + value.start..offset + value.end;
                    let directive = Directive {
                        commented: true,
                        ..Directive::new(
                            assignment.name,
                            at(value.start)..at(value.end),
                            Loads::File,
                        )
                    };
                    if let Some(finding) = directive::decide(&directive, text, map) {
                        handled.push(value);
                        findings.push(finding);
                    }
                }
            } else {
                if let Some(assignment) = assignment(content) {
                    let value = match script_path_in(content, assignment.value.clone(), map) {
                        Some((token, _)) => token,
                        None => unquoted(content, default_value(content, assignment.value.clone())),
                    };
                    let directive = Directive {
                        rewrite: Some(Rewrite {
                            key: None,
                            value: at(value.start)..at(value.end),
                            closing: None,
                        }),
                        ..Directive::new(
                            assignment.name,
                            at(value.start)..at(value.end),
                            Loads::File,
                        )
                    };
                    // A variable set from another variable is followed where that one is set.
                    if let Some(finding) = directive::decide(&directive, text, map)
                        .filter(|finding| finding.code != Code::TemplatedLoad)
                    {
                        handled.push(value);
                        findings.push(finding);
                    }
                }
                for (placeholder, sed) in seds(content) {
                    handled.push(sed.clone());
                    let directive = Directive {
                        advice: Some(apache::mod_wsgi_advice),
                        ..Directive::new(placeholder, at(sed.start)..at(sed.end), Loads::File)
                    };
                    findings.extend(directive::decide(&directive, text, map));
                }
                if let Some(program) = run_process_program(content) {
                    handled.push(program.clone());
                    let directive = Directive {
                        advice: Some(dev_server_advice),
                        ..Directive::new(
                            "run_process",
                            at(program.start)..at(program.end),
                            Loads::File,
                        )
                    };
                    findings.extend(directive::decide(&directive, text, map));
                }
                if let Some(finding) = variable_reader(content, context, map) {
                    findings.push(Finding {
                        offset: at(finding.offset),
                        ..finding
                    });
                }
                for call in calls(content) {
                    if let Some(finding) = removed_name_mismatch(path, content, &call, context) {
                        findings.push(Finding {
                            offset: at(finding.offset),
                            ..finding
                        });
                        continue;
                    }
                    if let Some(finding) = self.call(content, &call, map, context, &mut handled)
                        && !(module_branch && finding.code == Code::TemplatedLoad)
                    {
                        findings.push(Finding {
                            offset: at(finding.offset),
                            edits: shift(finding.edits, line.start),
                            ..finding
                        });
                    }
                }
            }
            for mention in map.mentions(content) {
                if handled.iter().any(|range| {
                    range.start <= mention.range.start && mention.range.end <= range.end
                }) {
                    continue;
                }
                let is_path = content[..mention.range.start].ends_with('/')
                    || content[..mention.range.start].ends_with("$(which ");
                if !is_path || content.trim_start().starts_with('#') {
                    // DevStack names services, processes and Apache sites after the script
                    // (`enable_service aodh-api`), and comments are prose: no directive.
                    continue;
                }
                let app = map.app_spec(mention.script).unwrap_or_default();
                findings.push(Finding::manual(
                    at(mention.range.start),
                    mention.script,
                    format!(
                        "mentions the `{}` script; point it at the module `{app}` by hand",
                        mention.script
                    ),
                ));
            }
        }
        findings
    }
}

impl Devstack {
    /// The finding for one helper call, with offsets relative to the line.
    fn call(
        &self,
        line: &str,
        call: &Call,
        map: &ScriptMap,
        context: &Context,
        handled: &mut Vec<Range<usize>>,
    ) -> Option<Finding> {
        let args = &call.args;
        let word = |index: usize| args.get(index).map(|range| &line[range.clone()]);
        if call.function == "iniset" {
            return iniset(line, call, map, context, handled);
        }
        // A name argument that spells the old script keeps DevStack's derived names stable.
        let name_index = if call.function == WRITE { 4 } else { 3 };
        let named = (call.function != REMOVE)
            .then(|| args.get(name_index))
            .flatten();
        if let Some(name) = named {
            handled.push(name.clone());
        }
        // The script behind the WSGI argument, and the inline path token if it spells one.
        let wsgi = word(1)?;
        let inline = script_path_in(line, args[1].clone(), map);
        let script = match (&inline, shell::variable_reference(wsgi)) {
            (Some((_, script)), _) => (*script).to_owned(),
            (None, Some(variable)) => match (context.script_variables.get(variable), named) {
                (Some(script), _) => script.clone(),
                (None, Some(name)) => {
                    let mention = map.mentions(&line[name.clone()]).into_iter().next()?;
                    return Some(Finding::ok(
                        name.start,
                        mention.script,
                        format!(
                            "`{}` names the socket and site after the old `{}` script",
                            call.function, mention.script
                        ),
                    ));
                }
                (None, None) => return None,
            },
            (None, None) => return None,
        };
        if inline.is_none() && named.is_some() {
            return Some(Finding::ok(
                call.start,
                &script,
                format!(
                    "`{}` already passes the name `{}`",
                    call.function,
                    word(name_index)?
                ),
            ));
        }
        let app = map.app_spec(&script)?;
        let mut edits = Vec::new();
        let mut changes = Vec::new();
        match call.function {
            REMOVE => {
                let bare = inline
                    .as_ref()
                    .is_some_and(|(token, _)| line[token.clone()] == script);
                handled.push(args[1].clone());
                if bare {
                    return Some(Finding::ok(
                        args[1].start,
                        &script,
                        format!("`{REMOVE}` already names the `{script}` socket and site"),
                    ));
                }
                edits.push(Edit::replace(args[1].clone(), format!("\"{script}\"")));
                changes.push(format!("pass the name `{script}` instead of the script"));
            }
            WRITE | WRITE_HTTP => {
                if let Some((token, _)) = &inline {
                    handled.push(token.clone());
                    edits.push(Edit::replace(token.clone(), app.clone()));
                    changes.push(format!("load `{app}`"));
                }
                if named.is_none() {
                    let last = args.last()?;
                    // The name appended after a word that leaves a quote open would land inside
                    // that word.
                    if !shell::is_closed(&line[last.clone()]) {
                        return Some(Finding::manual(
                            call.start,
                            &script,
                            format!(
                                "`{}` ends inside an unclosed quote or substitution; pass the name `{script}` by hand",
                                call.function
                            ),
                        ));
                    }
                    let missing: String = (args.len()..name_index).map(|_| " \"\"").collect();
                    let end = last.end;
                    edits.push(Edit::insert(end, format!("{missing} \"{script}\"")));
                    changes.push(format!("keep the socket and site name `{script}`"));
                }
            }
            _ => return None,
        }
        if edits.is_empty() {
            return None;
        }
        Some(Finding::rewrite(
            call.start,
            &script,
            format!("`{}`: {}", call.function, changes.join(" and ")),
            edits,
        ))
    }
}

/// `iniset FILE uwsgi wsgi-file VALUE` becomes `iniset FILE uwsgi module M:application`.
fn iniset(
    line: &str,
    call: &Call,
    map: &ScriptMap,
    context: &Context,
    handled: &mut Vec<Range<usize>>,
) -> Option<Finding> {
    let args = &call.args;
    let (section, key, value) = (
        &line[args.get(1)?.clone()],
        &line[args.get(2)?.clone()],
        args.get(3)?.clone(),
    );
    if shell::unquote(section) != "uwsgi" || !["wsgi-file", "file"].contains(&shell::unquote(key)) {
        return None;
    }
    let mut edits = vec![Edit::replace(args[2].clone(), "module")];
    let script = match script_path_in(line, value.clone(), map) {
        Some((token, script)) => {
            let app = map.app_spec(script)?;
            handled.push(token.clone());
            edits.push(Edit::replace(token, app));
            script.to_owned()
        }
        None => match shell::variable_reference(&line[value.clone()])
            .and_then(|variable| context.script_variables.get(variable))
        {
            Some(script) => script.clone(),
            None => {
                handled.push(value.clone());
                let inner = unquoted(line, value.clone());
                let directive = Directive {
                    rewrite: Some(Rewrite {
                        key: Some((args[2].clone(), "module")),
                        value: inner.clone(),
                        closing: None,
                    }),
                    ..Directive::new("iniset uwsgi wsgi-file", inner, Loads::File)
                };
                return directive::decide(&directive, line, map);
            }
        },
    };
    let app = map.app_spec(&script)?;
    Some(Finding::rewrite(
        call.start,
        &script,
        format!("`iniset`: set uWSGI `module` to `{app}`"),
        edits,
    ))
}

/// The plugin a DevStack file belongs to: the path before its `devstack/` directory, or `""`
/// for DevStack itself.
fn plugin_of(path: &str) -> &str {
    path.find("devstack/").map_or("", |at| &path[..at])
}

/// Where the names written in a plugin are kept: by the plugin, and by the plugin and the uWSGI
/// config argument (`"$CINDER_UWSGI_CONF"`), so that a removal is compared with the write of
/// the same config when there is one.
fn app_names_key(path: &str, conf: &str) -> String {
    format!("{}\0{conf}", plugin_of(path))
}

/// The application name a `write_uwsgi_config`/`write_local_uwsgi_http_config` call gives
/// DevStack: its name argument, or the basename of its WSGI argument, when either is literal or
/// a variable holding a script.
fn written_name(line: &str, call: &Call, context: &Context) -> Option<String> {
    let name_index = match call.function {
        WRITE => 4,
        WRITE_HTTP => 3,
        _ => return None,
    };
    if let Some(name) = call.args.get(name_index) {
        let name = shell::unquote(&line[name.clone()]);
        return (!name.is_empty() && !name.contains('$')).then(|| name.to_owned());
    }
    let wsgi = shell::unquote(&line[call.args.get(1)?.clone()]);
    if let Some(variable) = shell::variable_reference(wsgi) {
        return context.application_variables.get(variable).cloned();
    }
    let base = directive::last_component(wsgi);
    (!base.is_empty() && !base.contains('$')).then(|| base.to_owned())
}

/// A `remove_uwsgi_config` given a literal name that no `write_uwsgi_config` of the plugin
/// gives: the uWSGI config and Apache site it removes are not the ones written.
fn removed_name_mismatch(
    path: &str,
    line: &str,
    call: &Call,
    context: &Context,
) -> Option<Finding> {
    if call.function != REMOVE {
        return None;
    }
    let conf = call.args.first().map_or("", |arg| &line[arg.clone()]);
    let written = context
        .uwsgi_app_names
        .get(&app_names_key(path, conf))
        .or_else(|| context.uwsgi_app_names.get(&app_names_key(path, "")))?;
    let arg = call.args.get(1)?;
    let word = shell::unquote(&line[arg.clone()]);
    // A variable holding a module path gives DevStack that path as the name.
    let name = shell::variable_reference(&line[arg.clone()])
        .and_then(|variable| context.module_variables.get(variable))
        .map_or(word, String::as_str);
    if name.is_empty() || name.contains(['$', '/']) || written.contains(name) {
        return None;
    }
    let names: Vec<String> = written.iter().map(|name| format!("`{name}`")).collect();
    Some(
        Finding {
            script: None,
            ..Finding::manual(
                arg.start,
                "",
                format!(
                    "`{REMOVE}` is given `{name}`, but `{WRITE}` is given {}: DevStack derives the \
                     uWSGI config and the Apache site from that name, so this removes nothing; pass \
                     the same name to both",
                    names.join(" or ")
                ),
            )
        }
        .with_code(Code::DevstackAppName),
    )
}

/// A command that copies a variable holding a script's application, or gives it to uWSGI's
/// `--wsgi-file`: it breaks once the variable holds a module path, so it is reported before the
/// migration and after it (DevStack's helpers are read by [`Devstack::call`]).
fn variable_reader(line: &str, context: &Context, map: &ScriptMap) -> Option<Finding> {
    let words = shell::words(line);
    let first = words.first().map(|word| &line[word.clone()])?;
    let program = if first == "sudo" {
        words.get(1).map(|word| &line[word.clone()])?
    } else {
        first
    };
    let copies = matches!(program, "cp" | "install" | "ln" | "rsync" | "mv");
    for (index, word) in words.iter().enumerate() {
        let Some(variable) = shell::variable_reference(&line[word.clone()]) else {
            continue;
        };
        let Some(script) = context.application_variables.get(variable) else {
            continue;
        };
        let loaded = index > 0
            && matches!(
                shell::unquote(&line[words[index - 1].clone()]),
                "--wsgi-file" | "--file"
            );
        if !(copies || loaded) {
            continue;
        }
        let spec = map.app_spec(script).unwrap_or_default();
        return Some(
            Finding {
                script: Some(script.clone()),
                ..Finding::manual(
                    word.start,
                    script,
                    format!(
                        "`{program}` is given `${variable}`, the `{script}` script's path until the \
                         migration and the module `{spec}` after it: load it as a module (uWSGI \
                         `--module ${variable}`) and copy nothing"
                    ),
                )
            }
            .with_code(Code::TemplatedLoad),
        );
    }
    None
}

/// The default of `${NAME:-default}`, or the whole value: what a variable holds unless the
/// user set it.
fn default_value(line: &str, value: Range<usize>) -> Range<usize> {
    let text = &line[value.clone()];
    let inner = shell::unquote(text);
    let offset = text.find(inner).unwrap_or(0);
    match inner
        .strip_prefix("${")
        .and_then(|rest| rest.find(":-").map(|at| (rest, at)))
    {
        Some((rest, at)) if rest.ends_with('}') => {
            let start = value.start + offset + 2 + at + 2;
            start..value.start + offset + inner.len() - 1
        }
        _ => value,
    }
}

/// The value `text[range]` without the quotes around it.
fn unquoted(text: &str, range: Range<usize>) -> Range<usize> {
    let word = &text[range.clone()];
    let inner = shell::unquote(word);
    match word.find(inner) {
        Some(offset) if !inner.is_empty() => {
            range.start + offset..range.start + offset + inner.len()
        }
        _ => range,
    }
}

/// The values of `sed` substitutions that fill a WSGI placeholder of an Apache template:
/// `s|%PUBLICWSGI%|$KEYSTONE_BIN_DIR/keystone-wsgi-public|g`.
fn seds(line: &str) -> Vec<(&str, Range<usize>)> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(at) = line[from..].find("s").map(|at| from + at) {
        from = at + 1;
        let Some(&delimiter) = bytes.get(at + 1) else {
            break;
        };
        if !matches!(delimiter, b'|' | b'/' | b'#' | b',' | b'@' | b'!' | b':')
            || (at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_'))
        {
            continue;
        }
        let pattern_start = at + 2;
        let Some(pattern_len) = line[pattern_start..].find(delimiter as char) else {
            continue;
        };
        let pattern = &line[pattern_start..pattern_start + pattern_len];
        let is_wsgi_placeholder = pattern.len() > 2
            && pattern.starts_with('%')
            && pattern.ends_with('%')
            && pattern.contains("WSGI");
        if !is_wsgi_placeholder {
            continue;
        }
        let value_start = pattern_start + pattern_len + 1;
        let Some(value_len) = line[value_start..].find(delimiter as char) else {
            continue;
        };
        found.push((pattern, value_start..value_start + value_len));
        from = value_start + value_len;
    }
    found
}

/// The program of `run_process NAME "PROGRAM ARGS"` when it is a script in a bin directory run
/// as PBR's development server (`--port`): a WSGI script served without a WSGI server.
fn run_process_program(line: &str) -> Option<Range<usize>> {
    let words = shell::words(line);
    let index = words
        .iter()
        .position(|word| &line[word.clone()] == "run_process")?;
    let command = words.get(index + 2)?;
    let inner = unquoted(line, command.clone());
    let program_len = line[inner.clone()]
        .find(char::is_whitespace)
        .unwrap_or(inner.len());
    let program = inner.start..inner.start + program_len;
    let rest = &line[program.end..inner.end];
    (line[program.clone()].contains('/') && (rest.contains("--port") || rest.contains("--host")))
        .then_some(program)
}

/// What to run instead of a script served by its own development server.
fn dev_server_advice(script: &str, _map: &ScriptMap, spec: &str) -> String {
    format!(
        "runs the `{script}` script as PBR's development server, which current pip no longer \
         installs: run `uwsgi --http-socket HOST:PORT --module {spec}` (or gunicorn `{spec}`) instead"
    )
}

struct Assignment<'l> {
    name: &'l str,
    value: Range<usize>,
}

/// `NAME=VALUE` as the first word of the line (after `export`, `local` and the like), where
/// NAME says it holds a WSGI application.
fn assignment(line: &str) -> Option<Assignment<'_>> {
    let words = shell::words(line);
    let word = words.iter().find(|range| {
        let word = &line[(*range).clone()];
        !matches!(
            word,
            "export" | "local" | "declare" | "readonly" | "typeset"
        ) && !word.starts_with('-')
    })?;
    let text = &line[word.clone()];
    let equals = text.find('=')?;
    let name = &text[..equals];
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid && is_wsgi_variable(name)).then(|| Assignment {
        name,
        value: word.start + equals + 1..word.end,
    })
}

/// Whether a variable's name says it holds the WSGI application (`NOVA_UWSGI`,
/// `KEYSTONE_WSGI_APP`), rather than a directory, a config file or a port derived from it.
fn is_wsgi_variable(name: &str) -> bool {
    // `NOVA_USE_MOD_WSGI=True` is a switch.
    !name.contains("MOD_WSGI")
        && [
            "UWSGI",
            "WSGI",
            "UWSGI_APP",
            "WSGI_APP",
            "WSGI_FILE",
            "WSGI_SCRIPT",
        ]
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!("_{suffix}")))
}

/// The path token inside `range` of `line` that leads to a mapped script, with the script: a
/// directory path ending in the script name, or a `$(which script)` lookup.
fn script_path_in<'m>(
    line: &str,
    range: Range<usize>,
    map: &'m ScriptMap,
) -> Option<(Range<usize>, &'m str)> {
    let mentions = map.mentions(&line[range.clone()]);
    // A word naming two scripts is no path to one, and rewriting the first would leave the
    // second for the next run.
    let [mention] = mentions.as_slice() else {
        return None;
    };
    let start = range.start + mention.range.start;
    let end = range.start + mention.range.end;
    for lookup in ["$(which ", "$(type -p ", "$(command -v "] {
        if line[..start].ends_with(lookup) && line[end..].starts_with(')') {
            return Some((start - lookup.len()..end + 1, mention.script));
        }
    }
    let token_start = path_start(line, start).max(range.start);
    is_script_path(&line[token_start..start]).then_some((token_start..end, mention.script))
}

struct Call {
    function: &'static str,
    start: usize,
    /// Argument words, the function name excluded, with the WSGI argument at index 1.
    args: Vec<Range<usize>>,
}

fn calls(line: &str) -> Vec<Call> {
    let tokens = shell::tokenize(line);
    let mut calls = Vec::new();
    // A helper's name among another call's arguments is an argument, not a call.
    let mut arguments_end = 0;
    for (index, token) in tokens.iter().enumerate() {
        let Token::Word(range) = token else { continue };
        if index < arguments_end {
            continue;
        }
        let function = match &line[range.clone()] {
            WRITE => WRITE,
            WRITE_HTTP => WRITE_HTTP,
            REMOVE => REMOVE,
            "iniset" => "iniset",
            _ => continue,
        };
        let mut args: Vec<Range<usize>> = tokens[index + 1..]
            .iter()
            .map_while(|token| match token {
                Token::Word(range) => Some(range.clone()),
                Token::Operator(_) => None,
            })
            .collect();
        arguments_end = index + 1 + args.len();
        // `iniset` may take `-sudo` first; its arguments are then shifted by one.
        if function == "iniset"
            && args
                .first()
                .is_some_and(|first| line[first.clone()].starts_with('-'))
        {
            args.remove(0);
        }
        calls.push(Call {
            function,
            start: range.start,
            args,
        });
    }
    calls
}

fn shift(edits: Vec<Edit>, by: usize) -> Vec<Edit> {
    edits
        .into_iter()
        .map(|edit| Edit::replace(edit.range.start + by..edit.range.end + by, edit.replacement))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Action;
    use crate::dialect::testing;

    fn run(text: &str) -> (String, Vec<Finding>) {
        let map = testing::map(&[
            ("heat-wsgi-api", "heat.wsgi.api"),
            ("glance-wsgi-api", "glance.wsgi.api"),
            ("octavia-wsgi", "octavia.wsgi.api"),
        ]);
        testing::run(&Devstack, "devstack/lib/x", text, &map)
    }

    #[test]
    fn no_name_is_appended_inside_an_unclosed_quote() {
        // Found by `scripts/fuzz` (dialect_devstack): the name went after the last word, which
        // ran on to the end of the line inside its quote, and a second run rewrote it again.
        for line in [
            "write_local_uwsgi_http_config \"\" glance-wsgi-api\"\n",
            "write_uwsgi_config \"$C\" \"$X# \"/x\" \"\" \"glance-wsgi-api\"\n",
        ] {
            let (after, findings) = run(line);
            assert_eq!(after, line);
            assert_eq!(
                findings.iter().map(|f| f.action).collect::<Vec<_>>(),
                vec![Action::Manual],
                "{findings:?}"
            );
        }
    }

    #[test]
    fn a_helper_name_among_another_calls_arguments_is_no_call() {
        // Found by `scripts/fuzz` (dialect_devstack): the name appended to the first call made
        // the `write_uwsgi_config` word among its arguments look like a call of its own, which
        // a second run rewrote.
        let text = "write_uwsgi_config \"$C\" \"$B/glance-wsgi-api\" write_uwsgi_config \"$D\"\n";
        let (after, _) = run(text);
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert!(
            findings.iter().all(|f| f.action != Action::Rewrite),
            "{findings:?}"
        );
    }

    #[test]
    fn a_word_naming_two_scripts_is_left_to_a_person() {
        // Found by `scripts/fuzz` (dialect_devstack, from `WSGI=octavia-wsgi'glance-wsgi-api`):
        // only the first script of the word was rewritten, and a second run took the next one.
        for text in [
            "WSGI=octavia-wsgi'glance-wsgi-api\n",
            "HEAT_UWSGI=$HEAT_BIN_DIR/heat-wsgi-api,$GLANCE_BIN_DIR/glance-wsgi-api\n",
            "write_uwsgi_config \"$C\" \"$BIN/heat-wsgi-api $BIN/glance-wsgi-api\" \"/x\"\n",
            "iniset $C uwsgi wsgi-file $BIN/heat-wsgi-api:$BIN/glance-wsgi-api\n",
        ] {
            let (after, findings) = run(text);
            assert_eq!(after, text);
            assert!(
                findings.iter().all(|f| f.action != Action::Rewrite),
                "{findings:?}"
            );
        }
    }

    #[test]
    fn rewrites_variables_and_adds_the_name_argument() {
        let before = "HEAT_API_UWSGI=$HEAT_BIN_DIR/heat-wsgi-api\nfunction start {\n    write_uwsgi_config \"$HEAT_API_UWSGI_CONF\" \"$HEAT_API_UWSGI\" \"/heatapi\"\n}\nfunction stop {\n    remove_uwsgi_config \"$HEAT_API_UWSGI_CONF\" \"$HEAT_API_UWSGI\"\n}\n";
        let (after, _) = run(before);
        assert_eq!(
            after,
            "HEAT_API_UWSGI=heat.wsgi.api:application\nfunction start {\n    write_uwsgi_config \"$HEAT_API_UWSGI_CONF\" \"$HEAT_API_UWSGI\" \"/heatapi\" \"\" \"heat-wsgi-api\"\n}\nfunction stop {\n    remove_uwsgi_config \"$HEAT_API_UWSGI_CONF\" \"heat-wsgi-api\"\n}\n"
        );
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert!(
            findings.iter().all(|finding| finding.action == Action::Ok),
            "{findings:?}"
        );
    }

    #[test]
    fn defaults_lookups_inline_paths_and_iniset() {
        let (after, _) =
            run("OCTAVIA_UWSGI_APP=${OCTAVIA_UWSGI_APP:-${OCTAVIA_BIN_DIR}/octavia-wsgi}\n");
        assert_eq!(
            after,
            "OCTAVIA_UWSGI_APP=${OCTAVIA_UWSGI_APP:-octavia.wsgi.api:application}\n"
        );
        let (after, _) = run("export GLANCE_UWSGI=\"$(which glance-wsgi-api)\"\n");
        assert_eq!(
            after,
            "export GLANCE_UWSGI=\"glance.wsgi.api:application\"\n"
        );
        let (after, _) = run(
            "    write_local_uwsgi_http_config \"$GLANCE_UWSGI_CONF\" \"$GLANCE_BIN_DIR/glance-wsgi-api\" \"/image\"\n",
        );
        assert_eq!(
            after,
            "    write_local_uwsgi_http_config \"$GLANCE_UWSGI_CONF\" \"glance.wsgi.api:application\" \"/image\" \"glance-wsgi-api\"\n"
        );
        let (after, _) = run("iniset $CONF uwsgi wsgi-file $HEAT_BIN_DIR/heat-wsgi-api\n");
        assert_eq!(
            after,
            "iniset $CONF uwsgi module heat.wsgi.api:application\n"
        );
    }

    #[test]
    fn other_mentions_are_manual() {
        let text = "# HEAT_API_UWSGI=$HEAT_BIN_DIR/heat-wsgi-api\nsudo cp $HEAT_BIN_DIR/heat-wsgi-api /var/www\n";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        assert_eq!(findings.len(), 2);
        assert!(
            findings
                .iter()
                .all(|finding| finding.action == Action::Manual)
        );
    }

    #[test]
    fn remove_must_name_what_write_named() {
        let text = "X_UWSGI=$X_BIN_DIR/heat-wsgi-api\nwrite_uwsgi_config \"$X_CONF\" \"$X_UWSGI\" \"/x\" \"\" \"heat-api\"\nremove_uwsgi_config \"$X_CONF\" \"heat-wsgi\"\n";
        let (_, findings) = run(text);
        let mismatch: Vec<&Finding> = findings
            .iter()
            .filter(|finding| finding.code == Code::DevstackAppName)
            .collect();
        assert_eq!(mismatch.len(), 1, "{findings:?}");
        assert!(mismatch[0].message.contains("`heat-api`"));
        // The names a migration writes agree: nothing to report.
        let (after, _) = run(
            "HEAT_UWSGI=$HEAT_BIN_DIR/heat-wsgi-api\nwrite_uwsgi_config \"$C\" \"$HEAT_UWSGI\" \"/heat\"\nremove_uwsgi_config \"$C\" \"$HEAT_UWSGI\"\n",
        );
        let (_, findings) = run(&after);
        assert!(
            findings
                .iter()
                .all(|finding| finding.code != Code::DevstackAppName),
            "{after}"
        );
    }

    #[test]
    fn a_module_path_given_as_the_removed_name_is_reported() {
        // ironic's plugin: the variable became a module path, and the removal still passes it.
        let text = "IRONIC_UWSGI=${IRONIC_UWSGI:-ironic.wsgi:application}\nremove_uwsgi_config \"$IRONIC_UWSGI_CONF\" \"$IRONIC_UWSGI\"\nwrite_uwsgi_config \"$IRONIC_UWSGI_CONF\" \"$IRONIC_UWSGI\" \"/baremetal\" \"\" \"ironic-api\"\n";
        let (_, findings) = run(text);
        let mismatch: Vec<&Finding> = findings
            .iter()
            .filter(|finding| finding.code == Code::DevstackAppName)
            .collect();
        assert_eq!(mismatch.len(), 1, "{findings:?}");
        assert!(mismatch[0].message.contains("`ironic.wsgi:application`"));
    }

    #[test]
    fn claims_plugin_files_but_not_docs() {
        assert!(Devstack.claims("devstack/plugin.sh"));
        assert!(Devstack.claims("devstack/lib/heat"));
        assert!(!Devstack.claims("devstack/README.rst"));
        assert!(!Devstack.claims("devstack/files/apache-heat-api.template"));
        assert!(
            Devstack.claims("lib/nova"),
            "DevStack's own service libraries"
        );
        assert!(Devstack.claims("stackrc"));
        assert!(!Devstack.claims("lib/helpers.py"));
    }
}
