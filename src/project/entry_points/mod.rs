//! PBR `wsgi_scripts` entry points: where they are declared and what they may contain.
//!
//! PBR reads the group from the installed distribution's metadata, so it does not matter whether
//! a project declared it in `setup.cfg` (PBR's `[entry_points]` or setuptools'
//! `[options.entry_points]`) or in `pyproject.toml`; each source has its own module here.
//! `setup.py` is Python and is only searched for a mention, which a person must handle.
//!
//! Every entry is validated before it can become a path or Python source: the script name must
//! be a plain file name and the target `dotted.module:attr` or `dotted.module:Class.method`, the
//! two forms PBR's script template could call. Anything else is an error diagnostic with the
//! file and line, and nothing is generated for it.

pub mod pyproject;
pub mod setup_cfg;
pub mod setup_py;

use std::fmt;

use crate::syntax::python;

/// The entry-point group PBR turned into WSGI scripts.
pub const GROUP: &str = "wsgi_scripts";

/// What a script's module-level `application` was built from: `module:attr` or
/// `module:Class.method`, called with no arguments.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub module: String,
    /// One attribute, or a class and its method.
    pub attrs: Vec<String>,
}

impl Target {
    /// Parse an entry-point value, ignoring an `[extras]` suffix.
    pub fn parse(value: &str) -> Result<Target, String> {
        let shown = python::escape(value.trim());
        let mut spec = value.trim();
        if let Some(open) = spec.find('[')
            && spec.ends_with(']')
        {
            spec = spec[..open].trim_end();
        }
        let Some((module, attrs)) = spec.split_once(':') else {
            return Err(format!(
                "target `{shown}` has no `:attribute`; PBR needs `module:function` or `module:Class.method`"
            ));
        };
        let (module, attrs) = (module.trim(), attrs.trim());
        if !python::is_dotted_path(module) {
            return Err(format!(
                "target `{shown}`: `{}` is not a dotted module path",
                python::escape(module)
            ));
        }
        let attrs: Vec<String> = attrs.split('.').map(str::to_owned).collect();
        if attrs.len() > 2 || !attrs.iter().all(|attr| python::is_identifier(attr)) {
            return Err(format!(
                "target `{shown}`: `{}` is not `function` or `Class.method` made of Python identifiers",
                python::escape(&attrs.join("."))
            ));
        }
        Ok(Target {
            module: module.to_owned(),
            attrs,
        })
    }

    /// The top-level import package, which is where the new module goes.
    pub fn package(&self) -> &str {
        self.module.split('.').next().unwrap_or(&self.module)
    }

    pub fn first_attr(&self) -> &str {
        &self.attrs[0]
    }

    /// `attr` or `Class.method`, as it is called.
    pub fn callable(&self) -> String {
        self.attrs.join(".")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.module, self.callable())
    }
}

/// One validated `script = target` entry and where it was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    /// The declaring file, relative to the scanned root.
    pub file: String,
    pub line: usize,
    pub script: String,
    pub target: Target,
}

/// Parse one `name = module:attr` line of an entry-point group.
pub fn parse_entry(line: &str) -> Result<(String, Target), String> {
    let Some((name, value)) = line.split_once('=') else {
        return Err(format!(
            "entry `{}` is not `script-name = module:function`",
            python::escape(line.trim())
        ));
    };
    let name = name.trim();
    if let Some(problem) = python::script_name_problem(name) {
        return Err(problem);
    }
    let target = Target::parse(value).map_err(|problem| format!("{name}: {problem}"))?;
    Ok((name.to_owned(), target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_function_or_class_method() {
        let target = Target::parse("nova.api.openstack.compute.wsgi:init_application").unwrap();
        assert_eq!(target.package(), "nova");
        assert_eq!(
            target.to_string(),
            "nova.api.openstack.compute.wsgi:init_application"
        );
        let target = Target::parse(" pkg.mod : App.factory [extra1, extra2]").unwrap();
        assert_eq!(target.attrs, vec!["App", "factory"]);
        for bad in [
            "pkg.mod",
            "pkg.mod:f; import os",
            "pkg.mod:f()",
            "pkg/mod:f",
            "pkg.mod:a.b.c",
            "pkg.class:f",
            "pkg.mod:f  ; inline",
            "pkg.mоd:f",
            "",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn entries_validate_both_sides() {
        let (name, target) = parse_entry("nova-api-wsgi = nova.wsgi:init").unwrap();
        assert_eq!(name, "nova-api-wsgi");
        assert_eq!(target.first_attr(), "init");
        assert!(
            parse_entry("../evil = a:b")
                .unwrap_err()
                .contains("path separator")
        );
        assert!(parse_entry("no-equals-sign").is_err());
    }
}
