//! `wsgi_scripts` in `setup.cfg`: PBR's `[entry_points]` section and setuptools'
//! `[options.entry_points]`.
//!
//! Reading uses the lossless [`IniDocument`], so every entry knows its line. Removal deletes the
//! `wsgi_scripts` key with its continuation lines, the comments inside the block and a comment
//! attached directly above it that speaks of WSGI; when the section is left without options, its
//! header goes too, with one blank line beside it (as upstream barbican did). Every other byte
//! stays.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::project::entry_points::{EntryPoint, GROUP, parse_entry};
use crate::syntax::edit::Edit;
use crate::syntax::ini::{IniDocument, IniOption, IniSection, LineKind};

/// The sections an entry-point group can be declared in.
pub const SECTIONS: [&str; 2] = ["entry_points", "options.entry_points"];

/// Every `wsgi_scripts` entry in `text`, and a diagnostic for each problem.
pub fn read(file: &str, text: &str) -> (Vec<EntryPoint>, Vec<Diagnostic>) {
    let doc = IniDocument::parse(text);
    let mut diagnostics: Vec<Diagnostic> = doc
        .errors
        .iter()
        .map(|error| {
            Diagnostic::error(
                file,
                Some(error.line),
                format!("{} (configparser would refuse this file)", error.message),
            )
        })
        .collect();
    let mut entry_points = Vec::new();
    for (_, option) in wsgi_options(&doc) {
        for (index, range) in doc.value_lines(option) {
            let entry = &text[range];
            if entry.is_empty() {
                continue;
            }
            let line = doc.lines[index].line.number;
            match parse_entry(entry) {
                Ok((script, target)) => {
                    entry_points.push(EntryPoint {
                        file: file.to_owned(),
                        line,
                        script,
                        target,
                    });
                }
                Err(message) => diagnostics.push(Diagnostic::error(file, Some(line), message)),
            }
        }
    }
    (entry_points, diagnostics)
}

/// Edits that remove the entries of `scripts` from every `wsgi_scripts` key in `text`.
///
/// When every entry of a key goes, the key goes as a block; otherwise only the lines of the
/// removed entries do, so an entry this tool could not migrate stays declared.
pub fn remove(text: &str, scripts: &BTreeSet<String>) -> Vec<Edit> {
    let doc = IniDocument::parse(text);
    let mut edits = Vec::new();
    for (section, option) in wsgi_options(&doc) {
        let entries: Vec<(usize, Option<String>)> = doc
            .value_lines(option)
            .into_iter()
            .filter(|(_, range)| !range.is_empty())
            .map(|(index, range)| {
                let script = parse_entry(&text[range]).ok().map(|(script, _)| script);
                (index, script)
            })
            .collect();
        let removed = |script: &Option<String>| {
            script
                .as_ref()
                .is_some_and(|script| scripts.contains(script))
        };
        if entries.iter().all(|(_, script)| removed(script)) {
            edits.push(remove_option(&doc, section, option));
        } else {
            for (index, script) in &entries {
                // The key line itself also carries the key; it stays with the remaining entries.
                if removed(script) && *index != option.first_line {
                    edits.push(Edit::delete(doc.lines[*index].line.range()));
                }
            }
        }
    }
    let mut edits = merge_overlapping(edits);
    // The first line's range starts before a byte order mark, which belongs to the file, not to
    // the line, and stays when that line goes.
    let bom = crate::syntax::text::bom_len(text);
    for edit in &mut edits {
        if edit.range.start < bom {
            edit.range.start = bom;
        }
    }
    edits
}

/// Two emptied sections side by side both take the blank line between them: every edit here
/// is a deletion, so overlapping ones become one deletion of their union.
fn merge_overlapping(mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut merged: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        match merged.last_mut() {
            Some(last) if edit.range.start < last.range.end => {
                last.range.end = last.range.end.max(edit.range.end);
            }
            _ => merged.push(edit),
        }
    }
    merged
}

fn wsgi_options<'d>(doc: &'d IniDocument<'_>) -> Vec<(&'d IniSection, &'d IniOption)> {
    doc.sections
        .iter()
        .filter(|section| SECTIONS.contains(&doc.section_name(section)))
        .flat_map(|section| {
            section
                .options
                .iter()
                .filter(|option| option.key == GROUP)
                .map(move |option| (section, option))
        })
        .collect()
}

fn is_blank(doc: &IniDocument<'_>, index: usize) -> bool {
    doc.lines
        .get(index)
        .is_some_and(|line| line.kind == LineKind::Blank)
}

