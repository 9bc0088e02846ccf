//! From a repository to a [`Plan`]: every entry point with the module that replaces it, every
//! reference with its action, the diagnostics, and the exact file changes.
//!
//! The plan is computed once and every command is a view of it: `scan` prints its findings,
//! `apply --dry-run` its diff, `apply` writes its changes, `check` reports what is left. That is
//! what guarantees the diff shown is exactly what is written.
//!
//! The planner reads files only through [`Source`], so it decides nothing from the file system
//! by itself; [`crate::workspace`] implements it for a directory on disk.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::dialect::{self, Action, AppTarget, Context, Finding, ScriptMap};
use crate::edit::{self, Edit};
use crate::entry_points::{self, EntryPoint};
use crate::naming::{self, Overrides, Script};
use crate::python;
use crate::release_note;
use crate::scaffold::{self, ModuleSpec};
use crate::script_map::{self, MapBuilder, MapSource};
use crate::sphinx;
use crate::text::LineIndex;

/// Read access to the tree being planned. Paths are relative to its root and `/`-separated.
pub trait Source: Sync {
    /// Every file the walk found, sorted.
    fn files(&self) -> &BTreeSet<String>;
    fn is_dir(&self, path: &str) -> bool;
    /// The file's bytes, or why they cannot be had (unreadable, too large, not a regular file).
    fn read_bytes(&self, path: &str) -> Result<Vec<u8>, String>;

    /// The file's bytes unless it is binary (a NUL byte in its first [`BINARY_SNIFF`] bytes),
    /// when it is `None`. A source may stop reading a binary file there.
    fn read_text_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let bytes = self.read_bytes(path)?;
        let binary = memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some();
        Ok((!binary).then_some(bytes))
    }

    /// The file's text, or why it cannot be had (also: not UTF-8).
    fn read(&self, path: &str) -> Result<String, String> {
        String::from_utf8(self.read_bytes(path)?).map_err(|_| "not UTF-8 text".to_owned())
    }
}

/// Choices that change what the plan does, from flags or the project's configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--name SCRIPT=MODULE`.
    pub names: BTreeMap<String, String>,
    /// `--map FILE`: script to application, for scripts no scanned tree declares.
    pub map: BTreeMap<String, AppTarget>,
    pub keep_entry_points: bool,
    pub dev_server: bool,
    /// Whether to write reno release notes, and as one file or two (`--split`).
    pub release_notes: ReleaseNotes,
}

/// Release notes for projects that keep them in `releasenotes/notes/`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReleaseNotes {
    /// One note with the `features` and, when entry points go, `upgrade` sections.
    #[default]
    Combined,
    /// A `features` note and a separate `upgrade` note, for a commit each.
    Split,
    Off,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub entry_points: Vec<PlannedEntryPoint>,
    pub references: Vec<Reference>,
    pub diagnostics: Vec<Diagnostic>,
    /// Sorted by path; at most one change per path.
    pub changes: Vec<FileChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryStatus {
    /// `apply` generates the module.
    Generate,
    /// The module already exists and builds `application` from the same target.
    Migrated,
    /// Nothing can be generated; a diagnostic says why.
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedEntryPoint {
    pub file: String,
    pub line: usize,
    pub script: String,
    pub target: String,
    pub module: Option<String>,
    pub path: Option<String>,
    pub status: EntryStatus,
    /// Whether `apply` removes the declaration.
    pub remove: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub file: String,
    pub line: usize,
    pub dialect: &'static str,
    pub script: Option<String>,
    pub action: Action,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    Create {
        path: String,
        contents: String,
    },
    Modify {
        path: String,
        before: String,
        after: String,
    },
    /// Move a file, keeping its content (an old `<pkg>/wsgi.py` becoming `<pkg>/wsgi/__init__.py`).
    Rename {
        from: String,
        to: String,
        contents: String,
    },
}

impl FileChange {
    /// The path the change writes.
    pub fn path(&self) -> &str {
        match self {
            FileChange::Create { path, .. } | FileChange::Modify { path, .. } => path,
            FileChange::Rename { to, .. } => to,
        }
    }
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == crate::diagnostic::Severity::Error)
    }

    /// Whether anything is left to migrate: a change to make, or a reference a person must fix.
    pub fn is_pending(&self) -> bool {
        !self.changes.is_empty()
            || self
                .references
                .iter()
                .any(|reference| reference.action != Action::Ok)
    }
}

