//! The service side of a plan: the entry points each project declares, the modules that
//! replace them, the removal of the declarations, and the release notes and docs exclusions
//! that go with them.
//!
//! Trees are found in every state upstream left them in, so a module that already defines
//! `application` for a script (nova's, neutron's and magnum's own modules, ironic's and
//! mistral's `wsgi/__init__.py`, freezer-api's flat `wsgi.py`) is the script's module and
//! nothing is generated beside it; a module is generated only where no code is shadowed or
//! replaced.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    EntryStatus, FileChange, Options, Plan, PlannedEntryPoint, Reference, ReleaseNotes, Source,
    file_name, join, parent,
};
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Action;
use crate::project::entry_points::{self, EntryPoint};
use crate::project::naming::{self, ModuleName, NameSource, Overrides, Script};
use crate::project::release_note;
use crate::project::scaffold::{self, ModuleSpec};
use crate::project::sphinx;
use crate::syntax::edit::Edit;
use crate::syntax::python;
use crate::syntax::text::LineIndex;

/// The entry points declared by one project directory, with its configuration.
pub(super) struct Project {
    /// The directory holding `setup.cfg`/`pyproject.toml`, `""` for the root.
    dir: String,
    entry_points: Vec<EntryPoint>,
    names: BTreeMap<String, String>,
    pub(super) keep_entry_points: bool,
    dev_server: bool,
}

pub(super) fn read_declarations(source: &dyn Source, plan: &mut Plan) -> Vec<Project> {
    let mut projects: BTreeMap<String, Project> = BTreeMap::new();
    for path in source.files() {
        let name = file_name(path);
        if !matches!(
            name,
            "setup.cfg" | "pyproject.toml" | "setup.py" | "wsgi-migrate.toml"
        ) {
            continue;
        }
        let text = match source.read(path) {
            Ok(text) => text,
            Err(problem) => {
                plan.diagnostics.push(Diagnostic::warning(
                    path,
                    None,
                    format!("not read: {problem}"),
                ));
                continue;
            }
        };
        let dir = parent(path);
        let project = projects.entry(dir.to_owned()).or_insert_with(|| Project {
            dir: dir.to_owned(),
            entry_points: Vec::new(),
            names: BTreeMap::new(),
            keep_entry_points: false,
            dev_server: false,
        });
        let (found, diagnostics) = match name {
            "setup.cfg" => entry_points::setup_cfg::read(path, &text),
            "pyproject.toml" => {
                read_config(path, &text, &["tool", "wsgi-migrate"], project, plan);
                entry_points::pyproject::read(path, &text)
            }
            "wsgi-migrate.toml" => {
                read_config(path, &text, &[], project, plan);
                continue;
            }
            _ => {
                for line in entry_points::setup_py::mentions(&text) {
                    plan.references.push(Reference {
                        file: path.clone(),
                        line,
                        column: 1,
                        code: Code::SetupPyEntryPoint,
                        dialect: "setup-py",
                        script: None,
                        action: Action::Manual,
                        message: entry_points::setup_py::MESSAGE.to_owned(),
                        fix: None,
                    });
                }
                continue;
            }
        };
        project.entry_points.extend(found);
        plan.diagnostics.extend(diagnostics);
    }

    // A script declared twice in one project would be generated twice; the first declaration
    // wins. Separate projects in one tree (two checkouts of a service) may each declare it.
    for project in projects.values_mut() {
        let mut seen: BTreeMap<String, (String, usize)> = BTreeMap::new();
        project
            .entry_points
            .retain(|entry| match seen.get(&entry.script) {
                Some((file, line)) => {
                    plan.diagnostics.push(Diagnostic::error(
                        &entry.file,
                        Some(entry.line),
                        format!(
                            "script `{}` is already declared at {file}:{line}",
                            entry.script
                        ),
                    ));
                    false
                }
                None => {
                    seen.insert(entry.script.clone(), (entry.file.clone(), entry.line));
                    true
                }
            });
    }
    projects
        .into_values()
        .filter(|project| !project.entry_points.is_empty())
        .collect()
}

/// The keys `wsgi-migrate.toml` and `[tool.wsgi-migrate]` take.
const CONFIG_KEYS: &[&str] = &["names", "keep-entry-points", "dev-server"];

