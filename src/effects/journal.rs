//! The rollback journal of an `apply`, so that a run stopped by SIGKILL, a crash or a power cut
//! can be undone by the next one.
//!
//! It works like SQLite's rollback journal. Before the first file is touched, [`crate::effects::apply`]
//! writes and fsyncs a journal naming every directory it will create, every temporary file,
//! every backup and every target (and which targets are creations, with the hash of what will
//! be written there). Only then are temporary files written and renamed into place. When every
//! rename is done and synced, `committed` is appended to the journal (the commit point); then
//! the backups are removed, and the journal last. Whoever finds a journal (any command, before
//! it reads the tree; `wsgi-migrate recover`) undoes the run when it was not committed (backups
//! renamed back, created files and directories and temporary files removed), or finishes its
//! cleanup when it was, and then removes the journal.
//!
//! Where the journal lives: inside a git repository, `wsgi-migrate-journal` in the work tree's
//! git directory (`.git/`, or `.git/worktrees/<name>/`, or the directory of a `--separate-git-dir`),
//! which no walk reads and no commit holds; outside one, `.wsgi-migrate-journal` in the root,
//! which the walk skips. When one `apply` writes several roots, every journal lists all of the
//! run's records and every journal's path, so finding any one of them recovers the whole run.
//!
//! The format is text, one record a line, paths escaped (`%XX` for bytes outside printable
//! ASCII, for space and for `%`), so that any path round-trips and a person can read it:
//!
//! ```text
//! wsgi-migrate journal 1
//! journal /repo/.git/wsgi-migrate-journal
//! dir /repo/nova/wsgi
//! create /repo/nova/wsgi/api.py /repo/nova/wsgi/.api.py.wsgi-migrate-1a2b.tmp <blob hash>
//! replace /repo/setup.cfg /repo/.setup.cfg.wsgi-migrate-1a2b.tmp /repo/.setup.cfg.wsgi-migrate-1a2b.backup
//! remove /repo/nova/wsgi.py /repo/nova/.wsgi.py.wsgi-migrate-1a2b.backup
//! end
//! committed
//! ```

use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The journal's name inside a git directory.
pub const GIT_DIR_NAME: &str = "wsgi-migrate-journal";
/// The journal's name in a root outside git (the walk skips it).
pub const ROOT_NAME: &str = ".wsgi-migrate-journal";

const HEADER: &str = "wsgi-migrate journal 1";

/// One thing an `apply` does, and so must be able to undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A copy of this journal (one per repository or root the run writes).
    Journal(PathBuf),
    /// A directory that did not exist, created in this order.
    Dir(PathBuf),
    /// A file that did not exist: written to `temp`, then linked to `target`. `hash` is the git
    /// blob hash of its content, so that recovery removes only what this run wrote.
    Create {
        target: PathBuf,
        temp: PathBuf,
        hash: String,
    },
    /// An existing file: hard-linked to `backup`, then replaced by `temp`.
    Replace {
        target: PathBuf,
        temp: PathBuf,
        backup: PathBuf,
    },
    /// A file moved away (the old side of a rename): renamed to `backup`.
    Remove { path: PathBuf, backup: PathBuf },
}

/// A journal read back from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    pub records: Vec<Record>,
    /// Whether the whole journal was written (`end`): when not, the run stopped while writing
    /// it, before any file was touched.
    pub complete: bool,
    /// Whether every rename was done (`committed`): recovery then finishes instead of undoing.
    pub committed: bool,
}

/// Where the journal of an `apply` on `root` lives (see the module documentation).
pub fn location(root: &Path) -> anyhow::Result<PathBuf> {
    let root = std::path::absolute(root)
        .with_context(|| format!("cannot resolve `{}`", root.display()))?;
    Ok(match crate::effects::git::Repo::discover(&root)? {
        Some(repo) => std::path::absolute(repo.git_dir().join(GIT_DIR_NAME))?,
        None => root.join(ROOT_NAME),
    })
}

/// The git blob hash of `bytes`, as recorded for created files.
pub fn hash(bytes: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .map(|oid| oid.to_string())
        .unwrap_or_default()
}

fn escape(path: &Path) -> String {
    let mut out = String::new();
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_graphic() && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn unescape(text: &str) -> Option<PathBuf> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    let path = PathBuf::from(OsStr::from_bytes(&out));
    path.is_absolute().then_some(path)
}

