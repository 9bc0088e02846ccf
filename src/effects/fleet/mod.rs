//! `wsgi-migrate fleet`: migrate many repositories in one run, one review per repository.
//!
//! A run has four steps:
//! 1. **Inspect and open** each repository (in parallel, `--jobs`): bare ones, ones in the
//!    middle of a merge or rebase, and dirty ones are skipped; the files are listed and each
//!    repository's own scripts (declared, or already generated) are read.
//! 2. **One map, then plan** (in parallel): the scripts of every repository form one map, given
//!    to every repository's plan as `--map` entries would be, so a deployment repository is
//!    rewritten to the module the service repository in the same run chooses. This is what
//!    `plan::build_all` does for several PATHs, split so that each plan can be built alone.
//!    A repository whose plan fails writes no module, so the others are planned again without
//!    its scripts.
//! 3. **Commit**, one repository after another: branch `--topic` and one commit, exactly as
//!    `apply --topic` makes them ([`crate::effects::commit`]).
//! 4. **Push** (`--push`), `--batch` repositories at a time with `--sleep` seconds between.
//!
//! What a run leaves behind (the topic branch and its commit, the recorded base branch and the
//! push record, see [`git`]) is what the next run reads: a second run, or one after a kill,
//! finishes what is left and repeats nothing. One repository's failure is reported and the others
//! go on.

mod git;
mod report;

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use crate::dialect::{Action, AppTarget};
use crate::effects::commit;
use crate::effects::workspace::{self, Workspace};
use crate::plan::{self, EntryStatus, FileChange, Options, Plan};
use crate::report::render::{self, Paths, Style};
use crate::script_map::MapSource;

pub use report::{Outcome, PushStatus, Pushed, Row};

/// `wsgi-migrate fleet` flags.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Git work trees to migrate.
    #[arg(value_name = "REPO")]
    pub repos: Vec<PathBuf>,
    /// A file listing more repositories, one path per line (blank lines and `#` comments
    /// ignored; relative paths are relative to FILE).
    #[arg(long = "repos", value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
    /// Choose the module for a script: SERVER or PACKAGE.wsgi.SERVER (repeatable).
    #[arg(long = "name", value_name = "SCRIPT=MODULE", value_parser = crate::script_map::parse_name_flag)]
    pub names: Vec<(String, String)>,
    /// Read script-to-module mappings from a TOML `[scripts]` table (repeatable).
    #[arg(long = "map", value_name = "FILE")]
    pub map_files: Vec<PathBuf>,
    /// Keep the wsgi_scripts entry points for a cycle of overlap.
    #[arg(long)]
    pub keep_entry_points: bool,
    /// Give each generated module PBR's development server under `python -m MODULE`.
    #[arg(long)]
    pub dev_server: bool,
    /// Print what would happen to each repository; write, commit and push nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run, also print each repository's diff.
    #[arg(long, requires = "dry_run")]
    pub diff: bool,
    /// The branch (and Gerrit topic) of each repository's change.
    #[arg(long, value_name = "TOPIC", default_value = "remove-wsgi_scripts")]
    pub topic: String,
    /// Migrate repositories with uncommitted changes too.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Add a Signed-off-by trailer to each commit.
    #[arg(long)]
    pub signoff: bool,
    /// Do not write reno release notes.
    #[arg(long)]
    pub no_release_note: bool,
    /// Push each repository's commit: to refs/for/<branch>%topic=<topic> when it has a
    /// .gitreview, otherwise to the topic branch.
    #[arg(long)]
    pub push: bool,
    /// The remote to push to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// Push N repositories, then wait --sleep seconds before the next N.
    #[arg(long, value_name = "N", requires = "push", value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: Option<u64>,
    /// Seconds to wait between two batches of pushes.
    #[arg(long, value_name = "S", requires = "batch", default_value_t = 0)]
    pub sleep: u64,
    /// How many repositories to open and plan at once (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = FleetFormat::Text)]
    pub format: FleetFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FleetFormat {
    Text,
    Json,
}

