//! `wsgi_scripts` in `pyproject.toml`: `[project.entry-points.wsgi_scripts]`, its quoted form
//! `[project.entry-points."wsgi_scripts"]`, and the inline-table spelling.
//!
//! No OpenStack project ever declared the group here, but PBR reads whatever the distribution's
//! metadata says, so a PEP 621 project gets the same scripts. Reading uses `toml_edit`. A table
//! with its own header is removed along lines, with only the comments it owns (a comment above
//! it about something else, or one after it before the next table, stays); the other spellings
//! are edited with `toml_edit`, whose printing keeps every untouched byte, and the edit is cut
//! down to the one changed region so it is a byte splice like every other edit.

use std::collections::BTreeSet;

use toml_edit::{Document, DocumentMut, Item, TableLike};

use crate::diagnostic::Diagnostic;
use crate::project::entry_points::{EntryPoint, GROUP, Target};
use crate::syntax::edit::Edit;
use crate::syntax::python;
use crate::syntax::text::{self, Line, LineIndex};

/// Every `wsgi_scripts` entry in `text`, and a diagnostic for each problem.
pub fn read(file: &str, text: &str) -> (Vec<EntryPoint>, Vec<Diagnostic>) {
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(error) => {
            let line = error
                .span()
                .map(|span| LineIndex::new(text).line_of(span.start));
            let message = error.message().to_owned();
            return (
                Vec::new(),
                vec![Diagnostic::error(
                    file,
                    line,
                    format!("not valid TOML: {message}"),
                )],
            );
        }
    };
    let Some(group) = group(doc.as_item()) else {
        return (Vec::new(), Vec::new());
    };
    let index = LineIndex::new(text);
    let mut entry_points = Vec::new();
    let mut diagnostics = Vec::new();
    for (script, item) in group.iter() {
        let line = group
            .key(script)
            .and_then(|key| key.span())
            .or_else(|| item.span())
            .map(|span| index.line_of(span.start))
            .unwrap_or(1);
        if let Some(problem) = python::script_name_problem(script) {
            diagnostics.push(Diagnostic::error(file, Some(line), problem));
            continue;
        }
        let Some(value) = item.as_str() else {
            diagnostics.push(Diagnostic::error(
                file,
                Some(line),
                format!("entry `{script}` is not a string"),
            ));
            continue;
        };
        match Target::parse(value) {
            Ok(target) => entry_points.push(EntryPoint {
                file: file.to_owned(),
                line,
                script: script.to_owned(),
                target,
            }),
            Err(message) => diagnostics.push(Diagnostic::error(
                file,
                Some(line),
                format!("{script}: {message}"),
            )),
        }
    }
    (entry_points, diagnostics)
}

/// Edits that remove the entries of `scripts` from the `wsgi_scripts` group, and the group
/// itself when nothing is left in it.
pub fn remove(text: &str, scripts: &BTreeSet<String>) -> Vec<Edit> {
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        return Vec::new();
    };
    let Some(entry_points) = doc
        .get_mut("project")
        .and_then(|project| project.get_mut("entry-points"))
        .and_then(Item::as_table_like_mut)
    else {
        return Vec::new();
    };
    let Some(group) = entry_points
        .get_mut(GROUP)
        .and_then(Item::as_table_like_mut)
    else {
        return Vec::new();
    };
    let names: Vec<String> = group.iter().map(|(name, _)| name.to_owned()).collect();
    if names.iter().all(|name| scripts.contains(name)) {
        if let Some(edit) = remove_table(text) {
            return vec![edit];
        }
        entry_points.remove(GROUP);
    } else {
        for name in names.iter().filter(|name| scripts.contains(*name)) {
            group.remove(name);
        }
    }
    minimal_edit(text, &doc.to_string()).into_iter().collect()
}

