//! The service side of a plan: the entry points each project declares, the modules that
//! replace them, the removal of the declarations, and the release notes and docs exclusions
//! that go with them.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    EntryStatus, FileChange, Options, Plan, PlannedEntryPoint, Reference, ReleaseNotes, Source,
    file_name, join, parent,
};
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Action;
use crate::edit::Edit;
use crate::entry_points::{self, EntryPoint};
use crate::naming::{self, Overrides, Script};
use crate::python;
use crate::release_note;
use crate::scaffold::{self, ModuleSpec};
use crate::sphinx;
use crate::text::LineIndex;

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
                        code: Code::SetupPyEntryPoint,
                        dialect: "setup-py",
                        script: None,
                        action: Action::Manual,
                        message: entry_points::setup_py::MESSAGE.to_owned(),
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

/// Read `names`, `keep-entry-points` and `dev-server` from the table at `table_path`.
fn read_config(
    path: &str,
    text: &str,
    table_path: &[&str],
    project: &mut Project,
    plan: &mut Plan,
) {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        if table_path.is_empty() {
            plan.diagnostics
                .push(Diagnostic::error(path, None, "not valid TOML"));
        }
        return;
    };
    let mut item = doc.as_item();
    for key in table_path {
        match item.get(key) {
            Some(next) => item = next,
            None => return,
        }
    }
    if let Some(names) = item.get("names").and_then(|names| names.as_table_like()) {
        for (script, module) in names.iter() {
            match module.as_str() {
                Some(module) => {
                    project.names.insert(script.to_owned(), module.to_owned());
                }
                None => plan.diagnostics.push(Diagnostic::error(
                    path,
                    None,
                    format!("name for `{script}` must be a string"),
                )),
            }
        }
    }
    let flag = |key: &str| {
        item.get(key)
            .and_then(|value| value.as_bool())
            .unwrap_or(false)
    };
    project.keep_entry_points |= flag("keep-entry-points");
    project.dev_server |= flag("dev-server");
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

pub(super) fn plan_project(
    source: &dyn Source,
    project: &Project,
    options: &Options,
    plan: &mut Plan,
    creates: &mut BTreeMap<String, FileChange>,
    map: &mut BTreeMap<String, String>,
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
        let scripts: Vec<Script<'_>> = items
            .iter()
            .map(|item| Script {
                name: &item.entry.script,
                callable: &item.callable,
            })
            .collect();
        let names = naming::name_modules(package, &scripts, &overrides);
        let mut by_module: BTreeMap<String, Vec<&Resolved<'_>>> = BTreeMap::new();
        for (item, name) in items.iter().zip(names) {
            match name {
                Ok(name) => by_module.entry(name.dotted).or_default().push(item),
                Err(problem) => fail(plan, item.entry, problem),
            }
        }
        for (module, group) in by_module {
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
            plan_module(
                source, project, options, &module, &group, plan, creates, map,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_module(
    source: &dyn Source,
    project: &Project,
    options: &Options,
    module: &str,
    group: &[&Resolved<'_>],
    plan: &mut Plan,
    creates: &mut BTreeMap<String, FileChange>,
    map: &mut BTreeMap<String, String>,
) {
    let first = group[0];
    let root = &first.package_root;
    let server = module.rsplit('.').next().unwrap_or(module);
    let package_dir = format!("{root}/wsgi");
    let path = format!("{package_dir}/{server}.py");
    let flat = format!("{root}/wsgi.py");
    let init = format!("{package_dir}/__init__.py");

    let status = if source.files().contains(&path) {
        let existing = source.read(&path).unwrap_or_default();
        let call = python::application_call(&existing);
        let same = call.as_deref().is_some_and(|call| {
            group.iter().any(|item| {
                call == item.callable || call == item.entry.target.to_string().replace(':', ".")
            })
        });
        if !same {
            for item in group {
                fail(
                    plan,
                    item.entry,
                    format!(
                        "`{path}` already exists and does not build `application` from `{}`; choose another module with --name {}=SERVER",
                        item.entry.target, item.entry.script
                    ),
                );
            }
            return;
        }
        EntryStatus::Migrated
    } else {
        EntryStatus::Generate
    };

    if source.files().contains(&flat) {
        if source.is_dir(&package_dir) {
            for item in group {
                fail(
                    plan,
                    item.entry,
                    format!(
                        "both `{flat}` and the package `{package_dir}/` exist; Python imports only the package, so remove or merge one first"
                    ),
                );
            }
            return;
        }
        // Keep every `import <pkg>.wsgi` working: the old module becomes the package.
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

    if status == EntryStatus::Generate
        && let Some(target_source) = &first.target_source
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
    if status == EntryStatus::Generate {
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
        creates.insert(
            path.clone(),
            FileChange::Create {
                path: path.clone(),
                contents,
            },
        );
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
    let migration = release_note::Migration {
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
        code: Code::DocsExclusion,
        dialect: "sphinx",
        script: None,
        action,
        message,
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
