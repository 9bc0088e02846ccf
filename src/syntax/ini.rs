//! A lossless reader for the INI dialect of Python's `configparser`, the one PBR and setuptools
//! read `setup.cfg` with.
//!
//! The document keeps the original text and classifies every physical line; it never owns a copy
//! of keys or values, only byte ranges into the text. Printing a document is therefore the text
//! itself, and edits are byte splices built from the ranges (see [`crate::syntax::edit`]).
//!
//! The rules mirror `RawConfigParser` with its defaults (what `pbr.util` uses):
//! - `=` and `:` both delimit a key from its value; the first one on the line wins;
//! - a line is a comment only when its first non-blank character is `#` or `;`, so an inline
//!   `; x` is part of the value;
//! - a line indented deeper than its option's line continues the value, whether by spaces or
//!   tabs (setuptools writes tabs into sdists), and blank or comment lines inside a value do not
//!   end it;
//! - keys are case-folded, section names are not; a duplicate section or key is an error
//!   (`strict=True`);
//! - lines end as Python's universal newlines end them: at `\r\n`, `\n` or a lone `\r`.
//!
//! uWSGI's ini files follow different rules and have their own scanner in
//! [`crate::dialect::uwsgi_ini`].

use std::collections::BTreeSet;
use std::ops::Range;

use crate::syntax::text::{self, Line};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    Comment,
    /// `name` is the range of the section name between the brackets.
    Section {
        name: Range<usize>,
    },
    /// `key` and `value` are trimmed ranges; `value` may be empty.
    Option {
        key: Range<usize>,
        value: Range<usize>,
    },
    /// A continuation of the preceding option's value; `value` is the trimmed line.
    Continuation {
        value: Range<usize>,
    },
    /// A line configparser rejects; the reason is in [`IniDocument::errors`].
    Invalid,
}

#[derive(Debug, Clone)]
pub struct IniLine<'a> {
    pub line: Line<'a>,
    pub kind: LineKind,
}

/// A line configparser would reject, with the 1-based line number it would report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct IniSection {
    /// Index of the header line in [`IniDocument::lines`].
    pub header: usize,
    /// Indices of the header and of every line up to the next header.
    pub lines: Range<usize>,
    pub options: Vec<IniOption>,
}

#[derive(Debug, Clone)]
pub struct IniOption {
    /// The key as configparser stores it: trimmed and lower-cased.
    pub key: String,
    /// Index of the `key = value` line.
    pub first_line: usize,
    /// Index of the last line holding part of the value; blank and comment lines between
    /// `first_line` and `last_line` belong to the option, trailing ones do not.
    pub last_line: usize,
}

#[derive(Debug, Clone)]
pub struct IniDocument<'a> {
    pub text: &'a str,
    pub lines: Vec<IniLine<'a>>,
    pub sections: Vec<IniSection>,
    pub errors: Vec<IniError>,
}

impl<'a> IniDocument<'a> {
    pub fn parse(text: &'a str) -> IniDocument<'a> {
        Parser::default().run(text)
    }

    pub fn section_name(&self, section: &IniSection) -> &'a str {
        match &self.lines[section.header].kind {
            LineKind::Section { name } => &self.text[name.clone()],
            _ => "",
        }
    }

    pub fn section(&self, name: &str) -> Option<&IniSection> {
        self.sections
            .iter()
            .find(|section| self.section_name(section) == name)
    }

