//! Line-level views of a text that keep every byte accounted for.
//!
//! Parsers in this crate walk [`lines`] instead of `str::lines` because they need each line's byte
//! range and its own line ending: a mixed LF/CRLF file keeps each line's ending when a line is
//! removed or rewritten, and a file without a final newline stays without one.

use std::ops::Range;

/// One physical line: `content` excludes the line ending, `full` includes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    pub start: usize,
    /// End of the content, before `\r\n` or `\n`.
    pub content_end: usize,
    /// End of the line including its ending; equals `content_end` on a last line without one.
    pub end: usize,
    pub content: &'a str,
}

impl Line<'_> {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    pub fn content_range(&self) -> Range<usize> {
        self.start..self.content_end
    }

    pub fn ending<'t>(&self, text: &'t str) -> &'t str {
        &text[self.content_end..self.end]
    }

    /// Where the content starts once a byte order mark, which only the first line can carry,
    /// is skipped.
    pub fn start_after_bom(&self) -> usize {
        if self.number == 1 {
            self.start + bom_len(self.content)
        } else {
            self.start
        }
    }
}

/// The length of a UTF-8 byte order mark at the start of `text`, 0 or 3.
pub fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') { 3 } else { 0 }
}

/// Iterate over the physical lines of `text`. A BOM stays part of the first line's content;
/// callers that care start from [`Line::start_after_bom`].
pub fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    split(text, false)
}

/// Iterate over the lines of `text` as Python's universal newlines see them (what
/// `configparser`, and so PBR and setuptools, read `setup.cfg` with): `\r\n`, `\n` and a lone
/// `\r` each end a line. Only the INI reader uses this; every other dialect's tools (and git)
/// end lines at `\n` alone, so [`lines`] keeps a lone `\r` inside its line.
pub fn universal_lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    split(text, true)
}

fn split(text: &str, lone_cr: bool) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        number += 1;
        let rest = &text[start..];
        let end = if lone_cr {
            memchr::memchr2(b'\n', b'\r', rest.as_bytes())
        } else {
            memchr::memchr(b'\n', rest.as_bytes())
        };
        let (content_len, ending_len) = match end {
            Some(at) if rest.as_bytes()[at] == b'\r' => {
                if rest.as_bytes().get(at + 1) == Some(&b'\n') {
                    (at, 2)
                } else {
                    (at, 1)
                }
            }
            Some(newline) if newline > 0 && rest.as_bytes()[newline - 1] == b'\r' => {
                (newline - 1, 2)
            }
            Some(newline) => (newline, 1),
            None => (rest.len(), 0),
        };
        let line = Line {
            number,
            start,
            content_end: start + content_len,
            end: start + content_len + ending_len,
            content: &rest[..content_len],
        };
        start = line.end;
        Some(line)
    })
}

/// Maps byte offsets to 1-based line numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { starts }
    }

    /// The byte offset where 1-based line `line` starts; `None` past the last line.
    pub fn start_of(&self, line: usize) -> Option<usize> {
        line.checked_sub(1)
            .and_then(|index| self.starts.get(index).copied())
    }

    /// The byte offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.starts[self.line_of(offset) - 1]
    }

    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }
}

/// The index of the range of `ranges` (sorted by start, not overlapping) that holds `inner`,
/// by a binary search: many lookups among many ranges stay linear in the text.
pub fn holding(ranges: &[std::ops::Range<usize>], inner: &std::ops::Range<usize>) -> Option<usize> {
    let candidates = ranges.partition_point(|range| range.start <= inner.start);
    candidates
        .checked_sub(1)
        .filter(|&last| ranges[last].start <= inner.start && inner.end <= ranges[last].end)
}

/// Every occurrence of one needle in a text, found in one pass, so that "does this stretch of the
/// text hold the needle" costs a binary search rather than a read of the stretch: asking it for
/// each of many mentions on one long line stays linear in the text.
#[derive(Debug, Clone)]
pub struct Occurrences {
    starts: Vec<usize>,
    len: usize,
}

