//! Writing a plan's changes to disk, all or nothing, and recoverably.
//!
//! The write is a journaled transaction (see [`crate::effects::journal`]):
//!
//! 1. Every target is resolved and checked (a plain relative path, no symbolic link on the way,
//!    nothing where a new file goes, the content the plan read still there).
//! 2. The journal naming every directory to create, temporary file, backup and target is
//!    written and fsynced, before anything else is touched.
//! 3. Directories are created, and every new content is written to a temporary file in its
//!    target's directory (so the rename cannot cross file systems) with the original's mode
//!    and owner (a new file takes its directory's owner), and fsynced.
//! 4. Each target is compared with what was planned (its content, not its times) immediately
//!    before it is replaced (compare-and-swap, under the root's lock the caller holds); the
//!    original is hard-linked to its backup, and the temporary file renamed over it. A new file
//!    is linked into place only if nothing is there (`link` fails on an existing name).
//! 5. The directories are fsynced and `committed` appended to the journal; the backups are
//!    removed, and the journal last.
//!
//! A failure, or SIGINT, SIGTERM or SIGHUP (once [`handle_signals`] was called), before step 5
//! undoes everything from the journal's records and the tree is byte for byte as before; a
//! signal then makes the process exit with the signal's status (128 + its number). A SIGKILL or
//! a crash leaves the journal, and the next command undoes the run.
//!
//! Nothing is written through a symbolic link, and nothing outside the root: every path in a
//! plan is relative, checked, and resolved against the root here.
//!
//! For tests, a build with debug assertions or the `fault-injection` feature stops at the N-th
//! step of the write phase when `WSGI_MIGRATE_FAULT=N:ACTION` is set (ACTION: `term`, `int`,
//! `hup` or `kill` to raise that signal, `pause` to wait for a line on stdin);
//! `WSGI_MIGRATE_FAULT_TRACE=1` prints each step. A release build ignores both.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context as _, anyhow, bail};

use crate::effects::journal::{self, Record};
use crate::plan::FileChange;

/// The signal that asked this process to stop (0 for none).
static SIGNAL: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();

fn signal_flag() -> &'static Arc<AtomicUsize> {
    SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Turn SIGINT, SIGTERM and SIGHUP into a flag the write phase checks between steps, so that
/// they roll the write back instead of killing the process half-way. For the binary only.
pub fn handle_signals() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        let value = usize::try_from(signal).unwrap_or(0);
        signal_hook::flag::register_usize(signal, Arc::clone(signal_flag()), value)
            .context("cannot handle signals")?;
    }
    Ok(())
}

/// The signal received since [`handle_signals`], if any.
pub fn pending_signal() -> Option<i32> {
    match signal_flag().load(Ordering::SeqCst) {
        0 => None,
        signal => i32::try_from(signal).ok(),
    }
}

/// The run was stopped by a signal; the process should exit with `128 + signal`.
#[derive(Debug)]
pub struct Interrupted {
    pub signal: i32,
    /// Whether the files had all been written (the signal came after the commit point).
    pub written: bool,
}

impl Interrupted {
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(130)
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = nix::sys::signal::Signal::try_from(self.signal)
            .map_or_else(|_| format!("signal {}", self.signal), |s| s.to_string());
        if self.written {
            write!(
                f,
                "interrupted by {name} after every file was written: the migration is complete"
            )
        } else {
            write!(
                f,
                "interrupted by {name}: rolled back, the tree is as it was before"
            )
        }
    }
}

impl std::error::Error for Interrupted {}

/// Apply `changes`, each relative to its root. On error nothing has changed.
pub fn apply(changes: &[(&Path, &FileChange)]) -> anyhow::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut roots: Vec<&Path> = changes.iter().map(|(root, _)| *root).collect();
    roots.sort();
    roots.dedup();
    let mut journals = Vec::new();
    for root in roots {
        let location = journal::location(root)?;
        if !journals.contains(&location) {
            journals.push(location);
        }
    }
    let mut transaction = Transaction::prepare(changes, journals)?;
    transaction.run()
}

