//! The command line: parsing flags, building the plan for each PATH, printing the view each
//! command asks for, and mapping the outcome to an exit code.
//!
//! Exit codes: `scan` 0, or 2 on a usage or input error; `apply` 0 when done, 2 on any error
//! (nothing is written then), 3 when written but not committed, 128 + N when stopped by signal
//! N; `check` 0 when nothing is left to migrate, 1 when something is, 2 on an error.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commit;
use crate::dialect::Action;
use crate::plan::{self, EntryStatus, FileChange, Options, Plan};
use crate::render::{self, Paths, Style};
use crate::script_map::{self, MapEntry, MapSource};
use crate::verify;
use crate::workspace::{self, Workspace};

#[derive(Debug, Parser)]
#[command(
    name = "wsgi-migrate",
    version,
    about = "Migrate PBR wsgi_scripts to <package>.wsgi.<server> modules, and every config that points at the scripts"
)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the wsgi_scripts entry points and every reference to the scripts; change nothing.
    Scan {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Generate the modules, remove the entry points and rewrite the references.
    Apply {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        apply: ApplyArgs,
    },
    /// Exit 1 while anything is left to migrate, listing it as FILE:LINE: message.
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// Import every module the project exposes and check its `application`; optionally serve it.
    Verify {
        /// The project (or tree of projects) to verify.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// The Python interpreter to import the modules with.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Also serve each module with this server on a unix socket and send it a GET.
        #[arg(long, value_enum)]
        serve: Option<ServeWith>,
        /// With `--serve uwsgi`, start uWSGI from this ini file (a rewritten config).
        #[arg(long, value_name = "INI", requires = "serve")]
        config: Option<PathBuf>,
        /// With `--serve`, the path of the GET request [default: /].
        #[arg(long = "path", value_name = "PATH", requires = "serve")]
        request_path: Option<String>,
        /// The time limit of each step: an import [default: 120], a server's answer [default: 30].
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
        timeout: Option<u64>,
    },
    /// Undo an `apply` that was interrupted (killed, crashed, power cut), from its journal.
    Recover {
        /// Repositories or directories an `apply` was writing.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
    },
    /// Print the script-to-module map the other commands use, as TOML for --map or as JSON.
    Map {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = MapFormat::Toml)]
        format: MapFormat,
        /// Leave out scripts known only from the built-in registry.
        #[arg(long)]
        no_registry: bool,
    },
    /// Migrate many repositories in one run: one map, one branch and commit per repository,
    /// optionally pushed for review.
    Fleet(crate::fleet::FleetArgs),
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Print the unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print only the summary line (and errors).
    #[arg(long, short)]
    pub quiet: bool,
    /// Write even when the git work tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Commit the changes on the current branch (with a Gerrit Change-Id).
    #[arg(long)]
    pub commit: bool,
    /// Switch to branch TOPIC (created at HEAD if missing) and commit there, for `git review -t TOPIC`.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Add a Signed-off-by trailer to the commit.
    #[arg(long)]
    pub signoff: bool,
    /// Use this commit message instead of the generated one.
    #[arg(long, value_name = "FILE")]
    pub message_file: Option<PathBuf>,
    /// Make two commits, as upstream did: add the modules, then remove the entry points.
    #[arg(long)]
    pub split: bool,
    /// Do not write a reno release note.
    #[arg(long)]
    pub no_release_note: bool,
    /// Behave as a pre-commit hook: allow a dirty tree, print little, and exit 1 whenever
    /// anything was written (pre-commit does not notice files a hook creates).
    #[arg(long)]
    pub pre_commit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServeWith {
    Gunicorn,
    Uwsgi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapFormat {
    Toml,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Repositories or directories to work on.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Choose the module for a script: SERVER or PACKAGE.wsgi.SERVER (repeatable).
    #[arg(long = "name", value_name = "SCRIPT=MODULE", value_parser = parse_name_flag)]
    pub names: Vec<(String, String)>,
    /// Keep the wsgi_scripts entry points for a cycle of overlap.
    #[arg(long)]
    pub keep_entry_points: bool,
    /// Give each generated module PBR's development server under `python -m MODULE`.
    #[arg(long)]
    pub dev_server: bool,
    /// Read script-to-module mappings from a TOML file with a `[scripts]` table of
    /// `script = "module:attribute"` (repeatable; later files win).
    #[arg(long = "map", value_name = "FILE")]
    pub map_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn parse_name_flag(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((script, module)) if !script.is_empty() && !module.is_empty() => {
            Ok((script.to_owned(), module.to_owned()))
        }
        _ => Err(format!("`{value}` is not SCRIPT=MODULE")),
    }
}

/// Parse the command line, run it, and return the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = Style {
        color: use_color(cli.color),
    };
    match run(&cli, style) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "wsgi-migrate: error: {error:#}");
            // Stopped by a signal: 128 + its number; written but not committed: 3.
            if let Some(interrupted) = error.downcast_ref::<crate::apply::Interrupted>() {
                ExitCode::from(interrupted.exit_code())
            } else if error.downcast_ref::<commit::NotCommitted>().is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// One scanned PATH with its plan.
