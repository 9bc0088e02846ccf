//! `apply`: write (or with `--dry-run`, print) the changes of every PATH, and commit them.

use anyhow::Context as _;

use super::common::{Planned, location, plan_all, rebase_prefixes, recover};
use super::{ApplyArgs, Common};
use crate::dialect::Action;
use crate::effects::commit;
use crate::effects::workspace;
use crate::plan::{self, FileChange};
use crate::report::render::{self, Paths, Style};
use crate::report::{self, Finding, Kind};

pub(super) fn run(
    common: &Common,
    apply: &ApplyArgs,
    style: Style,
    out: &mut String,
    err: &mut String,
) -> anyhow::Result<u8> {
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
    let mut planned = plan_all(common, notes)?;
    // One diff for several trees, with paths that `git apply` accepts from one directory.
    let base = rebase_prefixes(&mut planned)?;
    let mut report = String::new();
    let mut errors = String::new();
    let code = apply_command(&planned, apply, style, out, &mut report, &mut errors)?;
    if let Some(base) = base.filter(|_| apply.dry_run) {
        report.push_str(&format!(
            "wsgi-migrate: the diff's paths are relative to `{0}`: apply it there (`git -C {0} apply`)\n",
            base.display()
        ));
    }
    // A dry run's stdout is only the diff, so that it can be piped to `git apply`.
    if apply.dry_run {
        err.push_str(&report)
    } else {
        out.push_str(&report)
    }
    err.push_str(&errors);
    Ok(code)
}

/// `apply`: the diff goes to `diff_out`, errors and refusals to `errors` (stderr), everything
/// else to `report`. When nothing is written, neither the diff nor the report is printed.
fn apply_command(
    planned: &[Planned],
    args: &ApplyArgs,
    style: Style,
    diff_out: &mut String,
    report: &mut String,
    errors: &mut String,
) -> anyhow::Result<u8> {
    let quiet = args.quiet || args.pre_commit;
    let failed = planned.iter().any(|item| item.plan.has_errors());
    for item in planned {
        for diagnostic in &item.plan.diagnostics {
            if !quiet || failed {
                let location = location(&item.prefix, &diagnostic.file, diagnostic.line);
                // One line each, as compilers print them, for editors and grep.
                report.push_str(&format!(
                    "{location}: {}: {}\n",
                    diagnostic.severity, diagnostic.message
                ));
            }
        }
    }
    if failed {
        errors.push_str(report);
        report.clear();
        errors.push_str("wsgi-migrate: nothing written: fix the errors above and run again\n");
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
        // What is left for a person, grouped by file and wrapped as `scan` shows it.
        let mut manual: Vec<Finding> = planned
            .iter()
            .flat_map(|item| {
                report::findings(
                    &item.plan,
                    Paths {
                        prefix: &item.prefix,
                    },
                )
            })
            .filter(|finding| finding.kind == Kind::Manual)
            .collect();
        report::sort(&mut manual);
        report.push_str(&render::grouped(&manual, style, false));
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

    // clap has refused --signoff, --split and --message-file without --commit or --topic.
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