/// The journal's text, up to and including `end`.
pub fn render(records: &[Record]) -> String {
    let mut text = format!("{HEADER}\n");
    for record in records {
        let line = match record {
            Record::Journal(path) => format!("journal {}", escape(path)),
            Record::Dir(path) => format!("dir {}", escape(path)),
            Record::Create { target, temp, hash } => {
                format!("create {} {} {hash}", escape(target), escape(temp))
            }
            Record::Replace {
                target,
                temp,
                backup,
            } => format!(
                "replace {} {} {}",
                escape(target),
                escape(temp),
                escape(backup)
            ),
            Record::Remove { path, backup } => {
                format!("remove {} {}", escape(path), escape(backup))
            }
        };
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("end\n");
    text
}

/// Read a journal's text. A line cut short by a crash ends the records.
pub fn parse(text: &str) -> anyhow::Result<Journal> {
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some(HEADER) {
        bail!("not a wsgi-migrate journal");
    }
    let mut journal = Journal {
        records: Vec::new(),
        complete: false,
        committed: false,
    };
    for line in lines {
        // A line without its newline was being written when the run stopped.
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        let fields: Vec<&str> = line.split(' ').collect();
        let path = |index: usize| fields.get(index).and_then(|field| unescape(field));
        let record = match fields[0] {
            "end" => {
                journal.complete = true;
                continue;
            }
            "committed" if journal.complete => {
                journal.committed = true;
                continue;
            }
            "journal" => path(1).map(Record::Journal),
            "dir" => path(1).map(Record::Dir),
            "create" => match (path(1), path(2), fields.get(3)) {
                (Some(target), Some(temp), Some(hash)) => Some(Record::Create {
                    target,
                    temp,
                    hash: (*hash).to_owned(),
                }),
                _ => None,
            },
            "replace" => match (path(1), path(2), path(3)) {
                (Some(target), Some(temp), Some(backup)) => Some(Record::Replace {
                    target,
                    temp,
                    backup,
                }),
                _ => None,
            },
            "remove" => match (path(1), path(2)) {
                (Some(path), Some(backup)) => Some(Record::Remove { path, backup }),
                _ => None,
            },
            _ => None,
        };
        match record {
            Some(record) => journal.records.push(record),
            None => bail!("unreadable journal line `{line}`"),
        }
    }
    Ok(journal)
}

/// Make `path`'s directory entry durable.
pub fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
}

/// fsync a directory, so that the renames and removals in it survive a power cut.
pub fn sync_dir(dir: &Path) {
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Write the journal to each of `paths` (which must not exist) and make it durable. On
/// failure (a full disk) no journal is left.
pub fn write(paths: &[PathBuf], records: &[Record]) -> anyhow::Result<()> {
    let text = render(records);
    let mut written: Vec<&PathBuf> = Vec::new();
    for path in paths {
        let result = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| {
                written.push(path);
                file.write_all(text.as_bytes())?;
                file.sync_all()
            });
        if let Err(error) = result {
            for path in written {
                let _ = fs::remove_file(path);
            }
            return Err(error)
                .with_context(|| format!("cannot write the journal `{}`", path.display()));
        }
        sync_parent(path);
    }
    Ok(())
}

/// Append the commit point to each journal.
pub fn mark_committed(paths: &[PathBuf]) -> anyhow::Result<()> {
    for path in paths {
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot write the journal `{}`", path.display()))?;
        file.write_all(b"committed\n")
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write the journal `{}`", path.display()))?;
    }
    Ok(())
}

