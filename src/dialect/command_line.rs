//! Command lines, shared by the shell script, systemd and Dockerfile dialects: one logical
//! command (possibly continued over lines with `\`) read as words, and every mention of a script
//! in it turned into exactly one finding.
//!
//! - A uWSGI invocation (a word whose basename is `uwsgi`: `/usr/bin/uwsgi`, `$(which uwsgi)`,
//!   `.tox/py3/bin/uwsgi`) given `--wsgi-file P`, `--wsgi-file=P`, `--file P` or `--file=P`,
//!   where `P` is a path ending in a script (`/usr/bin/x`, `$VAR/x`, `${VAR}/x`, `{{ bin }}/x`) or
//!   a lookup (`$(which x)`, `$(type -p x)`), quoted or not, is rewritten to
//!   `--module M:application` (or `--module=M:application`), keeping the value's quotes. When the
//!   same invocation already passes `--module`/`-w` with that application, the command line is a
//!   working transitional one (uWSGI loads the module first) and is left alone.
//! - `UWSGI_WSGI_FILE=P` and `UWSGI_FILE=P` (uWSGI reads any `UWSGI_<OPTION>` variable as an
//!   option) become `UWSGI_MODULE=M:application`, wherever the assignment stands: a prefix, `env`,
//!   `export`, `docker run -e`, Dockerfile `ENV`, systemd `Environment=`.
//! - A script run directly is PBR's wsgiref test server, which has no module equivalent; gunicorn
//!   cannot load a script file at all. Both are reported with the `uwsgi`/`gunicorn` command to run
//!   instead, with the port the command used, and the arguments after `--` moved to `--pyargv`.
//! - A copy of the script (`cp`, `install`, `ln`, Dockerfile `COPY`/`ADD`) breaks once the script
//!   is gone: reported, with the shim to put in a cgi-bin directory. Any other mention is reported
//!   too, except a bare name given to a service manager (`systemctl restart nova-api-wsgi`) or to a
//!   uWSGI naming option, which names a process and is kept.
//!
//! A `sh -c "..."` string is read as a command line of its own. Jinja `{{ ... }}` expressions count
//! as one word and `{% ... %}` tags as blanks, so templates read like the files they render.
//!
//! See: deploy-configs.md §2.3 (Command line, Environment), §2.4, §5, §13; uWSGI
//! `core/utils.c` (`env_to_arg`); PBR `_wsgi_text` (the test server's `--port`, `--host`, `--`).

use std::collections::BTreeSet;
use std::ops::Range;

use crate::code::Code;
use crate::dialect::directive::{self, Directive, Loads, Rewrite};
use crate::dialect::{Finding, GLANCE_WARNING, Mention, ScriptMap, is_script_path, path_start};
use crate::syntax::edit::Edit;
use crate::syntax::shell::{self, Token};
use crate::syntax::text;

/// uWSGI's options that load a script file.
const FILE_OPTIONS: [&str; 2] = ["wsgi-file", "file"];
/// The environment forms of [`FILE_OPTIONS`].
const FILE_VARIABLES: [&str; 2] = ["UWSGI_WSGI_FILE", "UWSGI_FILE"];
/// uWSGI's options that load a module.
const MODULE_OPTIONS: [&str; 3] = ["--module", "--wsgi", "-w"];
/// uWSGI's HTTP modes, under which Glance breaks.
const HTTP_OPTIONS: [&str; 3] = ["--http", "--http-socket", "--https"];
/// Ways to look a program up on `PATH`; the script inside may be rewritten when it is literal.
const LOOKUPS: [(&str, &str); 6] = [
    ("$(which ", ")"),
    ("$(type -p ", ")"),
    ("$(command -v ", ")"),
    ("`which ", "`"),
    ("`type -p ", "`"),
    ("`command -v ", "`"),
];
/// Programs that copy or link a file; a script copied somewhere breaks once it is gone.
const COPIES: [&str; 8] = ["cp", "install", "mv", "ln", "rsync", "scp", "COPY", "ADD"];
/// Programs whose bare-name arguments are services, processes or sites, not files.
const NAMERS: [&str; 20] = [
    "systemctl",
    "service",
    "supervisorctl",
    "pkill",
    "pgrep",
    "killall",
    "pidof",
    "journalctl",
    "sv",
    "rc-service",
    "rc-update",
    "update-rc.d",
    "chkconfig",
    "a2ensite",
    "a2dissite",
    "a2enconf",
    "a2disconf",
    "useradd",
    "groupadd",
    "logger",
];
/// Shells (and user switchers) whose `-c` argument is a command line.
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "ash", "zsh", "ksh", "su", "runuser"];
/// What PBR's test server listens on without `--port`.
const DEFAULT_PORT: &str = "8000";

