//! Dockerfiles and Containerfiles (`Dockerfile`, `Dockerfile.*` including kolla's
//! `Dockerfile.j2`, `*.Dockerfile`, `*.dockerfile`, `Containerfile*`).
//!
//! Instructions are read as Docker does: continued over lines ending in `\`, with comment and
//! empty lines inside a continuation skipped, and here-documents (`RUN <<EOF`) taken as part of
//! the instruction. What is rewritten, through [`command_line`](crate::dialect::command_line):
//! - `RUN`, `CMD`, `ENTRYPOINT` (and `HEALTHCHECK ... CMD`) in shell form and in JSON exec form:
//!   `["uwsgi", "--wsgi-file", "/usr/bin/nova-api-wsgi"]` becomes
//!   `["uwsgi", "--module", "nova.wsgi.osapi_compute:application"]`; in `sh -c` strings too.
//! - `ENV UWSGI_WSGI_FILE=P` and the legacy `ENV UWSGI_WSGI_FILE P` become `UWSGI_MODULE`.
//!
//! What is reported: `COPY`/`ADD`/`RUN cp` of a script (kolla copied scripts into cgi-bin for
//! mod_wsgi; once the script is gone the image build breaks, so the copy must be deleted or an
//! `ADD`ed shim put in its place), a script run as PBR's dev server or given to gunicorn, any other
//! mention, and commented-out lines (never rewritten).
//!
//! See: Dockerfile reference (parser, `RUN`/`CMD`/`ENTRYPOINT` forms, `ENV`, here-documents);
//! deploy-configs.md §6 (kolla) and §13.

use std::ops::Range;

use crate::dialect::command_line;
use crate::dialect::{Context, Dialect, Finding, Mention, ScriptMap};
use crate::syntax::shell;
use crate::syntax::text::{self, Line};

pub struct Dockerfile;

/// One instruction, joined over its continuation lines.
struct Instruction {
    keyword: Range<usize>,
    /// Everything after the keyword, to the end of the last continued line.
    args: Range<usize>,
    /// The bodies of its here-documents.
    bodies: Vec<Range<usize>>,
}

impl Dialect for Dockerfile {
    fn name(&self) -> &'static str {
        "dockerfile"
    }

    fn claims(&self, path: &str) -> bool {
        let name = super::file_name(path);
        matches!(name, "Dockerfile" | "dockerfile" | "Containerfile")
            || name.starts_with("Dockerfile.")
            || name.starts_with("Containerfile.")
            || name.ends_with(".Dockerfile")
            || name.ends_with(".dockerfile")
            || name.ends_with(".Containerfile")
    }

    fn scan(&self, _path: &str, text: &str, map: &ScriptMap, _context: &Context) -> Vec<Finding> {
        let mentions = map.mentions(text);
        if mentions.is_empty() && !super::may_hold_directives(text) {
            return Vec::new();
        }
        let mut masked = command_line::mask_templates(text);
        let instructions = instructions(text, &mut masked);
        let mut findings = Vec::new();
        for instruction in &instructions {
            findings.extend(scan_instruction(text, &masked, instruction, map));
        }
        let found = command_line::found(&findings);
        let index = text::LineIndex::new(text);
        for mention in mentions {
            if found.contains(&mention.range.start) {
                continue;
            }
            let line_start = index.line_start(mention.range.start);
            let commented = text[line_start..mention.range.start]
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('#');
            findings.extend(if commented {
                command_line::comment_finding(text, &mention, map)
            } else {
                Some(command_line::other_finding(
                    &mention,
                    map,
                    "outside an instruction this tool reads",
                ))
            });
        }
        findings.sort_by_key(|finding| finding.offset);
        findings
    }
}