    /// The value lines of `option` as `(line index, trimmed range)`, skipping blank and comment
    /// lines, in order. The first entry is the (possibly empty) value after the delimiter.
    pub fn value_lines(&self, option: &IniOption) -> Vec<(usize, Range<usize>)> {
        (option.first_line..=option.last_line)
            .filter_map(|index| match &self.lines[index].kind {
                LineKind::Option { value, .. } | LineKind::Continuation { value } => {
                    Some((index, value.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The value exactly as `configparser` returns it: lines joined with `\n`, blank lines inside
    /// kept as empty lines, trailing whitespace removed.
    pub fn value(&self, option: &IniOption) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for index in option.first_line..=option.last_line {
            match &self.lines[index].kind {
                LineKind::Option { value, .. } | LineKind::Continuation { value } => {
                    parts.push(&self.text[value.clone()]);
                }
                LineKind::Blank => parts.push(""),
                _ => {}
            }
        }
        parts
            .join("\n")
            .trim_end_matches(is_python_space)
            .to_owned()
    }

    /// The byte range from the start of line `first` to the end of line `last`, both indices.
    pub fn line_span(&self, first: usize, last: usize) -> Range<usize> {
        self.lines[first].line.start..self.lines[last].line.end
    }
}

#[derive(Default)]
struct Parser {
    sections: Vec<IniSection>,
    errors: Vec<IniError>,
    /// The option whose value continuation lines extend, as (section, option) indices.
    current_option: Option<(usize, usize)>,
    indent_level: usize,
    seen_sections: BTreeSet<String>,
    seen_keys: BTreeSet<String>,
}

impl Parser {
    fn run(mut self, text: &str) -> IniDocument<'_> {
        let mut lines = Vec::new();
        for line in text::universal_lines(text) {
            let index = lines.len();
            let content_start = line.start_after_bom();
            let kind = self.classify(text, content_start, &line, index);
            lines.push(IniLine { line, kind });
        }
        let n_lines = lines.len();
        let headers: Vec<usize> = self.sections.iter().map(|section| section.header).collect();
        for (position, section) in self.sections.iter_mut().enumerate() {
            section.lines.end = headers.get(position + 1).copied().unwrap_or(n_lines);
        }
        IniDocument {
            text,
            lines,
            sections: self.sections,
            errors: self.errors,
        }
    }

    fn classify(
        &mut self,
        text: &str,
        content_start: usize,
        line: &Line<'_>,
        index: usize,
    ) -> LineKind {
        let content = &text[content_start..line.content_end];
        let trimmed = content.trim_matches(is_python_space);
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            return LineKind::Comment;
        }
        if trimmed.is_empty() {
            return LineKind::Blank;
        }
        let leading = content.len() - content.trim_start_matches(is_python_space).len();
        let indent = content[..leading].chars().count();
        let trimmed_start = content_start + leading;
        let trimmed_range = trimmed_start..trimmed_start + trimmed.len();

        if let Some((section, option)) = self.current_option
            && indent > self.indent_level
        {
            self.sections[section].options[option].last_line = index;
            return LineKind::Continuation {
                value: trimmed_range,
            };
        }
        self.indent_level = indent;

        if let Some(name) = section_header(trimmed) {
            let name_range = trimmed_start + 1..trimmed_start + 1 + name.len();
            // configparser merges repeated `[DEFAULT]` sections instead of refusing them.
            if !self.seen_sections.insert(name.to_owned()) && name != "DEFAULT" {
                self.error(line, format!("section `{name}` appears twice"));
            }
            self.sections.push(IniSection {
                header: index,
                lines: index..index,
                options: Vec::new(),
            });
            self.seen_keys.clear();
            self.current_option = None;
            return LineKind::Section { name: name_range };
        }
        let Some(section) = self.sections.len().checked_sub(1) else {
            self.error(line, "text before the first `[section]` header".to_owned());
            return LineKind::Invalid;
        };
        let Some(delimiter) = trimmed.find(['=', ':']) else {
            self.current_option = None;
            self.error(
                line,
                "line is neither `key = value`, a `[section]` header nor a comment".to_owned(),
            );
            return LineKind::Invalid;
        };
        let key = trimmed[..delimiter].trim_end_matches(is_python_space);
        if key.is_empty() {
            self.current_option = None;
            self.error(line, "option without a name".to_owned());
            return LineKind::Invalid;
        }
        let after = &trimmed[delimiter + 1..];
        let value_start = trimmed_start
            + delimiter
            + 1
            + (after.len() - after.trim_start_matches(is_python_space).len());
        let value_range = value_start..trimmed_range.end;
        let key_range = trimmed_start..trimmed_start + key.len();
        let folded = key.to_lowercase();
        if !self.seen_keys.insert(folded.clone()) {
            self.error(
                line,
                format!("option `{folded}` appears twice in its section"),
            );
        }
        let options = &mut self.sections[section].options;
        options.push(IniOption {
            key: folded,
            first_line: index,
            last_line: index,
        });
        self.current_option = Some((section, options.len() - 1));
        LineKind::Option {
            key: key_range,
            value: value_range,
        }
    }

    fn error(&mut self, line: &Line<'_>, message: String) {
        self.errors.push(IniError {
            line: line.number,
            message,
        });
    }
}

/// Whitespace as Python's `str.strip()` and `\s` see it: Unicode whitespace plus the
/// information separators U+001C to U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// configparser's `\[(?P<header>.+)\]` matched at the start of the trimmed line: the name runs
/// to the last `]`, and anything after it is ignored.
fn section_header(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix('[')?;
    let close = rest.rfind(']')?;
    (close > 0).then(|| &rest[..close])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String, String)> {
        let doc = IniDocument::parse(text);
        doc.sections
            .iter()
            .flat_map(|section| {
                let doc = &doc;
                section.options.iter().map(move |option| {
                    (
                        doc.section_name(section).to_owned(),
                        option.key.clone(),
                        doc.value(option),
                    )
                })
            })
            .collect()
    }

    #[test]
    fn reads_pbr_entry_points() {
        let text = "[entry_points]\nwsgi_scripts =\n    a-wsgi = a.b:c\n    # b-wsgi = x:y\n\n    c-wsgi = c.d:e  ; inline\nconsole_scripts =\n    x = y:z\n";
        let got = values(text);
        assert_eq!(got[0].1, "wsgi_scripts");
        assert_eq!(got[0].2, "\na-wsgi = a.b:c\n\nc-wsgi = c.d:e  ; inline");
        assert_eq!(got[1].2, "\nx = y:z");
    }

    #[test]
    fn colon_delimits_and_first_delimiter_wins() {
        let got = values("[s]\nkey: a = b\nOther = c:d\n");
        assert_eq!(got[0], ("s".into(), "key".into(), "a = b".into()));
        assert_eq!(got[1], ("s".into(), "other".into(), "c:d".into()));
    }

    #[test]
    fn tabs_continue_values_and_crlf_and_bom_are_accepted() {
        let text = "\u{feff}[s]\r\nk = \r\n\tv1\r\n\tv2\r\n";
        let doc = IniDocument::parse(text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        assert_eq!(values(text)[0].2, "\nv1\nv2");
    }

    #[test]
    fn a_lone_cr_ends_a_line_as_in_universal_newlines() {
        // configparser reads through universal newlines: `\r` alone is a line break, so the
        // entry after it is a continuation line of its own.
        let text =
            "[entry_points]\rwsgi_scripts =\r    a-wsgi = a.b:c\r    b-wsgi = b.c:d\r\nx = 1";
        let doc = IniDocument::parse(text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        assert_eq!(doc.lines.len(), 5);
        let got = values(text);
        assert_eq!(got[0].1, "wsgi_scripts");
        assert_eq!(got[0].2, "\na-wsgi = a.b:c\nb-wsgi = b.c:d");
        assert_eq!(got[1], ("entry_points".into(), "x".into(), "1".into()));
        assert_eq!(doc.lines[3].line.number, 4);
        // A stray `\r` inside what git calls one line starts a new line for configparser.
        let doc = IniDocument::parse("[s]\nk = v\rjunk\n");
        assert_eq!(doc.errors.len(), 1, "{:?}", doc.errors);
        assert_eq!(doc.errors[0].line, 3);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let doc = IniDocument::parse("x = 1\n[s]\nnot an option\n[s]\n");
        let lines: Vec<usize> = doc.errors.iter().map(|error| error.line).collect();
        assert_eq!(lines, vec![1, 3, 4]);
    }

    #[test]
    fn option_blocks_exclude_trailing_blank_lines() {
        let doc = IniDocument::parse("[s]\na =\n  1\n\n  2\n\n# c\nb = 3\n");
        let option = &doc.sections[0].options[0];
        assert_eq!((option.first_line, option.last_line), (1, 4));
        assert_eq!(doc.sections[0].lines, 0..8);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        "[A-Za-zÄÖÜßΣİ_][A-Za-z0-9_.ÄΣ -]{0,8}"
    }

    fn value() -> impl Strategy<Value = String> {
        "[^\\n]{0,16}"
    }

    /// One physical line without its ending.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            // `[section]`, possibly indented, possibly with text after the `]`.
            1 => ("[ \t]{0,2}", "[A-Za-z0-9_ .:=\\]-]{1,10}", "[^\\n\\]]{0,4}")
                .prop_map(|(indent, name, rest)| format!("{indent}[{name}]{rest}")),
            // `key = value`, possibly indented.
            1 => ("[ \t]{0,6}", key(), "[ \t]{0,2}", "[ \t]{0,2}", value())
                .prop_map(|(indent, key, pre, post, value)| format!("{indent}{key}{pre}={post}{value}")),
            // `key: value`, possibly indented.
            1 => ("[ \t]{0,6}", key(), "[ \t]{0,2}", value())
                .prop_map(|(indent, key, post, value)| format!("{indent}{key}:{post}{value}")),
            // A continuation line, indented with spaces, tabs or both.
            3 => ("[ \t]{1,8}", value()).prop_map(|(indent, value)| format!("{indent}{value}")),
            // Comments at column 0 and indented.
            1 => ("[ \t]{0,4}", "[#;]", "[^\\n]{0,10}")
                .prop_map(|(indent, prefix, text)| format!("{indent}{prefix}{text}")),
            // Blank and whitespace-only lines.
            2 => "[ \t]{0,4}",
            // An inline `; x` that belongs to the value.
            1 => ("[ \t]{0,4}", key(), value(), "[^\\n]{0,6}")
                .prop_map(|(indent, key, value, comment)| format!("{indent}{key} = {value} ; {comment}")),
            // Junk, including lone `\r`s.
            1 => "[^\\n]{0,20}",
            // Unicode text.
            1 => "[ \t]{0,2}\\PC{0,12}",
        ]
    }

    /// A document from random lines with mixed LF, CRLF and lone CR endings, maybe a BOM, maybe
    /// no final newline.
    fn document() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop::collection::vec((line(), 0..3u8), 0..24),
            any::<bool>(),
        )
            .prop_map(|(bom, lines, final_newline)| {
                let mut text = String::new();
                if bom {
                    text.push('\u{feff}');
                }
                for (line, ending) in lines {
                    text.push_str(&line);
                    text.push_str(["\n", "\r\n", "\r"][usize::from(ending)]);
                }
                if !final_newline {
                    if text.ends_with("\r\n") {
                        text.truncate(text.len() - 2);
                    } else if text.ends_with(['\n', '\r']) {
                        text.pop();
                    }
                }
                text
            })
    }