/// The edit that removes a `[project.entry-points.wsgi_scripts]` table written as its own
/// header, cut along lines so that it takes only the comments it owns: the header's, those
/// among and directly after its entries, and a comment block directly above the header that
/// speaks of WSGI. Anything separated from the entries by a blank line, or above the header
/// about something else, stays. `None` for the other spellings (inline or dotted), which
/// `toml_edit` removes.
fn remove_table(text: &str) -> Option<Edit> {
    let doc = Document::parse(text).ok()?;
    let table = doc
        .as_item()
        .get("project")?
        .get("entry-points")?
        .get(GROUP)?
        .as_table()?;
    let header = table.span()?;
    if table.is_dotted() || table.is_implicit() {
        return None;
    }
    let mut entries_end = header.end;
    for (_, item) in table.iter() {
        // A sub-table or anything without a span of its own is not an entry point list.
        let value = item.as_value()?;
        entries_end = entries_end.max(value.span()?.end);
    }
    let lines: Vec<Line<'_>> = text::lines(text).collect();
    let line_at = |offset: usize| {
        lines
            .iter()
            .position(|line| line.start <= offset && offset < line.end.max(line.start + 1))
    };
    let header_line = line_at(header.start)?;
    let last_entry_line = line_at(entries_end.saturating_sub(1).max(header.start))?;
    let kind = |index: usize| {
        let content = lines[index].content.trim();
        if content.is_empty() {
            Kind::Blank
        } else if content.starts_with('#') {
            Kind::Comment
        } else {
            Kind::Other
        }
    };
    // Comments directly after the last entry are the table's; from the first blank line on,
    // what comes before the next header is about that header (or the end of the file).
    let mut last = last_entry_line;
    while last + 1 < lines.len() && kind(last + 1) == Kind::Comment {
        last += 1;
    }
    // Nothing but blank lines and comments may lie between the table and the next header.
    let mut next = last + 1;
    while next < lines.len() && kind(next) != Kind::Other {
        next += 1;
    }
    if next < lines.len() && !lines[next].content.trim_start().starts_with('[') {
        return None;
    }
    // A comment block directly above the header that talks about WSGI scripts goes with it.
    let mut first = header_line;
    let mut above = header_line;
    while above > 0 && kind(above - 1) == Kind::Comment {
        above -= 1;
    }
    let attached = &text[lines[above].start..lines[header_line].start];
    if above < header_line && attached.to_lowercase().contains("wsgi") {
        first = above;
    }
    // Leave one blank line where the table stood between two, and none at the end of the file.
    let blank_before = first > 0 && kind(first - 1) == Kind::Blank;
    if blank_before && last + 1 < lines.len() && kind(last + 1) == Kind::Blank {
        last += 1;
    } else if blank_before && last + 1 >= lines.len() {
        first -= 1;
    } else if first == 0 {
        while last + 1 < lines.len() && kind(last + 1) == Kind::Blank {
            last += 1;
        }
    }
    let edit = Edit::delete(lines[first].start..lines[last].end);
    // The result must still be TOML without the group, or the caller falls back to toml_edit.
    let after = crate::syntax::edit::apply_edits(text, std::slice::from_ref(&edit)).ok()?;
    let still_there = Document::parse(after.as_str())
        .ok()
        .map(|doc| group(doc.as_item()).is_some());
    (still_there == Some(false)).then_some(edit)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Other,
}

fn group(root: &Item) -> Option<&dyn TableLike> {
    root.get("project")?
        .get("entry-points")?
        .get(GROUP)?
        .as_table_like()
}

