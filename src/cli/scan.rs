//! `scan`: the findings of every PATH, as text or JSON; changes nothing.

use super::common::plan_all;
use super::{Common, Format};
use crate::plan::{self, Plan};
use crate::render::{self, Paths, Style};

pub(super) fn run(
    common: &Common,
    format: Format,
    style: Style,
    out: &mut String,
) -> anyhow::Result<u8> {
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
    Ok(if planned.iter().any(|item| item.plan.has_errors()) {
        2
    } else {
        0
    })
}
