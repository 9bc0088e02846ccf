//! The git layer, through libgit2 (no `git` process is run): the dirty-tree check, the review
//! branch, staging exactly the files a plan touched, and the commit.
//!
//! Errors are said in the tool's words: libgit2's message may be quoted, its class and code
//! (`class=Reference (4); code=UnbornBranch (-9)`) never are.
//!
//! libgit2 runs no hooks, so Gerrit's `commit-msg` hook never adds its `Change-Id:` trailer to a
//! commit made here; [`change_id`] computes one the way that hook does, so that `git review`
//! accepts the commit as it is.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use git2::{
    BranchType, IndexAddOption, ObjectType, Oid, Repository, Signature, Status, StatusOptions,
};

/// libgit2's `error` as `what: message`, without libgit2's class and code.
fn git_error(what: impl std::fmt::Display, error: &git2::Error) -> anyhow::Error {
    let message = error.message().trim_end_matches('.');
    anyhow!("{what}: {message}")
}

trait GitResult<T> {
    /// The error in the tool's words (see [`git_error`]).
    fn git(self, what: impl std::fmt::Display) -> anyhow::Result<T>;
}

impl<T> GitResult<T> for Result<T, git2::Error> {
    fn git(self, what: impl std::fmt::Display) -> anyhow::Result<T> {
        self.map_err(|error| git_error(what, &error))
    }
}

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
    /// The path and the bytes the plan wrote there.
    Write {
        path: String,
        contents: Vec<u8>,
    },
    Remove(String),
}