/// `text` prepared for the shell tokenizer, byte for byte: the blanks inside Jinja `{{ ... }}`
/// become `_` (so an expression stays one word) and `{% ... %}` / `{# ... #}` tags become spaces.
/// Only tags closed on their own line count, so shell's `${#array[@]}` is left alone.
pub fn mask_templates(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut at = 0;
    while at + 1 < bytes.len() {
        let close: &[u8] = match (bytes[at], bytes[at + 1]) {
            (b'{', b'{') => b"}}",
            (b'{', b'%') => b"%}",
            (b'{', b'#') if at == 0 || bytes[at - 1] != b'$' => b"#}",
            _ => {
                at += 1;
                continue;
            }
        };
        let line_end = bytes[at..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(bytes.len(), |offset| at + offset);
        let Some(end) = bytes[at + 2..line_end]
            .windows(2)
            .position(|pair| pair == close)
            .map(|offset| at + 2 + offset + 2)
        else {
            at += 2;
            continue;
        };
        for byte in &mut bytes[at..end] {
            if close == b"}}" {
                if matches!(*byte, b' ' | b'\t') {
                    *byte = b'_';
                }
            } else if byte.is_ascii() {
                *byte = b' ';
            }
        }
        at = end;
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// Replace `range` of `masked` with spaces of the same length (keeping line endings when asked),
/// so that the tokenizer skips it.
pub fn blank(masked: &mut String, range: Range<usize>, keep_line_endings: bool) {
    let Some(part) = masked.get(range.clone()) else {
        return;
    };
    let spaces: String = part
        .chars()
        .map(|c| {
            if keep_line_endings && matches!(c, '\n' | '\r') {
                c.to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect();
    masked.replace_range(range, &spaces);
}

/// Find the here-documents in `masked[range]`, blank their bodies and end lines (the tokenizer
/// knows nothing of them) and return each body's range.
pub fn blank_here_documents(masked: &mut String, range: Range<usize>) -> Vec<Range<usize>> {
    let mut bodies = Vec::new();
    let mut from = range.start;
    while from < range.end {
        let Some(slice) = masked.get(from..range.end) else {
            break;
        };
        // Tokens are read only as far as the next here-document's body: reading the rest of
        // the file for each one made a file of many here-documents quadratic.
        let mut stream = shell::Tokens::new(slice);
        let mut tokens = Vec::new();
        let mut opened = None;
        while opened.is_none() {
            let more = stream.next();
            let ended = more.is_none();
            tokens.extend(more);
            // `<< WORD` needs the token after `<<`: decide on a token once the next one is read.
            let ready = if ended {
                tokens.len()
            } else {
                tokens.len() - 1
            };
            let checked = tokens.len().saturating_sub(2);
            opened = (checked.min(ready)..ready)
                .find_map(|index| Some((index, here_document(slice, &tokens, index)?)));
            if ended {
                break;
            }
        }
        let Some((index, (delimiter, strip_tabs))) = opened else {
            break;
        };
        let is_newline = |token: &Token| match token {
            Token::Operator(operator) if &slice[operator.clone()] == "\n" => {
                Some(from + operator.end)
            }
            _ => None,
        };
        let Some(body_start) = tokens[index..]
            .iter()
            .find_map(is_newline)
            .or_else(|| stream.find_map(|token| is_newline(&token)))
        else {
            break;
        };
        let end = here_document_end(masked, body_start..range.end, &delimiter, strip_tabs);
        bodies.push(body_start..end.0);
        blank(masked, body_start..end.1, true);
        from = end.1;
    }
    bodies
}

/// Where a here-document whose body starts at `body.start` ends: the start and the end of its
/// delimiter line (both `body.end` when the delimiter never comes).
pub fn here_document_end(
    text: &str,
    body: Range<usize>,
    delimiter: &str,
    strip_tabs: bool,
) -> (usize, usize) {
    for line in text::lines(&text[body.clone()]) {
        let content = if strip_tabs {
            line.content.trim_start_matches('\t')
        } else {
            line.content
        };
        if content == delimiter {
            return (body.start + line.start, body.start + line.end);
        }
    }
    (body.end, body.end)
}

/// The delimiters of the here-documents opened in `masked[range]`, in order, with whether their
/// leading tabs are stripped (`<<-`).
pub fn here_document_delimiters(masked: &str, range: Range<usize>) -> Vec<(String, bool)> {
    let Some(slice) = masked.get(range) else {
        return Vec::new();
    };
    let tokens = shell::tokenize(slice);
    (0..tokens.len())
        .filter_map(|index| here_document(slice, &tokens, index))
        .collect()
}

/// The delimiter of the `<<WORD`, `<<-WORD`, `<<'WORD'` or `<< WORD` redirection that the token
/// at `index` opens, if it opens one, and whether leading tabs are stripped.
fn here_document(text: &str, tokens: &[Token], index: usize) -> Option<(String, bool)> {
    let Token::Word(word) = &tokens[index] else {
        return None;
    };
    let word = &text[word.clone()];
    let at = word.find("<<")?;
    if word[..at].contains(['$', '"', '\'', '`']) || word[at + 2..].starts_with('<') {
        return None;
    }
    let rest = &word[at + 2..];
    let (delimiter, strip_tabs) = match rest.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let delimiter = match (delimiter, tokens.get(index + 1)) {
        ("", Some(Token::Word(next))) => &text[next.clone()],
        ("", _) => return None,
        (delimiter, _) => delimiter,
    };
    let delimiter = shell::unquote(delimiter.trim_start_matches('\\'));
    (!delimiter.is_empty()).then(|| (delimiter.to_owned(), strip_tabs))
}

/// The findings for every mention in the shell text `text[range]`, read as command lines. `masked`
/// is `text` as the tokenizer should see it (see [`mask_templates`]), the same length.
pub fn scan_shell(text: &str, masked: &str, range: Range<usize>, map: &ScriptMap) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(slice) = masked.get(range.clone()) else {
        return findings;
    };
    let mut words = Vec::new();
    for token in shell::tokenize(slice) {
        match token {
            Token::Word(word) => words.push(range.start + word.start..range.start + word.end),
            Token::Operator(_) => {
                findings.extend(scan_words(text, masked, &words, map));
                words.clear();
            }
        }
    }
    findings.extend(scan_words(text, masked, &words, map));
    findings
}

/// The findings for every mention in one simple command, given as its words (with their quotes;
/// a JSON string counts as a double-quoted word).
pub fn scan_words(
    text: &str,
    masked: &str,
    words: &[Range<usize>],
    map: &ScriptMap,
) -> Vec<Finding> {
    let mentioned: Vec<(usize, Vec<Mention<'_>>)> = words
        .iter()
        .enumerate()
        .map(|(index, word)| {
            let mentions = map
                .mentions(&text[word.clone()])
                .into_iter()
                .map(|mention| Mention {
                    range: word.start + mention.range.start..word.start + mention.range.end,
                    script: mention.script,
                })
                .collect();
            (index, mentions)
        })
        .filter(|(_, mentions): &(usize, Vec<Mention<'_>>)| !mentions.is_empty())
        .collect();
    let command = Command::read(text, words);
    let mut findings = command.unmapped_loads(map);
    if mentioned.is_empty() {
        return findings;
    }
    for (index, mentions) in mentioned {
        if command.is_inline_script(index) {
            let inner = unquoted(text, words[index].clone());
            findings.extend(scan_shell(text, masked, inner, map));
            continue;
        }
        for mention in &mentions {
            findings.push(command.finding(index, mention, map));
        }
    }
    findings
}

/// The finding for a mention in the value of the assignment `name=value` (or Dockerfile's
/// `ENV name value`): `UWSGI_WSGI_FILE`/`UWSGI_FILE` are rewritten to `UWSGI_MODULE`, any other
/// variable holding the script is reported.
pub fn assignment_finding(
    text: &str,
    name: Range<usize>,
    value: Range<usize>,
    mention: &Mention<'_>,
    map: &ScriptMap,
) -> Finding {
    let script = mention.script;
    let app = map.app_spec(script).unwrap_or_default();
    let variable = &text[name.clone()];
    if !FILE_VARIABLES.contains(&variable) {
        return Finding::manual(
            mention.range.start,
            script,
            format!(
                "`{variable}` is set to the `{script}` script, which goes away with the migration; \
                 if a WSGI server loads it, load the module `{app}` instead (uWSGI `--module {app}`, \
                 gunicorn `{app}`)"
            ),
        );
    }
    let read_elsewhere = [format!("${variable}"), format!("${{{variable}")]
        .iter()
        .any(|reference| text.contains(reference.as_str()));
    if read_elsewhere {
        return Finding::manual(
            mention.range.start,
            script,
            format!(
                "`{variable}` names the `{script}` script and is also read as `${variable}` in this \
                 file; set `UWSGI_MODULE={app}` instead and change what reads `${variable}` to match"
            ),
        );
    }
    if script_value(text, value.clone(), map) != Some(script) {
        return Finding::manual(
            mention.range.start,
            script,
            format!(
                "`{variable}` names the `{script}` script in a form this tool does not rewrite \
                 (`{}`); set `UWSGI_MODULE={app}` instead",
                &text[value]
            ),
        );
    }
    Finding::rewrite(
        mention.range.start,
        script,
        format!(
            "replace `{}` with `UWSGI_MODULE{}{app}`",
            &text[name.start..value.end],
            &text[name.end..value.start]
        ),
        vec![
            Edit::replace(name, "UWSGI_MODULE"),
            Edit::replace(unquoted(text, value), app),
        ],
    )
}

/// The finding for a mention in a comment, if it is one: a commented-out command or setting
/// that loads the script (a path to it, or the file of a directive) is reported, never
/// rewritten, since nobody runs it; a bare name in a comment is prose and needs nothing.
pub fn comment_finding(text: &str, mention: &Mention<'_>, map: &ScriptMap) -> Option<Finding> {
    let start = mention.range.start;
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let line = &text[line_start..line_end];
    let in_directive = directive::in_prose(line).iter().any(|(_, value)| {
        line_start + value.start <= start && mention.range.end <= line_start + value.end
    });
    let from = path_start(text, start);
    let is_path = from < start && is_script_path(&text[from..start]);
    if !(in_directive || is_path) {
        return None;
    }
    let script = mention.script;
    let app = map.app_spec(script).unwrap_or_default();
    Some(
        Finding::manual(
            start,
            script,
            format!(
                "commented-out line mentions the `{script}` script, which goes away with the migration; \
                 it is not rewritten: make it load `{app}` (uWSGI `--module {app}`) or delete it"
            ),
        )
        .with_code(Code::CommentedLoad),
    )
}

/// The finding for a mention outside anything this tool reads as a command.
pub fn other_finding(mention: &Mention<'_>, map: &ScriptMap, place: &str) -> Finding {
    let script = mention.script;
    let app = map.app_spec(script).unwrap_or_default();
    Finding::manual(
        mention.range.start,
        script,
        format!(
            "mentions the `{script}` script {place}; the script goes away with the migration: \
             point this at the module `{app}` by hand"
        ),
    )
}

/// Where each line's comment starts: the first `#` at the start of a line, after a blank, or
/// with only blanks before it. Read once per file, so that asking about each of many mentions
/// on one long line stays linear.
pub struct Comments {
    index: text::LineIndex,
    starts: Vec<Option<usize>>,
}

impl Comments {
    pub fn new(text: &str) -> Comments {
        let mut starts = Vec::new();
        let mut line_start = 0;
        for line in text.split('\n') {
            let mut blank = true;
            let mut after_blank = true;
            let start = line.char_indices().find_map(|(at, c)| {
                if c == '#' && (blank || after_blank) {
                    return Some(line_start + at);
                }
                blank &= c.is_whitespace();
                after_blank = matches!(c, ' ' | '\t');
                None
            });
            starts.push(start);
            line_start += line.len() + 1;
        }
        Comments {
            index: text::LineIndex::new(text),
            starts,
        }
    }

    /// Whether the mention at `offset` sits after a `#` that starts a comment on its line.
    pub fn holds(&self, offset: usize) -> bool {
        let line = self.index.line_of(offset);
        self.starts
            .get(line - 1)
            .copied()
            .flatten()
            .is_some_and(|start| start < offset)
    }
}

/// The findings for a here-document body (text a command writes to a file): a uWSGI ini
/// `wsgi-file = P` line (or `file = P` in `[uwsgi]`) becomes `module = M:application`; any other
/// mention is reported.
pub fn scan_here_document(text: &str, body: Range<usize>, map: &ScriptMap) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut section = "";
    for line in text::lines(&text[body.clone()]) {
        let start = body.start + line.start;
        let content = line.content;
        let trimmed = content.trim();
        if let Some(name) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = name.trim();
        }
        let mentions: Vec<Mention<'_>> = map
            .mentions(content)
            .into_iter()
            .map(|mention| Mention {
                range: start + mention.range.start..start + mention.range.end,
                script: mention.script,
            })
            .collect();
        if mentions.is_empty() {
            continue;
        }
        let setting = content.find('=').and_then(|equals| {
            let key = content[..equals].trim();
            let uwsgi = section == "uwsgi" || section.starts_with("uwsgi:");
            let loads = key == "wsgi-file" || (key == "file" && uwsgi);
            let raw = &content[equals + 1..];
            let value_start = start + equals + 1 + (raw.len() - raw.trim_start().len());
            let key_start = start + (content.len() - content.trim_start().len());
            (loads && !trimmed.starts_with(['#', ';'])).then(|| {
                (
                    key_start..key_start + key.len(),
                    value_start..value_start + raw.trim().len(),
                )
            })
        });
        for mention in &mentions {
            let script = mention.script;
            let app = map.app_spec(script).unwrap_or_default();
            let rewrite = setting.as_ref().filter(|(_, value)| {
                value.start <= mention.range.start
                    && mention.range.end <= value.end
                    && script_value(text, value.clone(), map) == Some(script)
            });
            let finding = match rewrite {
                Some((key, value)) => Finding::rewrite(
                    mention.range.start,
                    script,
                    format!(
                        "replace `{}` with `module = {app}` in the here-document",
                        &text[key.start..value.end]
                    ),
                    vec![
                        Edit::replace(key.clone(), "module"),
                        Edit::replace(value.clone(), app),
                    ],
                ),
                None => Finding::manual(
                    mention.range.start,
                    script,
                    format!(
                        "a here-document writes the `{script}` script's name into a file; the script \
                         goes away with the migration: if it is a uWSGI config, write \
                         `module = {app}`, otherwise point it at the module `{app}` by hand"
                    ),
                ),
            };
            findings.push(finding);
        }
    }
    findings
}

/// The part of `range` inside one pair of quotes that encloses all of it, or `range` itself.
pub fn unquoted(text: &str, range: Range<usize>) -> Range<usize> {
    let bytes = text[range.clone()].as_bytes();
    let [quote, .., last] = bytes else {
        return range;
    };
    if !matches!(quote, b'"' | b'\'') || last != quote {
        return range;
    }
    let inner = &bytes[1..bytes.len() - 1];
    let mut escaped = false;
    for &byte in inner {
        if escaped {
            escaped = false;
        } else if byte == b'\\' && *quote == b'"' {
            escaped = true;
        } else if byte == *quote {
            return range;
        }
    }
    if escaped {
        return range;
    }
    range.start + 1..range.end - 1
}

/// The script that the value in `range` names as a whole: a directory path ending in its name, or
/// a `$(which name)` lookup, quoted or not.
pub fn script_value<'m>(text: &str, range: Range<usize>, map: &'m ScriptMap) -> Option<&'m str> {
    let value = &text[unquoted(text, range)];
    let mention = map.mentions(value).pop()?;
    let before = &value[..mention.range.start];
    let after = &value[mention.range.end..];
    let lookup = LOOKUPS
        .iter()
        .any(|(open, close)| before == *open && after == *close);
    let path =
        after.is_empty() && path_start(value, mention.range.start) == 0 && is_script_path(before);
    (lookup || path).then_some(mention.script)
}

/// The program a word names: its basename, looked through quotes and `$(which ...)`.
fn command_name(text: &str, range: Range<usize>) -> &str {
    let word = &text[unquoted(text, range)];
    let word = LOOKUPS
        .iter()
        .find_map(|(open, close)| word.strip_prefix(open)?.strip_suffix(close))
        .unwrap_or(word);
    word.rsplit('/').next().unwrap_or(word)
}

/// `NAME=VALUE` in a word (or in its quotes): the name's and the value's ranges.
fn assignment(text: &str, range: Range<usize>) -> Option<(Range<usize>, Range<usize>)> {
    let inner = unquoted(text, range);
    let word = &text[inner.clone()];
    let equals = word.find('=')?;
    let name = &word[..equals];
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| {
        (
            inner.start..inner.start + equals,
            inner.start + equals + 1..inner.end,
        )
    })
}

fn is_uwsgi(name: &str) -> bool {
    matches!(name, "uwsgi" | "uwsgi-core" | "pyuwsgi") || name.starts_with("uwsgi_python")
}

fn is_gunicorn(name: &str) -> bool {
    matches!(name, "gunicorn" | "gunicorn3")
}

fn is_python(name: &str) -> bool {
    ["python", "pypy"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
    })
}

fn covers(range: &Range<usize>, mention: &Mention<'_>) -> bool {
    range.start <= mention.range.start && mention.range.end <= range.end
}

/// `value` quoted for a shell, for a suggested command.
fn shell_quote(value: &str) -> String {
    if value.contains('"') {
        format!("'{value}'")
    } else {
        format!("\"{value}\"")
    }
}

/// One simple command and what its words are.
struct Command<'t> {
    text: &'t str,
    words: &'t [Range<usize>],
    /// The word naming the program run, past assignments and wrappers (`exec`, `sudo -u x`, ...).
    program: Option<usize>,
    /// The script a Python interpreter (the program) runs.
    python_script: Option<usize>,
    uwsgi: Option<usize>,
    gunicorn: Option<usize>,
    /// The first word naming a shell (`sh`, `su`, ...), for `sh -c '...'`.
    shell: Option<usize>,
    /// The applications the uWSGI invocation loads as modules (`--module X`, `--wsgi=X`).
    modules: std::collections::HashSet<&'t str>,
    /// Whether the uWSGI invocation serves HTTP itself.
    http_mode: bool,
}

/// A uWSGI option that loads a script file, in one invocation.
struct FileOption {
    /// The option's name after `--`, replaced with `module`.
    name: Range<usize>,
    /// Its value, with quotes.
    value: Range<usize>,
    /// The option as written, for messages.
    shown: String,
}

impl<'t> Command<'t> {
    fn read(text: &'t str, words: &'t [Range<usize>]) -> Command<'t> {
        let program = program(text, words);
        let python_script = program.and_then(|program| {
            if !is_python(command_name(text, words[program].clone())) {
                return None;
            }
            let mut at = program + 1;
            while let Some(word) = words.get(at) {
                let word = &text[unquoted(text, word.clone())];
                match word {
                    "-m" | "-c" => return None,
                    "-W" | "-X" => at += 2,
                    _ if word.starts_with('-') => at += 1,
                    _ => return Some(at),
                }
            }
            None
        });
        let find = |wanted: fn(&str) -> bool| {
            (0..words.len()).find(|&index| {
                let word = &text[unquoted(text, words[index].clone())];
                !word.starts_with('-')
                    && assignment(text, words[index].clone()).is_none()
                    && wanted(command_name(text, words[index].clone()))
            })
        };
        let mut command = Command {
            text,
            words,
            program,
            python_script,
            uwsgi: find(is_uwsgi),
            gunicorn: find(is_gunicorn),
            shell: (0..words.len())
                .find(|&at| SHELLS.contains(&command_name(text, words[at].clone()))),
            modules: std::collections::HashSet::new(),
            http_mode: false,
        };
        // What the uWSGI options say is read once per command, not once per mention: one long
        // continued command line holding many mentions stays linear.
        if let Some(uwsgi) = command.uwsgi {
            for index in uwsgi + 1..words.len() {
                let word = command.word(index);
                let value = if MODULE_OPTIONS.contains(&word) {
                    words.get(index + 1).map(|_| command.word(index + 1))
                } else {
                    ["--module=", "--wsgi="]
                        .iter()
                        .find_map(|prefix| word.strip_prefix(prefix))
                };
                command.modules.extend(value);
                let option = word.split_once('=').map_or(word, |(option, _)| option);
                command.http_mode |= HTTP_OPTIONS.contains(&option);
            }
        }
        command
    }

    /// The word at `index`, inside its quotes.
    fn word(&self, index: usize) -> &'t str {
        &self.text[unquoted(self.text, self.words[index].clone())]
    }

    /// Whether the word at `index` is the command string of `sh -c`, `su -c` and the like.
    fn is_inline_script(&self, index: usize) -> bool {
        index >= 2 && {
            let flag = self.word(index - 1);
            let is_c = flag.starts_with('-')
                && flag.ends_with('c')
                && flag[1..].chars().all(|c| c.is_ascii_alphabetic());
            is_c && self.shell.is_some_and(|shell| shell < index - 1)
        }
    }

    /// The uWSGI file option whose value is the word at `index`, or which is that word.
    fn file_option(&self, index: usize) -> Option<FileOption> {
        let uwsgi = self.uwsgi?;
        if index <= uwsgi {
            return None;
        }
        let inner = unquoted(self.text, self.words[index].clone());
        let word = &self.text[inner.clone()];
        for option in FILE_OPTIONS {
            if let Some(value) = word
                .strip_prefix("--")
                .and_then(|rest| rest.strip_prefix(option))
                .and_then(|rest| rest.strip_prefix('='))
            {
                return Some(FileOption {
                    name: inner.start + 2..inner.start + 2 + option.len(),
                    value: inner.end - value.len()..inner.end,
                    shown: word.to_owned(),
                });
            }
        }
        if index < uwsgi + 2 {
            return None;
        }
        let option = unquoted(self.text, self.words[index - 1].clone());
        let name = self.text[option.clone()].strip_prefix("--")?;
        FILE_OPTIONS.contains(&name).then(|| FileOption {
            name: option.start + 2..option.end,
            value: self.words[index].clone(),
            shown: format!("--{name} {}", &self.text[self.words[index].clone()]),
        })
    }

    fn finding(&self, index: usize, mention: &Mention<'_>, map: &ScriptMap) -> Finding {
        let text = self.text;
        let script = mention.script;
        let app = map.app_spec(script).unwrap_or_default();
        let offset = mention.range.start;
        let word = self.word(index);
        let previous = index.checked_sub(1).map(|at| self.word(at));

        if let Some(option) = self.file_option(index)
            && covers(&option.value, mention)
        {
            return self.file_option_finding(option, mention, map);
        }
        if let Some((name, value)) = assignment(text, self.words[index].clone())
            && covers(&value, mention)
        {
            return assignment_finding(text, name, value, mention, map);
        }
        let program = self
            .program
            .map(|program| command_name(text, self.words[program].clone()));
        let runs = (Some(index) == self.program || Some(index) == self.python_script)
            && command_name(text, self.words[index].clone()) == script;
        if runs {
            return self.dev_server(index, mention, map);
        }
        let bare = word == script;
        let named_by_option = bare && previous.is_some_and(|option| option.starts_with('-'));
        if let Some(gunicorn) = self.gunicorn
            && index > gunicorn
        {
            if named_by_option && matches!(previous, Some("-n" | "--name")) {
                return Finding::ok(
                    offset,
                    script,
                    format!("gunicorn's process name `{script}` is kept"),
                );
            }
            return Finding::manual(
                offset,
                script,
                format!(
                    "gunicorn cannot load the `{script}` script (it imports modules only): give it \
                     the module `{app}` in place of `{word}`"
                ),
            );
        }
        if let Some(uwsgi) = self.uwsgi
            && index > uwsgi
        {
            if named_by_option {
                return Finding::ok(
                    offset,
                    script,
                    format!(
                        "`{}` names something after the `{script}` script, not the script file; \
                         names are kept",
                        previous.unwrap_or_default()
                    ),
                );
            }
            return Finding::manual(
                offset,
                script,
                format!(
                    "uWSGI is given the `{script}` script outside `--wsgi-file` (`{}`); the script goes \
                     away with the migration: load it with `--module {app}` instead",
                    &text[self.words[index].clone()]
                ),
            );
        }
        let Some(program) = program else {
            return Finding::manual(
                offset,
                script,
                format!(
                    "mentions the `{script}` script; the script goes away with the migration: point \
                     this at the module `{app}` by hand"
                ),
            );
        };
        if COPIES.contains(&program) {
            return self.copy_finding(program, index, mention, map);
        }
        if bare && NAMERS.contains(&program) {
            return Finding::ok(
                offset,
                script,
                format!(
                    "`{program}` is given `{script}` as a service, process or site name, not the \
                     script file; names are kept"
                ),
            );
        }
        if !crate::dialect::looks_installed(text, mention.range.clone()) {
            // A package (`apt-get install placement-api`), host or unit named after the script.
            return Finding::ok(
                offset,
                script,
                format!("`{program}` is given `{script}` as a name, not the installed script"),
            );
        }
        Finding::manual(
            offset,
            script,
            format!(
                "`{program}` uses the `{script}` script, which goes away with the migration: \
                 change or delete this command by hand (the application is now the module `{app}`)"
            ),
        )
    }

    fn file_option_finding(
        &self,
        option: FileOption,
        mention: &Mention<'_>,
        map: &ScriptMap,
    ) -> Finding {
        let script = mention.script;
        self.file_option_directive(&option, map).unwrap_or_else(|| {
            let app = map.app_spec(script).unwrap_or_default();
            Finding::manual(
                mention.range.start,
                script,
                format!(
                    "uWSGI loads the `{script}` script with `{}`, a value this tool does not \
                     rewrite; replace the option with `--module {app}`",
                    option.shown
                ),
            )
        })
    }

    /// The decision on a uWSGI file option, as for every directive.
    fn file_option_directive(&self, option: &FileOption, map: &ScriptMap) -> Option<Finding> {
        let value = unquoted(self.text, option.value.clone());
        let key = option.name.start - 2..option.name.end;
        let directive = Directive {
            rewrite: Some(Rewrite {
                key: Some((key.clone(), "--module")),
                value: value.clone(),
                closing: None,
            }),
            sibling_modules: self
                .modules
                .iter()
                .map(|module| (*module).to_owned())
                .collect(),
            http_mode: self.http_mode,
            ..Directive::new(&self.text[key], value, Loads::File)
        };
        directive::decide(&directive, self.text, map)
    }

    /// The directives of this command whose value names no script the map knows: a uWSGI file
    /// option or `UWSGI_WSGI_FILE` loading an unknown, unmigrated, in-tree or templated file.
    fn unmapped_loads(&self, map: &ScriptMap) -> Vec<Finding> {
        let mut findings = Vec::new();
        for index in 0..self.words.len() {
            let word = self.words[index].clone();
            if !map.mentions(&self.text[word.clone()]).is_empty() {
                continue;
            }
            if let Some(option) = self.file_option(index) {
                // A variable set in the same file is judged where it is set.
                let value = &self.text[unquoted(self.text, option.value.clone())];
                let defined_here = shell::variable_reference(value).is_some_and(|variable| {
                    self.text.contains(&format!("{variable}="))
                        || self.text.contains(&format!("ENV {variable} "))
                });
                if !defined_here {
                    findings.extend(self.file_option_directive(&option, map));
                }
            } else if let Some((name, value)) = assignment(self.text, word)
                && FILE_VARIABLES.contains(&&self.text[name.clone()])
            {
                let value = unquoted(self.text, value);
                let directive = Directive {
                    rewrite: Some(Rewrite {
                        key: Some((name.clone(), "UWSGI_MODULE")),
                        value: value.clone(),
                        closing: None,
                    }),
                    ..Directive::new(&self.text[name], value, Loads::File)
                };
                findings.extend(directive::decide(&directive, self.text, map));
            }
        }
        findings
    }

    /// The script run as PBR's wsgiref test server, with the commands that replace it.
    fn dev_server(&self, index: usize, mention: &Mention<'_>, map: &ScriptMap) -> Finding {
        let script = mention.script;
        let app = map.app_spec(script).unwrap_or_default();
        let args: Vec<&str> = (index + 1..self.words.len())
            .map(|at| self.word(at))
            .collect();
        let (mut host, mut port, mut passed) = ("", DEFAULT_PORT, Vec::new());
        let mut at = 0;
        while let Some(&arg) = args.get(at) {
            let next = args.get(at + 1).copied();
            match arg {
                "--" => {
                    passed = args[at + 1..].to_vec();
                    break;
                }
                "--port" | "-p" => {
                    port = next.unwrap_or(port);
                    at += 1;
                }
                "--host" | "-b" => {
                    host = next.unwrap_or(host);
                    at += 1;
                }
                _ => {
                    if let Some(value) = arg.strip_prefix("--port=") {
                        port = value;
                    } else if let Some(value) = arg.strip_prefix("--host=") {
                        host = value;
                    } else if let Some(value) = arg.strip_prefix("-p").filter(|v| !v.is_empty()) {
                        port = value;
                    } else if let Some(value) = arg.strip_prefix("-b").filter(|v| !v.is_empty()) {
                        host = value;
                    }
                }
            }
            at += 1;
        }
        let bind = format!("{host}:{port}");
        let mut uwsgi = format!("uwsgi --http-socket {bind} --module {app}");
        let mut note = String::new();
        if !passed.is_empty() {
            uwsgi.push_str(&format!(" --pyargv {}", shell_quote(&passed.join(" "))));
            note = "; the arguments after `--` went to the application's `sys.argv`: uWSGI takes \
                    them with `--pyargv`, gunicorn cannot pass them"
                .to_owned();
        }
        let finding = Finding::manual(
            mention.range.start,
            script,
            format!(
                "runs the `{script}` script as PBR's wsgiref test server, which has no module \
                 equivalent: run `{uwsgi}` or `gunicorn -b {bind} {app}` instead{note}"
            ),
        );
        if map.is_glance(script) {
            finding.warn(GLANCE_WARNING.to_owned())
        } else {
            finding
        }
    }

    fn copy_finding(
        &self,
        program: &str,
        index: usize,
        mention: &Mention<'_>,
        map: &ScriptMap,
    ) -> Finding {
        let script = mention.script;
        let module = map.module(script).unwrap_or_default();
        let app = map.app_spec(script).unwrap_or_default();
        let start = self.program.map_or(0, |program| program + 1);
        let into_cgi_bin = (start..self.words.len()).any(|at| {
            let word = self.word(at);
            !word.starts_with('-') && word.contains("cgi-bin")
        });
        let verb = match program {
            "ln" => "links",
            "mv" => "moves",
            _ => "copies",
        };
        let arguments: Vec<usize> = (start..self.words.len())
            .filter(|&at| !self.word(at).starts_with('-'))
            .collect();
        let is_destination = arguments.len() > 1 && arguments.last() == Some(&index);
        let what = match (is_destination, into_cgi_bin) {
            (true, true) => format!(
                "`{program}` puts a copy of the `{script}` script here, in a cgi-bin directory for \
                 mod_wsgi"
            ),
            (true, false) => format!("`{program}` puts a copy of the `{script}` script here"),
            (false, true) => {
                format!("{verb} the `{script}` script into a cgi-bin directory for mod_wsgi")
            }
            (false, false) => format!("{verb} the `{script}` script"),
        };
        let message = if into_cgi_bin {
            format!(
                "{what}; the script goes away with the migration: delete the copy or put a \
                 two-line shim there containing `from {module} import application`"
            )
        } else {
            format!(
                "{what}; the script goes away with the migration: delete the copy and load the \
                 module `{app}` wherever the copy was used"
            )
        };
        Finding::manual(mention.range.start, script, message)
    }
}

