//! The commit message for a migration, in OpenStack's style: a subject of at most 50
//! characters, then a body wrapped at 72 columns saying which modules were added, which entry
//! points were removed and what deployments must change. Trailers (`Signed-off-by`, Gerrit's
//! `Change-Id`) are added by [`crate::effects::git`].

use std::collections::BTreeSet;

use crate::dialect::Action;
use crate::plan::{EntryStatus, Plan};
use crate::syntax::text::wrap;

/// Which part of the migration a commit holds; `--split` makes one commit of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything in one commit.
    Whole,
    /// The modules, rewritten references and the features note.
    AddModules,
    /// The removal of the entry points and the upgrade note.
    RemoveEntryPoints,
}

const WIDTH: usize = 72;

pub fn message(plans: &[&Plan], part: Part) -> String {
    let entries = plans.iter().flat_map(|plan| plan.entry_points.iter());
    let generated: Vec<(String, String)> = entries
        .clone()
        .filter(|entry| entry.status == EntryStatus::Generate)
        .filter_map(|entry| Some((entry.script.clone(), entry.module.clone()?)))
        .collect();
    let removed: Vec<String> = entries
        .filter(|entry| entry.remove && entry.status != EntryStatus::Error)
        .map(|entry| entry.script.clone())
        .collect();
    let references = plans.iter().flat_map(|plan| plan.references.iter());
    let rewritten: BTreeSet<&str> = references
        .clone()
        .filter(|reference| reference.action == Action::Rewrite && reference.script.is_some())
        .map(|reference| reference.file.as_str())
        .collect();
    let docs_conf: BTreeSet<&str> = plans
        .iter()
        .flat_map(|plan| plan.references.iter())
        .filter(|reference| reference.action == Action::Rewrite && reference.script.is_none())
        .map(|reference| reference.file.as_str())
        .collect();
    let manual = references
        .filter(|reference| reference.action == Action::Manual)
        .count();

    let adds = part != Part::RemoveEntryPoints && !generated.is_empty();
    let removes = part != Part::AddModules && !removed.is_empty();
    let subject = match (adds, removes, part) {
        (_, _, Part::RemoveEntryPoints) => "setup: Remove pbr's wsgi_scripts",
        (true, true, _) => "Migrate from wsgi scripts to module paths",
        (true, false, _) => "Add WSGI modules for the wsgi scripts",
        (false, true, _) => "Remove pbr's wsgi_scripts entry points",
        (false, false, _) => "Use WSGI module paths instead of scripts",
    };

    let mut body = Vec::new();
    if part != Part::RemoveEntryPoints {
        body.push(wrap(
            "PBR's wsgi_scripts entry points no longer produce scripts with modern pip and setuptools \
             (editable installs never did), so WSGI servers should load Python modules instead, as \
             the OpenStack goal \"Migrate from wsgi scripts to module paths\" asks.",
            WIDTH,
            "",
        ));
    }
    if adds {
        let mut text = String::from("Add modules exposing `application`:\n\n");
        let mut seen = BTreeSet::new();
        for (_, module) in &generated {
            if !seen.insert(module.as_str()) {
                continue;
            }
            let scripts: Vec<&str> = generated
                .iter()
                .filter(|(_, other)| other == module)
                .map(|(script, _)| script.as_str())
                .collect();
            text.push_str(&wrap(
                &format!("- {module} (replaces {})", scripts.join(", ")),
                WIDTH,
                "",
            ));
        }
        body.push(text);
    }
    if removes {
        body.push(wrap(
            &format!(
                "Remove the wsgi_scripts entry points {}.",
                removed.join(", ")
            ),
            WIDTH,
            "",
        ));
    }
    if part != Part::RemoveEntryPoints && !rewritten.is_empty() {
        body.push(wrap(
            &format!(
                "Point the configuration in this repository at the modules ({}).",
                rewritten.iter().copied().collect::<Vec<_>>().join(", ")
            ),
            WIDTH,
            "",
        ));
    }
    if part != Part::RemoveEntryPoints && !docs_conf.is_empty() {
        body.push(wrap(
            &format!(
                "Exclude the new modules from the API docs ({}): importing them builds the application.",
                docs_conf.iter().copied().collect::<Vec<_>>().join(", ")
            ),
            WIDTH,
            "",
        ));
    }
    if let Some((script, module)) = generated.first().filter(|_| adds || removes) {
        body.push(format!(
            "Deployments must load the modules instead of the scripts, for\nexample with uWSGI:\n\n    module = {module}:application\n\ninstead of:\n\n    wsgi-file = /usr/local/bin/{script}\n"
        ));
    }
    if manual > 0 && part != Part::RemoveEntryPoints {
        body.push(wrap(
            &format!(
                "{manual} reference{} to the scripts need{} a person (`wsgi-migrate check` lists them).",
                if manual == 1 { "" } else { "s" },
                if manual == 1 { "s" } else { "" }
            ),
            WIDTH,
            "",
        ));
    }
    body.push("Generated by wsgi-migrate.\n".to_owned());
    format!("{subject}\n\n{}", body.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlannedEntryPoint;

    fn plan() -> Plan {
        let entry = |script: &str, module: &str, line| PlannedEntryPoint {
            file: "setup.cfg".into(),
            line,
            script: script.into(),
            target: "nova.api:init".into(),
            module: Some(module.into()),
            path: Some(format!("{}.py", module.replace('.', "/"))),
            status: EntryStatus::Generate,
            remove: true,
        };
        Plan {
            entry_points: vec![
                entry("nova-api-wsgi", "nova.wsgi.osapi_compute", 1),
                entry("nova-metadata-wsgi", "nova.wsgi.metadata", 2),
            ],
            ..Plan::default()
        }
    }

    #[test]
    fn subject_fits_and_body_wraps() {
        let plan = plan();
        for part in [Part::Whole, Part::AddModules, Part::RemoveEntryPoints] {
            let text = message(&[&plan], part);
            let subject = text.lines().next().unwrap();
            assert!(subject.len() <= 50, "{subject}");
            assert!(text.lines().all(|line| line.len() <= WIDTH), "{text}");
            assert_eq!(text.lines().nth(1), Some(""));
        }
        let whole = message(&[&plan], Part::Whole);
        assert!(whole.starts_with("Migrate from wsgi scripts to module paths\n"));
        assert!(whole.contains("- nova.wsgi.osapi_compute (replaces nova-api-wsgi)\n"));
        assert!(whole.contains("Remove the wsgi_scripts entry points nova-api-wsgi,"));
        assert!(whole.contains("    module = nova.wsgi.osapi_compute:application\n"));
        let add = message(&[&plan], Part::AddModules);
        assert!(!add.contains("Remove the wsgi_scripts"));
        let remove = message(&[&plan], Part::RemoveEntryPoints);
        assert!(
            remove.starts_with("setup: Remove pbr's wsgi_scripts\n")
                && !remove.contains("- nova.wsgi")
        );
    }
}