fn remove_option(doc: &IniDocument<'_>, section: &IniSection, option: &IniOption) -> Edit {
    let mut first = option.first_line;
    let mut last = option.last_line;
    // A comment block directly above the key that talks about WSGI scripts (cyborg's "remove in
    // 2026.1" NOTE, say) is about this key and would be left orphaned.
    let mut above = first;
    while above > section.header + 1 && doc.lines[above - 1].kind == LineKind::Comment {
        above -= 1;
    }
    let attached = &doc.text[doc.line_span(above, first)];
    if above < first && attached.to_lowercase().contains("wsgi") {
        first = above;
    }

    let section_empty = section.options.len() == 1
        && section.lines.clone().all(|index| {
            index == section.header
                || (first..=last).contains(&index)
                || doc.lines[index].kind == LineKind::Blank
        });
    if section_empty {
        // The header and everything up to the next section go. Trailing blank lines went with
        // it, so the blank line separating it from what came before stays, unless nothing
        // follows and it would be left dangling at the end of the file.
        let end = section.lines.end - 1;
        let at_end_of_file = end + 1 >= doc.lines.len();
        let start = if at_end_of_file && section.header > 0 && is_blank(doc, section.header - 1) {
            section.header - 1
        } else {
            section.header
        };
        return Edit::delete(doc.line_span(start, end));
    }

    // Avoid leaving two blank lines where the block stood between two blank lines, or a blank
    // line at the end of the file.
    let blank_before = first > 0 && is_blank(doc, first - 1);
    let at_end = last + 1 >= doc.lines.len();
    if blank_before && is_blank(doc, last + 1) {
        last += 1;
    } else if blank_before && at_end {
        first -= 1;
    } else if first == section.header + 1 {
        // The first key of the section: the blank lines after it would be left under the
        // header.
        while is_blank(doc, last + 1) && last + 2 < section.lines.end {
            last += 1;
        }
    }
    Edit::delete(doc.line_span(first, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::edit::apply_edits;

    fn remove_all(text: &str) -> String {
        let (entry_points, diagnostics) = read("setup.cfg", text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let scripts = entry_points.into_iter().map(|entry| entry.script).collect();
        apply_edits(text, &remove(text, &scripts)).unwrap()
    }

    #[test]
    fn first_key_takes_the_blank_line_below_it() {
        let text = "[entry_points]\nwsgi_scripts =\n    x-api = x.api:app\n\nconsole_scripts =\n    x = x.cmd:main\n";
        assert_eq!(
            remove_all(text),
            "[entry_points]\nconsole_scripts =\n    x = x.cmd:main\n"
        );
        // A blank line that separates the section from the next one stays.
        let text = "[entry_points]\nwsgi_scripts =\n    x-api = x.api:app\nconsole_scripts =\n    x = x.cmd:main\n\n[files]\n";
        assert_eq!(
            remove_all(text),
            "[entry_points]\nconsole_scripts =\n    x = x.cmd:main\n\n[files]\n"
        );
    }

    #[test]
    fn reads_entries_with_lines() {
        let text = "[metadata]\nname = x\n\n[entry_points]\nwsgi_scripts =\n    x-api = x.api:app\n    x-cfn = x.cfn:App.build\n";
        let (entries, diagnostics) = read("setup.cfg", text);
        assert!(diagnostics.is_empty());
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].line, entries[0].script.as_str()), (6, "x-api"));
        assert_eq!(entries[1].target.callable(), "App.build");
    }

    #[test]
    fn invalid_entries_are_errors_with_lines() {
        let text = "[entry_points]\nwsgi_scripts =\n    ../x = x.api:app\n    y = y.api:app()\n    z = z.api:app\n";
        let (entries, diagnostics) = read("setup.cfg", text);
        assert_eq!(entries.len(), 1);
        let lines: Vec<_> = diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![Some(3), Some(4)]);
    }

    #[test]
    fn removes_the_key_between_other_keys() {
        let text = "[entry_points]\nconsole_scripts =\n    a = a:main\nwsgi_scripts =\n    x = x.api:app\n    # old = x:y\n    y = y.api:app\noslo.config.opts =\n    x = x.opts:list\n";
        assert_eq!(
            remove_all(text),
            "[entry_points]\nconsole_scripts =\n    a = a:main\noslo.config.opts =\n    x = x.opts:list\n"
        );
    }

    #[test]
    fn leaves_one_blank_line_between_keys() {
        let text = "[entry_points]\na =\n    a = a:main\n\nwsgi_scripts =\n    x = x.api:app\n\nb =\n    b = b:main\n";
        assert_eq!(
            remove_all(text),
            "[entry_points]\na =\n    a = a:main\n\nb =\n    b = b:main\n"
        );
    }

    #[test]
    fn removes_an_emptied_section_like_barbican() {
        let text = "[metadata]\nname = barbican\n\n[entry_points]\nwsgi_scripts =\n    barbican-wsgi-api = barbican.api.app:get_api_wsgi_script\n";
        assert_eq!(remove_all(text), "[metadata]\nname = barbican\n");
        let text = "[entry_points]\nwsgi_scripts =\n    x = x.api:app\n\n[other]\nk = v\n";
        assert_eq!(remove_all(text), "[other]\nk = v\n");
        let text =
            "[a]\nk = v\n\n[entry_points]\nwsgi_scripts =\n    x = x.api:app\n\n[other]\nk = v\n";
        assert_eq!(remove_all(text), "[a]\nk = v\n\n[other]\nk = v\n");
    }

    #[test]
    fn removes_two_emptied_sections_side_by_side() {
        // Found by `scripts/fuzz` (setup_cfg_edit): both removals took the blank line between
        // the sections, and the overlapping edits could not be applied.
        let text = "[metadata]\nname = x\n\n[entry_points]\nwsgi_scripts =\n    a-wsgi = a.api:app\n\n[options.entry_points]\nwsgi_scripts =\n    b-wsgi = b.api:app\n";
        let after = remove_all(text);
        assert!(after.starts_with("[metadata]\nname = x\n"), "{after:?}");
        assert!(
            !after.contains("wsgi") && !after.contains("entry_points"),
            "{after:?}"
        );
        assert_eq!(remove_all(&after), after);
        // The fuzzer's own input: the same section twice, which configparser refuses.
        let text = "[entry_points]\nwsgi_scripts =\n\n    a-wsgi = a.b:c\n\n\n    b-wsgi = b.c:e_sc\n\n[entry_points]\nwsgi_scripts =    toy-wsgi-public = toa.ypp:init_app\n";
        let scripts = read("setup.cfg", text)
            .0
            .into_iter()
            .map(|e| e.script)
            .collect();
        assert_eq!(apply_edits(text, &remove(text, &scripts)).unwrap(), "");
    }

    #[test]
    fn removes_an_attached_wsgi_note() {
        let text = "[entry_points]\na =\n    a = a:main\n# NOTE: wsgi scripts go away in 2026.1\nwsgi_scripts =\n    x = x.api:app\n";
        assert_eq!(remove_all(text), "[entry_points]\na =\n    a = a:main\n");
    }

    #[test]
    fn keeps_the_bom_when_the_first_section_goes() {
        let text =
            "\u{feff}[entry_points]\nwsgi_scripts =\n    x = x.api:app\n\n[metadata]\nname = x\n";
        assert_eq!(remove_all(text), "\u{feff}[metadata]\nname = x\n");
    }

    #[test]
    fn keeps_crlf_and_the_last_line_without_newline() {
        let text = "[entry_points]\r\nwsgi_scripts =\r\n\tx = x.api:app\r\nconsole_scripts =\r\n\ta = a:main";
        assert_eq!(
            remove_all(text),
            "[entry_points]\r\nconsole_scripts =\r\n\ta = a:main"
        );
    }

    #[test]
    fn lone_cr_line_breaks_are_read_and_removed_whole() {
        // An entry after a lone `\r` is an entry (configparser reads universal newlines), and
        // the block goes whole: no second line is left behind to become a new option.
        let text = "[entry_points]\rconsole_scripts =\r    a = a:main\rwsgi_scripts =\r    x = x.api:app\r    y = y.api:app\roslo.config.opts =\r    x = x.opts:list\r";
        let (entries, diagnostics) = read("setup.cfg", text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let found: Vec<_> = entries
            .iter()
            .map(|entry| (entry.line, entry.script.as_str()))
            .collect();
        assert_eq!(found, [(5, "x"), (6, "y")]);
        assert_eq!(
            remove_all(text),
            "[entry_points]\rconsole_scripts =\r    a = a:main\roslo.config.opts =\r    x = x.opts:list\r"
        );
        // Mixed with `\n`: the `\r`-separated second entry sits inside one git line.
        let text = "[entry_points]\nwsgi_scripts =\n    x = x.api:app\r    y = y.api:app\n[other]\nk = v\n";
        let (entries, _) = read("setup.cfg", text);
        assert_eq!(entries.len(), 2);
        assert_eq!(remove_all(text), "[other]\nk = v\n");
        // Removing one of two entries takes only that entry's line.
        let scripts = BTreeSet::from(["y".to_owned()]);
        assert_eq!(
            apply_edits(text, &remove(text, &scripts)).unwrap(),
            "[entry_points]\nwsgi_scripts =\n    x = x.api:app\r[other]\nk = v\n"
        );
    }

    #[test]
    fn partial_removal_keeps_unmigrated_entries() {
        let text = "[entry_points]\nwsgi_scripts =\n    x = x.api:app\n    y = y.api:app\n";
        let scripts = BTreeSet::from(["x".to_owned()]);
        assert_eq!(
            apply_edits(text, &remove(text, &scripts)).unwrap(),
            "[entry_points]\nwsgi_scripts =\n    y = y.api:app\n"
        );
    }

    #[test]
    fn setuptools_section_is_read_too() {
        let text = "[options.entry_points]\nwsgi_scripts = x = x.api:app\n";
        let (entries, _) = read("setup.cfg", text);
        assert_eq!(entries[0].line, 2);
        assert_eq!(remove_all(text), "");
    }
}