/// One repository of the fleet, as the user named it.
struct Member {
    shown: String,
    /// Canonical, or the path as given when it cannot be resolved (it then fails to open).
    root: PathBuf,
    /// Why it cannot even be opened.
    missing: Option<String>,
}

/// A repository opened and ready to plan.
struct Opened {
    inspection: git::Inspection,
    workspace: Workspace,
    /// Scripts it generated modules for earlier, and scripts it declares.
    generated: Vec<(String, AppTarget)>,
    declared: Vec<(String, AppTarget)>,
}

/// What a repository's plan says to do.
enum Decision {
    Migrate,
    Done(Outcome, Option<git2::Oid>),
    Refused(Outcome, String),
}

/// Run `fleet`: the summary goes to `out`; progress and waits between batches to stderr.
/// Returns the exit code: 0 when every repository succeeded or had nothing to do, 1 when any
/// failed. Usage errors are `Err`.
pub fn run(args: &FleetArgs, style: Style, out: &mut String) -> anyhow::Result<u8> {
    if !git2::Branch::name_is_valid(&args.topic).unwrap_or(false) {
        bail!("--topic `{}` is not a valid branch name", args.topic);
    }
    let members = members(args)?;
    let options = options(args)?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        |jobs| usize::try_from(jobs).unwrap_or(1),
    );
    let progress = Progress::new(members.len());

    // Held from planning to committing, so that an `apply` or another fleet run on the same
    // repository waits; taken in one order, so that two runs cannot deadlock.
    let mut _locks = Vec::new();
    if !args.dry_run {
        let mut roots: Vec<&Path> = members
            .iter()
            .filter(|member| member.missing.is_none())
            .map(|member| member.root.as_path())
            .collect();
        roots.sort();
        for root in roots {
            if let Ok(lock) = workspace::lock(root) {
                _locks.push(lock);
            }
        }
    }

    progress.phase("opening");
    let opened: Vec<Result<Opened, (Outcome, String)>> = parallel(&members, jobs, |member| {
        progress.start(&member.shown);
        let result = open(member, args, &options);
        progress.done();
        result
    });

    progress.phase("planning");
    let mut plans = plan_fleet(&members, &opened, &options, &[], jobs, &progress);
    // A repository whose plan fails writes nothing, so the modules it declares will not exist:
    // the others are planned again without them.
    let failing: Vec<usize> = plans
        .iter()
        .enumerate()
        .filter(|(index, plan)| {
            plan.as_ref().is_some_and(Plan::has_errors)
                && opened[*index]
                    .as_ref()
                    .is_ok_and(|opened| !opened.declared.is_empty())
        })
        .map(|(index, _)| index)
        .collect();
    if !failing.is_empty() {
        progress.phase("replanning");
        plans = plan_fleet(&members, &opened, &options, &failing, jobs, &progress);
    }

    let mut rows: Vec<Row> = Vec::new();
    let mut diffs: Vec<Option<String>> = Vec::new();
    progress.phase(if args.dry_run {
        "checking"
    } else {
        "committing"
    });
    let mut committed = 0;
    for (index, member) in members.iter().enumerate() {
        progress.start(&member.shown);
        let mut row = Row::new(&member.shown);
        let mut diff = None;
        match (&opened[index], &plans[index]) {
            (Err((outcome, reason)), _) => row.refuse(*outcome, reason.clone()),
            (Ok(opened), Some(plan)) => {
                row.count(plan);
                match decide(opened, plan, &args.topic, args.allow_dirty) {
                    Decision::Refused(outcome, reason) => row.refuse(outcome, reason),
                    Decision::Done(outcome, tip) => {
                        row.outcome = outcome;
                        if let Some(tip) = tip {
                            row.branch = Some(args.topic.clone());
                            row.commit = Some(tip.to_string());
                            row.change_id = git::change_id_of(&opened.inspection.workdir, tip)
                                .ok()
                                .flatten();
                        }
                    }
                    Decision::Migrate if args.dry_run => {
                        row.outcome = Outcome::Migrate;
                        row.writes = true;
                        if args.diff {
                            diff = Some(render::diff(
                                plan,
                                Paths {
                                    prefix: &member.shown,
                                },
                            ));
                        }
                    }
                    Decision::Migrate => {
                        migrate(member, opened, plan, args, &mut row);
                        if row.outcome == Outcome::Migrated {
                            committed += 1;
                            crash_point(committed);
                        }
                    }
                }
            }
            (Ok(_), None) => row.refuse(Outcome::Error, "not planned".to_owned()),
        }
        progress.done();
        rows.push(row);
        diffs.push(diff);
    }

    if args.push && !args.dry_run {
        push_all(&members, &opened, &mut rows, args, &progress);
    }
    progress.finish();

    let failed = rows.iter().any(|row| row.outcome == Outcome::Error);
    match args.format {
        FleetFormat::Json => {
            let diffs: Vec<Option<&str>> = diffs.iter().map(Option::as_deref).collect();
            out.push_str(&report::json(&rows, &diffs, args.dry_run, &args.topic));
            out.push('\n');
        }
        FleetFormat::Text => {
            for diff in diffs.iter().flatten() {
                out.push_str(&render::color_diff(diff, style));
            }
            out.push_str(&report::table(&rows, args.dry_run));
        }
    }
    Ok(u8::from(failed))
}