impl Occurrences {
    pub fn new(text: &str, needle: &str) -> Occurrences {
        Occurrences {
            starts: text.match_indices(needle).map(|(at, _)| at).collect(),
            len: needle.len(),
        }
    }

    /// Whether the needle occurs wholly inside `range`.
    pub fn within(&self, range: std::ops::Range<usize>) -> bool {
        let first = self.starts.partition_point(|start| *start < range.start);
        self.starts
            .get(first)
            .is_some_and(|start| start + self.len <= range.end)
    }
}

/// The newline a new line inserted into `text` should use: the file's first ending, LF if none.
pub fn newline_style(text: &str) -> &'static str {
    match text.find('\n') {
        Some(at) if at > 0 && text.as_bytes()[at - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_own_endings() {
        let text = "a\r\nb\nc";
        let all: Vec<_> = lines(text).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].content, "a");
        assert_eq!(all[0].ending(text), "\r\n");
        assert_eq!(all[1].ending(text), "\n");
        assert_eq!(all[2].content, "c");
        assert_eq!(all[2].ending(text), "");
        let rebuilt: String = all.iter().map(|line| &text[line.range()]).collect();
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn universal_lines_end_at_a_lone_cr() {
        let text = "a\rb\r\nc\nd\r";
        let all: Vec<_> = universal_lines(text).collect();
        let contents: Vec<_> = all.iter().map(|line| line.content).collect();
        assert_eq!(contents, ["a", "b", "c", "d"]);
        let endings: Vec<_> = all.iter().map(|line| line.ending(text)).collect();
        assert_eq!(endings, ["\r", "\r\n", "\n", "\r"]);
        assert_eq!(all[3].number, 4);
        // The git view keeps the lone `\r` inside the line.
        let git: Vec<_> = lines(text).map(|line| line.content).collect();
        assert_eq!(git, ["a\rb", "c", "d\r"]);
    }

    #[test]
    fn line_index_maps_offsets() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.line_of(0), 1);
        assert_eq!(index.line_of(2), 1);
        assert_eq!(index.line_of(3), 2);
        assert_eq!(index.line_of(6), 3);
        assert_eq!(index.line_of(8), 4);
        assert_eq!(index.start_of(1), Some(0));
        assert_eq!(index.start_of(4), Some(7));
        assert_eq!(index.start_of(5), None);
        assert_eq!(index.start_of(0), None);
        assert_eq!(index.line_start(4), 3);
        assert_eq!(index.line_start(7), 7);
        assert_eq!(index.line_start(9), 7);
    }

    #[test]
    fn occurrences_answer_for_any_stretch() {
        let text = "a wsgi-file b wsgi-file";
        let found = Occurrences::new(text, "wsgi-file");
        assert!(found.within(0..text.len()));
        assert!(found.within(2..11));
        assert!(!found.within(2..10));
        assert!(!found.within(3..13));
        assert!(found.within(3..23));
        assert!(!found.within(23..23));
        assert!(!Occurrences::new(text, "module").within(0..text.len()));
    }

    #[test]
    fn newline_style_follows_the_file() {
        assert_eq!(newline_style("x\r\ny\n"), "\r\n");
        assert_eq!(newline_style("x\ny"), "\n");
        assert_eq!(newline_style("x"), "\n");
    }
}

/// `paragraph` wrapped at `width` columns, each line starting with `indent`. Words longer than
/// the width stay whole on their own line.
pub fn wrap(paragraph: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in paragraph.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod wrap_tests {
    #[test]
    fn wraps_at_the_width() {
        let wrapped = super::wrap("one two three four five six", 13, "  ");
        assert_eq!(wrapped, "  one two\n  three four\n  five six\n");
        assert!(wrapped.lines().all(|line| line.len() <= 13));
        assert_eq!(super::wrap("", 10, ""), "");
    }
}
