//! `check`: list what is left to migrate, one `FILE:LINE:COL: CODE message` line each by
//! default; exit 1 while anything is.
//!
//! Given files (pre-commit passes the changed ones), it plans the repository that contains
//! them (its git work tree, else its nearest project root) and reports only what lies in
//! them, so that `check /elsewhere/repo/setup.cfg` never walks the current directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::common::{Planned, plan_all};
use super::output;
use super::{Common, OutputArgs, OutputFormat};
use crate::effects::workspace;
use crate::plan::{self, Plan};
use crate::report::Kind;
use crate::report::render::Style;

pub(super) fn run(
    common: &Common,
    args: &OutputArgs,
    style: Style,
    out: &mut String,
) -> anyhow::Result<u8> {
    let files: Vec<&PathBuf> = common.paths.iter().filter(|path| path.is_file()).collect();
    let planned = if files.is_empty() {
        plan_all(common, plan::ReleaseNotes::Combined)?
    } else {
        if files.len() != common.paths.len() {
            anyhow::bail!("give `check` either directories or files, not both");
        }
        plan_files(common, &files)?
    };
    output::emit(&planned, args, OutputFormat::Concise, style, "", out)?;
    let pending = planned.iter().any(|item| {
        crate::report::findings(&item.plan, crate::report::render::Paths { prefix: "" })
            .iter()
            .any(|finding| matches!(finding.kind, Kind::Rewrite | Kind::Manual))
    });
    Ok(output::exit_code(&planned, pending, args))
}

/// The trees `check` reads: the PATHs, or the repositories that contain the FILEs.
pub(super) fn roots(common: &Common) -> Vec<PathBuf> {
    if common.paths.iter().any(|path| path.is_file()) {
        let mut roots: Vec<PathBuf> = common
            .paths
            .iter()
            .filter_map(|file| file.canonicalize().ok())
            .map(|file| containing_root(&file))
            .collect();
        roots.sort();
        roots.dedup();
        roots
    } else {
        common.paths.clone()
    }
}

/// Plan the repositories that contain `files`, keeping only what lies in them.
fn plan_files(common: &Common, files: &[&PathBuf]) -> anyhow::Result<Vec<Planned>> {
    let cwd = std::env::current_dir()
        .and_then(|cwd| cwd.canonicalize())
        .context("cannot read the current directory")?;
    // Each root with the files under it, relative to it.
    let mut roots: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let full = file
            .canonicalize()
            .with_context(|| format!("cannot open `{}`", file.display()))?;
        let root = containing_root(&full);
        let relative = full.strip_prefix(&root).unwrap_or(&full);
        let relative = workspace::relative_path(relative)
            .ok_or_else(|| anyhow::anyhow!("`{}`: the path is not UTF-8", file.display()))?;
        roots.entry(root).or_default().insert(relative);
    }
    let common = Common {
        paths: roots.keys().cloned().collect(),
        ..common.clone()
    };
    let mut planned = plan_all(&common, plan::ReleaseNotes::Combined)?;
    for (item, only) in planned.iter_mut().zip(roots.values()) {
        // Shown as given: relative to the current directory when under it.
        item.prefix = match item.root.strip_prefix(&cwd) {
            Ok(relative) => workspace::relative_path(relative).unwrap_or_default(),
            Err(_) => item.root.display().to_string(),
        };
        retain_files(&mut item.plan, only);
    }
    Ok(planned)
}

/// The git work tree that contains `file`, else the nearest directory above it with a
/// `setup.cfg`, `setup.py` or `pyproject.toml`, else its own directory.
fn containing_root(file: &Path) -> PathBuf {
    let start = file.parent().unwrap_or(file);
    let mut project = None;
    for dir in start.ancestors() {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
        if project.is_none()
            && ["setup.cfg", "setup.py", "pyproject.toml"]
                .iter()
                .any(|name| dir.join(name).is_file())
        {
            project = Some(dir.to_path_buf());
        }
    }
    project.unwrap_or_else(|| start.to_path_buf())
}

/// Keep only the findings and changes that lie in `only`.
fn retain_files(plan: &mut Plan, only: &BTreeSet<String>) {
    plan.entry_points.retain(|entry| only.contains(&entry.file));
    plan.references
        .retain(|reference| only.contains(&reference.file));
    plan.diagnostics
        .retain(|diagnostic| only.contains(&diagnostic.file));
    plan.changes.retain(|change| only.contains(change.path()));
}
