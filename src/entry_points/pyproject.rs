//! `wsgi_scripts` in `pyproject.toml`: `[project.entry-points.wsgi_scripts]`, its quoted form
//! `[project.entry-points."wsgi_scripts"]`, and the inline-table spelling.
//!
//! No OpenStack project ever declared the group here, but PBR reads whatever the distribution's
//! metadata says, so a PEP 621 project gets the same scripts. Reading and editing use
//! `toml_edit`, whose printing keeps every untouched byte; the edit is then cut down to the one
//! changed region so it is a byte splice like every other edit.

use std::collections::BTreeSet;

use toml_edit::{Document, DocumentMut, Item, TableLike};

use crate::diagnostic::Diagnostic;
use crate::edit::Edit;
use crate::entry_points::{EntryPoint, GROUP, Target};
use crate::python;
use crate::text::LineIndex;

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
        entry_points.remove(GROUP);
    } else {
        for name in names.iter().filter(|name| scripts.contains(*name)) {
            group.remove(name);
        }
    }
    minimal_edit(text, &doc.to_string()).into_iter().collect()
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
    use crate::edit::apply_edits;

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
