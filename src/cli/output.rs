//! How `scan` and `check` print findings: the format, the file, statistics and the exit code.

use std::io::Write as _;

use anyhow::Context as _;

use super::common::Planned;
use super::{OutputArgs, OutputFormat};
use crate::code::Code;
use crate::plan::Plan;
use crate::report::render::{self, Paths, Style};
use crate::report::{self, Finding, Kind};

/// Every finding of the plans, in the one order every view uses.
pub(super) fn findings(planned: &[Planned]) -> Vec<Finding> {
    let mut all: Vec<Finding> = planned
        .iter()
        .flat_map(|item| {
            report::findings(
                &item.plan,
                Paths {
                    prefix: &item.prefix,
                },
            )
        })
        .collect();
    report::sort(&mut all);
    all
}

/// Render `planned` as `args` asks (or in `default`), to `out` or to `--output-file`.
/// `summary` is added under the grouped view.
pub(super) fn emit(
    planned: &[Planned],
    args: &OutputArgs,
    default: OutputFormat,
    style: Style,
    summary: &str,
    out: &mut String,
) -> anyhow::Result<()> {
    let format = args.output_format.unwrap_or(default);
    let findings = findings(planned);
    // Colour only what goes to a terminal.
    let style = if args.output_file.is_some() {
        Style { color: false }
    } else {
        style
    };
    let text = if args.statistics {
        statistics(&findings, format)
    } else {
        let shown: Vec<Finding> = findings
            .iter()
            .filter(|finding| args.show_ok || finding.kind.is_shown_by_default())
            .cloned()
            .collect();
        match format {
            OutputFormat::Grouped => {
                let mut text = render::grouped(&findings, style, args.show_ok);
                if !args.quiet {
                    text.push_str(&render::hidden(&findings, args.show_ok));
                    text.push_str(summary);
                }
                text
            }
            OutputFormat::Concise => report::concise(&shown),
            OutputFormat::Github => report::github(&shown),
            OutputFormat::Json => {
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
                render::json_report(&plans) + "\n"
            }
            OutputFormat::JsonLines => report::json_lines(&findings),
            OutputFormat::Gitlab => report::gitlab(&findings),
            OutputFormat::Sarif => report::sarif(&findings),
            OutputFormat::Junit => report::junit(&findings),
        }
    };
    match &args.output_file {
        Some(file) => write_file(file, &text)?,
        None => out.push_str(&text),
    }
    Ok(())
}

/// `COUNT CODE name summary` per code, or a JSON list for the JSON formats.
fn statistics(findings: &[Finding], format: OutputFormat) -> String {
    let counts = report::statistics(findings);
    if matches!(format, OutputFormat::Json | OutputFormat::JsonLines) {
        let rows: Vec<serde_json::Value> = counts
            .iter()
            .map(|(code, count)| {
                serde_json::json!({
                    "code": code.as_str(),
                    "name": code.name(),
                    "count": count,
                    "summary": code.summary(),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
    }
    let width = counts
        .iter()
        .map(|(_, count)| count.to_string().len())
        .max()
        .unwrap_or(1);
    let name_width = counts
        .iter()
        .map(|(code, _)| code.name().len())
        .max()
        .unwrap_or(0);
    counts
        .iter()
        .map(|(code, count): &(Code, usize)| {
            format!(
                "{count:>width$}  {code}  {:name_width$}  {}\n",
                code.name(),
                code.summary()
            )
        })
        .collect()
}

/// Write `text` to `file` all at once: a temporary file beside it, renamed over it.
fn write_file(file: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write `{}`", file.display()))?;
    temporary
        .write_all(text.as_bytes())
        .with_context(|| format!("cannot write `{}`", file.display()))?;
    temporary
        .persist(file)
        .map_err(|error| error.error)
        .with_context(|| format!("cannot write `{}`", file.display()))?;
    Ok(())
}

/// The exit code for findings: 2 on an error, else 1 when `pending` (unless `--exit-zero`).
pub(super) fn exit_code(planned: &[Planned], pending: bool, args: &OutputArgs) -> u8 {
    let errors = findings(planned)
        .iter()
        .any(|finding| finding.kind == Kind::Error);
    if errors {
        2
    } else if pending && !args.exit_zero {
        1
    } else {
        0
    }
}