/// Build the plan for the tree behind `source`.
pub fn build(source: &dyn Source, options: &Options) -> Plan {
    build_all(&[source], options).pop().unwrap_or_default()
}

/// Build one plan per tree, planned together: the scripts a service repository declares are
/// searched for in every tree, so `apply ../nova ../devstack` migrates both consistently.
pub fn build_all(sources: &[&dyn Source], options: &Options) -> Vec<Plan> {
    let mut drafts: Vec<Draft> = sources
        .iter()
        .map(|source| declare(*source, options))
        .collect();
    let builder = assemble_map(sources, &mut drafts, options);
    let map = builder.script_map();
    sources
        .iter()
        .zip(drafts)
        .map(|(source, draft)| finish(*source, draft, &map))
        .collect()
}

/// The map `build_all` would search with, and where each entry came from.
pub fn script_map(sources: &[&dyn Source], options: &Options) -> (MapBuilder, Vec<Diagnostic>) {
    let mut drafts: Vec<Draft> = sources
        .iter()
        .map(|source| declare(*source, options))
        .collect();
    let builder = assemble_map(sources, &mut drafts, options);
    let diagnostics = drafts
        .into_iter()
        .flat_map(|draft| draft.plan.diagnostics)
        .collect();
    (builder, diagnostics)
}

/// One tree's plan before references are scanned.
struct Draft {
    plan: Plan,
    edits: BTreeMap<String, Vec<Edit>>,
    creates: BTreeMap<String, FileChange>,
    /// Scripts declared in this tree that have a module, with the module.
    declared: BTreeMap<String, String>,
}

fn declare(source: &dyn Source, options: &Options) -> Draft {
    let mut plan = Plan::default();
    let declarations = read_declarations(source, &mut plan);
    let mut edits: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    let mut creates: BTreeMap<String, FileChange> = BTreeMap::new();
    let mut declared = BTreeMap::new();
    for project in &declarations {
        plan_project(
            source,
            project,
            options,
            &mut plan,
            &mut creates,
            &mut declared,
        );
        if !(options.keep_entry_points || project.keep_entry_points) {
            remove_declarations(source, project, &plan, &mut edits);
        }
        plan_release_notes(source, project, options, &plan, &mut creates);
        plan_doc_exclusions(source, project, &mut plan, &mut edits);
    }
    Draft {
        plan,
        edits,
        creates,
        declared,
    }
}

fn assemble_map(sources: &[&dyn Source], drafts: &mut [Draft], options: &Options) -> MapBuilder {
    let mut builder = MapBuilder::with_registry();
    for source in sources {
        for (script, module) in generated_modules(*source) {
            builder.insert(&script, AppTarget::module(&module), MapSource::Generated);
        }
    }
    for draft in drafts.iter() {
        for (script, module) in &draft.declared {
            builder.insert(script, AppTarget::module(module), MapSource::Declared);
        }
    }
    for (script, target) in &options.map {
        builder.insert(script, target.clone(), MapSource::MapFile);
    }
    let declared = |script: &str| {
        drafts.iter().any(|draft| {
            draft
                .plan
                .entry_points
                .iter()
                .any(|entry| entry.script == script)
        })
    };
    let mut problems = Vec::new();
    for (script, name) in &options.names {
        if declared(script) {
            continue;
        }
        // A script no scanned tree declares has no package to put a server name under.
        match script_map::parse_app_spec(name) {
            Ok(target) if name.contains('.') => builder.insert(script, target, MapSource::Flag),
            // A bare server name goes under the package the map already knows for the script
            // (from the registry, or from a module generated earlier).
            Ok(target) => match builder.entries().get(script).and_then(|entry| entry.target.module.split_once(".wsgi.")) {
                Some((package, _)) => {
                    let module = format!("{package}.wsgi.{}", target.module);
                    builder.insert(script, AppTarget { module, ..target }, MapSource::Flag);
                }
                None => problems.push(format!(
                    "--name {script}={name}: no scanned repository declares `{script}`, so give the full module, e.g. `pkg.wsgi.api`"
                )),
            },
            _ => problems.push(format!(
                "--name {script}={name}: no scanned repository declares `{script}`, so give the full module, e.g. `pkg.wsgi.api`"
            )),
        }
    }
    if let Some(first) = drafts.first_mut() {
        for problem in problems {
            first
                .plan
                .diagnostics
                .push(Diagnostic::error("--name", None, problem));
        }
    }
    builder
}

