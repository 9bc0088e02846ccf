//! Helpers every command shares: options from flags, workspaces and plans for the PATHs,
//! and how locations are shown.

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::io::Write as _;

use anyhow::Context as _;

use super::Common;
use crate::effects::workspace::{self, Workspace};
use crate::plan::{self, Options, Plan};
use crate::report::render::Paths;

/// One scanned PATH with its plan.
pub(super) struct Planned {
    pub root: PathBuf,
    /// How paths under this root are shown: empty for a single PATH.
    pub prefix: String,
    pub plan: Plan,
}

pub(super) fn options(
    common: &Common,
    release_notes: plan::ReleaseNotes,
) -> anyhow::Result<Options> {
    let map = crate::effects::workspace::read_map_files(&common.map_files)?;
    Ok(Options {
        names: common.names.iter().cloned().collect::<BTreeMap<_, _>>(),
        map,
        keep_entry_points: common.keep_entry_points,
        dev_server: common.dev_server,
        release_notes,
    })
}

pub(super) fn workspaces(common: &Common) -> anyhow::Result<Vec<Workspace>> {
    // A tree given twice, or inside another given tree, would be planned (and written) twice.
    let roots: Vec<PathBuf> = common
        .paths
        .iter()
        .map(|root| {
            root.canonicalize()
                .with_context(|| format!("cannot open `{}`", root.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    for (index, root) in roots.iter().enumerate() {
        for (other_index, other) in roots.iter().enumerate() {
            if index != other_index && root.starts_with(other) {
                anyhow::bail!(
                    "`{}` is inside `{}`, which is also given: give each tree once",
                    common.paths[index].display(),
                    common.paths[other_index].display()
                );
            }
        }
    }
    common
        .paths
        .iter()
        .map(|root| Workspace::open(root))
        .collect()
}

pub(super) fn plan_all(
    common: &Common,
    release_notes: plan::ReleaseNotes,
) -> anyhow::Result<Vec<Planned>> {
    let options = options(common, release_notes)?;
    let workspaces = workspaces(common)?;
    let sources: Vec<&dyn plan::Source> = workspaces
        .iter()
        .map(|workspace| workspace as &dyn plan::Source)
        .collect();
    let plans = plan::build_all(&sources, &options);
    let several = common.paths.len() > 1;
    Ok(common
        .paths
        .iter()
        .zip(plans)
        .map(|(root, plan)| {
            let prefix = if several {
                root.display().to_string()
            } else {
                String::new()
            };
            Planned {
                root: root.clone(),
                prefix,
                plan,
            }
        })
        .collect())
}

pub(super) fn location(prefix: &str, file: &str, line: Option<usize>) -> String {
    let path = Paths { prefix }.show(file);
    match line {
        Some(line) => format!("{path}:{line}"),
        None => path,
    }
}

/// With several PATHs, show each tree's files relative to one base directory, so that one diff
/// applies there with `git apply`: the current directory when every tree is inside it, else the
/// trees' nearest common directory, which is returned to be named.
pub(super) fn rebase_prefixes(planned: &mut [Planned]) -> anyhow::Result<Option<PathBuf>> {
    if planned.len() < 2 {
        return Ok(None);
    }
    let cwd = std::env::current_dir()
        .and_then(|cwd| cwd.canonicalize())
        .context("cannot read the current directory")?;
    let roots: Vec<PathBuf> = planned
        .iter()
        .map(|item| {
            item.root
                .canonicalize()
                .with_context(|| format!("cannot open `{}`", item.root.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut base = cwd.clone();
    if !roots.iter().all(|root| root.starts_with(&base)) {
        base = roots[0].clone();
        while !roots.iter().all(|root| root.starts_with(&base)) {
            match base.parent() {
                Some(parent) => base = parent.to_path_buf(),
                None => break,
            }
        }
    }
    for (item, root) in planned.iter_mut().zip(&roots) {
        if let Some(relative) = root
            .strip_prefix(&base)
            .ok()
            .and_then(workspace::relative_path)
        {
            item.prefix = relative;
        }
    }
    Ok((base != cwd).then_some(base))
}

/// Undo any interrupted `apply` on `roots` before reading them, saying so on stderr.
pub(super) fn recover(roots: &[PathBuf], locked: bool) -> anyhow::Result<usize> {
    let messages = crate::effects::journal::recover_roots(roots, locked)?;
    let mut stderr = std::io::stderr().lock();
    for message in &messages {
        let _ = writeln!(stderr, "wsgi-migrate: recovered: {message}");
    }
    Ok(messages.len())
}