/// The index of the word naming the program a simple command runs: past `NAME=VALUE` prefixes
/// and wrappers such as `exec`, `nohup`, `env`, `sudo -u nova`, `gosu nova`, `tini --`.
fn program(text: &str, words: &[Range<usize>]) -> Option<usize> {
    let word = |at: usize| &text[unquoted(text, words[at].clone())];
    let mut at = 0;
    while at < words.len() {
        if assignment(text, words[at].clone()).is_some() {
            at += 1;
            continue;
        }
        let (with_argument, positional): (&[&str], usize) =
            match command_name(text, words[at].clone()) {
                "exec" => (&["-a"], 0),
                "nohup" | "time" | "setsid" | "command" | "builtin" | "dumb-init" | "tini"
                | "catatonit" | "stdbuf" | "unbuffer" => (&[], 0),
                "sudo" | "doas" => (
                    &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U"],
                    0,
                ),
                "runuser" | "setpriv" | "chpst" => (&["-u", "-g"], 0),
                "env" => (&["-u", "-C", "--unset", "--chdir"], 0),
                "nice" | "ionice" => (&["-n", "-c"], 0),
                "gosu" | "su-exec" | "s6-setuidgid" => (&[], 1),
                "timeout" => (&["-s", "-k", "--signal", "--kill-after"], 1),
                _ => return Some(at),
            };
        at += 1;
        while at < words.len() {
            let option = word(at);
            if option == "--" {
                at += 1;
                break;
            }
            if !option.starts_with('-') || option == "-" {
                break;
            }
            at += if with_argument.contains(&option) {
                2
            } else {
                1
            };
        }
        at += positional;
    }
    None
}

