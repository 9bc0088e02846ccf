#![no_main]
//! Removing `wsgi_scripts` from a `setup.cfg`: no panic; the edits do not overlap and touch only
//! their spans; removing again changes nothing; every other option keeps its value; and no
//! entry that was to be removed is still declared, except one sharing the key's own line with
//! entries that stay.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use wsgi_migrate::project::entry_points::GROUP;
use wsgi_migrate::project::entry_points::setup_cfg::{self, SECTIONS};
use wsgi_migrate::syntax::ini::IniDocument;

/// `(section, key) -> value` of every option but the `wsgi_scripts` group.
fn other_options(text: &str) -> BTreeMap<(String, String), String> {
    let doc = IniDocument::parse(text);
    let mut options = BTreeMap::new();
    for section in &doc.sections {
        let name = doc.section_name(section);
        for option in &section.options {
            if SECTIONS.contains(&name) && option.key == GROUP {
                continue;
            }
            options.insert((name.to_owned(), option.key.clone()), doc.value(option));
        }
    }
    options
}

/// Line numbers of the `wsgi_scripts = ...` lines.
fn key_lines(text: &str) -> BTreeSet<usize> {
    let doc = IniDocument::parse(text);
    doc.sections
        .iter()
        .filter(|section| SECTIONS.contains(&doc.section_name(section)))
        .flat_map(|section| section.options.iter())
        .filter(|option| option.key == GROUP)
        .map(|option| doc.lines[option.first_line].line.number)
        .collect()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let text = text.as_ref();
    let (entries, _) = setup_cfg::read("setup.cfg", text);
    let all: BTreeSet<String> = entries.iter().map(|entry| entry.script.clone()).collect();
    // Everything, and every other entry (the partial removal path).
    let some: BTreeSet<String> = all.iter().step_by(2).cloned().collect();
    let clean = IniDocument::parse(text).errors.is_empty();
    for scripts in [&all, &some] {
        let edits = setup_cfg::remove(text, scripts);
        let out = common::check_edits(text, &edits, "setup.cfg removal");
        assert!(
            setup_cfg::remove(&out, scripts).is_empty(),
            "removal is not idempotent:\ninput:  {text:?}\noutput: {out:?}"
        );
        let after = IniDocument::parse(&out);
        if clean {
            assert!(
                after.errors.is_empty(),
                "removal made a valid file invalid: {:?}\ninput:  {text:?}\noutput: {out:?}",
                after.errors
            );
            assert_eq!(
                other_options(text),
                other_options(&out),
                "removal changed another option\ninput:  {text:?}\noutput: {out:?}"
            );
        }
        let keys = key_lines(&out);
        for entry in setup_cfg::read("setup.cfg", &out).0 {
            assert!(
                !scripts.contains(&entry.script) || keys.contains(&entry.line),
                "`{}` is still declared on line {}\ninput:  {text:?}\noutput: {out:?}",
                entry.script,
                entry.line
            );
        }
    }
});
