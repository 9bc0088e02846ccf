//! The tree on disk: which files exist, and reading them. With [`crate::apply`] and
//! [`crate::git`]-like layers, this is where the outside world is touched.
//!
//! In a git work tree the files are those git tracks or would track (untracked and not ignored),
//! exactly what a commit can contain; a tracked file matching an ignore pattern is still there.
//! Elsewhere the walk honours the `.gitignore` files inside the tree, skips version-control,
//! virtualenv, tox and build directories, and never follows a symbolic link: a linked file or
//! directory is neither read nor written, so nothing outside the tree can be reached through one.
//! Files are read on demand, once, and only when a stage asks for them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, bail};

use std::io::Read as _;

use crate::plan::{BINARY_SNIFF, Source};

/// Directory names never descended into.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    ".mypy_cache",
    ".pytest_cache",
    ".stestr",
];

/// Files larger than this are not read: no config or module this tool edits is that big, and
/// reading a stray data file would only cost time and memory.
pub const MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl Workspace {
    /// List the files under `root`: in a git work tree, the files git tracks or would track
    /// (as a commit sees them); elsewhere, an ignore-aware walk.
    pub fn open(root: &Path) -> anyhow::Result<Workspace> {
        let metadata =
            std::fs::metadata(root).with_context(|| format!("cannot open `{}`", root.display()))?;
        if !metadata.is_dir() {
            bail!("`{}` is not a directory", root.display());
        }
        let repo = crate::git::Repo::discover(root)?;
        let inside = match &repo {
            Some(repo) => Some((repo, repo.relative(root)?)),
            None => None,
        };
        // A tree the user names inside an ignored directory (a build or bench output) is no
        // part of the repository, but still theirs to scan: it is walked.
        if let Some((repo, prefix)) = inside.filter(|(repo, prefix)| !repo.is_ignored(prefix)) {
            let mut files = BTreeSet::new();
            let mut dirs = BTreeSet::new();
            for file in repo.listed_files(&prefix)? {
                // A tracked file deleted from the work tree, or a symbolic link, is not read.
                let is_file = std::fs::symlink_metadata(root.join(&file))
                    .is_ok_and(|metadata| metadata.is_file());
                if !is_file {
                    continue;
                }
                let mut dir = file.as_str();
                while let Some((parent, _)) = dir.rsplit_once('/') {
                    if !dirs.insert(parent.to_owned()) {
                        break;
                    }
                    dir = parent;
                }
                files.insert(file);
            }
            return Ok(Workspace {
                root: root.to_owned(),
                files,
                dirs,
            });
        }
        Self::walk(root)
    }

    /// Walk `root`, which is not in a git work tree, honouring the ignore files inside it.
    fn walk(root: &Path) -> anyhow::Result<Workspace> {
        let files = Mutex::new(BTreeSet::new());
        let dirs = Mutex::new(BTreeSet::new());
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            // Ignore files above the root belong to no repository this tree is part of.
            .parents(false)
            .follow_links(false)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && is_skipped_dir(&entry.file_name().to_string_lossy()))
            })
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                let Some(kind) = entry.file_type() else {
                    return ignore::WalkState::Continue;
                };
                let Ok(relative) = entry.path().strip_prefix(root) else {
                    return ignore::WalkState::Continue;
                };
                let Some(relative) = relative_path(relative) else {
                    return ignore::WalkState::Continue;
                };
                if relative.is_empty() {
                    return ignore::WalkState::Continue;
                }
                if kind.is_dir() {
                    dirs.lock().map(|mut dirs| dirs.insert(relative)).ok();
                } else if kind.is_file() {
                    files.lock().map(|mut files| files.insert(relative)).ok();
                }
                ignore::WalkState::Continue
            })
        });
        Ok(Workspace {
            root: root.to_owned(),
            files: files.into_inner().unwrap_or_default(),
            dirs: dirs.into_inner().unwrap_or_default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Hold an exclusive lock on the directory `root` until the returned handle is dropped, waiting
/// for another `wsgi-migrate apply` that holds it. Two runs on one tree then never interleave:
/// the second plans from what the first wrote. The lock is advisory (`flock`), so it leaves no
/// file behind and dies with the process.
pub fn lock(root: &Path) -> anyhow::Result<std::fs::File> {
    let directory =
        std::fs::File::open(root).with_context(|| format!("cannot open `{}`", root.display()))?;
    directory
        .lock()
        .with_context(|| format!("cannot lock `{}`", root.display()))?;
    Ok(directory)
}

impl Workspace {
    /// Open a file of the tree for reading: never through a symbolic link (`O_NOFOLLOW`), only a
    /// regular file, and not a huge one. One `open` and one `fstat` per file.
    fn open_file(&self, path: &str) -> Result<std::fs::File, String> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(self.root.join(path))
            .map_err(|error| error.to_string())?;
        let metadata = file.metadata().map_err(|error| error.to_string())?;
        if !metadata.is_file() {
            return Err("not a regular file".to_owned());
        }
        if metadata.len() > MAX_FILE_SIZE {
            return Err(format!("larger than {} MiB", MAX_FILE_SIZE / (1024 * 1024)));
        }
        Ok(file)
    }
}

fn is_skipped_dir(name: &str) -> bool {
    SKIPPED_DIRS.contains(&name) || name.ends_with(".egg-info")
}

/// A relative path as `/`-separated UTF-8, the way the plan names files, or `None` for a name
/// that is not UTF-8 (such a file cannot be named in a config this tool rewrites).
pub fn relative_path(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path
        .components()
        .map(|component| component.as_os_str().to_str())
        .collect();
    Some(parts?.join("/"))
}

impl Source for Workspace {
    fn files(&self) -> &BTreeSet<String> {
        &self.files
    }

    fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }

    fn read_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        let mut file = self.open_file(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| error.to_string())?;
        Ok(bytes)
    }

    fn read_text_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let mut file = self.open_file(path)?;
        // Read the head first: a binary file is recognised there and not read further.
        let mut bytes = Vec::with_capacity(BINARY_SNIFF);
        (&mut file)
            .take(BINARY_SNIFF as u64)
            .read_to_end(&mut bytes)
            .map_err(|error| error.to_string())?;
        if memchr::memchr(0, &bytes).is_some() {
            return Ok(None);
        }
        file.read_to_end(&mut bytes)
            .map_err(|error| error.to_string())?;
        Ok(Some(bytes))
    }
}