fn finish(source: &dyn Source, draft: Draft, map: &ScriptMap) -> Plan {
    let Draft {
        mut plan,
        mut edits,
        creates,
        ..
    } = draft;
    scan_references(source, map, &mut plan, &mut edits);

    for (path, file_edits) in edits {
        let Ok(before) = source.read(&path) else {
            continue;
        };
        match edit::apply_edits(&before, &file_edits) {
            Ok(after) if after != before => plan.changes.push(FileChange::Modify {
                path,
                before,
                after,
            }),
            Ok(_) => {}
            Err(conflict) => {
                plan.diagnostics
                    .push(Diagnostic::error(&path, None, conflict.to_string()))
            }
        }
    }
    plan.changes.extend(creates.into_values());
    plan.changes.sort_by(|a, b| a.path().cmp(b.path()));
    plan.diagnostics
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    plan.references
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    plan
}

/// The entry points declared by one project directory, with its configuration.
struct Project {
    /// The directory holding `setup.cfg`/`pyproject.toml`, `""` for the root.
    dir: String,
    entry_points: Vec<EntryPoint>,
    names: BTreeMap<String, String>,
    keep_entry_points: bool,
    dev_server: bool,
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}

fn read_declarations(source: &dyn Source, plan: &mut Plan) -> Vec<Project> {
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

fn plan_project(
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
fn plan_release_notes(
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
fn plan_doc_exclusions(
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
        dialect: "sphinx",
        script: None,
        action,
        message,
    });
}

/// Remove the declarations of every script that has a module, from each file declaring them.
fn remove_declarations(
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

/// The scripts that modules this tool generated earlier say they replace (their docstring
/// names them), with the module: after a migration the references left behind can still be found.
fn generated_modules(source: &dyn Source) -> Vec<(String, String)> {
    generated_module_files(source)
        .into_iter()
        .flat_map(|(_, module, scripts)| {
            scripts
                .into_iter()
                .map(move |script| (script, module.clone()))
        })
        .collect()
}

/// Every module this tool generated in the tree: its path, its dotted name and the scripts it
/// replaces.
fn generated_module_files(source: &dyn Source) -> Vec<(String, String, Vec<String>)> {
    let mut found = Vec::new();
    for path in source.files() {
        let parts: Vec<&str> = path.split('/').collect();
        let [.., package, "wsgi", module_file] = parts.as_slice() else {
            continue;
        };
        let Some(server) = module_file.strip_suffix(".py") else {
            continue;
        };
        if !python::is_identifier(server) || !python::is_identifier(package) {
            continue;
        }
        let Ok(text) = source.read(path) else {
            continue;
        };
        let scripts = scaffold::replaced_scripts(&text);
        if !scripts.is_empty() {
            found.push((path.clone(), format!("{package}.wsgi.{server}"), scripts));
        }
    }
    found
}

/// A module a project exposes, and the directory to import it from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExposedModule {
    pub module: String,
    /// The directory holding the top-level package, relative to the root (`""` for the root).
    pub import_dir: String,
}

/// The modules that exist in the tree and expose `application`: those this tool generated and
/// those an entry point is already migrated to. Modules the plan has yet to generate are not
/// among them.
pub fn exposed_modules(source: &dyn Source, plan: &Plan) -> Vec<ExposedModule> {
    let import_dir = |path: &str, module: &str| {
        // `a/b/nova/wsgi/api.py` holding `nova.wsgi.api` is imported from `a/b`.
        let depth = module.split('.').count();
        let parts: Vec<&str> = path.split('/').collect();
        parts[..parts.len().saturating_sub(depth)].join("/")
    };
    let mut modules: BTreeSet<ExposedModule> = generated_module_files(source)
        .into_iter()
        .map(|(path, module, _)| ExposedModule {
            import_dir: import_dir(&path, &module),
            module,
        })
        .collect();
    for entry in plan
        .entry_points
        .iter()
        .filter(|entry| entry.status == EntryStatus::Migrated)
    {
        if let (Some(module), Some(path)) = (&entry.module, &entry.path) {
            modules.insert(ExposedModule {
                import_dir: import_dir(path, module),
                module: module.clone(),
            });
        }
    }
    modules.into_iter().collect()
}

/// A comment marking a line (or the line below it) to be left alone.
const IGNORE: &str = "wsgi-migrate: ignore";
/// A comment marking a whole file to be left alone.
const SKIP_FILE: &str = "wsgi-migrate: skip-file";

/// A file worth scanning: its path, the dialect that reads it, its text.
type Candidate<'s> = (&'s String, &'static dyn dialect::Dialect, String);

/// Read every file a dialect claims, in parallel, and keep those that mention a script or a
/// dialect's keyword: a literal search over the bytes first (as ripgrep does), and UTF-8
/// decoding and dialect detection only for the few files it matches. Files are kept in path
/// order, so the result does not depend on scheduling.
fn read_candidates<'s>(
    source: &'s dyn Source,
    map: &ScriptMap,
) -> (Vec<Candidate<'s>>, Vec<Diagnostic>) {
    let paths: Vec<&String> = source.files().iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 16);
    let results: Vec<Vec<(usize, Result<Candidate<'s>, Diagnostic>)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut found = Vec::new();
                        loop {
                            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(path) = paths.get(index) else { break };
                            if let Some(result) = read_candidate(source, map, path) {
                                found.push((index, result));
                            }
                        }
                        found
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|handle| handle.join().ok())
                .collect()
        });
    let mut results: Vec<(usize, Result<Candidate<'s>, Diagnostic>)> =
        results.into_iter().flatten().collect();
    results.sort_by_key(|(index, _)| *index);
    let mut candidates = Vec::new();
    let mut warnings = Vec::new();
    for (_, result) in results {
        match result {
            Ok(candidate) => candidates.push(candidate),
            Err(warning) => warnings.push(warning),
        }
    }
    (candidates, warnings)
}