/// Read `names`, `keep-entry-points` and `dev-server` from the table at `table_path`. An unknown
/// key or a value of the wrong type is an error naming the file and line: a typo such as
/// `keep_entry_points` must not silently remove the entry points it meant to keep.
fn read_config(
    path: &str,
    text: &str,
    table_path: &[&str],
    project: &mut Project,
    plan: &mut Plan,
) {
    let index = LineIndex::new(text);
    let doc = match toml_edit::Document::parse(text) {
        Ok(doc) => doc,
        Err(error) => {
            // A broken pyproject.toml is reported where its entry points are read.
            if table_path.is_empty() {
                let line = error.span().map(|span| index.line_of(span.start));
                plan.diagnostics.push(Diagnostic::error(
                    path,
                    line,
                    format!("not valid TOML: {}", error.message().trim()),
                ));
            }
            return;
        }
    };
    let mut item = doc.as_item();
    for key in table_path {
        match item.get(key) {
            Some(next) => item = next,
            None => return,
        }
    }
    let where_ = if table_path.is_empty() {
        String::new()
    } else {
        format!(" in `[{}]`", table_path.join("."))
    };
    let Some(table) = item.as_table_like() else {
        let line = item.span().map(|span| index.line_of(span.start));
        plan.diagnostics.push(Diagnostic::error(
            path,
            line,
            format!("`{}` must be a table", table_path.join(".")),
        ));
        return;
    };
    let line_of = |key: &str, value: &toml_edit::Item| {
        table
            .key(key)
            .and_then(|key| key.span())
            .or_else(|| value.span())
            .map(|span| index.line_of(span.start))
    };
    for (key, value) in table.iter() {
        let line = line_of(key, value);
        let mut error = |message: String| {
            plan.diagnostics
                .push(Diagnostic::error(path, line, message));
        };
        match key {
            "names" => {
                let Some(names) = value.as_table_like() else {
                    error(format!(
                        "`names`{where_} must be a table of `SCRIPT = \"MODULE\"`"
                    ));
                    continue;
                };
                for (script, module) in names.iter() {
                    match module.as_str() {
                        Some(module) => {
                            project.names.insert(script.to_owned(), module.to_owned());
                        }
                        None => {
                            let line = names
                                .key(script)
                                .and_then(|key| key.span())
                                .map(|span| index.line_of(span.start));
                            plan.diagnostics.push(Diagnostic::error(
                                path,
                                line,
                                format!("name for `{script}` must be a string"),
                            ));
                        }
                    }
                }
            }
            "keep-entry-points" | "dev-server" => match value.as_bool() {
                Some(flag) if key == "keep-entry-points" => project.keep_entry_points |= flag,
                Some(flag) => project.dev_server |= flag,
                None => error(format!(
                    "`{key}`{where_} must be `true` or `false`, not {}",
                    value.to_string().trim()
                )),
            },
            _ => {
                let hint = CONFIG_KEYS
                    .iter()
                    .find(|known| known.replace('-', "_") == key.replace('-', "_"))
                    .map(|known| format!("; did you mean `{known}`?"))
                    .unwrap_or_else(|| format!("; known keys: `{}`", CONFIG_KEYS.join("`, `")));
                error(format!("unknown key `{key}`{where_}{hint}"));
            }
        }
    }
}

/// Where a package's directory is: `<dir>/<package>` or `<dir>/src/<package>`.
fn package_root(source: &dyn Source, dir: &str, package: &str) -> Option<String> {
    [join(dir, package), join(dir, &format!("src/{package}"))]
        .into_iter()
        .find(|candidate| source.is_dir(candidate))
}

/// The file defining `module` under the directory that holds its top-level package.
fn module_file(source: &dyn Source, base: &str, module: &str) -> Option<String> {
    let relative = module.replace('.', "/");
    [
        join(base, &format!("{relative}.py")),
        join(base, &format!("{relative}/__init__.py")),
    ]
    .into_iter()
    .find(|candidate| source.files().contains(candidate))
}

/// The resolved entry of one script while its project is planned.
struct Resolved<'e> {
    entry: &'e EntryPoint,
    package_root: String,
    /// `module.attr` after following aliases in the target's file.
    callable: String,
    target_source: Option<String>,
}

/// A module already claimed by an earlier project in the same tree: its file, the callable it
/// builds `application` from and the script that claimed it.
pub(super) type Claims = BTreeMap<String, (String, String, String)>;

