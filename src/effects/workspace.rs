//! The tree on disk: which files exist, and reading them. With [`crate::effects::apply`] and
//! [`crate::effects::git`]-like layers, this is where the outside world is touched.
//!
//! In a git work tree the files are those git tracks or would track (untracked and not ignored),
//! exactly what a commit can contain; a tracked file matching an ignore pattern is still there.
//! A tracked directory that became a symbolic link is not read through (a warning says so), so
//! `scan`, `apply --dry-run` and `apply` agree. Elsewhere (a `git archive` export, an sdist) no
//! `.gitignore` applies (an export's `.gitignore` saying `lib` must not hide DevStack's
//! `devstack/lib/<project>`): the walk skips only version-control, virtualenv, tox, build and
//! cache directories and the apply journal, and never follows a symbolic link: a linked file or
//! directory is neither read nor written, so nothing outside the tree can be reached through one.
//! Pseudo file systems (procfs, sysfs, ...) mounted in the tree are not entered.
//!
//! Files are read on demand, once, and only when a stage asks for them, and only regular files:
//! every open is `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` (and `fstatfs`, since a
//! procfs file is "regular" with size 0 and its read may block) before a byte is read, so a
//! FIFO, socket or device never hangs a scan. Paths the walk cannot open are warnings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, bail};

use std::io::Read as _;

