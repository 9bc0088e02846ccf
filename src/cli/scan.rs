//! `scan`: the findings of every PATH, in the format asked for; changes nothing.

use super::common::plan_all;
use super::output;
use super::{Common, OutputArgs, OutputFormat};
use crate::plan;
use crate::report::render::{self, Style};

pub(super) fn run(
    common: &Common,
    args: &OutputArgs,
    style: Style,
    out: &mut String,
) -> anyhow::Result<u8> {
    let planned = plan_all(common, plan::ReleaseNotes::Combined)?;
    let summary: String = planned
        .iter()
        .map(|item| {
            let summary = render::summary(&item.plan);
            let summary = if planned.len() > 1 {
                format!("{}: {summary}", item.prefix)
            } else {
                summary
            };
            render::wrap(&summary, render::WIDTH).join("\n") + "\n"
        })
        .collect();
    output::emit(&planned, args, OutputFormat::Grouped, style, &summary, out)?;
    // `scan` reports; only errors in the input fail it.
    Ok(output::exit_code(&planned, false, args))
}
