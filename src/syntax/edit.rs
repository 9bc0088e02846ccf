//! Byte-range edits on a file's original text, modelled on ruff's `Edit` and rustfix's
//! replacement buffer.
//!
//! Every rewrite in this crate is expressed as a list of [`Edit`]s on the text it read; nothing
//! re-serialises a document. Bytes outside the edited ranges therefore survive exactly, which is
//! what keeps comments, CRLF line endings, a BOM, tabs and trailing whitespace intact.

use std::fmt;
use std::ops::Range;

/// Replace the bytes `range` of a text with `replacement`.
///
/// `range` is half-open and lies on UTF-8 boundaries; an empty range is an insertion and an empty
/// replacement a deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, replacement: impl Into<String>) -> Edit {
        Edit {
            range,
            replacement: replacement.into(),
        }
    }

    pub fn delete(range: Range<usize>) -> Edit {
        Edit {
            range,
            replacement: String::new(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            replacement: text.into(),
        }
    }
}

/// Two edits claimed overlapping bytes. This is a bug in a rewriter, never user error, so it is
/// reported rather than resolved by dropping one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditConflict {
    pub first: Range<usize>,
    pub second: Range<usize>,
}

impl fmt::Display for EditConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error: overlapping edits at bytes {:?} and {:?} (this is a bug, please report it)",
            self.first, self.second
        )
    }
}

impl std::error::Error for EditConflict {}

/// Apply `edits` to `text`. Identical duplicate edits are merged; any other overlap is an error.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, EditConflict> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start, edit.range.end));
    sorted.dedup_by(|later, earlier| later == earlier);

    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut previous: Option<&Edit> = None;
    for edit in sorted {
        if let Some(previous) = previous {
            // Two insertions at one point are ambiguous too: which text comes first?
            let overlaps = edit.range.start < previous.range.end
                || (edit.range.start == previous.range.start
                    && edit.range.start == previous.range.end);
            if overlaps {
                return Err(EditConflict {
                    first: previous.range.clone(),
                    second: edit.range.clone(),
                });
            }
        }
        if edit.range.end > text.len()
            || !text.is_char_boundary(edit.range.start)
            || !text.is_char_boundary(edit.range.end)
        {
            return Err(EditConflict {
                first: edit.range.clone(),
                second: edit.range.clone(),
            });
        }
        out.push_str(&text[cursor..edit.range.start]);
        out.push_str(&edit.replacement);
        cursor = edit.range.end;
        previous = Some(edit);
    }
    out.push_str(&text[cursor..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_sorted_and_unsorted_edits() {
        let edits = [
            Edit::replace(6..11, "there"),
            Edit::delete(0..1),
            Edit::insert(11, "!"),
        ];
        assert_eq!(apply_edits("hello world", &edits).unwrap(), "ello there!");
    }

    #[test]
    fn identical_duplicates_are_merged() {
        let edit = Edit::replace(0..1, "J");
        assert_eq!(apply_edits("java", &[edit.clone(), edit]).unwrap(), "Java");
    }

    #[test]
    fn overlaps_are_reported() {
        let err = apply_edits("abcdef", &[Edit::delete(0..3), Edit::delete(2..4)]).unwrap_err();
        assert_eq!(err.first, 0..3);
        assert_eq!(err.second, 2..4);
        assert!(apply_edits("ab", &[Edit::insert(1, "x"), Edit::insert(1, "y")]).is_err());
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        assert!(apply_edits("ab", &[Edit::delete(1..5)]).is_err());
        assert!(apply_edits("é", &[Edit::delete(1..2)]).is_err());
    }
}