/// Plan every opened repository with one map for the fleet, assembled as `build_all` assembles
/// it: generated modules first, then the declared scripts (except those of `excluded`
/// repositories), then the user's map files.
fn plan_fleet(
    members: &[Member],
    opened: &[Result<Opened, (Outcome, String)>],
    options: &Options,
    excluded: &[usize],
    jobs: usize,
    progress: &Progress,
) -> Vec<Option<Plan>> {
    let mut map: BTreeMap<String, AppTarget> = BTreeMap::new();
    for opened in opened.iter().flatten() {
        map.extend(opened.generated.iter().cloned());
    }
    for (index, opened) in opened.iter().enumerate() {
        if let (Ok(opened), false) = (opened, excluded.contains(&index)) {
            map.extend(opened.declared.iter().cloned());
        }
    }
    map.extend(options.map.clone());
    let fleet_options = Options {
        map,
        ..options.clone()
    };
    let indices: Vec<usize> = (0..members.len()).collect();
    parallel(&indices, jobs, |&index| {
        progress.start(&members[index].shown);
        let plan = opened[index]
            .as_ref()
            .ok()
            .map(|opened| plan::build(&opened.workspace, &fleet_options));
        progress.done();
        plan
    })
}

/// The repositories named on the command line and in `--repos FILE`, in that order. A path given
/// twice, or inside another given path, is a usage error.
fn members(args: &FleetArgs) -> anyhow::Result<Vec<Member>> {
    let mut paths: Vec<PathBuf> = args.repos.clone();
    if let Some(file) = &args.repos_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read `{}`", file.display()))?;
        paths.extend(repository_list(
            &text,
            file.parent().unwrap_or(Path::new("")),
        ));
    }
    if paths.is_empty() {
        bail!("name the repositories to migrate: `wsgi-migrate fleet REPO...` or `--repos FILE`");
    }
    let members: Vec<Member> = paths
        .iter()
        .map(|path| match path.canonicalize() {
            Ok(root) => Member {
                shown: path.display().to_string(),
                root,
                missing: None,
            },
            Err(error) => Member {
                shown: path.display().to_string(),
                root: path.clone(),
                missing: Some(format!("cannot open `{}`: {error}", path.display())),
            },
        })
        .collect();
    for (index, member) in members.iter().enumerate() {
        for other in &members[..index] {
            if member.missing.is_some() || other.missing.is_some() {
                continue;
            }
            if member.root == other.root {
                bail!("`{}` is given twice (as `{}`)", member.shown, other.shown);
            }
            if member.root.starts_with(&other.root) || other.root.starts_with(&member.root) {
                bail!(
                    "`{}` and `{}` are inside one another: give each repository once",
                    other.shown,
                    member.shown
                );
            }
        }
    }
    Ok(members)
}