/// The offsets of the mentions that have a finding.
pub fn found(findings: &[Finding]) -> BTreeSet<usize> {
    findings.iter().map(|finding| finding.offset).collect()
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
            ("placement-api", "placement.wsgi.api"),
            ("glance-wsgi-api", "glance.wsgi.api"),
            ("cinder-wsgi", "cinder.wsgi.api"),
        ])
    }

    fn run(text: &str) -> (String, Vec<Finding>) {
        let masked = mask_templates(text);
        let findings = scan_shell(text, &masked, 0..text.len(), &map());
        (testing::apply(text, &findings), findings)
    }

    fn rewritten(text: &str) -> String {
        let (after, findings) = run(text);
        assert!(
            findings.iter().all(|f| f.action == Action::Rewrite),
            "{findings:?}"
        );
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert!(findings.is_empty(), "{findings:?}");
        after
    }

    #[test]
    fn rewrites_uwsgi_file_options() {
        assert_eq!(
            rewritten("uwsgi --http :8000 --wsgi-file .placement/bin/placement-api --processes 2"),
            "uwsgi --http :8000 --module placement.wsgi.api:application --processes 2"
        );
        assert_eq!(
            rewritten("uwsgi --http 0.0.0.0:5000 --wsgi-file $(which keystone-wsgi-public) &"),
            "uwsgi --http 0.0.0.0:5000 --module keystone.wsgi.api:application &"
        );
        assert_eq!(
            rewritten(
                "exec /usr/bin/uwsgi --master \\\r\n      --wsgi-file /var/lib/openstack/bin/nova-api-wsgi \\\r\n      --processes 4\r\n"
            ),
            "exec /usr/bin/uwsgi --master \\\r\n      --module nova.wsgi.osapi_compute:application \\\r\n      --processes 4\r\n"
        );
        assert_eq!(
            rewritten("$(which uwsgi) --file=\"${BIN_DIR}/nova-api-wsgi\" --file '$X/cinder-wsgi'"),
            "$(which uwsgi) --module=\"nova.wsgi.osapi_compute:application\" --module 'cinder.wsgi.api:application'"
        );
        assert_eq!(
            rewritten("sudo -u nova .tox/py3/bin/uwsgi --wsgi-file={{ bin_dir }}/nova-api-wsgi"),
            "sudo -u nova .tox/py3/bin/uwsgi --module=nova.wsgi.osapi_compute:application"
        );
    }

    #[test]
    fn rewrites_environment_variables() {
        assert_eq!(
            rewritten("UWSGI_WSGI_FILE=/usr/bin/nova-api-wsgi uwsgi --http :8774"),
            "UWSGI_MODULE=nova.wsgi.osapi_compute:application uwsgi --http :8774"
        );
        assert_eq!(
            rewritten("export UWSGI_FILE=\"$(type -p cinder-wsgi)\""),
            "export UWSGI_MODULE=\"cinder.wsgi.api:application\""
        );
        assert_eq!(
            rewritten("docker run -e 'UWSGI_WSGI_FILE=/usr/bin/cinder-wsgi' image"),
            "docker run -e 'UWSGI_MODULE=cinder.wsgi.api:application' image"
        );
    }

    #[test]
    fn inline_shell_strings_are_command_lines() {
        assert_eq!(
            rewritten("su nova -s /bin/sh -c \"uwsgi --wsgi-file /usr/bin/cinder-wsgi\""),
            "su nova -s /bin/sh -c \"uwsgi --module cinder.wsgi.api:application\""
        );
    }

    #[test]
    fn transitional_and_unclear_values() {
        let text =
            "uwsgi --module nova.wsgi.osapi_compute:application --wsgi-file /usr/bin/nova-api-wsgi";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        assert_eq!(findings[0].action, Action::Ok);
        let text = "uwsgi --wsgi-file \"$BIN\"/nova-api-wsgi --procname-prefix nova-api-wsgi";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        let actions: Vec<Action> = findings.iter().map(|f| f.action).collect();
        assert_eq!(actions, vec![Action::Manual, Action::Ok]);
    }

    #[test]
    fn glance_in_http_mode_is_warned_about() {
        let (_, findings) = run("uwsgi --http-socket=:9292 --wsgi-file /usr/bin/glance-wsgi-api");
        assert!(findings[0].warning.is_some());
        let (_, findings) = run("uwsgi --socket /run/g.sock --wsgi-file /usr/bin/glance-wsgi-api");
        assert!(findings[0].warning.is_none());
    }

    #[test]
    fn dev_servers_and_gunicorn_are_manual() {
        let (after, findings) =
            run("exec nova-api-wsgi --port 8774 -- --config-file /etc/nova/nova.conf");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].action, Action::Manual);
        assert_eq!(
            findings[0].message,
            "runs the `nova-api-wsgi` script as PBR's wsgiref test server, which has no module \
             equivalent: run `uwsgi --http-socket :8774 --module nova.wsgi.osapi_compute:application \
             --pyargv \"--config-file /etc/nova/nova.conf\"` or `gunicorn -b :8774 \
             nova.wsgi.osapi_compute:application` instead; the arguments after `--` went to the \
             application's `sys.argv`: uWSGI takes them with `--pyargv`, gunicorn cannot pass them"
        );
        assert!(after.starts_with("exec nova-api-wsgi"));
        let (_, findings) = run("python3 -u /usr/bin/keystone-wsgi-public -b 127.0.0.1");
        assert!(
            findings[0]
                .message
                .contains("`gunicorn -b 127.0.0.1:8000 keystone.wsgi.api:application`")
        );
        let (_, findings) = run("gunicorn -b :8778 /usr/bin/placement-api");
        assert!(findings[0].message.starts_with("gunicorn cannot load"));
    }

    #[test]
    fn copies_and_other_commands_are_manual() {
        let (_, findings) = run(
            "cp -a /var/lib/kolla/venv/bin/cinder-wsgi /var/www/cgi-bin/cinder/cinder-wsgi && chmod 755 /usr/bin/cinder-wsgi",
        );
        assert_eq!(findings.len(), 3);
        assert!(findings[0].message.contains(
            "delete the copy or put a two-line shim there containing `from cinder.wsgi.api import application`"
        ));
        assert!(findings[2].message.starts_with("`chmod` uses"));
        let (_, findings) = run("systemctl restart nova-api-wsgi");
        assert_eq!(findings[0].action, Action::Ok);
    }

    #[test]
    fn here_documents_are_read_as_files() {
        let text = "cat > /etc/uwsgi.ini <<'EOF'\n[uwsgi]\nwsgi-file = /usr/bin/nova-api-wsgi\nprocname = don't nova-api-wsgi\nEOF\nuwsgi --wsgi-file /usr/bin/cinder-wsgi\n";
        let mut masked = mask_templates(text);
        let bodies = blank_here_documents(&mut masked, 0..text.len());
        assert_eq!(bodies.len(), 1);
        let mut findings = scan_shell(text, &masked, 0..text.len(), &map());
        findings.extend(scan_here_document(text, bodies[0].clone(), &map()));
        assert_eq!(
            testing::apply(text, &findings),
            "cat > /etc/uwsgi.ini <<'EOF'\n[uwsgi]\nmodule = nova.wsgi.osapi_compute:application\nprocname = don't nova-api-wsgi\nEOF\nuwsgi --module cinder.wsgi.api:application\n"
        );
        assert_eq!(findings.len(), 3);
    }

    #[test]
    fn every_here_document_is_found_in_one_pass() {
        // `<< WORD` with the word in the next token, `<<-`, one that never ends, and the last
        // token of the text opening one whose body never comes.
        let text = "a <<A\n1\nA\nb << B; c\n2\nB\nd <<-'C'\n\t3\n\tC\ne <<D\n4\n";
        let mut masked = mask_templates(text);
        let bodies = blank_here_documents(&mut masked, 0..text.len());
        let bodies: Vec<&str> = bodies.iter().map(|body| &text[body.clone()]).collect();
        assert_eq!(bodies, vec!["1\n", "2\n", "\t3\n", "4\n"]);
        assert_eq!(masked.matches('\n').count(), text.matches('\n').count());
        assert!(masked.starts_with("a <<A\n \n \nb << B; c\n"));
        let mut masked = String::from("x <<");
        assert!(blank_here_documents(&mut masked, 0..4).is_empty());
    }

    proptest::proptest! {
        /// Whatever the text, the three dialects do not panic, give every mention at most one
        /// finding (none for a name in prose), and their rewrites are a fixed point.
        #[test]
        fn every_mention_gets_at_most_one_finding(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "uwsgi", "$(which uwsgi)", "--wsgi-file", "--file=", "/usr/bin/nova-api-wsgi",
                    "nova-api-wsgi", "\"$(which cinder-wsgi)\"", "'{{ bin }}/placement-api'",
                    "UWSGI_WSGI_FILE=", "ENV", "CMD", "RUN", "[\"uwsgi\",", "\"--wsgi-file\",",
                    "\"/usr/bin/glance-wsgi-api\"]", "ExecStart=", "Environment=", "#", " ", " ",
                    "\\\n", "\n", "\r\n", "&&", ";", "|", "(", ")", "'", "\"", "<<EOF", "EOF",
                    "sh -c", "gunicorn", "python3", "--", "--port", "8774", "cp", "/var/www/cgi-bin/",
                    "{%", "%}", "{{", "}}", "é", "\t", "=", "$", "`",
                ]),
                0..40,
            )
        ) {
            let text: String = pieces.concat();
            let map = map();
            let dialects: [(&dyn crate::dialect::Dialect, &str); 3] = [
                (&crate::dialect::shell_script::ShellScript, "x.sh"),
                (&crate::dialect::systemd::Systemd, "x.service"),
                (&crate::dialect::dockerfile::Dockerfile, "Dockerfile"),
            ];
            for (dialect, path) in dialects {
                let (after, findings) = testing::run(dialect, path, &text, &map);
                // Findings about a mapped script sit at a mention of it; directives loading
                // other files (a templated value, an unknown script) may be anywhere.
                let mut offsets: Vec<usize> = findings
                    .iter()
                    .filter(|f| f.script.as_deref().is_some_and(|s| map.target(s).is_some()))
                    .map(|f| f.offset)
                    .collect();
                offsets.sort_unstable();
                let mentions: Vec<usize> =
                    map.mentions(&text).iter().map(|m| m.range.start).collect();
                let mut unique = offsets.clone();
                unique.dedup();
                proptest::prop_assert_eq!(&unique, &offsets, "{} on {:?}", path, text);
                proptest::prop_assert!(
                    offsets.iter().all(|offset| mentions.contains(offset)),
                    "{} on {:?}: {:?} not all at {:?}", path, text, offsets, mentions
                );
                let (_, again) = testing::run(dialect, path, &after, &map);
                proptest::prop_assert!(
                    again.iter().all(|f| f.action != Action::Rewrite),
                    "{} on {:?} -> {:?}: {:?}", path, text, after, again
                );
            }
        }
    }

    #[test]
    fn comments_are_found() {
        let in_comment = |text: &str, offset: usize| Comments::new(text).holds(offset);
        assert!(in_comment("uwsgi # nova-api-wsgi", 8));
        assert!(in_comment("  #uwsgi nova-api-wsgi", 9));
        assert!(in_comment("#uwsgi nova-api-wsgi", 7));
        assert!(!in_comment("uwsgi a#b nova-api-wsgi", 10));
        assert!(!in_comment("uwsgi nova-api-wsgi # x", 6));
        // Each line has its own comment, on a long line as on a short one.
        let text = "a # b\nuwsgi a#b x # y x\n\tx";
        let comments = Comments::new(text);
        assert_eq!(
            [4, 12, 19, 22, 25].map(|at| comments.holds(at)),
            [true, false, true, true, false]
        );
    }
}
