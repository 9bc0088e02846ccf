//! Stable codes for every kind of finding and diagnostic, as ruff has rule codes.
//!
//! A code never changes meaning once released: CI annotations, SARIF rule ids, GitLab
//! fingerprints and `wsgi-migrate: ignore[CODE]` comments all key on it. New kinds get new
//! codes; retired ones are not reused. The ranges:
//!
//! - `WM0xx`: the project side (entry points, generated modules, docs builds);
//! - `WM1xx`: directives, places where a WSGI server or deployment tool is told what to load;
//! - `WM2xx`: consistency between directives (DevStack's app names);
//! - `WM3xx`: other references to a script that still need a person (docs, packaging);
//! - `WM9xx`: problems with the input itself.

use std::fmt;

use serde::{Serialize, Serializer};

/// One kind of finding. [`Code::ALL`] lists them in code order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// A `wsgi_scripts` entry point still declared.
    EntryPoint,
    /// A module that already exposes `application` for a declared script.
    ModuleExists,
    /// A `wsgi_scripts` declaration in `setup.py`, which is not edited.
    SetupPyEntryPoint,
    /// A docs build that would import the new modules.
    DocsExclusion,
    /// A server loads a script whose module is known.
    ScriptLoad,
    /// A server loads a path to a script whose module is not known.
    UnknownScriptLoad,
    /// A server loads a script whose project never shipped a module.
    UnmigratedScriptLoad,
    /// A server loads a Python or `.wsgi` file from a source tree.
    InTreeFileLoad,
    /// A server is told to load a value a template or variable supplies.
    TemplatedLoad,
    /// A commented-out directive that would load a script.
    CommentedLoad,
    /// A server loads a module path.
    ModuleLoad,
    /// A directive pinned to a release that ships no module.
    ReleasePinned,
    /// DevStack's `write_uwsgi_config` and `remove_uwsgi_config` are given different names.
    DevstackAppName,
    /// Any other reference to a script that a person must look at.
    ScriptReference,
    /// An error in the input: nothing is written while one is left.
    InputError,
    /// A caution about the input or about a rewrite.
    InputWarning,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::EntryPoint,
        Code::ModuleExists,
        Code::SetupPyEntryPoint,
        Code::DocsExclusion,
        Code::ScriptLoad,
        Code::UnknownScriptLoad,
        Code::UnmigratedScriptLoad,
        Code::InTreeFileLoad,
        Code::TemplatedLoad,
        Code::CommentedLoad,
        Code::ModuleLoad,
        Code::ReleasePinned,
        Code::DevstackAppName,
        Code::ScriptReference,
        Code::InputError,
        Code::InputWarning,
    ];

    /// The stable code, e.g. `WM101`.
    pub fn as_str(self) -> &'static str {
        self.describe().0
    }

    /// The stable name, e.g. `script-load`.
    pub fn name(self) -> &'static str {
        self.describe().1
    }

    /// One line saying what the code means, for README, SARIF and `--statistics`.
    pub fn summary(self) -> &'static str {
        self.describe().2
    }

    /// The code named by `text`, either `WM101` or `script-load`.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.as_str().eq_ignore_ascii_case(text) || code.name() == text)
    }

    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Code::EntryPoint => (
                "WM001",
                "entry-point",
                "a `wsgi_scripts` entry point is still declared",
            ),
            Code::ModuleExists => (
                "WM002",
                "module-exists",
                "a module already exposes `application` for a declared script",
            ),
            Code::SetupPyEntryPoint => (
                "WM003",
                "setup-py-entry-point",
                "`setup.py` declares `wsgi_scripts`, which a person must remove",
            ),
            Code::DocsExclusion => (
                "WM004",
                "docs-exclusion",
                "the docs build would import the new modules",
            ),
            Code::ScriptLoad => (
                "WM101",
                "script-load",
                "a WSGI server loads a script whose module is known",
            ),
            Code::UnknownScriptLoad => (
                "WM102",
                "unknown-script-load",
                "a WSGI server loads a PBR-generated script whose module is not known",
            ),
            Code::UnmigratedScriptLoad => (
                "WM103",
                "unmigrated-script-load",
                "a WSGI server loads a script whose project never shipped a module",
            ),
            Code::InTreeFileLoad => (
                "WM104",
                "in-tree-file-load",
                "a WSGI server loads a Python or `.wsgi` file from a source tree",
            ),
            Code::TemplatedLoad => (
                "WM105",
                "templated-load",
                "a WSGI server loads a value a template or variable supplies",
            ),
            Code::CommentedLoad => (
                "WM106",
                "commented-load",
                "a commented-out directive would load a script",
            ),
            Code::ModuleLoad => ("WM107", "module-load", "a WSGI server loads a module path"),
            Code::ReleasePinned => (
                "WM108",
                "release-pinned",
                "a directive pinned to a release that ships no module",
            ),
            Code::DevstackAppName => (
                "WM201",
                "devstack-app-name",
                "DevStack's uWSGI helpers are given different application names",
            ),
            Code::ScriptReference => (
                "WM301",
                "script-reference",
                "another reference to a script that a person must look at",
            ),
            Code::InputError => ("WM901", "input-error", "an error in the input"),
            Code::InputWarning => (
                "WM902",
                "input-warning",
                "a caution about the input or a rewrite",
            ),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(codes.insert(code.as_str()), "{code} twice");
            assert!(names.insert(code.name()), "{} twice", code.name());
            assert!(code.as_str().starts_with("WM") && code.as_str().len() == 5);
            assert!(
                code.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert_eq!(Code::parse(code.name()), Some(*code));
        }
        let sorted: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
        let mut expected = sorted.clone();
        expected.sort();
        assert_eq!(sorted, expected, "ALL is in code order");
    }

    #[test]
    fn readme_lists_every_code_a_line_each() {
        let readme = include_str!("../README.md");
        for code in Code::ALL {
            let row = format!(
                "| `{}` | `{}` | {} |",
                code.as_str(),
                code.name(),
                code.summary()
            );
            assert!(readme.contains(&row), "README lacks {row}");
        }
    }
}
