//! Keeping the docs building: importing a generated module builds the application, so a
//! documentation build that imports every module (sphinxcontrib-apidoc) breaks on it. Upstream
//! added the new package to `apidoc_excluded_paths` in `doc/source/conf.py` every time; this
//! does the same as a byte-exact edit of that list, and reports an apidoc or autosummary
//! configuration without such a list for a person.
//!
//! The edit works on Python tokens, not on text: the list is found as the one statement
//! `apidoc_excluded_paths = [...]` (a comment or a string that mentions the name is neither),
//! and read as strings in either quote style, commas and comments. Anything else (a list built
//! by an expression, a name, concatenation, f-strings, two assignments) is refused with a
//! manual finding that names its line, never guessed at.

use crate::syntax::edit::Edit;

/// What `conf.py` needs so that the docs still build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// Nothing: no API documentation that imports every module, or the paths are excluded.
    Fine,
    /// Add the paths to `apidoc_excluded_paths`.
    Edit(Edit),
    /// API docs import every module but there is no list to add to; the message says what to do.
    Manual(String),
}

/// Exclude `paths` (relative to `apidoc_module_dir`, e.g. `wsgi` or `wsgi/api.py`) in `conf`.
pub fn exclude(conf: &str, paths: &[String]) -> Exclusion {
    let tokens = tokenize(conf);
    let mentions: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, token)| token.kind == Kind::Name && &conf[token.range.clone()] == NAME)
        .map(|(index, _)| index)
        .collect();
    if mentions.is_empty() {
        // Only code counts: a comment or a string that mentions the name sets nothing.
        let imports_everything = tokens.iter().any(|token| {
            let text = &conf[token.range.clone()];
            (token.kind == Kind::Str && text.contains("sphinxcontrib.apidoc"))
                || (token.kind == Kind::Name && text == "autosummary_generate")
        });
        if !imports_everything {
            return Exclusion::Fine;
        }
        return Exclusion::Manual(format!(
            "the API docs import every module, and importing {} builds the application: \
             add `{NAME} = [{}]` (or mock the package in `autodoc_mock_imports`)",
            paths
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", "),
            quoted_list(paths)
        ));
    }
    let line_of =
        |index: usize| crate::syntax::text::LineIndex::new(conf).line_of(tokens[index].range.start);
    let by_hand = |index: usize, why: &str| {
        Exclusion::Manual(format!(
            "`{NAME}` (line {}) {why}, which this tool does not edit: add {} to it by hand",
            line_of(index),
            quoted_list(paths)
        ))
    };
    // Assignments are the mentions that start a statement and are followed by `=` (not `==`).
    let assignments: Vec<usize> = mentions
        .iter()
        .copied()
        .filter(|&index| {
            let starts_statement = index == 0
                || matches!(tokens[index - 1].kind, Kind::Newline)
                || tokens[index - 1].is_op(conf, ";");
            starts_statement
                && tokens.get(index + 1).is_some_and(|t| t.is_op(conf, "="))
                && !tokens.get(index + 2).is_some_and(|t| t.is_op(conf, "="))
        })
        .collect();
    let assignment = match assignments.as_slice() {
        [] => return by_hand(mentions[0], "is not assigned a list here"),
        [one] => *one,
        [_, second, ..] => return by_hand(*second, "is assigned more than once"),
    };
    let open = assignment + 2;
    if !tokens.get(open).is_some_and(|t| t.is_op(conf, "[")) {
        return by_hand(assignment, "is not a list literal");
    }
    // The list: strings separated by commas, comments anywhere, up to the matching `]`.
    let mut strings: Vec<usize> = Vec::new();
    let mut expect_string = true;
    let mut close = None;
    for (index, token) in tokens.iter().enumerate().skip(open + 1) {
        match token.kind {
            Kind::Comment => {}
            Kind::Str if expect_string => {
                strings.push(index);
                expect_string = false;
            }
            Kind::Op if token.is_op(conf, ",") && !expect_string => expect_string = true,
            Kind::Op if token.is_op(conf, "]") => {
                close = Some(index);
                break;
            }
            _ => return by_hand(assignment, "is not a list of plain strings"),
        }
    }
    let Some(close) = close else {
        return by_hand(assignment, "has no closing `]`");
    };
    // `[...] + more`, `[...][0]`, `[...].copy()`: the statement goes on after the list.
    if tokens
        .get(close + 1)
        .is_some_and(|token| !matches!(token.kind, Kind::Newline | Kind::Comment))
    {
        return by_hand(assignment, "is built by an expression");
    }
    let existing: Vec<&str> = strings
        .iter()
        .map(|&index| string_value(&conf[tokens[index].range.clone()]))
        .collect();
    let missing: Vec<&String> = paths
        .iter()
        .filter(|path| {
            !existing.iter().any(|entry| {
                *entry == path.as_str()
                    || *entry == "wsgi"
                    || *entry == "wsgi/"
                    || *entry == "wsgi/*"
                    || (path.starts_with("wsgi/") && *entry == path.trim_end_matches(".py"))
            })
        })
        .collect();
    if missing.is_empty() {
        return Exclusion::Fine;
    }
    let quote = strings.last().map_or('\'', |&index| {
        string_quote(&conf[tokens[index].range.clone()])
    });
    let items: Vec<String> = missing
        .iter()
        .map(|path| format!("{quote}{path}{quote}"))
        .collect();

    let close_at = tokens[close].range.start;
    let line_start = |at: usize| conf[..at].rfind(['\n', '\r']).map_or(0, |nl| nl + 1);
    let last = strings.last().copied();
    // The last element with its comma, if it has one.
    let last_end = last.map(|index| match tokens.get(index + 1) {
        Some(token) if token.is_op(conf, ",") => (token.range.end, true),
        _ => (tokens[index].range.end, false),
    });
    let same_line = |from: usize| !conf[from..close_at].contains(['\n', '\r']);
    match last_end {
        // `['a', 'b']`, or a last element on the line of the `]`: insert before the `]`.
        Some((end, comma)) if same_line(end) => Exclusion::Edit(Edit::insert(
            end,
            format!("{}{}", if comma { " " } else { ", " }, items.join(", ")),
        )),
        None if same_line(tokens[open].range.end) => {
            Exclusion::Edit(Edit::insert(close_at, items.join(", ")))
        }
        // One element per line: new lines after the last element's line, in its indentation.
        Some((end, comma)) => {
            let element = tokens[last.unwrap_or(open)].range.start;
            let element_line = line_start(element);
            let indent = if conf[element_line..element].trim().is_empty() {
                conf[element_line..element].to_owned()
            } else {
                " ".repeat(conf[element_line..element].chars().count())
            };
            let (next_line, newline) = line_end(conf, end);
            let lines: String = items
                .iter()
                .map(|item| format!("{indent}{item},{newline}"))
                .collect();
            if comma {
                Exclusion::Edit(Edit::insert(next_line, lines))
            } else {
                // A comma after the last element (before its comment), then the new lines.
                let between = &conf[end..next_line];
                Exclusion::Edit(Edit::replace(end..next_line, format!(",{between}{lines}")))
            }
        }
        // `[` and `]` on different lines with only comments between.
        None => {
            let close_line = line_start(close_at);
            if !conf[close_line..close_at].trim().is_empty() {
                return by_hand(assignment, "is laid out in a way");
            }
            let indent = format!("{}    ", &conf[close_line..close_at]);
            let (_, newline) = line_end(conf, tokens[open].range.end);
            let lines: String = items
                .iter()
                .map(|item| format!("{indent}{item},{newline}"))
                .collect();
            Exclusion::Edit(Edit::insert(close_line, lines))
        }
    }
}

