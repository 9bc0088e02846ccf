//! `verify`: import (and optionally serve) every module the project exposes.

use anyhow::Context as _;

use super::ServeWith;
use crate::effects::verify;
use crate::effects::workspace::Workspace;
use crate::plan::{self, EntryStatus, Options};
use crate::report::render;

/// `verify`: exit 0 when every exposed module imports and (with a server) answers, 1 otherwise.
pub(super) fn run(
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