fn scan_instruction(
    text: &str,
    masked: &str,
    instruction: &Instruction,
    map: &ScriptMap,
) -> Vec<Finding> {
    let mut keyword = instruction.keyword.clone();
    let mut args = instruction.args.clone();
    // `ONBUILD RUN ...` runs in a child image: read the instruction it wraps.
    if text[keyword.clone()].eq_ignore_ascii_case("ONBUILD")
        && let Some(inner) = shell::words(&masked[args.clone()]).first()
    {
        keyword = args.start + inner.start..args.start + inner.end;
        args = skip_blanks(text, keyword.end).min(args.end)..args.end;
    }
    let name = text[keyword.clone()].to_ascii_uppercase();
    let mut findings = Vec::new();
    match name.as_str() {
        "RUN" | "CMD" | "ENTRYPOINT" | "HEALTHCHECK" => {
            let mut start = args.start;
            if name == "HEALTHCHECK" {
                let words = shell::words(&masked[args.clone()]);
                let Some(cmd) = words.iter().position(|word| {
                    masked[args.start..][word.clone()].eq_ignore_ascii_case("CMD")
                }) else {
                    return generic(text, masked, keyword, args, map);
                };
                start = skip_blanks(text, args.start + words[cmd].end);
            }
            // `RUN --mount=... --network=...` flags come before the command.
            while name == "RUN" && text[start..args.end].starts_with("--") {
                let flag = text[start..args.end]
                    .find([' ', '\t', '\r', '\n'])
                    .map_or(args.end, |at| start + at);
                start = skip_blanks(text, flag);
            }
            let command = start..args.end;
            findings.extend(match exec_array(masked, command.clone()) {
                Some(words) => command_line::scan_words(text, masked, &words, map),
                None => command_line::scan_shell(text, masked, command.clone(), map),
            });
            // `RUN <<EOF` runs its body as a script; `RUN cat <<EOF >file` writes a file.
            let script_body = name == "RUN"
                && shell::words(&masked[command.clone()])
                    .iter()
                    .all(|word| masked[command.start..][word.clone()].starts_with("<<"));
            for body in &instruction.bodies {
                findings.extend(if script_body {
                    command_line::scan_shell(text, masked, body.clone(), map)
                } else {
                    command_line::scan_here_document(text, body.clone(), map)
                });
            }
        }
        "ENV" => findings.extend(environment(text, masked, keyword, args, map)),
        _ => {
            findings.extend(generic(text, masked, keyword, args, map));
            for body in &instruction.bodies {
                findings.extend(command_line::scan_here_document(text, body.clone(), map));
            }
        }
    }
    findings
}

/// `ENV A=1 B=2`, or the legacy `ENV NAME value` with the rest of the line as the value.
fn environment(
    text: &str,
    masked: &str,
    keyword: Range<usize>,
    args: Range<usize>,
    map: &ScriptMap,
) -> Vec<Finding> {
    let words: Vec<Range<usize>> = shell::words(&masked[args.clone()])
        .into_iter()
        .map(|word| args.start + word.start..args.start + word.end)
        .collect();
    let legacy = words
        .first()
        .is_some_and(|first| !text[first.clone()].contains('='));
    let (Some(name), Some(last), true) = (words.first(), words.last(), legacy && words.len() > 1)
    else {
        return generic(text, masked, keyword, args, map);
    };
    let value = words[1].start..last.end;
    let mut findings = Vec::new();
    for mention in map.mentions(&text[args.clone()]) {
        let mention = Mention {
            range: args.start + mention.range.start..args.start + mention.range.end,
            script: mention.script,
        };
        findings.push(
            if value.start <= mention.range.start && mention.range.end <= value.end {
                command_line::assignment_finding(text, name.clone(), value.clone(), &mention, map)
            } else {
                command_line::other_finding(&mention, map, "in an `ENV` variable's name")
            },
        );
    }
    findings
}

/// Any other instruction, read as its keyword followed by its arguments (`COPY` and `ADD` are
/// copies; `ARG X=...` and `LABEL` are assignments).
fn generic(
    text: &str,
    masked: &str,
    keyword: Range<usize>,
    args: Range<usize>,
    map: &ScriptMap,
) -> Vec<Finding> {
    let mut words = vec![keyword];
    match exec_array(masked, args.clone()) {
        Some(elements) => words.extend(elements),
        None => words.extend(
            shell::words(&masked[args.clone()])
                .into_iter()
                .map(|word| args.start + word.start..args.start + word.end),
        ),
    }
    command_line::scan_words(text, masked, &words, map)
}

fn skip_blanks(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// The elements (with their quotes) of a JSON array of strings filling `range`, as in the exec
/// form `CMD ["uwsgi", "--wsgi-file", "/usr/bin/x"]`; `None` when it is not one, which Docker
/// then runs in shell form.
fn exec_array(text: &str, range: Range<usize>) -> Option<Vec<Range<usize>>> {
    let bytes = &text.as_bytes()[..range.end];
    let skip = |mut at: usize| {
        loop {
            match bytes.get(at) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => at += 1,
                Some(b'\\') => {
                    let rest = at
                        + 1
                        + bytes[at + 1..]
                            .iter()
                            .take_while(|&&byte| matches!(byte, b' ' | b'\t' | b'\r'))
                            .count();
                    if bytes.get(rest) != Some(&b'\n') {
                        return at;
                    }
                    at = rest + 1;
                }
                _ => return at,
            }
        }
    };
    let mut at = skip(range.start);
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    at = skip(at + 1);
    let mut elements = Vec::new();
    if bytes.get(at) == Some(&b']') {
        return (skip(at + 1) == range.end).then_some(elements);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let start = at;
        at += 1;
        loop {
            match bytes.get(at)? {
                b'\\' => at += 2,
                b'"' => break,
                b'\n' => return None,
                _ => at += 1,
            }
        }
        elements.push(start..at + 1);
        at = skip(at + 1);
        match bytes.get(at) {
            Some(b',') => at = skip(at + 1),
            Some(b']') => break,
            _ => return None,
        }
    }
    (skip(at + 1) == range.end).then_some(elements)
}