struct Planned {
    root: PathBuf,
    /// How paths under this root are shown: empty for a single PATH.
    prefix: String,
    plan: Plan,
}

fn options(common: &Common, release_notes: plan::ReleaseNotes) -> anyhow::Result<Options> {
    let mut map = BTreeMap::new();
    for file in &common.map_files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read map file `{}`", file.display()))?;
        match script_map::parse_map_file(&text) {
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
    Ok(Options {
        names: common.names.iter().cloned().collect::<BTreeMap<_, _>>(),
        map,
        keep_entry_points: common.keep_entry_points,
        dev_server: common.dev_server,
        release_notes,
    })
}

fn workspaces(common: &Common) -> anyhow::Result<Vec<Workspace>> {
    // A tree given twice, or inside another given tree, would be planned (and written) twice.
    let roots: Vec<PathBuf> = common
        .paths
        .iter()
        .map(|root| {
            root.canonicalize()
                .with_context(|| format!("cannot open `{}`", root.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    for (index, root) in roots.iter().enumerate() {
        for (other_index, other) in roots.iter().enumerate() {
            if index != other_index && root.starts_with(other) {
                anyhow::bail!(
                    "`{}` is inside `{}`, which is also given: give each tree once",
                    common.paths[index].display(),
                    common.paths[other_index].display()
                );
            }
        }
    }
    common
        .paths
        .iter()
        .map(|root| Workspace::open(root))
        .collect()
}

fn plan_all(common: &Common, release_notes: plan::ReleaseNotes) -> anyhow::Result<Vec<Planned>> {
    let options = options(common, release_notes)?;
    let workspaces = workspaces(common)?;
    let sources: Vec<&dyn plan::Source> = workspaces
        .iter()
        .map(|workspace| workspace as &dyn plan::Source)
        .collect();
    let plans = plan::build_all(&sources, &options);
    let several = common.paths.len() > 1;
    Ok(common
        .paths
        .iter()
        .zip(plans)
        .map(|(root, plan)| {
            let prefix = if several {
                root.display().to_string()
            } else {
                String::new()
            };
            Planned {
                root: root.clone(),
                prefix,
                plan,
            }
        })
        .collect())
}

/// Undo any interrupted `apply` on `roots` before reading them, saying so on stderr.
fn recover(roots: &[PathBuf], locked: bool) -> anyhow::Result<usize> {
    let messages = crate::journal::recover_roots(roots, locked)?;
    let mut stderr = std::io::stderr().lock();
    for message in &messages {
        let _ = writeln!(stderr, "wsgi-migrate: recovered: {message}");
    }
    Ok(messages.len())
}

fn run(cli: &Cli, style: Style) -> anyhow::Result<u8> {
    let mut out = String::new();
    let mut err = String::new();
    // Any command first undoes an interrupted `apply` it finds (`apply` does it under its lock).
    match &cli.command {
        Command::Scan { common, .. } | Command::Map { common, .. } => {
            recover(&common.paths, false)?;
        }
        Command::Check { common } => {
            let roots = if common.paths.iter().any(|path| path.is_file()) {
                vec![PathBuf::from(".")]
            } else {
                common.paths.clone()
            };
            recover(&roots, false)?;
        }
        Command::Verify { project, .. } => {
            recover(std::slice::from_ref(project), false)?;
        }
        Command::Apply { common, apply } if apply.dry_run => {
            recover(&common.paths, false)?;
        }
        // Repositories a `--repos` file lists are not recovered here: one left half-written is
        // reported dirty and skipped.
        Command::Fleet(args) => {
            recover(&args.repos, false)?;
        }
        Command::Apply { .. } | Command::Recover { .. } => {}
    }
    let code = match &cli.command {
        Command::Recover { paths } => {
            if recover(paths, false)? == 0 {
                err.push_str("wsgi-migrate: nothing to recover\n");
            }
            0
        }
        Command::Scan { common, format } => {
            let planned = plan_all(common, plan::ReleaseNotes::Combined)?;
            match format {
                // One JSON document, whatever the number of PATHs, with paths shown as in text.
                Format::Json => {
                    let plans: Vec<(Paths<'_>, &Plan)> = planned
                        .iter()
                        .map(|item| {
                            (
                                Paths {
                                    prefix: &item.prefix,
                                },
                                &item.plan,
                            )
                        })
                        .collect();
                    out.push_str(&render::json_report(&plans));
                    out.push('\n');
                }
                Format::Text => {
                    for item in &planned {
                        out.push_str(&render::findings(
                            &item.plan,
                            Paths {
                                prefix: &item.prefix,
                            },
                            style,
                        ));
                        out.push_str(&render::summary(&item.plan));
                        out.push('\n');
                    }
                }
            }
            if planned.iter().any(|item| item.plan.has_errors()) {
                2
            } else {
                0
            }
        }
        Command::Apply { common, apply } => {
            let notes = if apply.no_release_note {
                plan::ReleaseNotes::Off
            } else if apply.split {
                plan::ReleaseNotes::Split
            } else {
                plan::ReleaseNotes::Combined
            };
            // Held from planning to writing, so that a concurrent run waits, then plans
            // from what this one wrote.
            let _locks = if apply.dry_run {
                Vec::new()
            } else {
                // The repository (or tree) of each root, and shared above it: nested roots
                // given to two runs are serialised too.
                let locks = workspace::lock_trees(&common.paths)?;
                recover(&common.paths, true)?;
                locks
            };
            let planned = plan_all(common, notes)?;
            let mut report = String::new();
            let code = apply_command(&planned, apply, style, &mut out, &mut report)?;
            // A dry run's stdout is only the diff, so that it can be piped to `git apply`.
            if apply.dry_run {
                err.push_str(&report)
            } else {
                out.push_str(&report)
            }
            code
        }
        Command::Verify {
            project,
            python,
            serve,
            config,
            request_path,
            timeout,
        } => verify_command(
            project,
            python,
            *serve,
            config.as_deref(),
            request_path.as_deref().unwrap_or("/"),
            timeout.map(std::time::Duration::from_secs),
            &mut out,
        )?,
        Command::Check { common } => {
            // pre-commit passes the changed files: plan the repository around them, then
            // report only what lies inside them.
            let files: Vec<&PathBuf> = common.paths.iter().filter(|path| path.is_file()).collect();
            let only = if files.is_empty() {
                None
            } else {
                if files.len() != common.paths.len() {
                    anyhow::bail!("give `check` either directories or files, not both");
                }
                Some(
                    files
                        .iter()
                        .map(|file| relative_to_cwd(file))
                        .collect::<anyhow::Result<BTreeSet<String>>>()?,
                )
            };
            let planned = if only.is_some() {
                let root = Common {
                    paths: vec![PathBuf::from(".")],
                    ..common.clone()
                };
                plan_all(&root, plan::ReleaseNotes::Combined)?
            } else {
                plan_all(common, plan::ReleaseNotes::Combined)?
            };
            check_command(&planned, only.as_ref(), &mut out)
        }
        Command::Map {
            common,
            format,
            no_registry,
        } => {
            let options = options(common, plan::ReleaseNotes::Combined)?;
            let workspaces = workspaces(common)?;
            let sources: Vec<&dyn plan::Source> = workspaces
                .iter()
                .map(|workspace| workspace as &dyn plan::Source)
                .collect();
            let (builder, diagnostics) = plan::script_map(&sources, &options);
            let entries: BTreeMap<String, MapEntry> = builder
                .entries()
                .iter()
                .filter(|(_, entry)| !(*no_registry && entry.source == MapSource::Registry))
                .map(|(script, entry)| (script.clone(), entry.clone()))
                .collect();
            out.push_str(&match format {
                MapFormat::Toml => script_map::to_toml(&entries),
                MapFormat::Json => script_map::to_json(&entries) + "\n",
            });
            let mut failed = false;
            for diagnostic in &diagnostics {
                failed |= diagnostic.severity == crate::diagnostic::Severity::Error;
                err.push_str(&format!(
                    "{}: {}: {}\n",
                    location("", &diagnostic.file, diagnostic.line),
                    diagnostic.severity,
                    diagnostic.message
                ));
            }
            if failed { 2 } else { 0 }
        }
        Command::Fleet(args) => crate::fleet::run(args, style, &mut out)?,
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    let _ = std::io::stderr().lock().write_all(err.as_bytes());
    Ok(code)
}

/// `apply`: the diff goes to `diff_out`, everything else to `report`.
fn apply_command(
    planned: &[Planned],
    args: &ApplyArgs,
    style: Style,
    diff_out: &mut String,
    report: &mut String,
) -> anyhow::Result<u8> {
    let quiet = args.quiet || args.pre_commit;
    let failed = planned.iter().any(|item| item.plan.has_errors());
    for item in planned {
        for diagnostic in &item.plan.diagnostics {
            if !quiet || failed {
                let location = location(&item.prefix, &diagnostic.file, diagnostic.line);
                report.push_str(&format!(
                    "{location}: {}: {}\n",
                    diagnostic.severity, diagnostic.message
                ));
            }
        }
    }
    if failed {
        report.push_str("wsgi-migrate: nothing written: fix the errors above and run again\n");
        return Ok(2);
    }
    if !quiet {
        for item in planned {
            diff_out.push_str(&render::color_diff(
                &render::diff(
                    &item.plan,
                    Paths {
                        prefix: &item.prefix,
                    },
                ),
                style,
            ));
        }
        for item in planned {
            for reference in item
                .plan
                .references
                .iter()
                .filter(|reference| reference.action == Action::Manual)
            {
                report.push_str(&format!(
                    "{}: manual: {}\n",
                    location(&item.prefix, &reference.file, Some(reference.line)),
                    reference.message
                ));
            }
        }
    }
    let changes: Vec<&FileChange> = planned
        .iter()
        .flat_map(|item| item.plan.changes.iter())
        .collect();
    let count = |predicate: fn(&FileChange) -> bool| {
        changes.iter().filter(|change| predicate(change)).count()
    };
    let (created, modified, renamed) = (
        count(|change| matches!(change, FileChange::Create { .. })),
        count(|change| matches!(change, FileChange::Modify { .. })),
        count(|change| matches!(change, FileChange::Rename { .. })),
    );
    let manual: usize = planned
        .iter()
        .map(|item| {
            item.plan
                .references
                .iter()
                .filter(|r| r.action == Action::Manual)
                .count()
        })
        .sum();
    let verb = if args.dry_run {
        "would change"
    } else {
        "changed"
    };
    let summary = format!(
        "wsgi-migrate: {verb} {} ({created} created, {modified} modified, {renamed} renamed); {} left for a person\n",
        render::count(changes.len(), "file"),
        render::count(manual, "reference"),
    );
    if args.dry_run {
        report.push_str(&summary);
        return Ok(0);
    }

    if (args.signoff || args.split || args.message_file.is_some())
        && !(args.commit || args.topic.is_some())
    {
        anyhow::bail!(
            "--signoff, --split and --message-file shape a commit: add --commit or --topic TOPIC"
        );
    }
    let message = match &args.message_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read `{}`", file.display()))?,
        ),
        None => None,
    };
    let request = commit::Request {
        allow_dirty: args.allow_dirty || args.pre_commit,
        commit: args.commit,
        topic: args.topic.clone(),
        signoff: args.signoff,
        message,
        split: args.split,
    };
    let targets: Vec<commit::Target<'_>> = planned
        .iter()
        .map(|item| commit::Target {
            root: &item.root,
            plan: &item.plan,
        })
        .collect();
    let outcome = match commit::apply_and_commit(&targets, &request)? {
        Ok(outcome) => outcome,
        // An error, so that it goes to stderr alone (the diff is not printed).
        Err(dirty) => anyhow::bail!(
            "the git work tree has uncommitted changes, and `apply` could overwrite or mix them into its own:\n{}\ncommit or stash them first, or pass --allow-dirty to write anyway",
            dirty
                .files
                .iter()
                .map(|file| format!("  {file}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    for note in &outcome.notes {
        report.push_str(&format!("wsgi-migrate: note: {note}\n"));
    }
    report.push_str(&summary);
    for (id, branch, subject) in &outcome.commits {
        report.push_str(&format!(
            "wsgi-migrate: committed {id} on {branch}: {subject}\n"
        ));
    }
    if !outcome.commits.is_empty() {
        match &args.topic {
            Some(topic) => report.push_str(&format!("next: git review -t {topic}\n")),
            None => report.push_str("next: git review\n"),
        }
    }
    // pre-commit only notices changes to tracked files, so a hook that created a module must
    // fail by itself for the user to look.
    Ok(if args.pre_commit && !changes.is_empty() {
        1
    } else {
        0
    })
}

/// `verify`: exit 0 when every exposed module imports and (with a server) answers, 1 otherwise.
fn verify_command(
    project: &std::path::Path,
    python: &str,
    serve: Option<ServeWith>,
    config: Option<&std::path::Path>,
    request_path: &str,
    timeout: Option<std::time::Duration>,
    out: &mut String,
) -> anyhow::Result<u8> {
    if config.is_some() && serve != Some(ServeWith::Uwsgi) {
        anyhow::bail!(
            "`--config` starts uWSGI from an ini file and has no effect without `--serve uwsgi`"
        );
    }
    // Servers start in the project directory and must not resolve a relative path from there.
    let project = &std::path::absolute(project)
        .with_context(|| format!("cannot resolve `{}`", project.display()))?;
    let workspace = Workspace::open(project)?;
    let options = Options {
        release_notes: plan::ReleaseNotes::Off,
        ..Options::default()
    };
    let plan = plan::build(&workspace, &options);
    let modules = plan::exposed_modules(&workspace, &plan);
    for entry in plan
        .entry_points
        .iter()
        .filter(|entry| entry.status == EntryStatus::Generate)
    {
        out.push_str(&format!(
            "{}:{}: `{}` has no module yet; `wsgi-migrate apply` generates `{}`\n",
            entry.file,
            entry.line,
            entry.script,
            entry.module.as_deref().unwrap_or_default()
        ));
    }
    if modules.is_empty() {
        anyhow::bail!(
            "`{}` exposes no WSGI module to verify (run `wsgi-migrate apply` first)",
            project.display()
        );
    }
    verify::handle_interrupts();
    let server = serve.map(|serve| match serve {
        ServeWith::Gunicorn => verify::Server::Gunicorn,
        ServeWith::Uwsgi => verify::Server::Uwsgi,
    });
    let report = |check: verify::Check, out: &mut String| {
        out.push_str(&format!(
            "{} {}: {}\n",
            if check.ok { "ok  " } else { "FAIL" },
            check.module,
            check.detail
        ));
        check.ok
    };
    let config =
        config.map(|config| std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf()));
    // The modules are imported from their project directory, so a relative interpreter path
    // must not be resolved from there.
    let python = if python.contains('/') {
        std::path::absolute(python)
            .map_or_else(|_| python.to_owned(), |path| path.display().to_string())
    } else {
        python.to_owned()
    };
    // A config file names one application; it is served once, as that module.
    let config_module = match &config {
        Some(config) => {
            let text = std::fs::read_to_string(config)
                .with_context(|| format!("cannot read `{}`", config.display()))?;
            Some(
                verify::config_module(&text)
                    .with_context(|| format!("`{}` sets no uWSGI `module`", config.display()))?,
            )
        }
        None => None,
    };
    let (mut passed, mut failed) = (0, 0);
    for exposed in &modules {
        let request = verify::Request {
            python: python.clone(),
            project: project.join(&exposed.import_dir),
            server,
            config: config.clone(),
            path: request_path.to_owned(),
            timeout,
        };
        if verify::interrupted() {
            out.push_str("wsgi-migrate: interrupted; the remaining modules were not checked\n");
            break;
        }
        let mut ok = report(verify::import_check(&request, &exposed.module)?, out);
        let serves_this = config_module
            .as_deref()
            .is_none_or(|module| module == exposed.module);
        if server.is_some() && ok && serves_this {
            ok = report(verify::serve_check(&request, &exposed.module)?, out);
        }
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    if let Some(module) =
        config_module.filter(|module| !modules.iter().any(|exposed| &exposed.module == module))
    {
        anyhow::bail!("the config serves `{module}`, which the project does not expose");
    }
    // Every module is counted once: passed, failed, or not checked after an interruption.
    let unchecked = modules.len() - passed - failed;
    out.push_str(&format!(
        "wsgi-migrate: {}: {passed} passed, {failed} failed{}\n",
        render::count(modules.len(), "module"),
        if unchecked > 0 {
            format!(", {unchecked} not checked")
        } else {
            String::new()
        }
    ));
    Ok(u8::from(failed + unchecked > 0))
}

/// `file` relative to the current directory, `/`-separated, as the plan names files.
fn relative_to_cwd(file: &std::path::Path) -> anyhow::Result<String> {
    let cwd = std::env::current_dir()?.canonicalize()?;
    let full = file
        .canonicalize()
        .with_context(|| format!("cannot open `{}`", file.display()))?;
    let relative = full.strip_prefix(&cwd).map_err(|_| {
        anyhow::anyhow!(
            "`{}` is outside the current directory, which `check FILE...` treats as the repository",
            file.display()
        )
    })?;
    workspace::relative_path(relative)
        .ok_or_else(|| anyhow::anyhow!("`{}`: the path is not UTF-8", file.display()))
}

/// `check`: everything left to migrate, or with `only`, what lies in those files.
fn check_command(planned: &[Planned], only: Option<&BTreeSet<String>>, out: &mut String) -> u8 {
    let mut failed = false;
    // (file, line, text), sorted so that the listing reads top to bottom per file.
    let mut lines: Vec<(String, usize, String)> = Vec::new();
    // Problems are listed too, but only errors decide the exit code.
    let mut warnings: Vec<(String, usize, String)> = Vec::new();
    for item in planned {
        let plan = &item.plan;
        let before = lines.len();
        let show = |file: &str| {
            Paths {
                prefix: &item.prefix,
            }
            .show(file)
        };
        for diagnostic in &plan.diagnostics {
            failed |= diagnostic.severity == crate::diagnostic::Severity::Error;
            warnings.push((
                show(&diagnostic.file),
                diagnostic.line.unwrap_or(0),
                format!("{}: {}", diagnostic.severity, diagnostic.message),
            ));
        }
        for entry in &plan.entry_points {
            let module = entry.module.as_deref().unwrap_or_default();
            let message = match (entry.status, entry.remove) {
                (EntryStatus::Generate, _) => {
                    format!(
                        "`{}` is a wsgi_scripts entry point; `wsgi-migrate apply` generates `{module}`",
                        entry.script
                    )
                }
                (EntryStatus::Exists, true) => format!(
                    "`{}` is still declared in wsgi_scripts although `{module}` exists; `wsgi-migrate apply` removes it",
                    entry.script
                ),
                _ => continue,
            };
            lines.push((show(&entry.file), entry.line, message));
        }
        for reference in plan
            .references
            .iter()
            .filter(|reference| reference.action != Action::Ok)
        {
            lines.push((
                show(&reference.file),
                reference.line,
                reference.message.clone(),
            ));
        }
        // Changes no line above accounts for (a missing `__init__.py`) are listed by file.
        if lines.len() == before {
            for change in &plan.changes {
                lines.push((
                    show(change.path()),
                    0,
                    "`wsgi-migrate apply` would change this file".to_owned(),
                ));
            }
        }
    }
    if let Some(only) = only {
        lines.retain(|(file, ..)| only.contains(file));
        warnings.retain(|(file, ..)| only.contains(file));
        failed = warnings
            .iter()
            .any(|(_, _, text)| text.starts_with("error:"));
    }
    let pending = !lines.is_empty();
    lines.extend(warnings);
    lines.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    for (file, line, text) in &lines {
        let location = if *line == 0 {
            file.clone()
        } else {
            format!("{file}:{line}")
        };
        out.push_str(&format!("{location}: {text}\n"));
    }
    if failed { 2 } else { u8::from(pending) }
}

fn location(prefix: &str, file: &str, line: Option<usize>) -> String {
    let path = Paths { prefix }.show(file);
    match line {
        Some(line) => format!("{path}:{line}"),
        None => path,
    }
}
