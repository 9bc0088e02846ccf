//! `map`: print the script-to-module map the other commands use: what the PATHs declare, and
//! with `--registry` the built-in registry too; nothing at all when there is an error.

use std::collections::BTreeMap;

use super::common::{location, options, workspaces};
use super::{Common, MapFormat};
use crate::plan;
use crate::script_map::{self, MapEntry, MapSource};

pub(super) fn run(
    common: &Common,
    format: MapFormat,
    registry: bool,
    out: &mut String,
    err: &mut String,
) -> anyhow::Result<u8> {
    let options = options(common, plan::ReleaseNotes::Combined)?;
    let workspaces = workspaces(common)?;
    let sources: Vec<&dyn plan::Source> = workspaces
        .iter()
        .map(|workspace| workspace as &dyn plan::Source)
        .collect();
    let (builder, diagnostics) = plan::script_map(&sources, &options);
    let entries: BTreeMap<String, MapEntry> = builder
        .entries()
        .iter()
        .filter(|(_, entry)| registry || entry.source != MapSource::Registry)
        .map(|(script, entry)| (script.clone(), entry.clone()))
        .collect();
    let mut failed = false;
    for diagnostic in &diagnostics {
        failed |= diagnostic.severity == crate::diagnostic::Severity::Error;
        err.push_str(&format!(
            "{}: {}: {}\n",
            location("", &diagnostic.file, diagnostic.line),
            diagnostic.severity,
            diagnostic.message
        ));
    }
    if failed {
        // A partial map redirected to a file would look complete.
        err.push_str("wsgi-migrate: no map printed: fix the errors above and run again\n");
        return Ok(2);
    }
    out.push_str(&match format {
        MapFormat::Toml => script_map::to_toml(&entries),
        MapFormat::Json => script_map::to_json(&entries) + "\n",
    });
    Ok(0)
}