const NAME: &str = "apidoc_excluded_paths";

/// Where the line holding `at` ends (after its line break: `\n`, `\r\n` or, as Python reads
/// source, a lone `\r`), and that line break (the file's style when the line has none).
fn line_end(text: &str, at: usize) -> (usize, &str) {
    match text[at..].find(['\n', '\r']).map(|offset| at + offset) {
        Some(cr) if text[cr..].starts_with("\r\n") => (cr + 2, "\r\n"),
        Some(end) => (end + 1, &text[end..=end]),
        None => (text.len(), crate::syntax::text::newline_style(text)),
    }
}

fn quoted_list(paths: &[String]) -> String {
    paths
        .iter()
        .map(|path| format!("'{path}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    /// A plain (or `r`/`u`-prefixed) single-line string literal.
    Str,
    /// Any other literal: f-strings, bytes, triple-quoted strings, numbers.
    Literal,
    Comment,
    /// The end of a logical line (outside brackets).
    Newline,
    /// One punctuation or operator character.
    Op,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    range: std::ops::Range<usize>,
}

impl Token {
    fn is_op(&self, text: &str, op: &str) -> bool {
        self.kind == Kind::Op && &text[self.range.clone()] == op
    }
}

/// Python tokens, enough to find an assignment and read a list of strings: names, strings
/// (whole, with their prefix), comments, logical line ends and single-character operators.
/// Unterminated strings run to the end of their line (the file is then not valid Python, and
/// the caller finds no list it can edit).
fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let byte = bytes[at];
        match byte {
            b'#' => {
                while at < bytes.len() && !matches!(bytes[at], b'\n' | b'\r') {
                    at += 1;
                }
                tokens.push(Token {
                    kind: Kind::Comment,
                    range: start..at,
                });
            }
            b'\n' | b'\r' => {
                at += 1;
                if depth == 0
                    && tokens
                        .last()
                        .is_some_and(|t: &Token| t.kind != Kind::Newline)
                {
                    tokens.push(Token {
                        kind: Kind::Newline,
                        range: start..at,
                    });
                }
            }
            b'\\' if matches!(bytes.get(at + 1), Some(b'\n' | b'\r')) => {
                at += 2;
                if bytes[at - 1] == b'\r' && bytes.get(at) == Some(&b'\n') {
                    at += 1;
                }
            }
            b' ' | b'\t' | b'\x0c' => at += 1,
            b'\'' | b'"' => {
                at = string_end(bytes, at);
                let triple = bytes[start..].starts_with(&[byte; 3]);
                let kind = if triple { Kind::Literal } else { Kind::Str };
                tokens.push(Token {
                    kind,
                    range: start..at,
                });
            }
            _ if byte == b'_' || byte.is_ascii_alphabetic() || byte >= 0x80 => {
                while at < bytes.len()
                    && (bytes[at] == b'_' || bytes[at].is_ascii_alphanumeric() || bytes[at] >= 0x80)
                {
                    at += 1;
                }
                let word = &text[start..at];
                let prefix = word.len() <= 2
                    && word.chars().all(|c| "rRbBuUfFtT".contains(c))
                    && matches!(bytes.get(at), Some(b'\'' | b'"'));
                if prefix {
                    let quote = at;
                    at = string_end(bytes, at);
                    let plain = word.chars().all(|c| "rRuU".contains(c))
                        && !bytes[quote..].starts_with(&[bytes[quote]; 3]);
                    let kind = if plain { Kind::Str } else { Kind::Literal };
                    tokens.push(Token {
                        kind,
                        range: start..at,
                    });
                } else {
                    tokens.push(Token {
                        kind: Kind::Name,
                        range: start..at,
                    });
                }
            }
            _ if byte.is_ascii_digit() => {
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'.' || bytes[at] == b'_')
                {
                    at += 1;
                }
                tokens.push(Token {
                    kind: Kind::Literal,
                    range: start..at,
                });
            }
            _ => {
                match byte {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                // One whole character, so that ranges stay on char boundaries.
                at += text[at..].chars().next().map_or(1, char::len_utf8);
                tokens.push(Token {
                    kind: Kind::Op,
                    range: start..at,
                });
            }
        }
    }
    tokens
}