/// One file of the transaction.
struct Item {
    /// As the plan names it, for messages.
    relative: String,
    target: PathBuf,
    temp: PathBuf,
    contents: Vec<u8>,
    kind: Kind,
    /// Mode and owner the new file takes.
    mode: Option<u32>,
    owner: Option<(u32, u32)>,
}

enum Kind {
    Create,
    /// The content the plan read, compared right before the replacement.
    Replace {
        before: Vec<u8>,
        backup: PathBuf,
    },
    /// A rename's new side is a creation; the old side is moved to `backup` once the new one is
    /// in place, and must still hold `contents`.
    Rename {
        from: PathBuf,
        from_relative: String,
        backup: PathBuf,
    },
}

struct Transaction {
    items: Vec<Item>,
    /// Directories to create, parents first.
    dirs: Vec<PathBuf>,
    journals: Vec<PathBuf>,
    records: Vec<Record>,
    step: std::cell::Cell<usize>,
}

impl Transaction {
    /// Check every change and decide every name; nothing is written.
    fn prepare(
        changes: &[(&Path, &FileChange)],
        journals: Vec<PathBuf>,
    ) -> anyhow::Result<Transaction> {
        let nonce = nonce();
        let mut items = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (root, change) in changes {
            let item = prepare_item(root, change, &nonce)?;
            let directory = item
                .target
                .parent()
                .ok_or_else(|| anyhow!("`{}` has no parent directory", item.relative))?;
            for dir in missing_dirs(directory)? {
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
            if items.iter().any(|other: &Item| other.target == item.target) {
                bail!("`{}` is written twice by the plan", item.relative);
            }
            items.push(item);
        }
        let mut records: Vec<Record> = journals.iter().cloned().map(Record::Journal).collect();
        records.extend(dirs.iter().cloned().map(Record::Dir));
        for item in &items {
            match &item.kind {
                Kind::Create => records.push(Record::Create {
                    target: item.target.clone(),
                    temp: item.temp.clone(),
                    hash: journal::hash(&item.contents),
                }),
                Kind::Replace { backup, .. } => records.push(Record::Replace {
                    target: item.target.clone(),
                    temp: item.temp.clone(),
                    backup: backup.clone(),
                }),
                Kind::Rename { from, backup, .. } => {
                    records.push(Record::Create {
                        target: item.target.clone(),
                        temp: item.temp.clone(),
                        hash: journal::hash(&item.contents),
                    });
                    records.push(Record::Remove {
                        path: from.clone(),
                        backup: backup.clone(),
                    });
                }
            }
        }
        Ok(Transaction {
            items,
            dirs,
            journals,
            records,
            step: std::cell::Cell::new(0),
        })
    }

    fn run(&mut self) -> anyhow::Result<()> {
        for journal in &self.journals {
            if journal.exists() {
                bail!(
                    "`{}` records an interrupted apply: run `wsgi-migrate recover` first",
                    journal.display()
                );
            }
        }
        journal::write(&self.journals, &self.records)?;
        match self.write_all() {
            Ok(()) => {}
            Err(error) => {
                return match journal::undo(&self.records) {
                    Ok(_) => {
                        journal::remove(&self.journals)?;
                        Err(error)
                    }
                    Err(problems) => Err(error.context(format!(
                        "and the rollback failed, so the journal `{}` is kept for `wsgi-migrate recover`:\n  {}",
                        self.journals[0].display(),
                        problems.join("\n  ")
                    ))),
                };
            }
        }
        // The commit point: from here on the run is finished, never undone.
        self.finish()
    }

    /// Steps 3 and 4: everything that is undone on failure.
    fn write_all(&mut self) -> anyhow::Result<()> {
        self.step("journal written")?;
        let dirs = self.dirs.clone();
        for dir in &dirs {
            fs::create_dir(dir)
                .with_context(|| format!("cannot create directory `{}`", dir.display()))?;
            if let Some(parent) = dir.parent()
                && let Ok(metadata) = fs::metadata(parent)
            {
                use std::os::unix::fs::MetadataExt as _;
                set_owner(dir, metadata.uid(), metadata.gid())?;
            }
            self.step(&format!("created {}", dir.display()))?;
        }
        for index in 0..self.items.len() {
            self.stage(index)?;
            let label = format!("staged {}", self.items[index].relative);
            self.step(&label)?;
        }
        for index in 0..self.items.len() {
            self.swap(index)?;
        }
        let mut synced = Vec::new();
        for item in &self.items {
            if let Some(parent) = item.target.parent()
                && !synced.contains(&parent)
            {
                journal::sync_dir(parent);
                synced.push(parent);
            }
        }
        Ok(())
    }

    fn stage(&self, index: usize) -> anyhow::Result<()> {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let item = &self.items[index];
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&item.temp)
            .with_context(|| format!("cannot create a temporary file for `{}`", item.relative))?;
        file.write_all(&item.contents)
            .with_context(|| format!("cannot write `{}`", item.relative))?;
        if let Some((uid, gid)) = item.owner {
            set_owner_of(&file, uid, gid)
                .with_context(|| format!("cannot set the owner of `{}`", item.relative))?;
        }
        // After the owner: changing it clears the set-id bits.
        if let Some(mode) = item.mode {
            file.set_permissions(fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot set permissions of `{}`", item.relative))?;
        }
        file.sync_all()
            .with_context(|| format!("cannot write `{}`", item.relative))?;
        Ok(())
    }

    /// Step 4 for one item: compare, back up, replace.
    fn swap(&self, index: usize) -> anyhow::Result<()> {
        let item = &self.items[index];
        let relative = &item.relative;
        self.step(&format!("replacing {relative}"))?;
        match &item.kind {
            Kind::Replace { before, backup } => {
                compare(&item.target, relative, before)?;
                fs::hard_link(&item.target, backup)
                    .with_context(|| format!("cannot back up `{relative}`"))?;
                // The backup is durable before the original's name is taken by the new file.
                journal::sync_parent(backup);
                self.step(&format!("backed up {relative}"))?;
                fs::rename(&item.temp, &item.target)
                    .with_context(|| format!("cannot replace `{relative}`"))?;
                // An edit written into the file between the comparison and the rename went to
                // the backup, which the rollback puts back.
                compare(backup, relative, before)?;
                self.step(&format!("replaced {relative}"))?;
            }
            Kind::Create | Kind::Rename { .. } => {
                // `link` never replaces an existing name: a file that appeared is kept.
                fs::hard_link(&item.temp, &item.target).map_err(|error| {
                    if error.kind() == std::io::ErrorKind::AlreadyExists {
                        anyhow!(
                            "`{relative}` appeared since the plan was made; it is kept, run again"
                        )
                    } else {
                        anyhow!(error).context(format!("cannot create `{relative}`"))
                    }
                })?;
                fs::remove_file(&item.temp)
                    .with_context(|| format!("cannot create `{relative}`"))?;
                self.step(&format!("created {relative}"))?;
                if let Kind::Rename {
                    from,
                    from_relative,
                    backup,
                } = &item.kind
                {
                    compare(from, from_relative, &item.contents)?;
                    fs::rename(from, backup)
                        .with_context(|| format!("cannot move `{from_relative}`"))?;
                    self.step(&format!("moved {from_relative}"))?;
                }
            }
        }
        Ok(())
    }

    /// Step 5: the commit point, then the cleanup.
    fn finish(&mut self) -> anyhow::Result<()> {
        journal::mark_committed(&self.journals)?;
        // A signal from here on cannot undo the run; it is reported once the run is finished.
        let mut signal = self.step_after_commit("committed");
        for index in 0..self.items.len() {
            let backup = match &self.items[index].kind {
                Kind::Replace { backup, .. } | Kind::Rename { backup, .. } => backup.clone(),
                Kind::Create => continue,
            };
            fs::remove_file(&backup)
                .with_context(|| format!("cannot remove the backup `{}`", backup.display()))?;
            signal = signal.or(self.step_after_commit(&format!("removed {}", backup.display())));
        }
        journal::remove(&self.journals)?;
        if let Some(signal) = signal.or(self.step_after_commit("journal removed")) {
            return Err(Interrupted {
                signal,
                written: true,
            }
            .into());
        }
        Ok(())
    }

    /// A point between two steps of the write phase: the place for injected faults, and where
    /// a signal received stops the run.
    fn step(&self, label: &str) -> anyhow::Result<()> {
        self.fault(label);
        match pending_signal() {
            Some(signal) => Err(Interrupted {
                signal,
                written: false,
            }
            .into()),
            None => Ok(()),
        }
    }

    fn step_after_commit(&self, label: &str) -> Option<i32> {
        self.fault(label);
        pending_signal()
    }

    #[cfg(any(debug_assertions, feature = "fault-injection"))]
    fn fault(&self, label: &str) {
        use nix::sys::signal::{Signal, raise};
        let step = self.step.get();
        self.step.set(step + 1);
        let mut stderr = std::io::stderr().lock();
        if std::env::var_os("WSGI_MIGRATE_FAULT_TRACE").is_some() {
            let _ = writeln!(stderr, "wsgi-migrate: fault: step {step}: {label}");
        }
        let Ok(fault) = std::env::var("WSGI_MIGRATE_FAULT") else {
            return;
        };
        let Some((at, action)) = fault.split_once(':') else {
            return;
        };
        if at.parse::<usize>() != Ok(step) {
            return;
        }
        let signal = match action {
            "term" => Signal::SIGTERM,
            "int" => Signal::SIGINT,
            "hup" => Signal::SIGHUP,
            "kill" => Signal::SIGKILL,
            "pause" => {
                let _ = writeln!(
                    stderr,
                    "wsgi-migrate: fault: paused at step {step}: {label}"
                );
                let _ = stderr.flush();
                drop(stderr);
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
                return;
            }
            _ => return,
        };
        let _ = raise(signal);
    }

    #[cfg(not(any(debug_assertions, feature = "fault-injection")))]
    fn fault(&self, _label: &str) {
        self.step.set(self.step.get() + 1);
    }
}

/// Fail unless `path` holds exactly `expected`.
fn compare(path: &Path, relative: &str, expected: &[u8]) -> anyhow::Result<()> {
    let now = read_regular(path).with_context(|| format!("cannot read `{relative}`"))?;
    if now != expected {
        bail!(
            "`{relative}` changed since the plan was made; nothing was written (the change is kept), run again"
        );
    }
    Ok(())
}

/// A regular file's bytes, never following a symbolic link and never blocking on a FIFO.
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags((nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn prepare_item(root: &Path, change: &FileChange, nonce: &str) -> anyhow::Result<Item> {
    use std::os::unix::fs::MetadataExt as _;
    let (relative, contents) = match change {
        FileChange::Create { path, contents } => (path, contents),
        FileChange::Modify { path, after, .. } => (path, after),
        FileChange::Rename { to, contents, .. } => (to, contents),
    };
    let target = resolve(root, relative)?;
    let existing = fs::symlink_metadata(&target);
    let what = |metadata: &fs::Metadata| {
        if metadata.is_dir() {
            "a directory"
        } else if metadata.file_type().is_symlink() {
            "a symbolic link"
        } else {
            "a file"
        }
    };
    let temp = side_path(&target, nonce, "tmp");
    let item = |kind, mode, owner| Item {
        relative: relative.clone(),
        target: target.clone(),
        temp: temp.clone(),
        contents: contents.as_bytes().to_vec(),
        kind,
        mode,
        owner,
    };
    Ok(match change {
        FileChange::Modify { before, .. } => {
            let metadata = existing.with_context(|| format!("`{relative}` cannot be read"))?;
            if !metadata.is_file() {
                bail!("`{relative}` is not a regular file");
            }
            compare(&target, relative, before.as_bytes())?;
            item(
                Kind::Replace {
                    before: before.as_bytes().to_vec(),
                    backup: side_path(&target, nonce, "backup"),
                },
                Some(metadata.mode() & 0o7777),
                Some((metadata.uid(), metadata.gid())),
            )
        }
        FileChange::Create { .. } | FileChange::Rename { .. } => {
            if let Ok(metadata) = &existing {
                bail!(
                    "`{relative}` must be created, but {} is already there that the plan did not read (ignored by git, or not a regular file): move it away and run again",
                    what(metadata)
                )
            }
            // A new file takes the owner of the nearest existing directory above it.
            let owner = existing_ancestor(&target)
                .and_then(|dir| fs::metadata(dir).ok())
                .map(|metadata| (metadata.uid(), metadata.gid()));
            match change {
                FileChange::Rename { from, .. } => {
                    let from_path = resolve(root, from)?;
                    let metadata = fs::symlink_metadata(&from_path)
                        .with_context(|| format!("`{from}` cannot be read"))?;
                    if !metadata.is_file() {
                        bail!("`{from}` is not a regular file");
                    }
                    compare(&from_path, from, contents.as_bytes())?;
                    item(
                        Kind::Rename {
                            backup: side_path(&from_path, nonce, "backup"),
                            from: from_path,
                            from_relative: from.clone(),
                        },
                        Some(metadata.mode() & 0o7777),
                        Some((metadata.uid(), metadata.gid())),
                    )
                }
                _ => item(Kind::Create, Some(0o644), owner),
            }
        }
    })
}

fn resolve(root: &Path, relative: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(relative);
    if relative.is_empty()
        || !path
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
    {
        bail!("refusing to write `{relative}`: not a plain relative path inside the tree");
    }
    // No component may be a symbolic link, or the write could land outside the tree.
    let root = std::path::absolute(root)
        .with_context(|| format!("cannot resolve `{}`", root.display()))?;
    let mut current = root;
    for component in path.components() {
        current.push(component);
        if fs::symlink_metadata(&current).is_ok_and(|metadata| metadata.file_type().is_symlink()) {
            bail!(
                "refusing to write `{relative}`: `{}` is a symbolic link",
                current.display()
            );
        }
    }
    Ok(current)
}

/// The directories above `directory` (itself included) that do not exist, parents first.
fn missing_dirs(directory: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut current = directory;
    loop {
        match fs::symlink_metadata(current) {
            Ok(metadata) if metadata.is_dir() => break,
            Ok(_) => bail!(
                "cannot create directory `{}`: a file is in the way",
                current.display()
            ),
            Err(_) => missing.push(current.to_path_buf()),
        }
        current = current
            .parent()
            .ok_or_else(|| anyhow!("`{}` has no existing parent", directory.display()))?;
    }
    missing.reverse();
    Ok(missing)
}

fn existing_ancestor(path: &Path) -> Option<&Path> {
    path.ancestors().skip(1).find(|dir| dir.is_dir())
}

/// `.<name>.wsgi-migrate-<nonce>.<suffix>` beside `path`.
fn side_path(path: &Path, nonce: &str, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.wsgi-migrate-{nonce}.{suffix}"))
}

/// A short tag unique to this run, so that its temporary files and backups never collide with
/// another's.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |duration| duration.subsec_nanos());
    format!("{:x}{:08x}", std::process::id(), nanos)
}

/// Give `path` the owner `uid`:`gid`. Only root may give a file away; for anyone else a refusal
/// is no error (the file stays theirs, as any file they write).
fn set_owner(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    match std::os::unix::fs::lchown(path, Some(uid), Some(gid)) {
        Err(error) if error.kind() != std::io::ErrorKind::PermissionDenied => {
            Err(error).with_context(|| format!("cannot set the owner of `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

fn set_owner_of(file: &fs::File, uid: u32, gid: u32) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = file.metadata()?;
    if metadata.uid() == uid && metadata.gid() == gid {
        return Ok(());
    }
    match std::os::unix::fs::fchown(file, Some(uid), Some(gid)) {
        Err(error) if error.kind() != std::io::ErrorKind::PermissionDenied => Err(error),
        _ => Ok(()),
    }
}
