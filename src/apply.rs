//! Writing a plan's changes to disk, all or nothing.
//!
//! Every new or changed file is first written as a temporary file in its own directory (so the
//! final rename cannot cross file systems), with the original's permission bits. Only when every
//! file is staged does anything become visible: each target is renamed into place, and the
//! original of each changed file is kept as a hard link until all renames have succeeded. If any
//! step fails, what was renamed is put back, staged and created files and directories are
//! removed, and the tree is byte for byte as before.
//!
//! Nothing is written through a symbolic link, and nothing outside the root: every path in a
//! plan is relative, checked, and resolved against the root here.

use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};

use crate::plan::FileChange;

/// Apply `changes`, each relative to its root. On error nothing has changed.
pub fn apply(changes: &[(&Path, &FileChange)]) -> anyhow::Result<()> {
    let mut transaction = Transaction {
        created_dirs: Vec::new(),
        staged: Vec::new(),
        done: Vec::new(),
    };
    match transaction.run(changes) {
        Ok(()) => {
            transaction.finish();
            Ok(())
        }
        Err(error) => {
            transaction.roll_back();
            Err(error)
        }
    }
}

struct Staged {
    target: PathBuf,
    temp: tempfile::TempPath,
    /// The original content of a changed file, kept to verify nothing changed since planning.
    expected: Option<String>,
    /// The file a rename moves away, removed once the new file is in place.
    moved_from: Option<PathBuf>,
}

enum Done {
    /// A new file that did not exist: undo by removing it.
    Created(PathBuf),
    /// An existing file replaced: undo by restoring the backup.
    Replaced { target: PathBuf, backup: PathBuf },
    /// A file moved away by a rename: undo by restoring the backup at its old path.
    Removed { path: PathBuf, backup: PathBuf },
}

struct Transaction {
    created_dirs: Vec<PathBuf>,
    staged: Vec<Staged>,
    done: Vec<Done>,
}

impl Transaction {
    fn run(&mut self, changes: &[(&Path, &FileChange)]) -> anyhow::Result<()> {
        for (root, change) in changes {
            self.stage(root, change)?;
        }
        let staged = std::mem::take(&mut self.staged);
        for staged in staged {
            self.commit(staged)?;
        }
        Ok(())
    }

    fn resolve(&self, root: &Path, relative: &str) -> anyhow::Result<PathBuf> {
        let path = Path::new(relative);
        if relative.is_empty()
            || !path
                .components()
                .all(|component| matches!(component, Component::Normal(_)))
        {
            bail!("refusing to write `{relative}`: not a plain relative path inside the tree");
        }
        // No component may be a symbolic link, or the write could land outside the tree.
        let mut current = root.to_path_buf();
        for component in path.components() {
            current.push(component);
            if fs::symlink_metadata(&current)
                .is_ok_and(|metadata| metadata.file_type().is_symlink())
            {
                bail!(
                    "refusing to write `{relative}`: `{}` is a symbolic link",
                    current.display()
                );
            }
        }
        Ok(current)
    }