use crate::diagnostic::Diagnostic;
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
    warnings: Vec<Diagnostic>,
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
        let repo = crate::effects::git::Repo::discover(root)?;
        let inside = match &repo {
            Some(repo) => Some((repo, repo.relative(root)?)),
            None => None,
        };
        // A tree the user names inside an ignored directory (a build or bench output) is no
        // part of the repository, but still theirs to scan: it is walked.
        if let Some((repo, prefix)) = inside.filter(|(repo, prefix)| !repo.is_ignored(prefix)) {
            let mut files = BTreeSet::new();
            let mut dirs = BTreeSet::new();
            let mut warnings = Vec::new();
            // Whether each directory (relative to the root) is a real directory, not a link.
            let mut real_dirs: std::collections::HashMap<String, bool> =
                std::collections::HashMap::new();
            'files: for file in repo.listed_files(&prefix)? {
                let mut end = 0;
                while let Some(slash) = file[end..].find('/') {
                    end += slash;
                    let dir = &file[..end];
                    let real = *real_dirs.entry(dir.to_owned()).or_insert_with(|| {
                        let metadata = std::fs::symlink_metadata(root.join(dir));
                        if metadata
                            .as_ref()
                            .is_ok_and(|metadata| metadata.file_type().is_symlink())
                        {
                            warnings.push(Diagnostic::warning(
                                dir,
                                None,
                                "git tracks files in this directory, but it is now a symbolic link: they are not read through it (nor written); replace the link by the directory, or commit the change",
                            ));
                        }
                        metadata.is_ok_and(|metadata| metadata.is_dir())
                    });
                    if !real {
                        continue 'files;
                    }
                    end += 1;
                }
                // A tracked file deleted from the work tree, a symbolic link, a FIFO: not read.
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
                warnings,
            });
        }
        Self::walk(root)
    }

    /// Walk `root`, which is not in a git work tree: only the built-in skip list applies.
    fn walk(root: &Path) -> anyhow::Result<Workspace> {
        use std::os::unix::fs::MetadataExt as _;
        let files = Mutex::new(BTreeSet::new());
        let dirs = Mutex::new(BTreeSet::new());
        let warnings = std::sync::Arc::new(Mutex::new(Vec::new()));
        let root_device = std::fs::metadata(root)
            .with_context(|| format!("cannot open `{}`", root.display()))?
            .dev();
        let filter_root = root.to_owned();
        let filter_warnings = std::sync::Arc::clone(&warnings);
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .ignore(false)
            .git_ignore(false)
            .git_exclude(false)
            .git_global(false)
            .require_git(false)
            .parents(false)
            .follow_links(false)
            .filter_entry(move |entry| {
                let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                if entry.depth() == 0 {
                    return true;
                }
                let name = entry.file_name().to_string_lossy();
                if !is_dir {
                    return name != crate::effects::journal::ROOT_NAME;
                }
                if is_skipped_dir(&name) {
                    return false;
                }
                // Another file system mounted here: not a pseudo one (procfs's files block).
                let mounted = entry
                    .metadata()
                    .is_ok_and(|metadata| metadata.dev() != root_device);
                if mounted && let Some(kind) = pseudo_file_system(entry.path()) {
                    let relative = entry
                        .path()
                        .strip_prefix(&filter_root)
                        .ok()
                        .and_then(relative_path)
                        .unwrap_or_default();
                    if let Ok(mut warnings) = filter_warnings.lock() {
                        warnings.push(Diagnostic::warning(
                            &relative,
                            None,
                            format!("a {kind} file system is mounted here; not read"),
                        ));
                    }
                    return false;
                }
                true
            })
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(error) => {
                        let (path, message) = walk_error(&error);
                        let relative = path
                            .and_then(|path| path.strip_prefix(root).ok())
                            .and_then(relative_path)
                            .unwrap_or_default();
                        if let Ok(mut warnings) = warnings.lock() {
                            warnings.push(Diagnostic::warning(
                                &relative,
                                None,
                                format!("cannot open: {message}"),
                            ));
                        }
                        return ignore::WalkState::Continue;
                    }
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
        let mut warnings = warnings.lock().map(|w| w.clone()).unwrap_or_default();
        warnings.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(Workspace {
            root: root.to_owned(),
            files: files.into_inner().unwrap_or_default(),
            dirs: dirs.into_inner().unwrap_or_default(),
            warnings,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Hold an exclusive lock on the directory `root` until the returned handle is dropped, waiting
/// for another `wsgi-migrate apply` that holds it. See [`lock_trees`], which callers use.
pub fn lock(root: &Path) -> anyhow::Result<std::fs::File> {
    lock_trees(&[root.to_owned()]).map(|mut locks| locks.pop().expect("one exclusive lock"))
}

/// Lock the trees `roots` for writing, waiting for any other `wsgi-migrate` run that writes an
/// overlapping tree. Two runs on one tree then never interleave: the second plans from what the
/// first wrote.
///
/// What is locked exclusively is the repository's work tree for a root inside one (so roots
/// nested in one repository are serialised), the root itself otherwise; every directory above
/// those is locked shared, so a run on `/a` and one on `/a/b` exclude each other whichever is
/// given. Locks are taken top-down in path order, so two runs cannot deadlock. They are advisory
/// (`flock`), leave no file behind and die with the process. The exclusive lock is returned last.
pub fn lock_trees(roots: &[PathBuf]) -> anyhow::Result<Vec<std::fs::File>> {
    let mut exclusive = BTreeSet::new();
    for root in roots {
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot open `{}`", root.display()))?;
        let key = match crate::effects::git::Repo::discover(&root) {
            Ok(Some(repo)) => repo.workdir().to_path_buf(),
            _ => root,
        };
        exclusive.insert(key);
    }
    let mut shared = BTreeSet::new();
    for key in &exclusive {
        for ancestor in key.ancestors().skip(1) {
            if !exclusive.contains(ancestor) {
                shared.insert(ancestor.to_path_buf());
            }
        }
    }
    let mut all: Vec<(PathBuf, bool)> = shared
        .into_iter()
        .map(|path| (path, false))
        .chain(exclusive.into_iter().map(|path| (path, true)))
        .collect();
    all.sort();
    let mut locks = Vec::new();
    for (path, is_exclusive) in all {
        let directory = match std::fs::File::open(&path) {
            Ok(directory) => directory,
            // A directory above the tree this user cannot open is no one's lock to take.
            Err(_) if !is_exclusive => continue,
            Err(error) => {
                return Err(error).with_context(|| format!("cannot open `{}`", path.display()));
            }
        };
        if is_exclusive {
            directory.lock()
        } else {
            directory.lock_shared()
        }
        .with_context(|| format!("cannot lock `{}`", path.display()))?;
        locks.push((is_exclusive, directory));
    }
    // The exclusive locks last, for `lock`.
    locks.sort_by_key(|(is_exclusive, _)| *is_exclusive);
    Ok(locks.into_iter().map(|(_, lock)| lock).collect())
}

/// The kind of a pseudo file system at `path` (procfs, sysfs, ...), whose files are not data.
fn pseudo_file_system(path: &Path) -> Option<&'static str> {
    let stat = nix::sys::statfs::statfs(path).ok()?;
    pseudo_kind(stat.filesystem_type())
}

fn pseudo_kind(kind: nix::sys::statfs::FsType) -> Option<&'static str> {
    use nix::sys::statfs as fs;
    [
        (fs::PROC_SUPER_MAGIC, "procfs"),
        (fs::SYSFS_MAGIC, "sysfs"),
        (fs::DEVPTS_SUPER_MAGIC, "devpts"),
        (fs::DEBUGFS_MAGIC, "debugfs"),
        (fs::TRACEFS_MAGIC, "tracefs"),
        (fs::SECURITYFS_MAGIC, "securityfs"),
        (fs::CGROUP_SUPER_MAGIC, "cgroup"),
        (fs::BPF_FS_MAGIC, "bpf"),
    ]
    .into_iter()
    .find(|(magic, _)| *magic == kind)
    .map(|(_, name)| name)
}

/// The path and the message of a walk error.
fn walk_error(error: &ignore::Error) -> (Option<&Path>, String) {
    match error {
        ignore::Error::WithPath { path, err } => (Some(path), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        other => (None, other.to_string()),
    }
}

impl Workspace {
    /// Open a file of the tree for reading: never through a symbolic link (`O_NOFOLLOW`), only a
    /// regular file, and not a huge one. One `open` and one `fstat` per file.
    fn open_file(&self, path: &str) -> Result<std::fs::File, String> {
        use std::os::unix::fs::OpenOptionsExt as _;
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags((nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits())
            .open(self.root.join(path))
            .map_err(|error| error.to_string())?;
        let metadata = file.metadata().map_err(|error| error.to_string())?;
        if !metadata.is_file() {
            return Err("not a regular file".to_owned());
        }
        // procfs and its kind report a size of 0 for files that are not empty (and whose read
        // may block); an empty file is rare, so only then is the file system asked.
        if metadata.len() == 0
            && let Some(kind) = nix::sys::statfs::fstatfs(&file)
                .ok()
                .and_then(|stat| pseudo_kind(stat.filesystem_type()))
        {
            return Err(format!("a file of a {kind} file system, not read"));
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

    fn warnings(&self) -> Vec<Diagnostic> {
        self.warnings.clone()
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

/// The script-to-module maps of `--map FILE` flags, later files winning; a file that cannot be
/// read or parsed is an error naming the file and each bad line.
pub fn read_map_files(
    files: &[std::path::PathBuf],
) -> anyhow::Result<std::collections::BTreeMap<String, crate::dialect::AppTarget>> {
    use anyhow::Context as _;
    let mut map = std::collections::BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read map file `{}`", file.display()))?;
        match crate::script_map::parse_map_file(&text) {
            Ok(entries) => map.extend(entries),
            Err(errors) => {
                let listed: Vec<String> = errors
                    .iter()
                    .map(|(line, message)| format!("{}:{line}: {message}", file.display()))
                    .collect();
                anyhow::bail!("invalid map file\n{}", listed.join("\n"));
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(root: &Path, files: &[&str]) -> Workspace {
        Workspace {
            root: root.to_owned(),
            files: files.iter().map(|file| (*file).to_owned()).collect(),
            dirs: BTreeSet::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn procfs_files_are_not_read() {
        // Regular files of size 0 whose reads may block (`/proc/kmsg`): refused from `fstatfs`.
        assert_eq!(pseudo_file_system(Path::new("/proc")), Some("procfs"));
        let proc = workspace(Path::new("/proc/self"), &["status"]);
        let error = proc.read_bytes("status").unwrap_err();
        assert!(error.contains("procfs"), "{error}");
        assert_eq!(pseudo_file_system(Path::new("/tmp")), None);
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("uwsgi.ini");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        // Listed as a file (it was one when the walk listed it), then read: no hang.
        let tree = workspace(dir.path(), &["uwsgi.ini"]);
        let start = std::time::Instant::now();
        assert_eq!(
            tree.read_text_bytes("uwsgi.ini").unwrap_err(),
            "not a regular file"
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn the_walk_outside_git_honours_only_the_skip_list() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "devstack/lib/toy",
            "lib/x.ini",
            ".tox/py3/x.ini",
            "toy.egg-info/PKG-INFO",
            ".wsgi-migrate-journal",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x\n").unwrap();
        }
        std::fs::write(dir.path().join(".gitignore"), "lib\n*.ini\n").unwrap();
        std::fs::write(dir.path().join(".ignore"), "devstack\n").unwrap();
        let tree = Workspace::walk(dir.path()).unwrap();
        let files: Vec<&str> = tree.files.iter().map(String::as_str).collect();
        assert_eq!(
            files,
            [".gitignore", ".ignore", "devstack/lib/toy", "lib/x.ini"]
        );
    }
}