/// The one edit that turns `before` into `after`: everything between their common prefix and
/// common suffix.
fn minimal_edit(before: &str, after: &str) -> Option<Edit> {
    if before == after {
        return None;
    }
    let mut prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = before.len().min(after.len()) - prefix;
    let mut suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(before.len() - suffix)
        || !after.is_char_boundary(after.len() - suffix)
    {
        suffix -= 1;
    }
    Some(Edit::replace(
        prefix..before.len() - suffix,
        &after[prefix..after.len() - suffix],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::edit::apply_edits;

    const TABLE: &str = "[project]\nname = \"toy\"\n\n# The WSGI apps.\n[project.entry-points.wsgi_scripts]\ntoy-api = \"toy.app:init\"\n\n[project.scripts]\ntoy-manage = \"toy.cmd:main\"\n";

    #[test]
    fn reads_the_table_form_with_lines() {
        let (entries, diagnostics) = read("pyproject.toml", TABLE);
        assert!(diagnostics.is_empty());
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].line, entries[0].script.as_str()),
            (6, "toy-api")
        );
        let quoted = TABLE.replace("entry-points.wsgi_scripts", "entry-points.\"wsgi_scripts\"");
        assert_eq!(read("pyproject.toml", &quoted).0.len(), 1);
    }

    #[test]
    fn removes_the_table_and_keeps_the_rest() {
        let scripts = BTreeSet::from(["toy-api".to_owned()]);
        let after = apply_edits(TABLE, &remove(TABLE, &scripts)).unwrap();
        assert_eq!(
            after,
            "[project]\nname = \"toy\"\n\n[project.scripts]\ntoy-manage = \"toy.cmd:main\"\n"
        );
    }

    fn remove_all(text: &str) -> String {
        let scripts = read("pyproject.toml", text)
            .0
            .into_iter()
            .map(|entry| entry.script)
            .collect();
        let after = apply_edits(text, &remove(text, &scripts)).unwrap();
        assert!(after.parse::<DocumentMut>().is_ok(), "{after}");
        assert!(read("pyproject.toml", &after).0.is_empty(), "{after}");
        after
    }

    #[test]
    fn keeps_an_unrelated_comment_above_the_table() {
        let text = "[project]\nname = \"toy\"\n# Keep the version in step with setup.cfg.\n\n[project.entry-points.wsgi_scripts]\ntoy-api = \"toy.app:init\"\n\n[project.scripts]\ntoy-manage = \"toy.cmd:main\"\n";
        assert_eq!(
            remove_all(text),
            "[project]\nname = \"toy\"\n# Keep the version in step with setup.cfg.\n\n[project.scripts]\ntoy-manage = \"toy.cmd:main\"\n"
        );
        // Directly above the header but about something else: it stays too.
        let text = "[project]\nname = \"toy\"\n\n# Licence: Apache-2.0\n[project.entry-points.wsgi_scripts]\ntoy-api = \"toy.app:init\"\n";
        assert_eq!(
            remove_all(text),
            "[project]\nname = \"toy\"\n\n# Licence: Apache-2.0\n"
        );
    }

    #[test]
    fn removes_the_comments_inside_the_table() {
        let text = "[project]\nname = \"toy\"\n\n[project.entry-points.wsgi_scripts]  # the apps\n# public API\ntoy-api = \"toy.app:init\"  # tail\n# admin API\ntoy-admin = \"toy.app:admin\"\n# end of the apps\n\n[tool.x]\ny = 1\n";
        assert_eq!(
            remove_all(text),
            "[project]\nname = \"toy\"\n\n[tool.x]\ny = 1\n"
        );
    }

    #[test]
    fn keeps_comments_after_the_table_and_between_tables() {
        // A comment after a blank line belongs to what follows: the next table...
        let text = "[project.entry-points.wsgi_scripts]\ntoy-api = \"toy.app:init\"\n\n# Console scripts.\n[project.scripts]\ntoy-manage = \"toy.cmd:main\"\n";
        assert_eq!(
            remove_all(text),
            "# Console scripts.\n[project.scripts]\ntoy-manage = \"toy.cmd:main\"\n"
        );
        // ... or the end of the file.
        let text = "[project]\nname = \"toy\"\n\n[project.entry-points.wsgi_scripts]\ntoy-api = \"toy.app:init\"\n\n# vim: set ft=toml:\n";
        assert_eq!(
            remove_all(text),
            "[project]\nname = \"toy\"\n\n# vim: set ft=toml:\n"
        );
        // Between two neighbouring tables, each keeps its own comments.
        let text = "[project.entry-points.console_scripts]\n# the CLI\ntoy = \"toy.cmd:main\"\n# more CLIs soon\n\n[project.entry-points.wsgi_scripts]\ntoy-api = \"toy.app:init\"\n\n# plugins\n[project.entry-points.\"toy.plugins\"]\na = \"toy.p:A\"\n";
        assert_eq!(
            remove_all(text),
            "[project.entry-points.console_scripts]\n# the CLI\ntoy = \"toy.cmd:main\"\n# more CLIs soon\n\n# plugins\n[project.entry-points.\"toy.plugins\"]\na = \"toy.p:A\"\n"
        );
    }

    #[test]
    fn keeps_crlf_around_the_removed_table() {
        let text = "[project]\r\nname = \"toy\"\r\n# keep\r\n\r\n[project.entry-points.wsgi_scripts]\r\ntoy-api = \"toy.app:init\"\r\n\r\n[tool.x]\r\ny = 1";
        assert_eq!(
            remove_all(text),
            "[project]\r\nname = \"toy\"\r\n# keep\r\n\r\n[tool.x]\r\ny = 1"
        );
    }

    #[test]
    fn removes_from_an_inline_table() {
        let text = "[project]\nname = \"toy\"\nentry-points = { wsgi_scripts = { toy-api = \"toy.app:init\" }, other = { a = \"b:c\" } }  # inline\n";
        assert_eq!(read("pyproject.toml", text).0.len(), 1);
        let scripts = BTreeSet::from(["toy-api".to_owned()]);
        let after = apply_edits(text, &remove(text, &scripts)).unwrap();
        assert!(after.contains("other = { a = \"b:c\" }"), "{after}");
        assert!(after.ends_with("}  # inline\n"), "{after}");
        assert!(!after.contains("wsgi_scripts"));
    }

    #[test]
    fn invalid_toml_and_entries_are_diagnostics() {
        let (_, diagnostics) = read("pyproject.toml", "[project\n");
        assert_eq!(diagnostics[0].line, Some(1));
        let text = "[project.entry-points.wsgi_scripts]\n\"../x\" = \"a:b\"\ny = \"a:b()\"\n";
        let (entries, diagnostics) = read("pyproject.toml", text);
        assert!(entries.is_empty());
        assert_eq!(
            diagnostics.iter().map(|d| d.line).collect::<Vec<_>>(),
            vec![Some(2), Some(3)]
        );
    }
}
