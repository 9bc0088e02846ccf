//! The fleet's git layer, through libgit2 (no `git` process is run): whether a repository can
//! be migrated at all (bare, mid-merge or mid-rebase, uncommitted changes), where its topic
//! branch stands, and the push, with the remote's rejection kept verbatim.
//!
//! What a run leaves in a repository is what the next run reads back, so that a second run (or
//! one after a kill) does nothing twice:
//! - the topic branch and its tip commit, recognised as the migration when it carries a
//!   `Change-Id:` trailer and is one commit on top of the branch it was made from;
//! - `branch.<topic>.wsgi-migrate-base` in the repository's config, the branch the topic was
//!   made from (the Gerrit target when `.gitreview` names no `defaultbranch`); git drops it with
//!   the branch;
//! - `refs/wsgi-migrate/pushed/<remote>/<topic>`, the commit last pushed to that remote. A
//!   Gerrit `refs/for/...` push creates no ref the remote lists, so this record is what says it
//!   was pushed; a branch push is checked against the remote's own ref as well.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use git2::{BranchType, Direction, Oid, PushOptions, RemoteCallbacks, Repository};

use crate::ini::IniDocument;

/// Why a repository is left alone, or what its topic branch holds.
pub struct Inspection {
    pub workdir: PathBuf,
    /// The branch HEAD is on, when it is on one.
    pub head_branch: Option<String>,
    pub topic: TopicState,
}

/// Where the topic branch stands relative to HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicState {
    /// No such branch: `apply --topic` creates it at HEAD.
    Absent,
    /// It exists at HEAD's commit, with nothing on it yet.
    AtHead,
    /// HEAD is on it and its tip is a migration commit made earlier.
    Migrated { tip: Oid },
    /// It holds a migration commit on top of HEAD, which is another branch.
    MigratedBeside { tip: Oid },
    /// It holds a migration commit made on another HEAD than today's.
    Stale,
    /// It points somewhere unrelated: `apply --topic` refuses it.
    Elsewhere,
}

/// A repository the fleet does not touch, and why.
pub enum Refusal {
    Skipped(String),
    Failed(String),
}

/// Open the repository at `root` and decide whether it can be worked on.
pub fn inspect(root: &Path, topic: &str, allow_dirty: bool) -> Result<Inspection, Refusal> {
    let failed = |error: git2::Error| Refusal::Failed(error.message().to_owned());
    let repo = match Repository::discover(root) {
        Ok(repo) => repo,
        Err(error) if error.code() == git2::ErrorCode::NotFound => {
            return Err(Refusal::Failed("not a git repository".to_owned()));
        }
        Err(error) => return Err(failed(error)),
    };
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        return Err(Refusal::Skipped("bare repository".to_owned()));
    };
    let state = match repo.state() {
        git2::RepositoryState::Clean => None,
        git2::RepositoryState::Merge => Some("a merge"),
        git2::RepositoryState::Revert | git2::RepositoryState::RevertSequence => Some("a revert"),
        git2::RepositoryState::CherryPick | git2::RepositoryState::CherryPickSequence => {
            Some("a cherry-pick")
        }
        git2::RepositoryState::Bisect => Some("a bisect"),
        git2::RepositoryState::Rebase
        | git2::RepositoryState::RebaseInteractive
        | git2::RepositoryState::RebaseMerge => Some("a rebase"),
        git2::RepositoryState::ApplyMailbox | git2::RepositoryState::ApplyMailboxOrRebase => {
            Some("`git am`")
        }
    };
    if let Some(state) = state {
        return Err(Refusal::Skipped(format!("in the middle of {state}")));
    }
    let head = repo
        .head()
        .and_then(|head| head.peel_to_commit())
        .map_err(|_| Refusal::Failed("the repository has no commit yet".to_owned()))?;
    if !allow_dirty {
        let dirty = dirty_files(&repo).map_err(failed)?;
        if !dirty.is_empty() {
            return Err(Refusal::Skipped(format!(
                "uncommitted changes ({})",
                dirty.join(", ")
            )));
        }
    }
    let head_branch = repo
        .head()
        .ok()
        .filter(git2::Reference::is_branch)
        .and_then(|head| head.shorthand().ok().map(str::to_owned));
    let topic_state = match repo.find_branch(topic, BranchType::Local) {
        Err(_) => TopicState::Absent,
        Ok(branch) => {
            let tip = branch
                .get()
                .peel_to_commit()
                .map_err(|error| Refusal::Failed(error.message().to_owned()))?;
            let on_topic = head_branch.as_deref() == Some(topic);
            if tip.id() == head.id() && !on_topic {
                TopicState::AtHead
            } else if on_topic && is_migration(&tip) {
                TopicState::Migrated { tip: tip.id() }
            } else if !on_topic && is_migration(&tip) && tip.parent_id(0).ok() == Some(head.id()) {
                TopicState::MigratedBeside { tip: tip.id() }
            } else if on_topic {
                TopicState::AtHead
            } else if is_migration(&tip) {
                TopicState::Stale
            } else {
                TopicState::Elsewhere
            }
        }
    };
    Ok(Inspection {
        workdir,
        head_branch,
        topic: topic_state,
    })
}

