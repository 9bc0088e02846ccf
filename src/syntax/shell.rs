//! A small tokenizer for POSIX shell command lines, as found in DevStack plugins, entry-point
//! scripts, systemd `ExecStart=` lines and Dockerfile `RUN` instructions.
//!
//! It splits a line into words and control operators, keeping each word's byte range with its
//! quotes, so that a rewriter can replace one argument, or append one, without touching any other
//! byte. It understands single and double quotes, backslash escapes, `$(...)`, `${...}` and
//! backticks well enough to find word boundaries; it does not expand anything.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word, with its quotes, as a byte range of the tokenized text.
    Word(Range<usize>),
    /// `;`, `&`, `&&`, `|`, `||`, `(`, `)` or a newline: the end of a simple command.
    Operator(Range<usize>),
}

/// Tokenize `text` up to an unquoted comment. Unbalanced quotes end the last word at the end of
/// the text rather than failing: a rewriter then simply finds nothing it recognises there.
pub fn tokenize(text: &str) -> Vec<Token> {
    Tokens::new(text).collect()
}

/// The tokens of a text one at a time, for callers that stop early: reading a file's
/// here-documents tokenizes only up to each one's body, not the rest of the file each time.
pub struct Tokens<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl<'t> Tokens<'t> {
    pub fn new(text: &'t str) -> Tokens<'t> {
        Tokens {
            bytes: text.as_bytes(),
            at: 0,
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let bytes = self.bytes;
        while self.at < bytes.len() {
            let at = self.at;
            let byte = bytes[at];
            match byte {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\\' if bytes.get(at + 1) == Some(&b'\n') => self.at += 2,
                b'\\' if bytes.get(at + 1) == Some(&b'\r') && bytes.get(at + 2) == Some(&b'\n') => {
                    self.at += 3
                }
                b'#' => {
                    // A comment runs to the end of the line.
                    while self.at < bytes.len() && bytes[self.at] != b'\n' {
                        self.at += 1;
                    }
                }
                b'\n' | b';' | b'(' | b')' => {
                    self.at += 1;
                    return Some(Token::Operator(at..at + 1));
                }
                b'&' | b'|' => {
                    let len = if bytes.get(at + 1) == Some(&byte) {
                        2
                    } else {
                        1
                    };
                    self.at += len;
                    return Some(Token::Operator(at..at + len));
                }
                _ => {
                    let end = word_end(bytes, at);
                    self.at = end;
                    return Some(Token::Word(at..end));
                }
            }
        }
        None
    }
}

/// The words of `text`, ignoring operators.
pub fn words(text: &str) -> Vec<Range<usize>> {
    tokenize(text)
        .into_iter()
        .filter_map(|token| match token {
            Token::Word(range) => Some(range),
            Token::Operator(_) => None,
        })
        .collect()
}

fn word_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' => return at,
            b'\\' => at = (at + 2).min(bytes.len()),
            b'\'' => at = skip_until(bytes, at + 1, b'\''),
            b'"' => at = skip_double_quoted(bytes, at + 1),
            b'`' => at = skip_until(bytes, at + 1, b'`'),
            b'$' if bytes.get(at + 1) == Some(&b'(') => at = skip_nested(bytes, at + 2, b'(', b')'),
            b'$' if bytes.get(at + 1) == Some(&b'{') => at = skip_nested(bytes, at + 2, b'{', b'}'),
            _ => at += 1,
        }
    }
    at
}

/// Index just after the closing `close`, or the end of the text.
fn skip_until(bytes: &[u8], mut at: usize, close: u8) -> usize {
    while at < bytes.len() {
        if bytes[at] == close {
            return at + 1;
        }
        at += 1;
    }
    at
}

fn skip_double_quoted(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at = (at + 2).min(bytes.len()),
            b'"' => return at + 1,
            b'$' if bytes.get(at + 1) == Some(&b'(') => at = skip_nested(bytes, at + 2, b'(', b')'),
            b'$' if bytes.get(at + 1) == Some(&b'{') => at = skip_nested(bytes, at + 2, b'{', b'}'),
            b'`' => at = skip_until(bytes, at + 1, b'`'),
            _ => at += 1,
        }
    }
    at
}

fn skip_nested(bytes: &[u8], mut at: usize, open: u8, close: u8) -> usize {
    let mut depth = 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => {
                at = (at + 2).min(bytes.len());
                continue;
            }
            b'\'' => {
                at = skip_until(bytes, at + 1, b'\'');
                continue;
            }
            b'"' => {
                at = skip_double_quoted(bytes, at + 1);
                continue;
            }
            byte if byte == open => depth += 1,
            byte if byte == close => {
                depth -= 1;
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    at
}

/// A word with one level of surrounding quotes removed: `"$X"` is `$X`, `'a b'` is `a b`.
pub fn unquote(word: &str) -> &str {
    for quote in ['"', '\''] {
        if word.len() >= 2 && word.starts_with(quote) && word.ends_with(quote) {
            return &word[1..word.len() - 1];
        }
    }
    word
}

/// Whether `word` closes every quote, substitution and escape it opens, so that text appended
/// after a space starts a new word rather than landing inside this one. [`tokenize`] ends an
/// unclosed word at the end of the text instead of failing.
pub fn is_closed(word: &str) -> bool {
    word_end(format!("{word} ").as_bytes(), 0) == word.len()
}

/// The variable a word consists of, if it is exactly `$NAME`, `${NAME}` or either in quotes.
pub fn variable_reference(word: &str) -> Option<&str> {
    let inner = unquote(word).strip_prefix('$')?;
    let name = inner
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or(inner);
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        words(text).into_iter().map(|range| &text[range]).collect()
    }

    #[test]
    fn closed_words() {
        for word in [
            "a",
            "\"a b\"",
            "'a'\"b\"",
            "$(x \"y\")",
            "${X:-$(y)}",
            "`x`",
            "a\\\\",
        ] {
            assert!(is_closed(word), "{word}");
        }
        for word in ["a\"", "\"a", "'a", "$(x", "${X", "`x", "a\\", "\"$(x\""] {
            assert!(!is_closed(word), "{word}");
        }
    }

    #[test]
    fn splits_words_with_quotes_and_substitutions() {
        let line = r#"write_uwsgi_config "$CONF" "${X:-$(which a b)}" '/a b' x\ y # c d"#;
        assert_eq!(
            texts(line),
            vec![
                "write_uwsgi_config",
                "\"$CONF\"",
                "\"${X:-$(which a b)}\"",
                "'/a b'",
                "x\\ y"
            ]
        );
    }

    #[test]
    fn operators_end_commands() {
        let tokens = tokenize("a && b; c | d");
        let operators = tokens
            .iter()
            .filter(|token| matches!(token, Token::Operator(_)))
            .count();
        assert_eq!(operators, 3);
        assert_eq!(
            texts("uwsgi \\\n  --wsgi-file /x"),
            vec!["uwsgi", "--wsgi-file", "/x"]
        );
    }

    #[test]
    fn unbalanced_input_does_not_panic() {
        for text in ["\"abc", "$(a", "${", "'", "\\", "a\\", "`x"] {
            let _ = tokenize(text);
        }
    }

    #[test]
    fn variable_references() {
        assert_eq!(
            variable_reference("\"$HEAT_API_UWSGI\""),
            Some("HEAT_API_UWSGI")
        );
        assert_eq!(variable_reference("${X}"), Some("X"));
        assert_eq!(variable_reference("\"$X/y\""), None);
        assert_eq!(variable_reference("$1"), None);
    }
}
