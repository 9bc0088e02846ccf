//! The command line: parsing flags, building the plan for each PATH, printing the view each
//! command asks for, and mapping the outcome to an exit code.
//!
//! Exit codes: `scan` 0, or 2 on a usage or input error; `apply` 0 when done, 2 on any error
//! (nothing is written then), 3 when written but not committed, 128 + N when stopped by signal
//! N; `check` 0 when nothing is left to migrate, 1 when something is, 2 on an error.

mod apply;
mod check;
mod common;
mod map;
mod output;
mod scan;
mod verify;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, CommandFactory as _, Parser, Subcommand, ValueEnum};

use crate::report::render::Style;

#[derive(Debug, Parser)]
#[command(
    name = "wsgi-migrate",
    version,
    about = "Migrate PBR wsgi_scripts to <package>.wsgi.<server> modules, and every config that points at the scripts",
    after_help = "Exit codes: 0 done or nothing left; 1 findings left (check), a module failed (verify), \
                  or files written (apply --pre-commit); 2 a usage, input or other error, with nothing written."
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
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Generate the modules, remove the entry points and rewrite the references.
    Apply {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        apply: ApplyArgs,
    },
    /// Exit 1 while anything is left to migrate, listing it as FILE:LINE:COL: CODE message.
    ///
    /// Given files (as pre-commit passes them), plans the repository that contains them and
    /// lists only what lies in them.
    Check {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        output: OutputArgs,
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
        /// Also print the scripts known only from the built-in registry (by default, only what
        /// the PATHs, `--map` files and `--name` flags declare).
        #[arg(long)]
        registry: bool,
        /// Leave out the built-in registry (the default; kept for scripts written for 0.1).
        #[arg(long, hide = true, conflicts_with = "registry")]
        no_registry: bool,
    },
    /// Migrate many repositories in one run: one map, one branch and commit per repository,
    /// optionally pushed for review.
    Fleet(crate::effects::fleet::FleetArgs),
    /// Print a shell completion script: `wsgi-migrate completions bash > /etc/bash_completion.d/wsgi-migrate`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `wsgi-migrate man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("committing").args(["commit", "topic"]).multiple(true)))]
pub struct ApplyArgs {
    /// Print the unified diff and write nothing.
    #[arg(long, conflicts_with_all = ["commit", "topic", "signoff", "split", "message_file", "allow_dirty", "pre_commit"])]
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
    #[arg(long, requires = "committing")]
    pub signoff: bool,
    /// Use this commit message instead of the generated one.
    #[arg(long, value_name = "FILE", requires = "committing")]
    pub message_file: Option<PathBuf>,
    /// Make two commits, as upstream did: add the modules, then remove the entry points.
    #[arg(long, requires = "committing")]
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
    #[arg(long = "name", value_name = "SCRIPT=MODULE", value_parser = crate::script_map::parse_name_flag)]
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

/// How `scan` and `check` print their findings.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// How to print the findings [default: grouped for scan, concise for check].
    #[arg(
        long,
        value_enum,
        env = "WSGI_MIGRATE_OUTPUT_FORMAT",
        visible_alias = "format"
    )]
    pub output_format: Option<OutputFormat>,
    /// Write the findings to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Print how many findings each code has instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Exit 0 even when findings are left (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Print the findings and nothing else: no summary.
    #[arg(long, short, conflicts_with = "show_ok")]
    pub quiet: bool,
    /// Also list findings that need nothing (`ok`) in the text views.
    #[arg(long, short = 'v', visible_alias = "verbose")]
    pub show_ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Findings under a heading per file, and a summary (the default for scan).
    #[value(alias = "text")]
    Grouped,
    /// One `path:line:col: CODE message` line per finding (the default for check).
    Concise,
    /// One JSON document: entry points, references and diagnostics.
    Json,
    /// One JSON object per finding and line.
    JsonLines,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML, one test case per finding.
    Junit,
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
            if let Some(interrupted) = error.downcast_ref::<crate::effects::apply::Interrupted>() {
                ExitCode::from(interrupted.exit_code())
            } else if error
                .downcast_ref::<crate::effects::commit::NotCommitted>()
                .is_some()
            {
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

fn run(cli: &Cli, style: Style) -> anyhow::Result<u8> {
    let mut out = String::new();
    let mut err = String::new();
    // Any command first undoes an interrupted `apply` it finds (`apply` does it under its lock).
    match &cli.command {
        Command::Scan { common, .. } | Command::Map { common, .. } => {
            common::recover(&common.paths, false)?;
        }
        Command::Check { common, .. } => {
            common::recover(&check::roots(common), false)?;
        }
        Command::Verify { project, .. } => {
            common::recover(std::slice::from_ref(project), false)?;
        }
        Command::Apply { common, apply } if apply.dry_run => {
            common::recover(&common.paths, false)?;
        }
        // Repositories a `--repos` file lists are not recovered here: one left half-written is
        // reported dirty and skipped.
        Command::Fleet(args) => {
            common::recover(&args.repos, false)?;
        }
        Command::Apply { .. }
        | Command::Recover { .. }
        | Command::Completions { .. }
        | Command::Man => {}
    }
    let code = match &cli.command {
        Command::Recover { paths } => {
            if common::recover(paths, false)? == 0 {
                err.push_str("wsgi-migrate: nothing to recover\n");
            }
            0
        }
        Command::Scan { common, output } => scan::run(common, output, style, &mut out)?,
        Command::Apply { common, apply } => apply::run(common, apply, style, &mut out, &mut err)?,
        Command::Verify {
            project,
            python,
            serve,
            config,
            request_path,
            timeout,
        } => verify::run(
            project,
            python,
            *serve,
            config.as_deref(),
            request_path.as_deref().unwrap_or("/"),
            timeout.map(std::time::Duration::from_secs),
            &mut out,
        )?,
        Command::Fleet(args) => crate::effects::fleet::run(args, style, &mut out)?,
        Command::Check { common, output } => check::run(common, output, style, &mut out)?,
        Command::Map {
            common,
            format,
            registry,
            no_registry: _,
        } => map::run(common, *format, *registry, &mut out, &mut err)?,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "wsgi-migrate", &mut script);
            out.push_str(&String::from_utf8_lossy(&script));
            0
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|error| anyhow::anyhow!("cannot render the manual page: {error}"))?;
            out.push_str(&String::from_utf8_lossy(&page));
            0
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    let _ = std::io::stderr().lock().write_all(err.as_bytes());
    Ok(code)
}