pub(super) fn plan_project(
    source: &dyn Source,
    project: &Project,
    options: &Options,
    plan: &mut Plan,
    creates: &mut BTreeMap<String, FileChange>,
    map: &mut BTreeMap<String, String>,
    claims: &mut Claims,
) {
    let mut resolved: Vec<Resolved<'_>> = Vec::new();
    for entry in &project.entry_points {
        let package = entry.target.package();
        let Some(root) = package_root(source, &project.dir, package) else {
            fail(
                plan,
                entry,
                format!(
                    "package `{package}` of target `{}` not found at `{}/`",
                    entry.target,
                    join(&project.dir, package)
                ),
            );
            continue;
        };
        let base = parent(&root).to_owned();
        let target_source = module_file(source, &base, &entry.target.module)
            .and_then(|path| source.read(&path).ok());
        let mut callable = entry.target.to_string().replace(':', ".");
        if let (Some(text), [attr]) = (&target_source, entry.target.attrs.as_slice()) {
            callable = format!(
                "{}.{}",
                entry.target.module,
                python::resolve_alias(text, attr)
            );
        }
        resolved.push(Resolved {
            entry,
            package_root: root,
            callable,
            target_source,
        });
    }

    let overrides = Overrides {
        flags: options.names.clone(),
        config: project.names.clone(),
    };
    let mut by_package: BTreeMap<&str, Vec<&Resolved<'_>>> = BTreeMap::new();
    for item in &resolved {
        by_package
            .entry(item.entry.target.package())
            .or_default()
            .push(item);
    }
    for (package, items) in by_package {
        let targets: Vec<String> = items
            .iter()
            .map(|item| item.entry.target.to_string())
            .collect();
        let scripts: Vec<Script<'_>> = items
            .iter()
            .zip(&targets)
            .map(|(item, target)| Script {
                name: &item.entry.script,
                target,
                callable: &item.callable,
            })
            .collect();
        let names = naming::name_modules(package, &scripts, &overrides);
        let rules = naming::rule_names(package, &scripts);
        let mut by_module: BTreeMap<String, (Placement, Vec<&Resolved<'_>>)> = BTreeMap::new();
        for (((item, script), name), rule) in items.iter().zip(&scripts).zip(names).zip(&rules) {
            let name = match name {
                Ok(name) => name,
                Err(problem) => {
                    fail(plan, item.entry, problem);
                    continue;
                }
            };
            match place(source, &overrides, package, item, script, &name, rule) {
                Ok((module, placement)) => {
                    by_module
                        .entry(module)
                        .or_insert_with(|| (placement, Vec::new()))
                        .1
                        .push(item);
                }
                Err(problem) => fail(plan, item.entry, problem),
            }
        }
        for (module, (placement, group)) in by_module {
            let callables: BTreeSet<&str> =
                group.iter().map(|item| item.callable.as_str()).collect();
            if callables.len() > 1 {
                let scripts: Vec<&str> = group
                    .iter()
                    .map(|item| item.entry.script.as_str())
                    .collect();
                for item in &group {
                    fail(
                        plan,
                        item.entry,
                        format!(
                            "scripts `{}` would share module `{module}` but call different targets; give each its own module with --name SCRIPT=SERVER",
                            scripts.join("`, `")
                        ),
                    );
                }
                continue;
            }
            // Two projects of one tree whose targets live in one package (`src/` layouts, a
            // copy beside the original) must not end up in one module calling one target.
            let path = placement.path().to_owned();
            if let Some((other_callable, other_script, other_file)) = claims.get(&path)
                && *other_callable != group[0].callable
            {
                for item in &group {
                    fail(
                        plan,
                        item.entry,
                        format!(
                            "`{path}` is already the module of `{other_script}` (declared in `{other_file}`), which builds its application from `{other_callable}`, not `{}`; the two projects share one package, so give this script its own module with --name {}=SERVER",
                            item.entry.target, item.entry.script
                        ),
                    );
                }
                continue;
            }
            claims.insert(
                path,
                (
                    group[0].callable.clone(),
                    group[0].entry.script.clone(),
                    group[0].entry.file.clone(),
                ),
            );
            plan_module(
                source, project, options, &module, placement, &group, plan, creates, map,
            );
        }
    }
}

/// Where one script's module is.
enum Placement {
    /// The module exists and defines `application`.
    Exists { path: String, text: String },
    /// The module can be written at `path`; `blank` is the text of an existing `__init__.py`
    /// with no code in it, which the module replaces.
    Free { path: String, blank: Option<String> },
}

impl Placement {
    fn path(&self) -> &str {
        match self {
            Placement::Exists { path, .. } | Placement::Free { path, .. } => path,
        }
    }
}

/// Whether `text` holds no code: only blank lines and comments.
fn has_no_code(text: &str) -> bool {
    text.lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
}

/// Where the module `name` would be in the package at `root`, or why it cannot hold an
/// application without shadowing or replacing code.
fn slot(source: &dyn Source, root: &str, name: &ModuleName) -> Result<Placement, String> {
    let files = source.files();
    let wsgi_dir = format!("{root}/wsgi");
    let flat = format!("{root}/wsgi.py");
    let init = format!("{wsgi_dir}/__init__.py");
    let existing = |path: &str| -> Option<Placement> {
        let text = source.read(path).ok()?;
        python::defines_application(&text).then(|| Placement::Exists {
            path: path.to_owned(),
            text,
        })
    };
    // A `wsgi/` directory without `__init__.py` (nova's old mod_wsgi scripts) is no package:
    // the flat module is what Python imports, and it can become that `__init__.py`.
    if files.contains(&flat) && files.contains(&init) {
        return Err(format!(
            "both `{flat}` and the package `{wsgi_dir}/` exist; Python imports only the package, so remove or merge one first"
        ));
    }
    if name.server.is_empty() {
        // The package itself: a flat `<pkg>/wsgi.py`, or `<pkg>/wsgi/__init__.py`.
        for path in [&flat, &init] {
            if files.contains(path) {
                if let Some(found) = existing(path) {
                    return Ok(found);
                }
                let text = source.read(path).unwrap_or_default();
                if path == &init && has_no_code(&text) {
                    return Ok(Placement::Free {
                        path: path.clone(),
                        blank: Some(text),
                    });
                }
                return Err(format!(
                    "`{path}` holds other code, which `{}` would replace",
                    name.dotted
                ));
            }
        }
        return Ok(Placement::Free {
            path: init,
            blank: None,
        });
    }
    let path = format!("{wsgi_dir}/{}.py", name.server);
    let package = format!("{wsgi_dir}/{}", name.server);
    if files.contains(&path) {
        return existing(&path).ok_or_else(|| {
            format!(
                "`{path}` already exists and does not define `application`; it would be replaced"
            )
        });
    }
    if source.is_dir(&package) {
        return existing(&format!("{package}/__init__.py"))
            .ok_or_else(|| format!("the package `{package}/` would shadow a new `{path}`"));
    }
    Ok(Placement::Free { path, blank: None })
}

/// The module of one script: an override as given; otherwise a module that already exists
/// (the registry's, the rule's, or the package itself when it builds the application from this
/// target), then the chosen name, then the rule's name if the chosen one is taken.
fn place(
    source: &dyn Source,
    overrides: &Overrides,
    package: &str,
    item: &Resolved<'_>,
    script: &Script<'_>,
    name: &ModuleName,
    rule: &str,
) -> Result<(String, Placement), String> {
    let root = &item.package_root;
    if matches!(name.source, NameSource::Flag | NameSource::Config) {
        let given = |names: &BTreeMap<String, String>| {
            names
                .get(script.name)
                .cloned()
                .unwrap_or_else(|| name.dotted.clone())
        };
        let how = match name.source {
            NameSource::Flag => format!("--name {}={}", script.name, given(&overrides.flags)),
            _ => format!(
                "configured name `{}` for `{}`",
                given(&overrides.config),
                script.name
            ),
        };
        return slot(source, root, name)
            .map(|placement| (name.dotted.clone(), placement))
            .map_err(|problem| format!("{how}: {problem}"));
    }
    let registry = crate::project::registry::lookup(script.name)
        .and_then(|known| naming::parse_name(package, &known.module, NameSource::Registry).ok());
    let rule = naming::parse_name(package, rule, NameSource::Rule).ok();
    let the_package = naming::parse_name(package, "__init__", NameSource::Rule).ok();
    let mut candidates: Vec<(&ModuleName, bool)> = vec![(name, false)];
    candidates.extend(registry.iter().map(|found| (found, false)));
    candidates.extend(rule.iter().map(|found| (found, false)));
    // The package itself counts only when it builds this script's application.
    candidates.extend(the_package.iter().map(|found| (found, true)));
    for (candidate, must_call_target) in &candidates {
        if let Ok(Placement::Exists { path, text }) = slot(source, root, candidate) {
            if *must_call_target && call_of(item, &text) == Call::Other {
                continue;
            }
            return Ok((candidate.dotted.clone(), Placement::Exists { path, text }));
        }
    }
    let first = slot(source, root, name);
    if let Ok(placement) = first {
        return Ok((name.dotted.clone(), placement));
    }
    if let Some(rule) = rule.as_ref().filter(|rule| rule.dotted != name.dotted)
        && let Ok(placement) = slot(source, root, rule)
    {
        return Ok((rule.dotted.clone(), placement));
    }
    let problem = first.err().unwrap_or_default();
    Err(format!(
        "{problem}; choose another module with --name {}=SERVER",
        script.name
    ))
}

/// How an existing module builds `application`, compared with an entry point.
#[derive(Debug, PartialEq, Eq)]
enum Call {
    /// From the target (or what it aliases).
    Target,
    /// From a factory the target itself calls (nova's modules call `wsgi_app.init_application`).
    Underlying(String),
    /// From something else, or in a way this reader cannot follow.
    Other,
}

fn call_of(item: &Resolved<'_>, text: &str) -> Call {
    let Some(call) = python::application_call(text) else {
        return Call::Other;
    };
    if call == item.callable || call == item.entry.target.to_string().replace(':', ".") {
        return Call::Target;
    }
    let attr = item.callable.rsplit('.').next().unwrap_or_default();
    let underlying = item
        .target_source
        .as_deref()
        .map(|target| python::function_calls(target, &item.entry.target.module, attr))
        .unwrap_or_default();
    if underlying.contains(&call) {
        Call::Underlying(call)
    } else {
        Call::Other
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_module(
    source: &dyn Source,
    project: &Project,
    options: &Options,
    module: &str,
    placement: Placement,
    group: &[&Resolved<'_>],
    plan: &mut Plan,
    creates: &mut BTreeMap<String, FileChange>,
    map: &mut BTreeMap<String, String>,
) {
    let first = group[0];
    let root = &first.package_root;
    let package_dir = format!("{root}/wsgi");
    let flat = format!("{root}/wsgi.py");
    let init = format!("{package_dir}/__init__.py");
    let path = placement.path().to_owned();

    let status = match &placement {
        Placement::Exists { text, .. } => {
            for item in group {
                let message = match call_of(item, text) {
                    Call::Target => continue,
                    Call::Underlying(call) => format!(
                        "`{path}` builds `application` from `{call}`, which the target `{}` calls, rather than from the target; it is taken as the module of `{}`",
                        item.entry.target, item.entry.script
                    ),
                    Call::Other => format!(
                        "`{path}` already defines `application` but does not call the entry point's target `{}`; it is taken as the module of `{}`, so check that it serves the same application",
                        item.entry.target, item.entry.script
                    ),
                };
                plan.diagnostics.push(Diagnostic::warning(
                    &item.entry.file,
                    Some(item.entry.line),
                    message,
                ));
            }
            EntryStatus::Exists
        }
        Placement::Free { .. } => EntryStatus::Generate,
    };

    // The package around the module: an old flat `<pkg>/wsgi.py` becomes its `__init__.py`
    // (keeping every `import <pkg>.wsgi` working) and a missing `__init__.py` is created, unless
    // the module is that file itself.
    if path != flat && path != init {
        if source.files().contains(&flat) {
            let contents = match source.read(&flat) {
                Ok(contents) => contents,
                Err(problem) => {
                    for item in group {
                        fail(
                            plan,
                            item.entry,
                            format!("`{flat}` must move to `{init}` but cannot be read: {problem}"),
                        );
                    }
                    return;
                }
            };
            // Its relative imports would resolve one package deeper after the move.
            if let Some(line) = python::relative_import_line(&contents) {
                for item in group {
                    fail(
                        plan,
                        item.entry,
                        format!(
                            "`{flat}` must become `{init}`, but its relative import on line {line} would then point elsewhere; move it by hand (upstream moved such modules to `<pkg>/api/wsgi.py`)"
                        ),
                    );
                }
                return;
            }
            creates.insert(
                init.clone(),
                FileChange::Rename {
                    from: flat,
                    to: init.clone(),
                    contents,
                },
            );
        } else if !source.files().contains(&init) {
            creates.insert(
                init.clone(),
                FileChange::Create {
                    path: init.clone(),
                    contents: String::new(),
                },
            );
        }
    }

    if let Placement::Free { blank, .. } = &placement {
        if let Some(target_source) = &first.target_source
            && python::builds_application_at_import(target_source)
        {
            plan.diagnostics.push(Diagnostic::warning(
                &first.entry.file,
                Some(first.entry.line),
                format!(
                    "`{}` already builds `application` when imported, so `{module}` builds a second one; deployments could load `{}:application` instead",
                    first.entry.target.module, first.entry.target.module
                ),
            ));
        }
        let scripts: Vec<String> = group.iter().map(|item| item.entry.script.clone()).collect();
        // Scripts sharing a module call one callable; prefer the target that names it directly
        // (keystone's public function, not the admin alias of it).
        let named_directly = group
            .iter()
            .find(|item| item.entry.target.to_string().replace(':', ".") == item.callable);
        let target = &named_directly.unwrap_or(&first).entry.target;
        let licence_source = first
            .target_source
            .clone()
            .or_else(|| source.read(&format!("{root}/__init__.py")).ok());
        let licence = licence_source.as_deref().and_then(scaffold::licence_header);
        let contents = scaffold::module_source(&ModuleSpec {
            scripts: &scripts,
            target,
            licence_header: licence.as_deref(),
            dev_server: options.dev_server || project.dev_server,
        });
        let change = match blank {
            Some(before) => FileChange::Modify {
                path: path.clone(),
                before: before.clone(),
                after: contents,
            },
            None => FileChange::Create {
                path: path.clone(),
                contents,
            },
        };
        creates.insert(path.clone(), change);
    }
    let remove = !(options.keep_entry_points || project.keep_entry_points);
    for item in group {
        map.insert(item.entry.script.clone(), module.to_owned());
        plan.entry_points.push(PlannedEntryPoint {
            file: item.entry.file.clone(),
            line: item.entry.line,
            script: item.entry.script.clone(),
            target: item.entry.target.to_string(),
            module: Some(module.to_owned()),
            path: Some(path.clone()),
            status,
            remove,
        });
    }
}

fn fail(plan: &mut Plan, entry: &EntryPoint, message: String) {
    plan.diagnostics.push(Diagnostic::error(
        &entry.file,
        Some(entry.line),
        format!("{}: {message}", entry.script),
    ));
    plan.entry_points.push(PlannedEntryPoint {
        file: entry.file.clone(),
        line: entry.line,
        script: entry.script.clone(),
        target: entry.target.to_string(),
        module: None,
        path: None,
        status: EntryStatus::Error,
        remove: false,
    });
}

/// The entry points `project` declares, as planned.
fn project_entries<'p>(project: &Project, plan: &'p Plan) -> Vec<&'p PlannedEntryPoint> {
    plan.entry_points
        .iter()
        .filter(|entry| parent(&entry.file) == project.dir)
        .collect()
}

/// Write reno notes for a project that keeps them, when this run generates its modules.
pub(super) fn plan_release_notes(
    source: &dyn Source,
    project: &Project,
    options: &Options,
    plan: &Plan,
    creates: &mut BTreeMap<String, FileChange>,
) {
    let notes_dir = join(&project.dir, "releasenotes/notes");
    if options.release_notes == ReleaseNotes::Off || !source.is_dir(&notes_dir) {
        return;
    }
    let entries = project_entries(project, plan);
    let generated: Vec<&&PlannedEntryPoint> = entries
        .iter()
        .filter(|entry| entry.status == EntryStatus::Generate)
        .collect();
    if generated.is_empty() {
        return;
    }
    let mut packages: Vec<String> = Vec::new();
    for entry in &generated {
        let package = entry
            .module
            .as_deref()
            .and_then(|module| module.split('.').next())
            .unwrap_or_default()
            .to_owned();
        if !packages.contains(&package) {
            packages.push(package);
        }
    }
    // The `<pkg>.wsgi` packages that were there before this run (cinder's, karbor's).
    let existed = generated.iter().any(|entry| {
        let Some(path) = entry.path.as_deref() else {
            return false;
        };
        let package_dir = parent(path);
        let package_dir = if file_name(path) == "wsgi.py" {
            path.trim_end_matches(".py")
        } else {
            package_dir
        };
        source.is_dir(package_dir) || source.files().contains(&format!("{package_dir}.py"))
    });
    let migration = release_note::Migration {
        new_packages: !existed,
        packages,
        modules: generated
            .iter()
            .filter_map(|entry| Some((entry.script.clone(), entry.module.clone()?)))
            .collect(),
        removed: entries
            .iter()
            .filter(|entry| entry.remove && entry.status != EntryStatus::Error)
            .map(|entry| entry.script.clone())
            .collect(),
    };
    let sections = match options.release_notes {
        ReleaseNotes::Split if !migration.removed.is_empty() => vec![
            release_note::Sections::Features,
            release_note::Sections::Upgrade,
        ],
        ReleaseNotes::Split => vec![release_note::Sections::Features],
        _ => vec![release_note::Sections::Both],
    };
    for section in sections {
        let path = format!(
            "{notes_dir}/{}",
            release_note::file_name(&migration, section)
        );
        if !source.files().contains(&path) {
            let contents = release_note::note(&migration, section);
            creates.insert(path.clone(), FileChange::Create { path, contents });
        }
    }
}

/// Keep the API docs building: exclude the generated modules from sphinxcontrib-apidoc.
pub(super) fn plan_doc_exclusions(
    source: &dyn Source,
    project: &Project,
    plan: &mut Plan,
    edits: &mut BTreeMap<String, Vec<Edit>>,
) {
    let conf = join(&project.dir, "doc/source/conf.py");
    if !source.files().contains(&conf) {
        return;
    }
    let mut paths: Vec<String> = Vec::new();
    for entry in project_entries(project, plan)
        .into_iter()
        .filter(|entry| entry.status == EntryStatus::Generate)
    {
        let Some(path) = entry.path.as_deref() else {
            continue;
        };
        let package_dir = parent(path);
        // A package this run creates holds only generated modules, so it goes as a whole;
        // in one that already existed (cinder's), only the new modules do.
        let existed =
            source.is_dir(package_dir) || source.files().contains(&format!("{package_dir}.py"));
        let excluded = if existed {
            format!("wsgi/{}", file_name(path))
        } else {
            "wsgi".to_owned()
        };
        if !paths.contains(&excluded) {
            paths.push(excluded);
        }
    }
    if paths.is_empty() {
        return;
    }
    let Ok(text) = source.read(&conf) else { return };
    let (action, message, edit) = match sphinx::exclude(&text, &paths) {
        sphinx::Exclusion::Fine => return,
        sphinx::Exclusion::Edit(edit) => (
            Action::Rewrite,
            format!(
                "add {} to `apidoc_excluded_paths`: importing the new modules builds the application",
                paths.join(", ")
            ),
            Some(edit),
        ),
        sphinx::Exclusion::Manual(message) => (Action::Manual, message, None),
    };
    let line = LineIndex::new(&text).line_of(edit.as_ref().map_or(0, |edit| edit.range.start));
    if let Some(edit) = edit {
        edits.entry(conf.clone()).or_default().push(edit);
    }
    plan.references.push(Reference {
        file: conf,
        line,
        column: 1,
        code: Code::DocsExclusion,
        dialect: "sphinx",
        script: None,
        action,
        message,
        fix: None,
    });
}

/// Remove the declarations of every script that has a module, from each file declaring them.
pub(super) fn remove_declarations(
    source: &dyn Source,
    project: &Project,
    plan: &Plan,
    edits: &mut BTreeMap<String, Vec<Edit>>,
) {
    let mut by_file: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for entry in &plan.entry_points {
        let declared_here = project
            .entry_points
            .iter()
            .any(|own| own.file == entry.file && own.script == entry.script);
        if declared_here && entry.status != EntryStatus::Error {
            by_file
                .entry(entry.file.as_str())
                .or_default()
                .insert(entry.script.clone());
        }
    }
    for (file, scripts) in by_file {
        let Ok(text) = source.read(file) else {
            continue;
        };
        let found = if file_name(file) == "pyproject.toml" {
            entry_points::pyproject::remove(&text, &scripts)
        } else {
            entry_points::setup_cfg::remove(&text, &scripts)
        };
        edits.entry(file.to_owned()).or_default().extend(found);
    }
}
