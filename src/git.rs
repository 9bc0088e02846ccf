//! The git layer, through libgit2 (no `git` process is run): the dirty-tree check, the review
//! branch, staging exactly the files a plan touched, and the commit.
//!
//! libgit2 runs no hooks, so Gerrit's `commit-msg` hook never adds its `Change-Id:` trailer to a
//! commit made here; [`change_id`] computes one the way that hook does, so that `git review`
//! accepts the commit as it is.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use git2::{
    BranchType, IndexAddOption, ObjectType, Oid, Repository, Signature, Status, StatusOptions,
};

/// A file with changes git has not committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyFile {
    /// Relative to the repository's work tree, `/`-separated.
    pub path: String,
    pub state: &'static str,
}

pub struct Repo {
    repo: Repository,
    workdir: PathBuf,
}

/// One path to stage, relative to the work tree: added or updated, or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staged {
    Write(String),
    Remove(String),
}

impl Repo {
    /// The repository holding `path`, or `None` when it is not inside a git work tree.
    pub fn discover(path: &Path) -> anyhow::Result<Option<Repo>> {
        let repo = match Repository::discover(path) {
            Ok(repo) => repo,
            Err(error) if error.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("cannot open the git repository of `{}`", path.display())
                });
            }
        };
        let Some(workdir) = repo.workdir() else {
            bail!("`{}` is in a bare git repository", path.display());
        };
        let workdir = workdir
            .canonicalize()
            .with_context(|| format!("cannot resolve `{}`", workdir.display()))?;
        Ok(Some(Repo { repo, workdir }))
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `path` (a file or directory under the work tree) relative to it, `/`-separated.
    pub fn relative(&self, path: &Path) -> anyhow::Result<String> {
        let full = path
            .canonicalize()
            .with_context(|| format!("cannot resolve `{}`", path.display()))?;
        let relative = full.strip_prefix(&self.workdir).map_err(|_| {
            anyhow!(
                "`{}` is not inside `{}`",
                path.display(),
                self.workdir.display()
            )
        })?;
        crate::workspace::relative_path(relative)
            .ok_or_else(|| anyhow!("`{}`: the path is not UTF-8", path.display()))
    }

    /// Whether git ignores the directory `relative` (to the work tree): its files are then no
    /// part of the repository, and a tree the user names there is walked instead.
    pub fn is_ignored(&self, relative: &str) -> bool {
        !relative.is_empty()
            && self
                .repo
                .is_path_ignored(Path::new(relative))
                .unwrap_or(false)
    }

    /// The files a commit could hold under `prefix` (a directory relative to the work tree,
    /// `""` for all of it): the tracked files, and the untracked ones git does not ignore. This
    /// is what git itself considers the repository's content, which an ignore-aware walk gets
    /// wrong for tracked files that match an ignore pattern. Paths are relative to `prefix`.
    pub fn listed_files(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let under = |path: &str| -> Option<String> {
            if prefix.is_empty() {
                return Some(path.to_owned());
            }
            path.strip_prefix(prefix)?
                .strip_prefix('/')
                .map(str::to_owned)
        };
        let mut files = Vec::new();
        let index = self.repo.index().context("cannot read the git index")?;
        for entry in index.iter() {
            // Submodules are other repositories, listed as commits, not files.
            if entry.mode == 0o160_000 {
                continue;
            }
            let Ok(path) = std::str::from_utf8(&entry.path) else {
                continue;
            };
            files.extend(under(path));
        }
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true);
        if !prefix.is_empty() {
            options.pathspec(format!("{prefix}/"));
        }
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .context("cannot read the git status")?;
        for entry in statuses.iter() {
            if entry.status().contains(Status::WT_NEW)
                && let Ok(path) = entry.path()
            {
                files.extend(under(path));
            }
        }
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Tracked files with uncommitted or staged changes; untracked files only among `touched`,
    /// the paths a plan would write (others cannot be lost by it).
    pub fn dirty_files(&self, touched: &[String]) -> anyhow::Result<Vec<DirtyFile>> {
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .context("cannot read the git status")?;
        let mut dirty = Vec::new();
        for entry in statuses.iter() {
            let Ok(path) = entry.path() else { continue };
            let status = entry.status();
            let state = if status.intersects(
                Status::INDEX_NEW
                    | Status::INDEX_MODIFIED
                    | Status::INDEX_DELETED
                    | Status::INDEX_RENAMED
                    | Status::INDEX_TYPECHANGE,
            ) {
                "staged"
            } else if status.intersects(
                Status::WT_MODIFIED
                    | Status::WT_DELETED
                    | Status::WT_RENAMED
                    | Status::WT_TYPECHANGE,
            ) {
                "modified"
            } else if status.contains(Status::WT_NEW)
                && touched.iter().any(|touched| touched == path)
            {
                "untracked"
            } else if status.contains(Status::CONFLICTED) {
                "conflicted"
            } else {
                continue;
            };
            dirty.push(DirtyFile {
                path: path.to_owned(),
                state,
            });
        }
        Ok(dirty)
    }

    /// The author and committer from git's configuration.
    pub fn signature(&self) -> anyhow::Result<Signature<'static>> {
        self.repo.signature().map_err(|_| {
            anyhow!(
                "git needs an author for the commit: set `user.name` and `user.email` (`git config user.name \"Your Name\"`, `git config user.email you@example.org`)"
            )
        })
    }

    fn head_commit(&self) -> anyhow::Result<git2::Commit<'_>> {
        let head = self
            .repo
            .head()
            .context("the repository has no commit yet; commit something first")?;
        head.peel_to_commit()
            .context("HEAD does not point at a commit")
    }

    /// Make `branch` the current branch: created at HEAD when missing, reused when it already
    /// points at HEAD, refused when it points elsewhere. The work tree is not touched.
    pub fn switch_to_branch(&self, branch: &str) -> anyhow::Result<()> {
        self.check_branch(branch)?;
        if self.repo.find_branch(branch, BranchType::Local).is_err() {
            let head = self.head_commit()?;
            self.repo
                .branch(branch, &head, false)
                .with_context(|| format!("cannot create branch `{branch}`"))?;
        }
        self.repo
            .set_head(&format!("refs/heads/{branch}"))
            .with_context(|| format!("cannot switch to branch `{branch}`"))?;
        Ok(())
    }

    /// The current branch's name, if HEAD is on one.
    pub fn branch_name(&self) -> Option<String> {
        let head = self.repo.head().ok()?;
        if head.is_branch() {
            head.shorthand().ok().map(str::to_owned)
        } else {
            None
        }
    }

    /// Commit exactly `paths` on HEAD with `message`, which gets a `Change-Id` trailer unless it
    /// has one. The commit's tree is HEAD's tree with these paths replaced from the work tree,
    /// so changes the user had staged before are neither committed nor unstaged; the index then
    /// records the committed paths, so the work tree shows them as clean.
    pub fn commit(
        &self,
        paths: &[Staged],
        message: &str,
        signature: &Signature<'_>,
    ) -> anyhow::Result<Oid> {
        let parent = self.head_commit()?;
        let mut tree_index = git2::Index::new().context("cannot make an index")?;
        tree_index
            .read_tree(&parent.tree()?)
            .context("cannot read HEAD's tree")?;
        for path in paths {
            match path {
                Staged::Write(path) => {
                    let entry = self.entry_for(path)?;
                    tree_index
                        .add(&entry)
                        .with_context(|| format!("cannot stage `{path}`"))?;
                }
                Staged::Remove(path) => {
                    // A path HEAD does not hold has nothing to remove.
                    let _ = tree_index.remove_path(Path::new(path));
                }
            }
        }
        let tree_id = tree_index
            .write_tree_to(&self.repo)
            .context("cannot write the tree")?;
        let tree = self.repo.find_tree(tree_id)?;
        let message = if message.lines().any(|line| line.starts_with("Change-Id: I")) {
            message.to_owned()
        } else {
            let id = change_id(tree_id, Some(parent.id()), signature, signature, message);
            add_trailer(message, &format!("Change-Id: {id}"))
        };
        let oid = self
            .repo
            .commit(
                Some("HEAD"),
                signature,
                signature,
                &message,
                &tree,
                &[&parent],
            )
            .context("cannot create the commit")?;
        let mut index = self.repo.index().context("cannot read the git index")?;
        for path in paths {
            match path {
                Staged::Write(path) => index
                    .add_path(Path::new(path))
                    .with_context(|| format!("cannot stage `{path}`"))?,
                Staged::Remove(path) => {
                    let _ = index.remove_path(Path::new(path));
                }
            }
        }
        index.write().context("cannot write the git index")?;
        Ok(oid)
    }

    /// An index entry for the work tree's file at `path`: its content as a blob, and whether it
    /// is executable.
    fn entry_for(&self, path: &str) -> anyhow::Result<git2::IndexEntry> {
        use std::os::unix::fs::PermissionsExt as _;
        let full = self.workdir.join(path);
        let metadata =
            std::fs::symlink_metadata(&full).with_context(|| format!("cannot stage `{path}`"))?;
        let blob = self
            .repo
            .blob_path(&full)
            .with_context(|| format!("cannot stage `{path}`"))?;
        let executable = metadata.permissions().mode() & 0o111 != 0;
        Ok(git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: if executable { 0o100_755 } else { 0o100_644 },
            uid: 0,
            gid: 0,
            file_size: u32::try_from(metadata.len()).unwrap_or(u32::MAX),
            id: blob,
            flags: u16::try_from(path.len().min(0xfff)).unwrap_or(0xfff),
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        })
    }

    /// Refuse a topic branch that cannot be used: an invalid name, or one that exists and
    /// points elsewhere than HEAD. Nothing is changed.
    pub fn check_branch(&self, branch: &str) -> anyhow::Result<()> {
        if !git2::Branch::name_is_valid(branch).unwrap_or(false) {
            bail!("`{branch}` is not a valid branch name");
        }
        let head = self.head_commit()?;
        if let Ok(existing) = self.repo.find_branch(branch, BranchType::Local) {
            let target = existing.get().target();
            if target != Some(head.id()) {
                bail!(
                    "branch `{branch}` already exists and points at {} rather than HEAD ({}); delete or rename it, or choose another --topic",
                    target.map_or_else(|| "nothing".to_owned(), short),
                    short(head.id())
                );
            }
        }
        Ok(())
    }

    /// Refuse to commit in a repository whose HEAD has no commit yet.
    pub fn check_head(&self) -> anyhow::Result<()> {
        self.head_commit().map(|_| ())
    }

    /// Stage every change under the work tree, for tests that set a repository up.
    pub fn commit_all(&self, message: &str, signature: &Signature<'_>) -> anyhow::Result<Oid> {
        let mut index = self.repo.index()?;
        index.add_all(["*"].iter(), IndexAddOption::DEFAULT, None)?;
        index.write()?;
        let tree = self.repo.find_tree(index.write_tree()?)?;
        let parents: Vec<git2::Commit<'_>> = self.head_commit().ok().into_iter().collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        Ok(self
            .repo
            .commit(Some("HEAD"), signature, signature, message, &tree, &parents)?)
    }
}

