//! Applying a plan in a git repository, ready for review: refuse a dirty work tree (as `cargo
//! fix` does), switch to the topic branch, write the changes, and commit exactly the files the
//! plan touched, in one commit or in upstream's two (`--split`: add the modules, then remove the
//! entry points).
//!
//! Everything that could stop the commit (no HEAD, a lock file, a branch checked out in another
//! worktree, a touched file with the user's own uncommitted edits) is checked before anything
//! is written. A git step that still fails afterwards is a [`NotCommitted`] error naming every
//! file written (exit status 3, distinct from "nothing written").

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::bail;

use crate::effects::apply;
use crate::effects::git::{self, Repo, Staged};
use crate::plan::join;
use crate::plan::{EntryStatus, FileChange, Plan};
use crate::project::release_note;
use crate::report::commit_message::{self, Part};

/// What to do with git once the plan is written.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Write even when the work tree has uncommitted changes.
    pub allow_dirty: bool,
    pub commit: bool,
    /// Switch to (or create) this branch first; implies `commit`.
    pub topic: Option<String>,
    pub signoff: bool,
    /// A message to use instead of the generated one.
    pub message: Option<String>,
    pub split: bool,
}

impl Request {
    fn commits(&self) -> bool {
        self.commit || self.topic.is_some()
    }
}

/// One scanned root and its plan.
pub struct Target<'a> {
    pub root: &'a Path,
    pub plan: &'a Plan,
}

/// A repository and the roots inside it.
struct RepoTargets<'a> {
    repo: Repo,
    /// Each target with its root relative to the work tree.
    targets: Vec<(String, &'a Target<'a>)>,
}

/// What happened, for the report.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `(short id, branch, subject)` of each commit made.
    pub commits: Vec<(String, String, String)>,
    /// Things the user should know (dirty files left out of the commit).
    pub notes: Vec<String>,
}

/// The files were written, but a git step failed: the work tree holds the migration, git does
/// not. The exit status is 3.
#[derive(Debug)]
pub struct NotCommitted {
    /// What failed, in the tool's words.
    pub cause: String,
    /// Every path written, created or removed.
    pub written: Vec<String>,
}

impl std::fmt::Display for NotCommitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\nthe migration was written but not committed; these files are changed in the work tree (commit them yourself, or restore them with git):",
            self.cause
        )?;
        for path in &self.written {
            write!(f, "\n  {path}")?;
        }
        Ok(())
    }
}

impl std::error::Error for NotCommitted {}

/// Refusal to write a dirty tree, with the files listed.
#[derive(Debug)]
pub struct Dirty {
    pub files: Vec<String>,
}