/// Remove the journals, last of all.
pub fn remove(paths: &[PathBuf]) -> anyhow::Result<()> {
    for path in paths {
        match fs::remove_file(path) {
            Ok(()) => sync_parent(path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot remove the journal `{}`", path.display()));
            }
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path, problems: &mut Vec<String>) {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => problems.push(format!("cannot remove `{}`: {error}", path.display())),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (fs::symlink_metadata(a), fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Undo whatever part of `records` was done, in reverse: backups go back, created files (only
/// when they hold what this run wrote), temporary files and created directories go. Every step
/// is idempotent, so undoing twice, or undoing a run that stopped anywhere, is safe. Returns
/// how many files were put back, or what could not be undone.
pub fn undo(records: &[Record]) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    let mut restored = 0;
    let mut dirs = Vec::new();
    for record in records.iter().rev() {
        match record {
            Record::Journal(_) => {}
            Record::Dir(dir) => dirs.push(dir.clone()),
            Record::Remove { path, backup } => {
                if fs::symlink_metadata(backup).is_ok() {
                    match fs::rename(backup, path) {
                        Ok(()) => {
                            restored += 1;
                            sync_parent(path);
                        }
                        Err(error) => problems.push(format!(
                            "cannot restore `{}` from `{}`: {error}",
                            path.display(),
                            backup.display()
                        )),
                    }
                }
            }
            Record::Replace {
                target,
                temp,
                backup,
            } => {
                remove_if_present(temp, &mut problems);
                if fs::symlink_metadata(backup).is_ok() {
                    if same_file(target, backup) {
                        // Stopped between the backup and the rename: the target is the original.
                        remove_if_present(backup, &mut problems);
                    } else {
                        match fs::rename(backup, target) {
                            Ok(()) => restored += 1,
                            Err(error) => problems.push(format!(
                                "cannot restore `{}` from `{}`: {error}",
                                target.display(),
                                backup.display()
                            )),
                        }
                    }
                    sync_parent(target);
                }
            }
            Record::Create { target, temp, hash } => {
                remove_if_present(temp, &mut problems);
                let ours = fs::symlink_metadata(target).is_ok_and(|metadata| metadata.is_file())
                    && fs::read(target).is_ok_and(|bytes| &self::hash(&bytes) == hash);
                if ours {
                    remove_if_present(target, &mut problems);
                    restored += 1;
                }
                sync_parent(target);
            }
        }
    }
    // Created directories, deepest first; one that is not empty is someone else's now.
    for dir in dirs {
        if fs::remove_dir(&dir).is_ok() {
            sync_parent(&dir);
        }
    }
    if problems.is_empty() {
        Ok(restored)
    } else {
        Err(problems)
    }
}

/// Finish a committed run: remove the backups and any temporary file left.
pub fn finish(records: &[Record]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for record in records {
        match record {
            Record::Replace { temp, backup, .. } => {
                remove_if_present(temp, &mut problems);
                remove_if_present(backup, &mut problems);
            }
            Record::Remove { backup, .. } => remove_if_present(backup, &mut problems),
            Record::Create { temp, .. } => remove_if_present(temp, &mut problems),
            Record::Journal(_) | Record::Dir(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Recover the run whose journal is at `path`, if there is one: undo it (or finish it when it
/// was committed), then remove every copy of its journal. Returns what was done, for stderr.
pub fn recover_at(path: &Path) -> anyhow::Result<Option<String>> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot read the journal `{}`", path.display()));
        }
    };
    let journal = parse(&text).with_context(|| {
        format!(
            "`{}` is not a journal this version can read; move it away after checking the files it names",
            path.display()
        )
    })?;
    let mut journals: Vec<PathBuf> = journal
        .records
        .iter()
        .filter_map(|record| match record {
            Record::Journal(path) => Some(path.clone()),
            _ => None,
        })
        .collect();
    if !journals.iter().any(|journal| journal == path) {
        journals.push(path.to_owned());
    }
    let message = if journal.committed {
        finish(&journal.records).map_err(|problems| {
            anyhow::anyhow!(
                "cannot finish the interrupted apply recorded in `{}`:\n  {}",
                path.display(),
                problems.join("\n  ")
            )
        })?;
        "an interrupted `apply` had written every file; removed its backups".to_owned()
    } else {
        let restored = undo(&journal.records).map_err(|problems| {
            anyhow::anyhow!(
                "cannot undo the interrupted apply recorded in `{}` (it is kept; fix this and run `wsgi-migrate recover`):\n  {}",
                path.display(),
                problems.join("\n  ")
            )
        })?;
        format!(
            "an interrupted `apply` was rolled back ({} undone), its temporary files and backups removed",
            crate::report::render::count(restored, "file change")
        )
    };
    remove(&journals)?;
    Ok(Some(format!("{message} (journal `{}`)", path.display())))
}

/// Recover every interrupted `apply` whose journal belongs to one of `roots` (see
/// [`location`]), before anything reads the trees. With `locked`, the caller already holds the
/// trees' locks ([`crate::effects::workspace::lock_trees`]); otherwise they are taken, only when a
/// journal is found, so that a journal of an `apply` still running is waited for, not undone.
/// Returns one message per recovered run.
pub fn recover_roots(roots: &[PathBuf], locked: bool) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for root in roots {
        let Ok(location) = location(root) else {
            continue;
        };
        if location.exists() && !found.contains(&location) {
            found.push(location);
        }
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let _locks = if locked {
        Vec::new()
    } else {
        let dirs: Vec<PathBuf> = roots.iter().filter(|root| root.is_dir()).cloned().collect();
        crate::effects::workspace::lock_trees(&dirs)?
    };
    let mut messages = Vec::new();
    for location in found {
        messages.extend(recover_at(&location)?);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_with_any_path() {
        let records = vec![
            Record::Journal(PathBuf::from("/r/.git/wsgi-migrate-journal")),
            Record::Dir(PathBuf::from("/r/a b/%x")),
            Record::Create {
                target: PathBuf::from("/r/a b/%x/api.py"),
                temp: PathBuf::from(OsStr::from_bytes(b"/r/\xff\n.tmp")),
                hash: hash(b"x"),
            },
            Record::Replace {
                target: PathBuf::from("/r/setup.cfg"),
                temp: PathBuf::from("/r/.setup.cfg.t"),
                backup: PathBuf::from("/r/.setup.cfg.b"),
            },
            Record::Remove {
                path: PathBuf::from("/r/wsgi.py"),
                backup: PathBuf::from("/r/.wsgi.py.b"),
            },
        ];
        let text = render(&records);
        assert_eq!(text.lines().count(), records.len() + 2, "{text}");
        let journal = parse(&text).unwrap();
        assert_eq!(journal.records, records);
        assert!(journal.complete && !journal.committed);
        let committed = parse(&format!("{text}committed\n")).unwrap();
        assert!(committed.committed);
    }

    #[test]
    fn a_journal_cut_short_is_incomplete_and_keeps_its_whole_lines() {
        let text = render(&[Record::Dir(PathBuf::from("/r/a"))]);
        let cut = &text[..text.len() - 2];
        let journal = parse(cut).unwrap();
        assert!(!journal.complete);
        assert_eq!(journal.records, vec![Record::Dir(PathBuf::from("/r/a"))]);
        assert!(parse("something else\n").is_err());
        assert!(parse(&format!("{HEADER}\nreplace relative x y\n")).is_err());
    }

    #[test]
    fn undo_puts_back_what_was_done_at_any_point() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let target = root.join("setup.cfg");
        let backup = root.join(".setup.cfg.backup");
        let temp = root.join(".setup.cfg.tmp");
        let created = root.join("new/api.py");
        fs::write(&target, "before\n").unwrap();
        // The backup is linked and the new content renamed into place; a creation is done.
        fs::hard_link(&target, &backup).unwrap();
        fs::write(&temp, "after\n").unwrap();
        fs::rename(&temp, &target).unwrap();
        fs::create_dir(root.join("new")).unwrap();
        fs::write(&created, "module\n").unwrap();
        let records = vec![
            Record::Dir(root.join("new")),
            Record::Replace {
                target: target.clone(),
                temp: temp.clone(),
                backup: backup.clone(),
            },
            Record::Create {
                target: created.clone(),
                temp: root.join("new/.api.py.tmp"),
                hash: hash(b"module\n"),
            },
        ];
        assert_eq!(undo(&records), Ok(2));
        assert_eq!(fs::read_to_string(&target).unwrap(), "before\n");
        assert!(!backup.exists() && !temp.exists() && !root.join("new").exists());
        // Undoing again changes nothing.
        assert_eq!(undo(&records), Ok(0));
        assert_eq!(fs::read_to_string(&target).unwrap(), "before\n");
    }

    #[test]
    fn undo_between_the_backup_and_the_rename_keeps_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("setup.cfg");
        let backup = dir.path().join(".setup.cfg.backup");
        fs::write(&target, "before\n").unwrap();
        fs::hard_link(&target, &backup).unwrap();
        let records = vec![Record::Replace {
            target: target.clone(),
            temp: dir.path().join(".setup.cfg.tmp"),
            backup: backup.clone(),
        }];
        assert!(undo(&records).is_ok());
        assert_eq!(fs::read_to_string(&target).unwrap(), "before\n");
        assert!(!backup.exists());
    }

    #[test]
    fn a_created_file_someone_else_changed_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("api.py");
        fs::write(&target, "not what we wrote\n").unwrap();
        let records = vec![Record::Create {
            target: target.clone(),
            temp: dir.path().join(".api.py.tmp"),
            hash: hash(b"ours\n"),
        }];
        assert_eq!(undo(&records), Ok(0));
        assert!(target.exists());
    }
}