/// The paths a `--repos` file lists, relative ones joined to `base`.
fn repository_list(text: &str, base: &Path) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| base.join(line))
        .collect()
}

fn options(args: &FleetArgs) -> anyhow::Result<Options> {
    let map = crate::effects::workspace::read_map_files(&args.map_files)?;
    Ok(Options {
        names: args.names.iter().cloned().collect(),
        map,
        keep_entry_points: args.keep_entry_points,
        dev_server: args.dev_server,
        release_notes: if args.no_release_note {
            plan::ReleaseNotes::Off
        } else {
            plan::ReleaseNotes::Combined
        },
    })
}

/// Inspect the repository, list its files and read its own scripts.
fn open(member: &Member, args: &FleetArgs, options: &Options) -> Result<Opened, (Outcome, String)> {
    if let Some(missing) = &member.missing {
        return Err((Outcome::Error, missing.clone()));
    }
    let inspection = git::inspect(&member.root, &args.topic, args.allow_dirty).map_err(
        |refusal| match refusal {
            git::Refusal::Skipped(why) => (Outcome::Skipped, why),
            git::Refusal::Failed(why) => (Outcome::Error, why),
        },
    )?;
    let workspace =
        Workspace::open(&member.root).map_err(|error| (Outcome::Error, format!("{error:#}")))?;
    let (builder, _) = plan::script_map(&[&workspace as &dyn plan::Source], options);
    let mut generated = Vec::new();
    let mut declared = Vec::new();
    for (script, entry) in builder.entries() {
        match entry.source {
            MapSource::Generated => generated.push((script.clone(), entry.target.clone())),
            MapSource::Declared => declared.push((script.clone(), entry.target.clone())),
            _ => {}
        }
    }
    Ok(Opened {
        inspection,
        workspace,
        generated,
        declared,
    })
}

/// What to do with a planned repository, from its plan and its topic branch.
fn decide(opened: &Opened, plan: &Plan, topic: &str, allow_dirty: bool) -> Decision {
    if let Some(error) = plan
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.severity == crate::diagnostic::Severity::Error)
    {
        let location = match error.line {
            Some(line) => format!("{}:{line}", error.file),
            None => error.file.clone(),
        };
        return Decision::Refused(Outcome::Error, format!("{location}: {}", error.message));
    }
    match opened.inspection.topic {
        // The migration is committed beside the checked-out branch: the work tree is the
        // unmigrated one, so its plan says nothing about what is left.
        git::TopicState::MigratedBeside { tip } => {
            return Decision::Done(Outcome::AlreadyMigrated, Some(tip));
        }
        git::TopicState::Migrated { tip } if plan.changes.is_empty() => {
            return Decision::Done(Outcome::AlreadyMigrated, Some(tip));
        }
        git::TopicState::Stale if !plan.changes.is_empty() => {
            return Decision::Refused(
                Outcome::Error,
                format!(
                    "branch `{topic}` holds a migration made on another commit than HEAD: rebase it onto HEAD or delete it"
                ),
            );
        }
        git::TopicState::Elsewhere if !plan.changes.is_empty() => {
            return Decision::Refused(
                Outcome::Error,
                format!(
                    "branch `{topic}` already exists and is not this migration's: delete or rename it, or choose another --topic"
                ),
            );
        }
        _ => {}
    }
    if plan.changes.is_empty() {
        let migrated = plan
            .entry_points
            .iter()
            .any(|entry| entry.status == EntryStatus::Exists)
            || !plan::exposed_modules(&opened.workspace, plan).is_empty();
        let outcome = if migrated {
            Outcome::AlreadyMigrated
        } else {
            Outcome::NothingToDo
        };
        return Decision::Done(outcome, None);
    }
    if !allow_dirty {
        // Untracked files the plan would overwrite (tracked changes were refused earlier).
        let touched: Vec<String> = plan
            .changes
            .iter()
            .map(|change| change.path().to_owned())
            .collect();
        if let Ok(Some(repo)) = crate::effects::git::Repo::discover(opened.workspace.root())
            && let Ok(prefix) = repo.relative(opened.workspace.root())
        {
            let touched: Vec<String> = touched
                .iter()
                .map(|path| plan::join(&prefix, path))
                .collect();
            if let Ok(dirty) = repo.dirty_files(&touched)
                && !dirty.is_empty()
            {
                let files: Vec<&str> = dirty.iter().map(|file| file.path.as_str()).collect();
                return Decision::Refused(
                    Outcome::Skipped,
                    format!("uncommitted changes ({})", files.join(", ")),
                );
            }
        }
    }
    Decision::Migrate
}

