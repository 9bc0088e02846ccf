//! Which application replaces which script, and where that knowledge came from.
//!
//! A deployment repository declares no scripts, so its map is assembled from sources, later ones
//! winning: the built-in registry of upstream OpenStack scripts; modules this tool generated
//! earlier (their docstring names the scripts they replace); the scripts declared by any service
//! repository being planned alongside; a `--map FILE`; and `--name SCRIPT=MODULE`.
//! `wsgi-migrate map` prints the result as TOML that `--map` reads back.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use toml_edit::Document;

use crate::dialect::{AppTarget, MAP_HEADER, ScriptMap};
use crate::project::registry;
use crate::syntax::python;
use crate::syntax::text::LineIndex;

/// Where a map entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapSource {
    Registry,
    Generated,
    Declared,
    MapFile,
    Flag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    pub target: AppTarget,
    pub source: MapSource,
}

/// Collects entries in precedence order; a later insert replaces an earlier one.
#[derive(Debug, Clone, Default)]
pub struct MapBuilder {
    entries: BTreeMap<String, MapEntry>,
}

impl MapBuilder {
    /// A builder holding every registry script that has a module.
    pub fn with_registry() -> MapBuilder {
        let mut builder = MapBuilder::default();
        for known in registry::scripts() {
            if known.module.is_empty() {
                continue;
            }
            let caveat = known.no_release_with_both().then(|| {
                format!(
                    "{} removed `{}` in the same change that added `{}`, so no release ships both: \
                     switch a deployment to the module only once every release it deploys ships the module",
                    known.project, known.name, known.module
                )
            });
            let target = AppTarget {
                module: known.module.clone(),
                attribute: "application".to_owned(),
                project: Some(known.project.clone()),
                caveat,
            };
            builder.insert(&known.name, target, MapSource::Registry);
        }
        builder
    }

    pub fn insert(&mut self, script: &str, target: AppTarget, source: MapSource) {
        // A repository's own declaration supersedes the registry's release caveats: it is the
        // migration being made.
        let target = match (self.entries.get(script), source) {
            (Some(previous), MapSource::Registry) => AppTarget {
                project: previous.target.project.clone(),
                ..target
            },
            (Some(previous), _) => AppTarget {
                project: target.project.or_else(|| previous.target.project.clone()),
                ..target
            },
            (None, _) => target,
        };
        self.entries
            .insert(script.to_owned(), MapEntry { target, source });
    }

    pub fn contains(&self, script: &str) -> bool {
        self.entries.contains_key(script)
    }

    pub fn entries(&self) -> &BTreeMap<String, MapEntry> {
        &self.entries
    }

    pub fn script_map(&self) -> ScriptMap {
        ScriptMap::new(
            self.entries
                .iter()
                .map(|(script, entry)| (script.clone(), entry.target.clone()))
                .collect(),
        )
    }
}

/// Parse `module:attribute`, or a bare module meaning `module:application`.
pub fn parse_app_spec(spec: &str) -> Result<AppTarget, String> {
    let (module, attribute) = spec.split_once(':').unwrap_or((spec, "application"));
    if !python::is_dotted_path(module) {
        return Err(format!(
            "`{}` is not a dotted module path",
            python::escape(module)
        ));
    }
    if !python::is_identifier(attribute) {
        return Err(format!(
            "`{}` is not an attribute name (no `()` factory calls)",
            python::escape(attribute)
        ));
    }
    Ok(AppTarget {
        module: module.to_owned(),
        attribute: attribute.to_owned(),
        project: None,
        caveat: None,
    })
}

/// Read a map file: a `[scripts]` table of `script = "module:attribute"`. Errors carry the line.
pub fn parse_map_file(text: &str) -> Result<BTreeMap<String, AppTarget>, Vec<(usize, String)>> {
    let doc = Document::parse(text).map_err(|error| {
        let line = error
            .span()
            .map_or(1, |span| LineIndex::new(text).line_of(span.start));
        vec![(line, format!("not valid TOML: {}", error.message()))]
    })?;
    let index = LineIndex::new(text);
    let Some(scripts) = doc.get("scripts").and_then(|item| item.as_table_like()) else {
        return Err(vec![(1, "no `[scripts]` table".to_owned())]);
    };
    let mut map = BTreeMap::new();
    let mut errors = Vec::new();
    for (script, value) in scripts.iter() {
        let line = scripts
            .key(script)
            .and_then(|key| key.span())
            .map_or(1, |span| index.line_of(span.start));
        if let Some(problem) = python::script_name_problem(script) {
            errors.push((line, problem));
            continue;
        }
        match value.as_str().map(parse_app_spec) {
            Some(Ok(target)) => {
                map.insert(script.to_owned(), target);
            }
            Some(Err(problem)) => errors.push((line, format!("`{script}`: {problem}"))),
            None => errors.push((
                line,
                format!("`{script}`: the value must be a string \"module:attribute\""),
            )),
        }
    }
    if errors.is_empty() {
        Ok(map)
    } else {
        Err(errors)
    }
}