/// Whether a line continues the instruction: it ends with `\`, perhaps followed by blanks.
fn continues(line: &Line<'_>) -> bool {
    line.content.trim_end().ends_with('\\')
}

/// Every instruction with its continuation lines and here-documents. In `masked`, comment and
/// empty lines inside a continuation are blanked, and blanks after a continuing `\` moved before
/// it, so that the shell tokenizer joins the lines as Docker does.
fn instructions(text: &str, masked: &mut String) -> Vec<Instruction> {
    let lines: Vec<Line<'_>> = text::lines(text).collect();
    let mut instructions = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        index += 1;
        let start = line.start_after_bom();
        let content = &text[start..line.content_end];
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let keyword_start = start + (content.len() - trimmed.len());
        let keyword_end = keyword_start
            + trimmed
                .find(|c: char| c.is_whitespace())
                .unwrap_or(trimmed.len());
        let mut end = line.content_end;
        let mut last = line;
        while continues(&last) && index < lines.len() {
            let next = lines[index];
            index += 1;
            let next_trimmed = next.content.trim_start();
            if next_trimmed.is_empty() || next_trimmed.starts_with('#') {
                command_line::blank(masked, next.range(), false);
                continue;
            }
            move_backslash(masked, &last);
            end = next.content_end;
            last = next;
        }
        let args = skip_blanks(text, keyword_end).min(end)..end;
        let mut bodies = Vec::new();
        for (delimiter, strip_tabs) in command_line::here_document_delimiters(masked, args.clone())
        {
            let Some(body_line) = lines.get(index) else {
                break;
            };
            let (body_end, line_end) = command_line::here_document_end(
                text,
                body_line.start..text.len(),
                &delimiter,
                strip_tabs,
            );
            bodies.push(body_line.start..body_end);
            while index < lines.len() && lines[index].start < line_end {
                index += 1;
            }
        }
        instructions.push(Instruction {
            keyword: keyword_start..keyword_end,
            args,
            bodies,
        });
    }
    instructions
}