/// The end of the string literal whose opening quote is at `at`.
fn string_end(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    if bytes[at..].starts_with(&[quote; 3]) {
        let mut end = at + 3;
        while end < bytes.len() {
            if bytes[end] == b'\\' {
                end += 2;
            } else if bytes[end..].starts_with(&[quote; 3]) {
                return end + 3;
            } else {
                end += 1;
            }
        }
        return bytes.len();
    }
    let mut end = at + 1;
    while end < bytes.len() {
        match bytes[end] {
            b'\\' => end += 2,
            b'\n' | b'\r' => return end,
            byte if byte == quote => return end + 1,
            _ => end += 1,
        }
    }
    bytes.len().min(end)
}

/// The text between the quotes of a plain string literal.
fn string_value(literal: &str) -> &str {
    let body = literal.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    body.get(1..body.len().saturating_sub(1))
        .unwrap_or_default()
}

fn string_quote(literal: &str) -> char {
    literal
        .chars()
        .find(|c| *c == '\'' || *c == '"')
        .unwrap_or('\'')
}

/// Every list form the edit understands, as `(before, after)` for the path `wsgi`. The unit
/// tests compare the text; `tests/it/sphinx.rs` parses each side with python3 and checks that
/// the list gained exactly `'wsgi'`.
#[doc(hidden)]
pub const FORMS: &[(&str, &str)] = &[
    (
        "apidoc_excluded_paths = ['tests']\n",
        "apidoc_excluded_paths = ['tests', 'wsgi']\n",
    ),
    (
        "apidoc_excluded_paths = []\n",
        "apidoc_excluded_paths = ['wsgi']\n",
    ),
    (
        "apidoc_excluded_paths = [\"tests\", ]\n",
        "apidoc_excluded_paths = [\"tests\", \"wsgi\" ]\n",
    ),
    // No trailing comma before a comment, the list going on on the next line.
    (
        "apidoc_excluded_paths = ['tests'  # c\n]\n",
        "apidoc_excluded_paths = ['tests',  # c\n                         'wsgi',\n]\n",
    ),
    (
        "apidoc_excluded_paths = [\n    'tests',\n    'common/sql/migrations'\n]\n",
        "apidoc_excluded_paths = [\n    'tests',\n    'common/sql/migrations',\n    'wsgi',\n]\n",
    ),
    (
        "apidoc_excluded_paths = [\n    'tests',  # unit tests\n    # 'db',\n]\n",
        "apidoc_excluded_paths = [\n    'tests',  # unit tests\n    'wsgi',\n    # 'db',\n]\n",
    ),
    (
        "apidoc_excluded_paths = [\n    \"tests\"  # unit tests, no comma\n    # more to come\n]\n",
        "apidoc_excluded_paths = [\n    \"tests\",  # unit tests, no comma\n    \"wsgi\",\n    # more to come\n]\n",
    ),
    (
        "apidoc_excluded_paths = ['a',\n                         'b']\n",
        "apidoc_excluded_paths = ['a',\n                         'b', 'wsgi']\n",
    ),
    (
        "apidoc_excluded_paths = [\n    # nothing yet\n]\n",
        "apidoc_excluded_paths = [\n    # nothing yet\n    'wsgi',\n]\n",
    ),
    (
        "apidoc_excluded_paths = [\r\n    'tests',\r\n]\r\n",
        "apidoc_excluded_paths = [\r\n    'tests',\r\n    'wsgi',\r\n]\r\n",
    ),
    (
        "apidoc_excluded_paths = [\r    'tests',\r]\r",
        "apidoc_excluded_paths = [\r    'tests',\r    'wsgi',\r]\r",
    ),
    (
        "apidoc_excluded_paths = [\r    'tests'  # no comma\r]\r",
        "apidoc_excluded_paths = [\r    'tests',  # no comma\r    'wsgi',\r]\r",
    ),
    // A comment or a string mentioning the name is not the list.
    (
        "# apidoc_excluded_paths = ['old']\nx = 'apidoc_excluded_paths = []'\napidoc_excluded_paths = ['tests']  # see apidoc_excluded_paths docs\n",
        "# apidoc_excluded_paths = ['old']\nx = 'apidoc_excluded_paths = []'\napidoc_excluded_paths = ['tests', 'wsgi']  # see apidoc_excluded_paths docs\n",
    ),
    // Inside an `if`, with a raw string and a `]` and a `,` inside strings.
    (
        "if True:\n    apidoc_excluded_paths = [r'te]sts', 'x,y']\n",
        "if True:\n    apidoc_excluded_paths = [r'te]sts', 'x,y', 'wsgi']\n",
    ),
];