/// How much of a file is searched for a NUL byte to call it binary, as ripgrep does.
pub const BINARY_SNIFF: usize = 8 * 1024;

fn read_candidate<'s>(
    source: &dyn Source,
    map: &ScriptMap,
    path: &'s String,
) -> Option<Result<Candidate<'s>, Diagnostic>> {
    let candidates = dialect::candidates(path);
    if candidates.is_empty() {
        return None;
    }
    // Only the catch-all dialect wanted it: a binary or huge file is simply not text.
    let only_other = candidates.iter().all(|dialect| dialect.name() == "other");
    let bytes = match source.read_text_bytes(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(_) if only_other => return None,
        Err(problem) => {
            return Some(Err(Diagnostic::warning(
                path,
                None,
                format!("not read: {problem}"),
            )));
        }
    };
    if !map.may_matter(&bytes) {
        return None;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) if only_other => return None,
        Err(_) => {
            return Some(Err(Diagnostic::warning(
                path,
                None,
                "not read: not UTF-8 text",
            )));
        }
    };
    // The modules this tool generated name the scripts they replace, on purpose.
    if path.ends_with(".py") && !scaffold::replaced_scripts(&text).is_empty() {
        return None;
    }
    let dialect = candidates
        .into_iter()
        .find(|dialect| dialect.accepts(&text))?;
    Some(Ok((path, dialect, text)))
}