/// Write and commit one repository's plan on its topic branch, as `apply --topic` does.
fn migrate(member: &Member, opened: &Opened, plan: &Plan, args: &FleetArgs, row: &mut Row) {
    let workdir = &opened.inspection.workdir;
    if let Some(base) = &opened.inspection.head_branch
        && base != &args.topic
        && let Err(error) = git::record_base(workdir, &args.topic, base)
    {
        row.refuse(Outcome::Error, format!("{error:#}"));
        return;
    }
    let request = commit::Request {
        allow_dirty: args.allow_dirty,
        commit: false,
        topic: Some(args.topic.clone()),
        signoff: args.signoff,
        message: None,
        split: false,
    };
    let target = commit::Target {
        root: &member.root,
        plan,
    };
    match commit::apply_and_commit(&[target], &request) {
        Ok(Ok(_)) => match git::topic_commit(workdir, &args.topic) {
            Ok((tip, change_id)) => {
                row.outcome = Outcome::Migrated;
                row.writes = true;
                row.branch = Some(args.topic.clone());
                row.commit = Some(tip.to_string());
                row.change_id = change_id;
            }
            Err(error) => row.refuse(Outcome::Error, format!("{error:#}")),
        },
        Ok(Err(dirty)) => row.refuse(
            Outcome::Skipped,
            format!("uncommitted changes ({})", dirty.files.join(", ")),
        ),
        Err(error) => row.refuse(Outcome::Error, format!("{error:#}")),
    }
}

/// Push every committed migration that the remote does not have yet, in batches.
fn push_all(
    members: &[Member],
    opened: &[Result<Opened, (Outcome, String)>],
    rows: &mut [Row],
    args: &FleetArgs,
    progress: &Progress,
) {
    let mut pending: Vec<(usize, git::Destination, git2::Oid)> = Vec::new();
    for (index, row) in rows.iter_mut().enumerate() {
        let (Ok(opened), Some(commit)) = (&opened[index], &row.commit) else {
            continue;
        };
        if row.outcome == Outcome::Error {
            continue;
        }
        let Ok(tip) = git2::Oid::from_str(commit) else {
            continue;
        };
        let workdir = &opened.inspection.workdir;
        let checked =
            git::destination(workdir, tip, &args.topic, &args.remote).and_then(|destination| {
                git::already_pushed(workdir, tip, &args.topic, &destination)
                    .map(|pushed| (destination, pushed))
            });
        match checked {
            Ok((destination, true)) => {
                row.pushed = Some(Pushed {
                    remote: destination.remote,
                    refname: destination.refname,
                    status: PushStatus::AlreadyPushed,
                    batch: None,
                });
            }
            Ok((destination, false)) => pending.push((index, destination, tip)),
            Err(error) => row.refuse(Outcome::Error, format!("{error:#}")),
        }
    }
    let batches = schedule(pending.len(), args.batch);
    progress.phase("pushing");
    progress.reset(pending.len());
    for (number, batch) in batches.iter().enumerate() {
        for (index, destination, tip) in &pending[batch.clone()] {
            let row = &mut rows[*index];
            let Ok(opened) = &opened[*index] else {
                continue;
            };
            progress.start(&members[*index].shown);
            match git::push(&opened.inspection.workdir, *tip, &args.topic, destination) {
                Ok(()) => {
                    row.pushed = Some(Pushed {
                        remote: destination.remote.clone(),
                        refname: destination.refname.clone(),
                        status: PushStatus::Pushed,
                        batch: Some(number + 1),
                    });
                }
                Err(error) => row.refuse(Outcome::Error, format!("{error:#}")),
            }
            progress.done();
        }
        if number + 1 < batches.len() {
            progress.suspend(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "wsgi-migrate: pushed batch {} of {} ({}); waiting {} s",
                    number + 1,
                    batches.len(),
                    report::repositories(batch.len()),
                    args.sleep
                );
            });
            std::thread::sleep(std::time::Duration::from_secs(args.sleep));
        }
    }
}

