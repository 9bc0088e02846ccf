#![no_main]
//! The configparser-dialect reader: no panic on any text, every line's range reprints the
//! input exactly, and every range it hands out is in bounds, ordered and on character
//! boundaries.

mod common;

use wsgi_migrate::syntax::ini::{IniDocument, LineKind};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let text = text.as_ref();
    let doc = IniDocument::parse(text);

    let mut reprinted = String::with_capacity(text.len());
    let mut cursor = 0;
    for (index, ini_line) in doc.lines.iter().enumerate() {
        let line = &ini_line.line;
        assert_eq!(line.number, index + 1, "line numbers are 1-based and dense");
        assert_eq!(
            line.start, cursor,
            "line {} does not start where the last ended",
            line.number
        );
        assert!(line.start <= line.content_end && line.content_end <= line.end);
        common::assert_range(text, &line.range(), "line");
        common::assert_range(text, &line.content_range(), "line content");
        assert_eq!(&text[line.content_range()], line.content);
        let ending = line.ending(text);
        assert!(
            matches!(ending, "" | "\n" | "\r\n"),
            "line ending {ending:?}"
        );
        assert!(
            !ending.is_empty() || index + 1 == doc.lines.len(),
            "only the last line may lack an ending"
        );
        reprinted.push_str(&text[line.range()]);
        cursor = line.end;

        let inner = |range: &std::ops::Range<usize>, what: &str| {
            common::assert_range(text, range, what);
            assert!(
                line.start <= range.start && range.end <= line.content_end,
                "{what} {range:?} outside its line's content {:?}",
                line.content_range()
            );
        };
        match &ini_line.kind {
            LineKind::Section { name } => inner(name, "section name"),
            LineKind::Option { key, value } => {
                inner(key, "key");
                inner(value, "value");
                assert!(key.end <= value.start, "key {key:?} after value {value:?}");
            }
            LineKind::Continuation { value } => inner(value, "continuation"),
            LineKind::Blank | LineKind::Comment | LineKind::Invalid => {}
        }
    }
    assert_eq!(reprinted, text, "lines do not reprint the input");

    let n = doc.lines.len();
    let mut previous_end = 0;
    for section in &doc.sections {
        assert!(section.header < n);
        assert_eq!(section.lines.start, section.header);
        assert!(section.lines.start >= previous_end, "sections overlap");
        assert!(section.lines.end <= n && section.lines.start < section.lines.end);
        previous_end = section.lines.end;
        assert!(matches!(
            doc.lines[section.header].kind,
            LineKind::Section { .. }
        ));
        let _ = doc.section_name(section);
        for option in &section.options {
            assert!(option.first_line <= option.last_line);
            assert!(
                section.lines.start < option.first_line && option.last_line < section.lines.end
            );
            assert!(matches!(
                doc.lines[option.first_line].kind,
                LineKind::Option { .. }
            ));
            let value_lines = doc.value_lines(option);
            for (index, range) in &value_lines {
                assert!((option.first_line..=option.last_line).contains(index));
                common::assert_range(text, range, "value line");
            }
            let _ = doc.value(option);
            let span = doc.line_span(option.first_line, option.last_line);
            common::assert_range(text, &span, "option span");
        }
    }
    for error in &doc.errors {
        assert!(
            error.line >= 1 && error.line <= n,
            "error on line {} of {n}",
            error.line
        );
    }
});