/// `\` followed by blanks ends a line for Docker; for the shell tokenizer, put the `\` last.
fn move_backslash(masked: &mut String, line: &Line<'_>) {
    let trimmed_len = line.content.trim_end().len();
    if trimmed_len == line.content.len() || trimmed_len == 0 {
        return;
    }
    let backslash = line.start + trimmed_len - 1;
    let replacement = format!("{}\\", " ".repeat(line.content_end - backslash - 1));
    if masked.is_char_boundary(backslash) && masked.is_char_boundary(line.content_end) {
        masked.replace_range(backslash..line.content_end, &replacement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::dialect::Action;
    use crate::dialect::testing::{self, actions};

    fn run(text: &str) -> (String, Vec<Finding>) {
        let map = testing::map(&[
            ("nova-api-wsgi", "nova.wsgi.osapi_compute"),
            ("cinder-wsgi", "cinder.wsgi.api"),
            ("placement-api", "placement.wsgi.api"),
        ]);
        testing::run(&Dockerfile, "Dockerfile", text, &map)
    }

    #[test]
    fn rewrites_exec_and_shell_forms_and_env() {
        let before = "FROM ubuntu\r\n# CMD uwsgi --wsgi-file /usr/bin/cinder-wsgi\r\nENV UWSGI_WSGI_FILE=/usr/bin/cinder-wsgi \\\r\n    OTHER=1\r\nENV UWSGI_FILE /usr/bin/placement-api\r\nCMD [\"uwsgi\", \"--http-socket\", \":8774\", \\\r\n     \"--wsgi-file\", \"/usr/bin/nova-api-wsgi\"]\r\nENTRYPOINT uwsgi --http :8000 \\ \r\n# a comment\r\n    --wsgi-file .placement/bin/placement-api\r\n";
        let (after, findings) = run(before);
        assert_eq!(
            after,
            "FROM ubuntu\r\n# CMD uwsgi --wsgi-file /usr/bin/cinder-wsgi\r\nENV UWSGI_MODULE=cinder.wsgi.api:application \\\r\n    OTHER=1\r\nENV UWSGI_MODULE placement.wsgi.api:application\r\nCMD [\"uwsgi\", \"--http-socket\", \":8774\", \\\r\n     \"--module\", \"nova.wsgi.osapi_compute:application\"]\r\nENTRYPOINT uwsgi --http :8000 \\ \r\n# a comment\r\n    --module placement.wsgi.api:application\r\n"
        );
        assert_eq!(
            actions(&findings),
            vec![
                Action::Manual,
                Action::Rewrite,
                Action::Rewrite,
                Action::Rewrite,
                Action::Rewrite
            ]
        );
        let (again, findings) = run(&after);
        assert_eq!(again, after);
        assert_eq!(actions(&findings), vec![Action::Manual]);
    }

    #[test]
    fn copies_and_dev_servers_are_manual() {
        let text = "{% block footer %}{% endblock %}\nRUN mkdir -p /var/www/cgi-bin/cinder \\\n    && cp -a /var/lib/kolla/venv/bin/cinder-wsgi /var/www/cgi-bin/cinder/ \\\n    && chmod 755 /var/www/cgi-bin/cinder/cinder-wsgi\nCOPY --from=build [\"/venv/bin/nova-api-wsgi\", \"/usr/bin/\"]\nCMD [\"/usr/bin/nova-api-wsgi\", \"--port\", \"8774\"]\nRUN <<EOF\nuwsgi --wsgi-file /usr/bin/cinder-wsgi\nEOF\n";
        let (after, findings) = run(text);
        assert_eq!(
            actions(&findings),
            vec![
                Action::Manual,
                Action::Manual,
                Action::Manual,
                Action::Manual,
                Action::Rewrite
            ]
        );
        assert!(findings[0].message.contains("cgi-bin"));
        assert!(
            findings[3]
                .message
                .contains("`gunicorn -b :8774 nova.wsgi.osapi_compute:application`")
        );
        assert!(after.contains("RUN <<EOF\nuwsgi --module cinder.wsgi.api:application\nEOF\n"));
    }

    #[test]
    fn unmapped_loads_are_manual() {
        let text = "CMD [\"uwsgi\", \"--wsgi-file\", \"/usr/local/bin/foo-api-wsgi\"]\nENV UWSGI_WSGI_FILE=/opt/foo/foo/api/app.wsgi\nRUN apt-get install -y foo-api\n";
        let (after, findings) = run(text);
        assert_eq!(after, text);
        let codes: Vec<Code> = findings.iter().map(|finding| finding.code).collect();
        assert_eq!(codes, vec![Code::UnknownScriptLoad, Code::InTreeFileLoad]);
        assert_eq!(actions(&findings), vec![Action::Manual, Action::Manual]);
    }

    #[test]
    fn flags_onbuild_and_variables_read_elsewhere() {
        let before = "RUN --mount=type=cache,target=/root/.cache uwsgi --wsgi-file /usr/bin/cinder-wsgi\nONBUILD CMD [\"uwsgi\", \\\n# old\n  \"--wsgi-file=/usr/bin/placement-api\"]\nENV UWSGI_FILE=/usr/bin/nova-api-wsgi\nCMD uwsgi --wsgi-file ${UWSGI_FILE}\n";
        let (after, findings) = run(before);
        assert_eq!(
            after,
            "RUN --mount=type=cache,target=/root/.cache uwsgi --module cinder.wsgi.api:application\nONBUILD CMD [\"uwsgi\", \\\n# old\n  \"--module=placement.wsgi.api:application\"]\nENV UWSGI_FILE=/usr/bin/nova-api-wsgi\nCMD uwsgi --wsgi-file ${UWSGI_FILE}\n"
        );
        assert_eq!(
            actions(&findings),
            vec![Action::Rewrite, Action::Rewrite, Action::Manual]
        );
    }

    #[test]
    fn exec_arrays() {
        let text = "[\"a\", \"b\\\"c\"]";
        let elements = exec_array(text, 0..text.len()).unwrap();
        assert_eq!(elements, vec![1..4, 6..12]);
        assert!(exec_array("[\"a\" \"b\"]", 0..9).is_none());
        assert!(exec_array("uwsgi", 0..5).is_none());
    }

    #[test]
    fn claims_dockerfiles() {
        for path in [
            "Dockerfile",
            "docker/nova/nova-api/Dockerfile.j2",
            "images/api.Dockerfile",
            "Containerfile",
            "x/Dockerfile.ubi",
        ] {
            assert!(Dockerfile.claims(path), "{path}");
        }
        assert!(!Dockerfile.claims("docs/dockerfile.md"));
    }
}