fn short(oid: Oid) -> String {
    oid.to_string()[..12].to_owned()
}

/// A Change-Id as Gerrit's `commit-msg` hook makes it: `I` and the SHA-1 of the tree, parent,
/// author and committer identities and the message, hashed as a commit object.
pub fn change_id(
    tree: Oid,
    parent: Option<Oid>,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    message: &str,
) -> String {
    let ident = |signature: &Signature<'_>| {
        let when = signature.when();
        let offset = when.offset_minutes();
        let sign = if offset < 0 { '-' } else { '+' };
        format!(
            "{} <{}> {} {sign}{:02}{:02}",
            signature.name().unwrap_or_default(),
            signature.email().unwrap_or_default(),
            when.seconds(),
            offset.abs() / 60,
            offset.abs() % 60
        )
    };
    let mut input = format!("tree {tree}\n");
    if let Some(parent) = parent {
        input.push_str(&format!("parent {parent}\n"));
    }
    input.push_str(&format!(
        "author {}\ncommitter {}\n\n{message}",
        ident(author),
        ident(committer)
    ));
    let oid = Oid::hash_object(ObjectType::Commit, input.as_bytes()).unwrap_or(Oid::ZERO_SHA1);
    format!("I{oid}")
}

/// `message` with `trailer` in its final trailer block (after a blank line when the message
/// has no trailers yet).
pub fn add_trailer(message: &str, trailer: &str) -> String {
    let body = message.trim_end();
    let last_paragraph = body.rsplit("\n\n").next().unwrap_or_default();
    let is_trailer_block = !last_paragraph.is_empty()
        && body.contains("\n\n")
        && last_paragraph.lines().all(|line| {
            line.split_once(": ").is_some_and(|(key, _)| {
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        });
    if is_trailer_block {
        format!("{body}\n{trailer}\n")
    } else {
        format!("{body}\n\n{trailer}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_ids_look_like_gerrits() {
        let signature = Signature::new(
            "A U Thor",
            "author@example.org",
            &git2::Time::new(1_700_000_000, 60),
        )
        .unwrap();
        let id = change_id(Oid::ZERO_SHA1, None, &signature, &signature, "Subject\n");
        assert_eq!(id.len(), 41);
        assert!(id.starts_with('I') && id[1..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(
            id,
            change_id(Oid::ZERO_SHA1, None, &signature, &signature, "Other\n")
        );
    }

    #[test]
    fn trailers_join_an_existing_block() {
        assert_eq!(
            add_trailer("Subject\n\nBody.\n", "Change-Id: I1"),
            "Subject\n\nBody.\n\nChange-Id: I1\n"
        );
        assert_eq!(
            add_trailer(
                "Subject\n\nBody.\n\nSigned-off-by: A <a@b>\n",
                "Change-Id: I1"
            ),
            "Subject\n\nBody.\n\nSigned-off-by: A <a@b>\nChange-Id: I1\n"
        );
    }
}