    fn stage(&mut self, root: &Path, change: &FileChange) -> anyhow::Result<()> {
        let (relative, contents, expected, moved_from) = match change {
            FileChange::Create { path, contents } => (path, contents, None, None),
            FileChange::Modify {
                path,
                before,
                after,
            } => (path, after, Some(before.clone()), None),
            FileChange::Rename { from, to, contents } => {
                (to, contents, None, Some(self.resolve(root, from)?))
            }
        };
        let target = self.resolve(root, relative)?;
        let existing = fs::symlink_metadata(&target);
        match (&expected, &existing) {
            (None, Ok(metadata)) => {
                let what = if metadata.is_dir() {
                    "a directory"
                } else if metadata.file_type().is_symlink() {
                    "a symbolic link"
                } else {
                    "a file"
                };
                bail!(
                    "`{relative}` must be created, but {what} is already there that the plan did not read (ignored by git, or not a regular file): move it away and run again"
                )
            }
            (Some(_), Err(error)) => bail!("`{relative}` cannot be read: {error}"),
            (Some(_), Ok(metadata)) if !metadata.is_file() => {
                bail!("`{relative}` is not a regular file")
            }
            _ => {}
        }
        if let Some(expected) = &expected {
            let now = fs::read(&target).with_context(|| format!("cannot read `{relative}`"))?;
            if now != expected.as_bytes() {
                bail!("`{relative}` changed since the plan was made; run again");
            }
        }
        if let Some(from) = &moved_from {
            let now =
                fs::read(from).with_context(|| format!("cannot read `{}`", from.display()))?;
            if now != contents.as_bytes() {
                bail!(
                    "`{}` changed since the plan was made; run again",
                    from.display()
                );
            }
        }
        let directory = target
            .parent()
            .ok_or_else(|| anyhow!("`{relative}` has no parent directory"))?
            .to_path_buf();
        self.create_dirs(&directory)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".wsgi-migrate-")
            .suffix(".tmp")
            .tempfile_in(&directory)
            .with_context(|| {
                format!(
                    "cannot create a temporary file in `{}`",
                    directory.display()
                )
            })?;
        temp.write_all(contents.as_bytes())
            .with_context(|| format!("cannot write `{relative}`"))?;
        temp.as_file()
            .sync_all()
            .with_context(|| format!("cannot write `{relative}`"))?;
        let permissions = match (&existing, &moved_from) {
            (Ok(metadata), _) => Some(metadata.permissions()),
            (Err(_), Some(from)) => Some(fs::metadata(from)?.permissions()),
            (Err(_), None) => default_permissions(),
        };
        if let Some(permissions) = permissions {
            fs::set_permissions(temp.path(), permissions)
                .with_context(|| format!("cannot set permissions of `{relative}`"))?;
        }
        self.staged.push(Staged {
            target,
            temp: temp.into_temp_path(),
            expected,
            moved_from,
        });
        Ok(())
    }

    fn create_dirs(&mut self, directory: &Path) -> anyhow::Result<()> {
        let mut missing = Vec::new();
        let mut current = directory;
        while !current.exists() {
            missing.push(current.to_path_buf());
            current = current
                .parent()
                .ok_or_else(|| anyhow!("`{}` has no existing parent", directory.display()))?;
        }
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir)
                .with_context(|| format!("cannot create directory `{}`", dir.display()))?;
            self.created_dirs.push(dir);
        }
        Ok(())
    }

    fn commit(&mut self, staged: Staged) -> anyhow::Result<()> {
        if staged.expected.is_some() {
            let backup = backup_path(&staged.target);
            fs::hard_link(&staged.target, &backup)
                .with_context(|| format!("cannot back up `{}`", staged.target.display()))?;
            if let Err(error) = staged.temp.persist(&staged.target) {
                let _ = fs::remove_file(&backup);
                return Err(anyhow!(error.error))
                    .with_context(|| format!("cannot replace `{}`", staged.target.display()));
            }
            self.done.push(Done::Replaced {
                target: staged.target,
                backup,
            });
        } else {
            if let Err(error) = staged.temp.persist_noclobber(&staged.target) {
                return Err(anyhow!(error.error))
                    .with_context(|| format!("cannot create `{}`", staged.target.display()));
            }
            self.done.push(Done::Created(staged.target));
        }
        if let Some(from) = staged.moved_from {
            let backup = backup_path(&from);
            fs::rename(&from, &backup)
                .with_context(|| format!("cannot move `{}`", from.display()))?;
            self.done.push(Done::Removed { path: from, backup });
        }
        Ok(())
    }

    fn finish(&mut self) {
        for done in self.done.drain(..) {
            match done {
                Done::Replaced { backup, .. } | Done::Removed { backup, .. } => {
                    let _ = fs::remove_file(backup);
                }
                Done::Created(_) => {}
            }
        }
    }

    fn roll_back(&mut self) {
        // Staged temporary files delete themselves when dropped.
        self.staged.clear();
        for done in self.done.drain(..).rev() {
            match done {
                Done::Created(path) => {
                    let _ = fs::remove_file(path);
                }
                Done::Replaced { target, backup } => {
                    let _ = fs::rename(backup, target);
                }
                Done::Removed { path, backup } => {
                    let _ = fs::rename(backup, path);
                }
            }
        }
        for dir in self.created_dirs.drain(..).rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

fn backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.wsgi-migrate-backup"))
}

/// Permissions for a new file; temporary files are created owner-only.
#[cfg(unix)]
fn default_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<fs::Permissions> {
    None
}