/// Forms the edit refuses with a manual finding: anything but one literal list of plain strings.
#[doc(hidden)]
pub const REFUSED: &[&str] = &[
    "apidoc_excluded_paths = ['tests'] + EXTRA\n",
    "apidoc_excluded_paths = EXCLUDED\n",
    "apidoc_excluded_paths = list(EXCLUDED)\n",
    "apidoc_excluded_paths = ['tests', other]\n",
    "apidoc_excluded_paths = ['tests' 'concatenated']\n",
    "apidoc_excluded_paths = [f'{x}/tests']\n",
    "apidoc_excluded_paths = ['''tests''']\n",
    "apidoc_excluded_paths = ['a'][:1]\n",
    "apidoc_excluded_paths = ['tests'\n",
    "apidoc_excluded_paths: list = ['tests']\n",
    "apidoc_excluded_paths = ['a']\napidoc_excluded_paths = ['b']\n",
    "apidoc_excluded_paths += ['tests']\n",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::edit::apply_edits;

    fn edited(conf: &str, paths: &[&str]) -> String {
        let paths: Vec<String> = paths.iter().map(|path| (*path).to_owned()).collect();
        match exclude(conf, &paths) {
            Exclusion::Edit(edit) => apply_edits(conf, &[edit]).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn manual(conf: &str) -> String {
        match exclude(conf, &["wsgi".to_owned()]) {
            Exclusion::Manual(message) => message,
            other => panic!("expected a manual finding for {conf:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_comment_that_mentions_apidoc_enables_nothing() {
        let conf = "extensions = ['sphinx.ext.autodoc']\n# sphinxcontrib.apidoc options\n# autosummary_generate = True\n";
        assert_eq!(exclude(conf, &["wsgi".to_owned()]), Exclusion::Fine);
        let conf = "extensions = [\n    'sphinxcontrib.apidoc',\n]\n";
        assert!(matches!(
            exclude(conf, &["wsgi".to_owned()]),
            Exclusion::Manual(_)
        ));
    }

    #[test]
    fn edits_every_list_form() {
        for (before, after) in FORMS {
            assert_eq!(&edited(before, &["wsgi"]), after, "from {before:?}");
            // Idempotent: the result needs nothing more.
            assert_eq!(
                exclude(after, &["wsgi".to_owned()]),
                Exclusion::Fine,
                "{after:?}"
            );
        }
        assert_eq!(
            edited("apidoc_excluded_paths = [\"tests\"]\n", &["wsgi/api.py"]),
            "apidoc_excluded_paths = [\"tests\", \"wsgi/api.py\"]\n"
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for conf in REFUSED {
            let message = manual(conf);
            assert!(message.contains("by hand"), "{conf:?}: {message}");
            assert!(message.contains("(line "), "{conf:?}: {message}");
        }
        assert!(manual("x = 1\n\n# two\napidoc_excluded_paths = X\n").contains("(line 4)"));
    }

    #[test]
    fn already_excluded_or_not_needed() {
        let paths = vec!["wsgi".to_owned()];
        assert_eq!(
            exclude("apidoc_excluded_paths = ['tests', 'wsgi']\n", &paths),
            Exclusion::Fine
        );
        assert_eq!(
            exclude("extensions = ['sphinx.ext.autodoc']\n", &paths),
            Exclusion::Fine
        );
        // A comment that names the setting is no list: apidoc without one is reported.
        assert!(matches!(
            exclude(
                "extensions = ['sphinxcontrib.apidoc']\n# apidoc_excluded_paths = ['x']\n",
                &paths
            ),
            Exclusion::Manual(_)
        ));
    }
}