/// Write the changes of `targets` and commit them as `request` asks. On any refusal or error
/// before writing, nothing is written.
pub fn apply_and_commit(
    targets: &[Target<'_>],
    request: &Request,
) -> anyhow::Result<Result<Outcome, Dirty>> {
    let changes: Vec<(&Path, &FileChange)> = targets
        .iter()
        .flat_map(|target| {
            target
                .plan
                .changes
                .iter()
                .map(|change| (target.root, change))
        })
        .collect();
    let repos = group_by_repository(targets, request.commits())?;

    let touched_in = |group: &RepoTargets<'_>| -> Vec<String> {
        group
            .targets
            .iter()
            .flat_map(|(prefix, target)| {
                target
                    .plan
                    .changes
                    .iter()
                    .flat_map(move |change| match change {
                        FileChange::Rename { from, to, .. } => {
                            vec![join(prefix, from), join(prefix, to)]
                        }
                        _ => vec![join(prefix, change.path())],
                    })
            })
            .collect()
    };
    if request.commits() {
        for group in &repos {
            group.repo.check_head()?;
        }
    }
    let mut notes = Vec::new();
    if !changes.is_empty() && (!request.allow_dirty || request.commits()) {
        let mut files = Vec::new();
        let mut mixed = Vec::new();
        for group in &repos {
            let touched = touched_in(group);
            for dirty in group.repo.dirty_files(&touched)? {
                let shown = format!(
                    "{} ({})",
                    group.repo.workdir().join(&dirty.path).display(),
                    dirty.state
                );
                if touched.contains(&dirty.path) {
                    mixed.push(shown.clone());
                }
                files.push(shown);
            }
        }
        if !request.allow_dirty {
            if !files.is_empty() {
                return Ok(Err(Dirty { files }));
            }
        } else if !mixed.is_empty() {
            // The commit must hold only the plan's bytes; these files hold the user's too.
            bail!(
                "--allow-dirty with a commit: these files have uncommitted changes of yours and the plan changes them, so the commit would include your changes:\n  {}\ncommit or stash those changes first, or run without --commit and --topic",
                mixed.join("\n  ")
            );
        } else if !files.is_empty() {
            notes.push(format!(
                "--allow-dirty: these uncommitted changes stay out of the commit:\n  {}",
                files.join("\n  ")
            ));
        }
    }

    let signatures = if request.commits() {
        repos
            .iter()
            .map(|group| group.repo.signature())
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    if request.split && request.message.is_some() {
        bail!("--message-file gives one message, so it cannot be used with --split");
    }
    // Everything that could stop the commit is checked before anything is written.
    if request.commits() {
        for group in &repos {
            group.repo.check_head()?;
            if let Some(topic) = &request.topic {
                group.repo.check_branch(topic)?;
                group.repo.check_can_commit(Some(topic), true)?;
            } else {
                group
                    .repo
                    .check_can_commit(group.repo.head_branch().as_deref(), false)?;
            }
        }
    }

    // From here a signal rolls the write back instead of killing it half-way.
    apply::handle_signals()?;
    apply::apply(&changes)?;

    let mut outcome = Outcome {
        notes,
        ..Outcome::default()
    };
    if !request.commits() || changes.is_empty() {
        return Ok(Ok(outcome));
    }
    let written: Vec<String> = targets
        .iter()
        .flat_map(|target| {
            target.plan.changes.iter().flat_map(|change| {
                let show = |path: &str| target.root.join(path).display().to_string();
                match change {
                    FileChange::Create { path, .. } => vec![format!("{} (created)", show(path))],
                    FileChange::Modify { path, .. } => vec![format!("{} (modified)", show(path))],
                    FileChange::Rename { from, to, .. } => vec![
                        format!("{} (removed)", show(from)),
                        format!("{} (created)", show(to)),
                    ],
                }
            })
        })
        .collect();
    let not_committed = |cause: String| NotCommitted {
        cause,
        written: written.clone(),
    };
    if let Some(signal) = apply::pending_signal() {
        let interrupted = apply::Interrupted {
            signal,
            written: true,
        };
        return Err(anyhow::Error::new(interrupted)
            .context(not_committed("stopped before committing".to_owned()).to_string()));
    }
    commit_written(targets, request, &repos, &signatures, &mut outcome)
        .map_err(|error| anyhow::Error::new(not_committed(format!("{error:#}"))))?;
    Ok(Ok(outcome))
}

/// The git side once the files are written: the branch, then the commits.
fn commit_written(
    _targets: &[Target<'_>],
    request: &Request,
    repos: &[RepoTargets<'_>],
    signatures: &[git2::Signature<'static>],
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    // The branch moves only now that there is something to commit on it; the work tree is the
    // same on both, since the topic branch starts at HEAD.
    if let Some(topic) = &request.topic {
        for group in repos {
            group.repo.switch_to_branch(topic)?;
        }
    }
    for (group, signature) in repos.iter().zip(signatures) {
        let plans: Vec<&Plan> = group
            .targets
            .iter()
            .map(|(_, target)| target.plan)
            .collect();
        let parts = if request.split {
            vec![Part::AddModules, Part::RemoveEntryPoints]
        } else {
            vec![Part::Whole]
        };
        for part in parts {
            let staged: Vec<Staged> = group
                .targets
                .iter()
                .flat_map(|(prefix, target)| {
                    let declaring = declaring_files(target.plan);
                    target
                        .plan
                        .changes
                        .iter()
                        .filter(move |change| in_part(&declaring, change, part))
                        .flat_map(move |change| staged(prefix, change))
                })
                .collect();
            if staged.is_empty() {
                continue;
            }
            let mut message = request
                .message
                .clone()
                .unwrap_or_else(|| commit_message::message(&plans, part));
            if request.signoff {
                let trailer = format!(
                    "Signed-off-by: {} <{}>",
                    signature.name().unwrap_or_default(),
                    signature.email().unwrap_or_default()
                );
                message = git::add_trailer(&message, &trailer);
            }
            let oid = group.repo.commit(&staged, &message, signature)?;
            let subject = message.lines().next().unwrap_or_default().to_owned();
            outcome.commits.push((
                oid.to_string()[..12].to_owned(),
                group.repo.branch_name().unwrap_or_default(),
                subject,
            ));
        }
    }
    Ok(())
}

fn group_by_repository<'a>(
    targets: &'a [Target<'a>],
    required: bool,
) -> anyhow::Result<Vec<RepoTargets<'a>>> {
    let mut groups: Vec<RepoTargets<'a>> = Vec::new();
    for target in targets {
        let Some(repo) = Repo::discover(target.root)? else {
            if required {
                bail!(
                    "`{}` is not in a git repository, so there is nothing to commit to: run `wsgi-migrate apply` without --commit and --topic, or `git init` first",
                    target.root.display()
                );
            }
            continue;
        };
        let prefix = repo.relative(target.root)?;
        match groups
            .iter_mut()
            .find(|group| group.repo.workdir() == repo.workdir())
        {
            Some(group) => group.targets.push((prefix, target)),
            None => groups.push(RepoTargets {
                repo,
                targets: vec![(prefix, target)],
            }),
        }
    }
    Ok(groups)
}

fn staged(prefix: &str, change: &FileChange) -> Vec<Staged> {
    match change {
        FileChange::Create { path, contents }
        | FileChange::Modify {
            path,
            after: contents,
            ..
        } => {
            vec![Staged::Write {
                path: join(prefix, path),
                contents: contents.as_bytes().to_vec(),
            }]
        }
        FileChange::Rename { from, to, contents } => vec![
            Staged::Remove(join(prefix, from)),
            Staged::Write {
                path: join(prefix, to),
                contents: contents.as_bytes().to_vec(),
            },
        ],
    }
}

/// Whether `change` belongs in the commit for `part`: the removal commit holds the files that
/// declared removed entry points (`declaring`) and the upgrade note; the other holds the rest.
fn in_part(declaring: &BTreeSet<&str>, change: &FileChange, part: Part) -> bool {
    let removal = declaring.contains(change.path()) || release_note::is_upgrade_note(change.path());
    match part {
        Part::Whole => true,
        Part::AddModules => !removal,
        Part::RemoveEntryPoints => removal,
    }
}

/// The files of `plan` that declare entry points it removes.
fn declaring_files(plan: &Plan) -> BTreeSet<&str> {
    plan.entry_points
        .iter()
        .filter(|entry| entry.remove && entry.status != EntryStatus::Error)
        .map(|entry| entry.file.as_str())
        .collect()
}