/// A commit this tool made for review: one parent and a Change-Id.
fn is_migration(commit: &git2::Commit<'_>) -> bool {
    commit.parent_count() == 1
        && commit
            .message()
            .is_ok_and(|message| message.lines().any(|line| line.starts_with("Change-Id: I")))
}

/// Tracked files with staged or unstaged changes, and conflicts (untracked files are not
/// counted: the plan's own check refuses those it would overwrite).
fn dirty_files(repo: &Repository) -> Result<Vec<String>, git2::Error> {
    let mut options = git2::StatusOptions::new();
    options.include_untracked(false).include_ignored(false);
    let statuses = repo.statuses(Some(&mut options))?;
    Ok(statuses
        .iter()
        .filter(|entry| entry.status() != git2::Status::CURRENT)
        .filter_map(|entry| entry.path().ok().map(str::to_owned))
        .collect())
}

/// Remember `base` as the branch `topic` was made from.
pub fn record_base(workdir: &Path, topic: &str, base: &str) -> anyhow::Result<()> {
    let repo = Repository::open(workdir)?;
    let mut config = repo.config()?.open_level(git2::ConfigLevel::Local)?;
    config
        .set_str(&format!("branch.{topic}.wsgi-migrate-base"), base)
        .context("cannot record the topic's base branch")
}

/// The tip of `topic` and the Change-Id of its commit message.
pub fn topic_commit(workdir: &Path, topic: &str) -> anyhow::Result<(Oid, Option<String>)> {
    let repo = Repository::open(workdir)?;
    let commit = repo
        .find_branch(topic, BranchType::Local)?
        .get()
        .peel_to_commit()?;
    Ok((commit.id(), change_id(&commit)))
}

/// The Change-Id of `tip` in the repository at `workdir`.
pub fn change_id_of(workdir: &Path, tip: Oid) -> anyhow::Result<Option<String>> {
    let repo = Repository::open(workdir)?;
    Ok(change_id(&repo.find_commit(tip)?))
}

fn change_id(commit: &git2::Commit<'_>) -> Option<String> {
    commit.message().ok()?.lines().rev().find_map(|line| {
        line.strip_prefix("Change-Id: ")
            .map(|id| id.trim().to_owned())
    })
}

/// Where a topic goes: Gerrit's magic ref, or the branch itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub remote: String,
    /// The ref pushed to, e.g. `refs/for/master%topic=remove-wsgi_scripts`.
    pub refname: String,
    pub gerrit: bool,
}

/// The destination of `topic`'s commit `tip` on `remote`: `refs/for/<branch>%topic=<topic>`
/// when the commit has a `.gitreview` (`<branch>` its `defaultbranch`, else the recorded base
/// branch), otherwise `refs/heads/<topic>`.
pub fn destination(
    workdir: &Path,
    tip: Oid,
    topic: &str,
    remote: &str,
) -> anyhow::Result<Destination> {
    let repo = Repository::open(workdir)?;
    let tree = repo.find_commit(tip)?.tree()?;
    let gitreview = match tree.get_path(Path::new(".gitreview")) {
        Ok(entry) => {
            let blob = entry
                .to_object(&repo)?
                .into_blob()
                .map_err(|_| anyhow!("`.gitreview` is not a file"))?;
            Some(String::from_utf8_lossy(blob.content()).into_owned())
        }
        Err(_) => None,
    };
    let Some(gitreview) = gitreview else {
        return Ok(Destination {
            remote: remote.to_owned(),
            refname: format!("refs/heads/{topic}"),
            gerrit: false,
        });
    };
    let branch = match gitreview_default_branch(&gitreview) {
        Some(branch) => branch,
        None => repo
            .config()?
            .get_string(&format!("branch.{topic}.wsgi-migrate-base"))
            .map_err(|_| {
                anyhow!(
                    "`.gitreview` names no defaultbranch and the branch `{topic}` was made from is unknown"
                )
            })?,
    };
    Ok(Destination {
        remote: remote.to_owned(),
        refname: format!("refs/for/{branch}%topic={topic}"),
        gerrit: true,
    })
}

/// `defaultbranch` of the `[gerrit]` section of a `.gitreview`.
pub fn gitreview_default_branch(text: &str) -> Option<String> {
    let document = IniDocument::parse(text);
    let section = document.section("gerrit")?;
    let option = section
        .options
        .iter()
        .find(|option| option.key == "defaultbranch")?;
    let value = document.value(option).trim().to_owned();
    (!value.is_empty()).then_some(value)
}

fn pushed_ref(remote: &str, topic: &str) -> String {
    format!("refs/wsgi-migrate/pushed/{remote}/{topic}")
}