impl Repo {
    /// The repository holding `path`, or `None` when it is not inside a git work tree.
    pub fn discover(path: &Path) -> anyhow::Result<Option<Repo>> {
        let repo = match Repository::discover(path) {
            Ok(repo) => repo,
            Err(error) if error.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(error) => {
                return Err(git_error(
                    format_args!("cannot open the git repository of `{}`", path.display()),
                    &error,
                ));
            }
        };
        // A work tree made by `git init --separate-git-dir` has a `.git` file naming the git
        // directory, which libgit2 opens with the git directory's parent as the work tree: the
        // directory holding that `.git` file is the work tree, as git has it.
        if let Some(dir) = gitlink_dir(path, repo.path())
            && repo.workdir() != Some(dir.as_path())
        {
            repo.set_workdir(&dir, false).map_err(|error| {
                git_error(
                    format_args!("cannot use `{}` as the work tree", dir.display()),
                    &error,
                )
            })?;
        }
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

    /// The work tree's git directory (`.git`, `.git/worktrees/<name>`, or a separate one).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
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
        crate::effects::workspace::relative_path(relative)
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
        let index = self.repo.index().git("cannot read the git index")?;
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
            .git("cannot read the git status")?;
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
    /// the paths a plan would write (others cannot be lost by it), or all of them, each file of
    /// each untracked directory, in a repository without a commit. A file marked skip-worktree
    /// or assume-unchanged whose content differs from the index is dirty too (git status hides
    /// it, a commit would not); one a sparse checkout left out of the work tree is not.
    pub fn dirty_files(&self, touched: &[String]) -> anyhow::Result<Vec<DirtyFile>> {
        let index = self.repo.index().git("cannot read the git index")?;
        let mut hidden = std::collections::BTreeMap::new();
        for entry in index.iter() {
            let skip_worktree = entry.flags_extended & SKIP_WORKTREE != 0;
            let assume_unchanged = entry.flags & ASSUME_UNCHANGED != 0;
            if !(skip_worktree || assume_unchanged) || entry.mode == 0o160_000 {
                continue;
            }
            let Ok(path) = String::from_utf8(entry.path.clone()) else {
                continue;
            };
            hidden.insert(path, (entry.id, skip_worktree));
        }
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .git("cannot read the git status")?;
        // Before the first commit nothing is committed: every untracked file is the user's
        // only copy, and all of them are listed.
        let unborn = self.repo.head().is_err();
        let mut dirty = Vec::new();
        for entry in statuses.iter() {
            let Ok(path) = entry.path() else { continue };
            let status = entry.status();
            if hidden.contains_key(path) {
                // Decided below, from the content.
                continue;
            }
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
                && (unborn || touched.iter().any(|touched| touched == path))
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
        for (path, (id, skip_worktree)) in hidden {
            let full = self.workdir.join(&path);
            let state = match std::fs::symlink_metadata(&full) {
                // Left out by a sparse checkout: nothing there to lose or commit.
                Err(_) if skip_worktree => continue,
                Err(_) => "deleted, hidden by assume-unchanged",
                Ok(_) => {
                    let same = Oid::hash_file(ObjectType::Blob, &full).is_ok_and(|now| now == id);
                    match (same, skip_worktree) {
                        (true, _) => continue,
                        (false, true) => "modified, hidden by skip-worktree",
                        (false, false) => "modified, hidden by assume-unchanged",
                    }
                }
            };
            dirty.push(DirtyFile { path, state });
        }
        dirty.sort_by(|a, b| a.path.cmp(&b.path));
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
        let head = self.repo.head().map_err(|error| match error.code() {
            git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound => {
                anyhow!("the repository has no commit yet; commit something first")
            }
            _ => git_error("cannot read HEAD", &error),
        })?;
        head.peel_to_commit()
            .map_err(|_| anyhow!("HEAD does not point at a commit"))
    }

    /// Make `branch` the current branch: created at HEAD when missing, reused when it already
    /// points at HEAD, refused when it points elsewhere. The work tree is not touched.
    pub fn switch_to_branch(&self, branch: &str) -> anyhow::Result<()> {
        self.check_branch(branch)?;
        if self.repo.find_branch(branch, BranchType::Local).is_err() {
            let head = self.head_commit()?;
            self.repo
                .branch(branch, &head, false)
                .git(format_args!("cannot create branch `{branch}`"))?;
        }
        self.repo
            .set_head(&format!("refs/heads/{branch}"))
            .git(format_args!("cannot switch to branch `{branch}`"))?;
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
    /// has one. The commit's tree is HEAD's tree with these paths replaced by the bytes the plan
    /// wrote (never the work tree's file, which may hold something else), so changes the user
    /// had staged before are neither committed nor unstaged; the index then records the
    /// committed blobs, so the work tree shows them as clean.
    pub fn commit(
        &self,
        paths: &[Staged],
        message: &str,
        signature: &Signature<'_>,
    ) -> anyhow::Result<Oid> {
        let parent = self.head_commit()?;
        let mut tree_index = git2::Index::new().git("cannot make an index")?;
        tree_index
            .read_tree(&parent.tree().git("cannot read HEAD's tree")?)
            .git("cannot read HEAD's tree")?;
        let mut entries = Vec::new();
        for path in paths {
            match path {
                Staged::Write { path, contents } => {
                    let entry = self.entry_for(path, contents)?;
                    tree_index
                        .add(&entry)
                        .git(format_args!("cannot stage `{path}`"))?;
                    entries.push(entry);
                }
                Staged::Remove(path) => {
                    // A path HEAD does not hold has nothing to remove.
                    let _ = tree_index.remove_path(Path::new(path));
                }
            }
        }
        let tree_id = tree_index
            .write_tree_to(&self.repo)
            .git("cannot write the tree")?;
        let tree = self.repo.find_tree(tree_id).git("cannot write the tree")?;
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
            .git("cannot create the commit")?;
        let mut index = self.repo.index().git("cannot read the git index")?;
        for entry in &entries {
            index.add(entry).git(format_args!(
                "committed {}, but cannot record `{}` in the git index",
                short(oid),
                String::from_utf8_lossy(&entry.path)
            ))?;
        }
        for path in paths {
            if let Staged::Remove(path) = path {
                let _ = index.remove_path(Path::new(path));
            }
        }
        index.write().git(format_args!(
            "committed {}, but cannot write the git index",
            short(oid)
        ))?;
        Ok(oid)
    }

    /// An index entry for `contents` at `path`: the bytes as a blob, executable when the work
    /// tree's file is. No stat data, so that git compares the work tree's file by content.
    fn entry_for(&self, path: &str, contents: &[u8]) -> anyhow::Result<git2::IndexEntry> {
        use std::os::unix::fs::PermissionsExt as _;
        let full = self.workdir.join(path);
        let executable = std::fs::symlink_metadata(&full)
            .is_ok_and(|metadata| metadata.permissions().mode() & 0o111 != 0);
        let blob = self
            .repo
            .blob(contents)
            .git(format_args!("cannot stage `{path}`"))?;
        Ok(git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: if executable { 0o100_755 } else { 0o100_644 },
            uid: 0,
            gid: 0,
            file_size: u32::try_from(contents.len()).unwrap_or(u32::MAX),
            id: blob,
            flags: u16::try_from(path.len().min(0xfff)).unwrap_or(0xfff),
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        })
    }

    /// Everything that would stop a commit on `branch` (the branch HEAD will be on), checked
    /// before anything is written: a running git (`index.lock`, `HEAD.lock`), a locked branch
    /// ref, and, for a topic (`switching`), the branch checked out in another worktree.
    pub fn check_can_commit(&self, branch: Option<&str>, switching: bool) -> anyhow::Result<()> {
        let git_dir = self.repo.path();
        for lock in ["index.lock", "HEAD.lock"] {
            let path = git_dir.join(lock);
            if path.exists() {
                bail!(
                    "`{}` exists: another git command is running in this repository, or one crashed; wait for it, or remove the file if no git command is running",
                    path.display()
                );
            }
        }
        let Some(branch) = branch else {
            return Ok(());
        };
        let reference = format!("refs/heads/{branch}");
        let lock = self.repo.commondir().join(format!("{reference}.lock"));
        if lock.exists() {
            bail!(
                "branch `{branch}` is locked (`{}` exists): another git command is updating it, or one crashed; wait for it, or remove the file if no git command is running",
                lock.display()
            );
        }
        if switching {
            for (path, head) in self.other_worktree_heads() {
                if head.as_deref() == Some(reference.as_str()) {
                    bail!(
                        "branch `{branch}` is checked out in the worktree `{}`; choose another --topic, or switch that worktree to another branch",
                        path.display()
                    );
                }
            }
        }
        Ok(())
    }

    /// The HEAD reference of every other work tree of this repository (the main one included
    /// when this is a linked one), with its path.
    fn other_worktree_heads(&self) -> Vec<(PathBuf, Option<String>)> {
        let mut heads = Vec::new();
        let own = self.repo.path().canonicalize().ok();
        let head_of = |repo: &Repository| -> Option<String> {
            // HEAD is read as a symbolic reference: a branch without commits has no target.
            repo.find_reference("HEAD")
                .ok()?
                .symbolic_target()
                .ok()
                .flatten()
                .map(str::to_owned)
        };
        if let Ok(names) = self.repo.worktrees() {
            for name in names.iter().flatten().flatten() {
                let Ok(worktree) = self.repo.find_worktree(name) else {
                    continue;
                };
                let Ok(repo) = Repository::open_from_worktree(&worktree) else {
                    continue;
                };
                if repo.path().canonicalize().ok() == own {
                    continue;
                }
                heads.push((worktree.path().to_path_buf(), head_of(&repo)));
            }
        }
        if self.repo.is_worktree()
            && let Ok(main) = Repository::open(self.repo.commondir())
            && let Some(workdir) = main.workdir()
        {
            heads.push((workdir.to_path_buf(), head_of(&main)));
        }
        heads
    }

    /// The branch HEAD is on, as a name, even before its first commit.
    pub fn head_branch(&self) -> Option<String> {
        let head = self.repo.find_reference("HEAD").ok()?;
        head.symbolic_target()
            .ok()??
            .strip_prefix("refs/heads/")
            .map(str::to_owned)
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

/// The nearest directory at or above `path` whose `.git` is a file naming `git_dir`.
fn gitlink_dir(path: &Path, git_dir: &Path) -> Option<PathBuf> {
    let path = path.canonicalize().ok()?;
    let git_dir = git_dir.canonicalize().ok()?;
    for dir in path.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(metadata) = std::fs::symlink_metadata(&dot_git) else {
            continue;
        };
        if !metadata.is_file() {
            return None;
        }
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.strip_prefix("gitdir:")?.trim();
        let target = dir.join(target).canonicalize().ok()?;
        return (target == git_dir).then(|| dir.to_path_buf());
    }
    None
}

/// `GIT_INDEX_ENTRY_SKIP_WORKTREE`, in an entry's extended flags.
const SKIP_WORKTREE: u16 = 1 << 14;
/// `GIT_INDEX_ENTRY_VALID` (assume-unchanged), in an entry's flags.
const ASSUME_UNCHANGED: u16 = 0x8000;

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
