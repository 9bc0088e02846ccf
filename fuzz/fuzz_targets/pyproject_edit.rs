#![no_main]
//! Removing `wsgi_scripts` from a `pyproject.toml`: no panic; the one edit touches only its
//! span; removing again changes nothing; valid TOML stays valid; and no removed entry is still
//! declared.

mod common;

use std::collections::BTreeSet;

use wsgi_migrate::project::entry_points::pyproject;

/// toml_edit is slow on huge inputs; nothing real is this big.
const MAX_LEN: usize = 64 * 1024;

fn is_valid(text: &str) -> bool {
    !pyproject::read("pyproject.toml", text)
        .1
        .iter()
        .any(|diagnostic| diagnostic.message.starts_with("not valid TOML"))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_LEN {
        return;
    }
    let text = common::text(data);
    let text = text.as_ref();
    let (entries, _) = pyproject::read("pyproject.toml", text);
    let all: BTreeSet<String> = entries.iter().map(|entry| entry.script.clone()).collect();
    let some: BTreeSet<String> = all.iter().step_by(2).cloned().collect();
    let valid = is_valid(text);
    for scripts in [&all, &some] {
        let edits = pyproject::remove(text, scripts);
        assert!(edits.len() <= 1, "more than one splice: {edits:?}");
        let out = common::check_edits(text, &edits, "pyproject removal");
        assert!(
            pyproject::remove(&out, scripts).is_empty(),
            "removal is not idempotent:\ninput:  {text:?}\noutput: {out:?}"
        );
        if valid {
            assert!(
                is_valid(&out),
                "removal made valid TOML invalid\ninput:  {text:?}\noutput: {out:?}"
            );
        }
        for entry in pyproject::read("pyproject.toml", &out).0 {
            assert!(
                !scripts.contains(&entry.script),
                "`{}` is still declared\ninput:  {text:?}\noutput: {out:?}",
                entry.script
            );
        }
    }
});
