//! Helpers for the dialects' unit tests: script maps, and one file run through a dialect.

use crate::dialect::{Action, AppTarget, Context, Dialect, Finding, ScriptMap};
use crate::syntax::edit::{Edit, apply_edits};

/// A map from each script to `module:application`, with nothing else known.
pub(crate) fn map(modules: &[(&str, &str)]) -> ScriptMap {
    let targets: Vec<(&str, AppTarget)> = modules
        .iter()
        .map(|&(script, module)| (script, AppTarget::module(module)))
        .collect();
    map_with(&targets)
}

/// A map from each script to its target, for targets that know their project.
pub(crate) fn map_with(targets: &[(&str, AppTarget)]) -> ScriptMap {
    ScriptMap::new(
        targets
            .iter()
            .map(|(script, target)| ((*script).to_owned(), target.clone()))
            .collect(),
    )
}

/// `module:application` of the upstream `project` (`openstack/glance`).
pub(crate) fn in_project(module: &str, project: &str) -> AppTarget {
    AppTarget {
        project: Some(project.to_owned()),
        ..AppTarget::module(module)
    }
}

/// Nova's API script, with no project known, and Glance's, known to come from
/// `openstack/glance` (whose module needs a name argument some dialects write).
pub(crate) fn nova_and_glance() -> ScriptMap {
    map_with(&[
        (
            "nova-api-wsgi",
            AppTarget::module("nova.wsgi.osapi_compute"),
        ),
        (
            "glance-wsgi-api",
            in_project("glance.wsgi.api", "openstack/glance"),
        ),
    ])
}

/// `text` at `path` read as the planner reads it: `collect` into a fresh [`Context`], then
/// `scan`. Returns the text with every finding's edits applied, and the findings.
pub(crate) fn run(
    dialect: &dyn Dialect,
    path: &str,
    text: &str,
    map: &ScriptMap,
) -> (String, Vec<Finding>) {
    let mut context = Context::default();
    dialect.collect(path, text, map, &mut context);
    run_with_context(dialect, path, text, map, &context)
}

/// Like [`run`], but `scan` only, with a `context` the test built itself.
pub(crate) fn run_with_context(
    dialect: &dyn Dialect,
    path: &str,
    text: &str,
    map: &ScriptMap,
    context: &Context,
) -> (String, Vec<Finding>) {
    let findings = dialect.scan(path, text, map, context);
    (apply(text, &findings), findings)
}

/// The findings of [`run`] for a dialect that only reports; panics if any finding carries edits.
pub(crate) fn report(
    dialect: &dyn Dialect,
    path: &str,
    text: &str,
    map: &ScriptMap,
) -> Vec<Finding> {
    let (_, findings) = run(dialect, path, text, map);
    assert!(
        findings.iter().all(|finding| finding.edits.is_empty()),
        "{findings:#?}"
    );
    findings
}

/// `text` with every finding's edits applied; panics if two of them conflict.
pub(crate) fn apply(text: &str, findings: &[Finding]) -> String {
    // As the planner does: only rewrites are written.
    let edits: Vec<Edit> = findings
        .iter()
        .filter(|finding| finding.action == Action::Rewrite)
        .flat_map(|finding| finding.edits.iter().cloned())
        .collect();
    apply_edits(text, &edits).unwrap_or_else(|conflict| {
        panic!("the findings' edits conflict: {conflict}\n{findings:#?}")
    })
}

/// What each finding asks for, in order.
pub(crate) fn actions(findings: &[Finding]) -> Vec<Action> {
    findings.iter().map(|finding| finding.action).collect()
}
