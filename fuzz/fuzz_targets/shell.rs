#![no_main]
//! The shell command-line tokenizer: no panic on any text; tokens are non-empty, in bounds, in
//! order, non-overlapping and on character boundaries.

mod common;

use wsgi_migrate::syntax::shell::{self, Token};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let text = text.as_ref();
    let tokens = shell::tokenize(text);
    let mut previous_end = 0;
    for token in &tokens {
        let (range, what) = match token {
            Token::Word(range) => (range, "word"),
            Token::Operator(range) => (range, "operator"),
        };
        common::assert_range(text, range, what);
        assert!(range.start < range.end, "empty {what} at {range:?}");
        assert!(
            range.start >= previous_end,
            "{what} {range:?} overlaps or precedes the token ending at {previous_end}"
        );
        previous_end = range.end;
        match token {
            Token::Word(range) => {
                let word = &text[range.clone()];
                // Only a word running to the end of the text may leave a quote open.
                assert!(
                    shell::is_closed(word) || range.end == text.len(),
                    "unclosed word {word:?} before the end"
                );
                let unquoted = shell::unquote(word);
                assert!(word.contains(unquoted));
                if let Some(name) = shell::variable_reference(word) {
                    assert!(!name.is_empty() && word.contains(name));
                }
            }
            Token::Operator(range) => {
                assert!(
                    matches!(
                        &text[range.clone()],
                        ";" | "&" | "&&" | "|" | "||" | "(" | ")" | "\n"
                    ),
                    "operator {:?}",
                    &text[range.clone()]
                );
            }
        }
    }
    let words = shell::words(text);
    let word_ranges: Vec<_> = tokens
        .iter()
        .filter_map(|token| match token {
            Token::Word(range) => Some(range.clone()),
            Token::Operator(_) => None,
        })
        .collect();
    assert_eq!(words, word_ranges);
});