/// The batches `count` pushes go in, `batch` at a time (all at once without `--batch`).
fn schedule(count: usize, batch: Option<u64>) -> Vec<Range<usize>> {
    let size = batch
        .and_then(|batch| usize::try_from(batch).ok())
        .filter(|&size| size > 0)
        .unwrap_or(count.max(1));
    (0..count)
        .step_by(size)
        .map(|start| start..(start + size).min(count))
        .collect()
}

/// Kill the process after `committed` repositories when the tests ask for it, to prove that a
/// run killed half-way finishes on the next run. Debug builds only.
#[cfg(debug_assertions)]
fn crash_point(committed: usize) {
    let wanted = std::env::var("WSGI_MIGRATE_FLEET_KILL_AFTER")
        .ok()
        .and_then(|value| value.parse::<usize>().ok());
    if wanted == Some(committed) {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}

#[cfg(not(debug_assertions))]
fn crash_point(_committed: usize) {}

/// `f` over `items` with at most `jobs` threads, results in the order of `items`.
fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = f(item);
                    if let Ok(mut results) = results.lock() {
                        results[index] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}

/// The progress bar: on stderr when it is a terminal, otherwise nothing.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new(len: usize) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(len as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Progress { bar }
    }

    fn phase(&self, name: &'static str) {
        self.bar.set_prefix(name);
        self.bar.set_position(0);
    }

    fn reset(&self, len: usize) {
        self.bar.set_length(len as u64);
        self.bar.set_position(0);
    }

    /// `repository` is the one being worked on.
    fn start(&self, repository: &str) {
        self.bar.set_message(repository.to_owned());
    }

    fn done(&self) {
        self.bar.inc(1);
    }

    fn suspend(&self, f: impl FnOnce()) {
        self.bar.suspend(f);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// What one plan counts for the summary.
fn counts(plan: &Plan) -> (usize, usize, usize, usize) {
    let entry_points = plan
        .entry_points
        .iter()
        .filter(|entry| entry.status != EntryStatus::Exists || entry.remove)
        .count();
    let modules = plan
        .changes
        .iter()
        .filter(|change| {
            matches!(change, FileChange::Create { path, .. }
                if plan.entry_points.iter().any(|entry| entry.path.as_deref() == Some(path.as_str())))
        })
        .count();
    let manual = plan
        .references
        .iter()
        .filter(|reference| reference.action == Action::Manual)
        .count();
    (entry_points, modules, plan.changes.len(), manual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_go_in_batches_of_n_in_order() {
        assert_eq!(schedule(5, Some(2)), vec![0..2, 2..4, 4..5]);
        assert_eq!(schedule(4, Some(2)), vec![0..2, 2..4]);
        assert_eq!(schedule(3, None), vec![0..3]);
        assert_eq!(schedule(3, Some(10)), vec![0..3]);
        assert!(schedule(0, Some(2)).is_empty());
        assert!(schedule(0, None).is_empty());
    }

    #[test]
    fn repository_lists_skip_comments_and_blank_lines() {
        let listed = repository_list(
            "# services\nnova\n\n  /srv/devstack  \n# done\n",
            Path::new("/fleet"),
        );
        assert_eq!(
            listed,
            vec![PathBuf::from("/fleet/nova"), PathBuf::from("/srv/devstack")]
        );
    }

    #[test]
    fn parallel_keeps_the_order_of_its_items() {
        let items: Vec<usize> = (0..50).collect();
        assert_eq!(
            parallel(&items, 4, |item| item * 2),
            (0..50).map(|item| item * 2).collect::<Vec<_>>()
        );
        assert_eq!(parallel(&items, 1, |item| *item), items);
    }
}