/// The map as TOML that [`parse_map_file`] reads back.
pub fn to_toml(entries: &BTreeMap<String, MapEntry>) -> String {
    let mut out = format!("{MAP_HEADER}\n[scripts]\n");
    for (script, entry) in entries {
        // A bare TOML key allows letters, digits, `-` and `_`; script names may also hold `.`
        // and `+`, which only a quoted key keeps (they never hold quotes or backslashes).
        let bare = script
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let key = if bare {
            script.clone()
        } else {
            format!("\"{script}\"")
        };
        let _ = writeln!(out, "{key} = \"{}\"", entry.target.spec());
    }
    out
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    app: String,
    module: &'a str,
    attribute: &'a str,
    source: MapSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caveat: Option<&'a str>,
}

pub fn to_json(entries: &BTreeMap<String, MapEntry>) -> String {
    let scripts: BTreeMap<&str, JsonEntry<'_>> = entries
        .iter()
        .map(|(script, entry)| {
            let json = JsonEntry {
                app: entry.target.spec(),
                module: &entry.target.module,
                attribute: &entry.target.attribute,
                source: entry.source,
                project: entry.target.project.as_deref(),
                caveat: entry.target.caveat.as_deref(),
            };
            (script.as_str(), json)
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "schema_version": 1, "scripts": scripts }))
        .unwrap_or_default()
}

/// A `--name SCRIPT=MODULE` flag's value, as the commands and the fleet take it.
pub fn parse_name_flag(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((script, module)) if !script.is_empty() && !module.is_empty() => {
            Ok((script.to_owned(), module.to_owned()))
        }
        _ => Err(format!("`{value}` is not SCRIPT=MODULE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_entries_carry_projects_and_caveats() {
        let builder = MapBuilder::with_registry();
        let octavia = &builder.entries()["octavia-wsgi"];
        assert_eq!(octavia.target.spec(), "octavia.wsgi.api:application");
        assert!(
            octavia
                .target
                .caveat
                .as_deref()
                .unwrap()
                .contains("no release ships both")
        );
        assert!(builder.entries()["nova-api-wsgi"].target.caveat.is_none());
        assert!(
            !builder.contains("monasca-api-wsgi"),
            "a script without a module is not mapped"
        );
    }

    #[test]
    fn later_sources_win_and_drop_the_caveat() {
        let mut builder = MapBuilder::with_registry();
        builder.insert(
            "octavia-wsgi",
            AppTarget::module("octavia.wsgi.api"),
            MapSource::Declared,
        );
        let entry = &builder.entries()["octavia-wsgi"];
        assert_eq!(entry.source, MapSource::Declared);
        assert!(entry.target.caveat.is_none());
        assert_eq!(entry.target.project.as_deref(), Some("openstack/octavia"));
    }

    #[test]
    fn map_files_round_trip() {
        let mut builder = MapBuilder::default();
        builder.insert(
            "toy-api",
            AppTarget::module("toy.wsgi.api"),
            MapSource::Declared,
        );
        builder.insert(
            "trove-wsgi",
            parse_app_spec("trove.cmd.app_wsgi:application").unwrap(),
            MapSource::Flag,
        );
        // A name TOML cannot take as a bare key.
        builder.insert(
            "toy-api.wsgi",
            AppTarget::module("toy.wsgi.dotted"),
            MapSource::Declared,
        );
        let text = to_toml(builder.entries());
        let read = parse_map_file(&text).unwrap();
        assert_eq!(read["toy-api"].spec(), "toy.wsgi.api:application");
        assert_eq!(read["toy-api.wsgi"].spec(), "toy.wsgi.dotted:application");
        assert_eq!(read.len(), 3);
    }

    #[test]
    fn map_file_errors_have_lines() {
        let errors = parse_map_file(
            "[scripts]\nok = \"a.b:application\"\n\"../x\" = \"a:b\"\ny = \"a.b:f()\"\nz = 3\n",
        )
        .unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(parse_map_file("[other]\n").is_err());
    }
}