/// Whether `tip` is already where `destination` says: the push record names it and, for a
/// branch, the remote's branch holds it (or the remote's branch holds it without a record).
pub fn already_pushed(
    workdir: &Path,
    tip: Oid,
    topic: &str,
    destination: &Destination,
) -> anyhow::Result<bool> {
    let repo = Repository::open(workdir)?;
    let recorded = repo
        .refname_to_id(&pushed_ref(&destination.remote, topic))
        .ok();
    if destination.gerrit {
        return Ok(recorded == Some(tip));
    }
    let mut remote = open_remote(&repo, workdir, &destination.remote)?;
    remote.connect(Direction::Fetch).map_err(|error| {
        anyhow!(
            "cannot reach remote `{}`: {}",
            destination.remote,
            error.message()
        )
    })?;
    let on_remote = remote
        .list()?
        .iter()
        .find(|head| head.name() == destination.refname)
        .map(|head| head.oid());
    Ok(on_remote == Some(tip))
}

/// The remote `name`. git takes a relative path as its URL (`git remote add origin ../x.git`),
/// libgit2 does not: such a remote is opened by its path made absolute from the work tree.
fn open_remote<'r>(
    repo: &'r Repository,
    workdir: &Path,
    name: &str,
) -> anyhow::Result<git2::Remote<'r>> {
    let remote = repo
        .find_remote(name)
        .map_err(|error| anyhow!("no remote `{name}`: {}", error.message()))?;
    let url = remote
        .pushurl()
        .ok()
        .flatten()
        .or_else(|| remote.url().ok())
        .map(str::to_owned);
    match url.as_deref().and_then(|url| relative_path_url(url)) {
        Some(path) => {
            let absolute = workdir.join(path);
            repo.remote_anonymous(&absolute.to_string_lossy())
                .map_err(|error| anyhow!("remote `{name}`: {}", error.message()))
        }
        None => Ok(remote),
    }
}

/// `url` when it is a relative file path rather than a URL (`scheme://`) or scp-like
/// `[user@]host:path`.
fn relative_path_url(url: &str) -> Option<&str> {
    let scp_like = url
        .split_once(':')
        .is_some_and(|(host, _)| !host.contains('/'));
    (!url.contains("://") && !scp_like && !url.starts_with('/')).then_some(url)
}

/// Push `topic`'s tip `tip` to `destination` and record it. A rejection is returned verbatim, as
/// the remote (or libgit2) words it.
pub fn push(
    workdir: &Path,
    tip: Oid,
    topic: &str,
    destination: &Destination,
) -> anyhow::Result<()> {
    let repo = Repository::open(workdir)?;
    let mut remote = open_remote(&repo, workdir, &destination.remote)?;
    let mut rejections: Vec<String> = Vec::new();
    {
        let mut callbacks = RemoteCallbacks::new();
        callbacks.push_update_reference(|refname, status| {
            if let Some(status) = status {
                rejections.push(format!("{refname}: {status}"));
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let refspec = format!("refs/heads/{topic}:{}", destination.refname);
        remote
            .push(&[refspec.as_str()], Some(&mut options))
            .map_err(|error| {
                anyhow!(
                    "push to `{}` failed: {}",
                    destination.remote,
                    error.message()
                )
            })?;
    }
    if !rejections.is_empty() {
        anyhow::bail!(
            "`{}` rejected the push: {}",
            destination.remote,
            rejections.join("; ")
        );
    }
    repo.reference(
        &pushed_ref(&destination.remote, topic),
        tip,
        true,
        &format!("wsgi-migrate: pushed to {}", destination.refname),
    )
    .context("pushed, but cannot record the push")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_told_from_urls() {
        assert_eq!(
            relative_path_url("../remotes/nova.git"),
            Some("../remotes/nova.git")
        );
        assert_eq!(relative_path_url("nova.git"), Some("nova.git"));
        assert_eq!(relative_path_url("/srv/git/nova.git"), None);
        assert_eq!(relative_path_url("file:///srv/git/nova.git"), None);
        assert_eq!(
            relative_path_url("https://opendev.org/openstack/nova"),
            None
        );
        assert_eq!(relative_path_url("git@github.com:org/nova.git"), None);
        assert_eq!(relative_path_url("review:nova"), None);
    }

    #[test]
    fn gitreview_default_branch_is_read_from_the_gerrit_section() {
        let text = "[gerrit]\nhost=review.opendev.org\nport=29418\nproject=openstack/nova.git\ndefaultbranch=stable/2025.1\n";
        assert_eq!(
            gitreview_default_branch(text).as_deref(),
            Some("stable/2025.1")
        );
        assert_eq!(
            gitreview_default_branch("[gerrit]\nhost=review.opendev.org\n"),
            None
        );
        assert_eq!(gitreview_default_branch("[other]\ndefaultbranch=x\n"), None);
    }
}