/// Find every reference in the files the dialects claim.
fn scan_references(
    source: &dyn Source,
    map: &ScriptMap,
    plan: &mut Plan,
    edits: &mut BTreeMap<String, Vec<Edit>>,
) {
    if map.is_empty() {
        return;
    }
    let (texts, warnings) = read_candidates(source, map);
    plan.diagnostics.extend(warnings);
    let mut context = Context::default();
    for (path, dialect, text) in &texts {
        dialect.collect(path, text, map, &mut context);
    }
    for (path, dialect, text) in &texts {
        let index = LineIndex::new(text);
        let lines: Vec<&str> = text.lines().collect();
        let skip_file = text.contains(SKIP_FILE);
        for mut finding in dialect.scan(path, text, map, &context) {
            let line = index.line_of(finding.offset);
            if let Some(warning) = finding.warning.take() {
                plan.diagnostics
                    .push(Diagnostic::warning(path, Some(line), warning));
            }
            let marked = |number: usize| {
                number >= 1
                    && lines
                        .get(number - 1)
                        .is_some_and(|text| text.contains(IGNORE))
            };
            if skip_file || marked(line) || marked(line - 1) {
                let marker = if skip_file { SKIP_FILE } else { IGNORE };
                finding = Finding {
                    action: Action::Ok,
                    message: format!("left alone: marked `{marker}`"),
                    edits: Vec::new(),
                    ..finding
                };
            }
            let caveat = finding
                .script
                .as_deref()
                .and_then(|script| map.target(script))
                .and_then(|target| target.caveat.clone());
            if let (Action::Rewrite, Some(caveat)) = (finding.action, caveat) {
                finding = Finding {
                    action: Action::Manual,
                    message: format!("{}; but {caveat}", finding.message),
                    edits: Vec::new(),
                    ..finding
                };
            }
            if finding.action == Action::Rewrite {
                edits
                    .entry((*path).clone())
                    .or_default()
                    .extend(finding.edits);
            }
            plan.references.push(Reference {
                file: (*path).clone(),
                line,
                dialect: dialect.name(),
                script: finding.script,
                action: finding.action,
                message: finding.message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree in memory, where any file can be made unreadable.
    struct Memory {
        files: BTreeSet<String>,
        dirs: BTreeSet<String>,
        texts: BTreeMap<String, Result<String, String>>,
    }

    impl Memory {
        fn new(files: &[(&str, Result<&str, &str>)]) -> Memory {
            let mut memory = Memory {
                files: BTreeSet::new(),
                dirs: BTreeSet::new(),
                texts: BTreeMap::new(),
            };
            for (path, text) in files {
                memory.files.insert((*path).to_owned());
                memory.texts.insert(
                    (*path).to_owned(),
                    text.map(str::to_owned).map_err(str::to_owned),
                );
                let mut dir = parent(path);
                while !dir.is_empty() {
                    memory.dirs.insert(dir.to_owned());
                    dir = parent(dir);
                }
            }
            memory
        }
    }

    impl Source for Memory {
        fn files(&self) -> &BTreeSet<String> {
            &self.files
        }

        fn is_dir(&self, path: &str) -> bool {
            self.dirs.contains(path)
        }

        fn read_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
            let text = self
                .texts
                .get(path)
                .cloned()
                .unwrap_or_else(|| Err("no such file".to_owned()));
            text.map(String::into_bytes)
        }
    }

    #[test]
    fn unreadable_files_are_warnings_and_the_scan_goes_on() {
        let tree = Memory::new(&[
            (
                "setup.cfg",
                Ok("[entry_points]\nwsgi_scripts =\n    toy-api = toy.app:init\n"),
            ),
            ("toy/__init__.py", Ok("")),
            ("toy/app.py", Ok("def init():\n    pass\n")),
            ("etc/locked.ini", Err("Permission denied (os error 13)")),
            (
                "etc/uwsgi.ini",
                Ok("[uwsgi]\nwsgi-file = /usr/bin/toy-api\n"),
            ),
        ]);
        let plan = build(&tree, &Options::default());
        let warning = plan
            .diagnostics
            .iter()
            .find(|diagnostic| diagnostic.file == "etc/locked.ini")
            .expect("a warning");
        assert_eq!(warning.severity, crate::diagnostic::Severity::Warning);
        assert_eq!(warning.message, "not read: Permission denied (os error 13)");
        assert!(!plan.has_errors());
        assert_eq!(plan.references.len(), 1);
        assert_eq!(plan.references[0].file, "etc/uwsgi.ini");
        assert!(
            plan.changes
                .iter()
                .any(|change| change.path() == "toy/wsgi/api.py")
        );
    }

    #[test]
    fn an_unreadable_setup_cfg_is_a_warning_not_a_migration() {
        let tree = Memory::new(&[
            ("setup.cfg", Err("Permission denied (os error 13)")),
            ("toy/__init__.py", Ok("")),
        ]);
        let plan = build(&tree, &Options::default());
        assert_eq!(plan.diagnostics.len(), 1);
        assert_eq!(plan.diagnostics[0].file, "setup.cfg");
        assert!(plan.changes.is_empty() && plan.entry_points.is_empty());
    }
}