    fn check_range(doc: &IniDocument<'_>, index: usize, range: &Range<usize>, what: &str) {
        let line = &doc.lines[index].line;
        let content_start = line.start_after_bom();
        assert!(
            content_start <= range.start
                && range.start <= range.end
                && range.end <= line.content_end,
            "line {index}: {what} range {range:?} outside content {content_start}..{}",
            line.content_end
        );
        assert!(
            doc.text.is_char_boundary(range.start) && doc.text.is_char_boundary(range.end),
            "line {index}: {what} range {range:?} not on char boundaries"
        );
    }

    fn check_invariants(text: &str) {
        let doc = IniDocument::parse(text);
        assert_eq!(doc.text, text);

        // Reprint identity and contiguous, ordered line ranges covering the text.
        let reprinted: String = doc
            .lines
            .iter()
            .map(|line| &doc.text[line.line.start..line.line.end])
            .collect();
        assert_eq!(reprinted, text);
        let mut at = 0;
        for (index, line) in doc.lines.iter().enumerate() {
            let line = &line.line;
            assert_eq!(line.number, index + 1);
            assert_eq!(
                line.start, at,
                "line {index} does not start where the previous one ends"
            );
            assert!(line.start <= line.content_end && line.content_end <= line.end);
            assert!(line.end > line.start, "line {index} is empty");
            assert_eq!(line.content, &text[line.start..line.content_end]);
            at = line.end;
        }
        assert_eq!(at, text.len(), "lines do not cover the whole text");

        // Key, value and name ranges lie inside their line's content, on char boundaries.
        for (index, line) in doc.lines.iter().enumerate() {
            match &line.kind {
                LineKind::Section { name } => check_range(&doc, index, name, "name"),
                LineKind::Option { key, value } => {
                    check_range(&doc, index, key, "key");
                    check_range(&doc, index, value, "value");
                    assert!(
                        key.end <= value.start,
                        "line {index}: key {key:?} overlaps value {value:?}"
                    );
                }
                LineKind::Continuation { value } => check_range(&doc, index, value, "value"),
                LineKind::Blank | LineKind::Comment | LineKind::Invalid => {}
            }
        }

        // Sections start at their header and are disjoint and ordered; options sit inside them.
        let mut previous_end = 0;
        for section in &doc.sections {
            assert_eq!(section.lines.start, section.header);
            assert!(matches!(
                doc.lines[section.header].kind,
                LineKind::Section { .. }
            ));
            assert!(
                section.lines.start >= previous_end,
                "sections overlap or are out of order"
            );
            assert!(
                section.lines.start < section.lines.end && section.lines.end <= doc.lines.len()
            );
            previous_end = section.lines.end;
            let mut previous_option_end = section.header;
            for option in &section.options {
                assert!(
                    option.first_line > previous_option_end,
                    "options overlap or are out of order"
                );
                assert!(
                    option.first_line <= option.last_line && option.last_line < section.lines.end
                );
                let LineKind::Option { key, .. } = &doc.lines[option.first_line].kind else {
                    panic!("option {:?} does not start on an option line", option.key);
                };
                assert_eq!(doc.text[key.clone()].to_lowercase(), option.key);
                let value = doc.value(option);
                assert_eq!(value.trim_end(), value);
                previous_option_end = option.last_line;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn structured_documents_keep_their_invariants(text in document()) {
            check_invariants(&text);
        }

        #[test]
        fn arbitrary_strings_keep_their_invariants(text in any::<String>()) {
            check_invariants(&text);
        }

        #[test]
        fn arbitrary_ini_alphabet_strings_keep_their_invariants(text in "[\u{feff}\\[\\]=:#; \t\r\nab\u{e9}\u{3a3}]{0,64}") {
            check_invariants(&text);
        }
    }
}
