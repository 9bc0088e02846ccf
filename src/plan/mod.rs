//! From a repository to a [`Plan`]: every entry point with the module that replaces it, every
//! reference with its action, the diagnostics, and the exact file changes.
//!
//! The plan is computed once and every command is a view of it: `scan` prints its findings,
//! `apply --dry-run` its diff, `apply` writes its changes, `check` reports what is left. That is
//! what guarantees the diff shown is exactly what is written.
//!
//! The planner reads files only through [`Source`], so it decides nothing from the file system
//! by itself; [`crate::effects::workspace`] implements it for a directory on disk.

mod project;
mod references;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::code::Code;
use crate::diagnostic::Diagnostic;
pub(crate) use crate::dialect::file_name;
use crate::dialect::{Action, AppTarget, ScriptMap};
use crate::script_map::{self, MapBuilder, MapSource};
use crate::syntax::edit::{self, Edit};

use project::{
    plan_doc_exclusions, plan_project, plan_release_notes, read_declarations, remove_declarations,
};
use references::{generated_module_files, generated_modules, scan_references};

pub use references::BINARY_SNIFF;

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

    /// Problems the walk met (a path it could not open, a tracked directory that became a
    /// symbolic link), reported with the plan's diagnostics.
    fn warnings(&self) -> Vec<Diagnostic> {
        Vec::new()
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
    /// A module defining `application` for the script already exists; nothing is generated.
    Exists,
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
    /// 1-based, in characters.
    pub column: usize,
    pub code: Code,
    pub dialect: &'static str,
    pub script: Option<String>,
    pub action: Action,
    pub message: String,
    /// The edits that would make this place migrated, kept whole: `safe` ones `apply` writes,
    /// `display-only` ones are shown and never written (a release-pinned override).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// Whether `apply` writes a fix, as ruff's applicability says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// `apply` writes it.
    Safe,
    /// Shown, never written.
    DisplayOnly,
}

/// A finding's fix: its edits as 1-based line and column positions in the file as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<FixEdit>,
}

/// Replace the text from `start` up to `end` (exclusive) with `content`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixEdit {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub content: String,
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

impl PlannedEntryPoint {
    /// What kind of finding the declaration is.
    pub fn code(&self) -> Code {
        match self.status {
            EntryStatus::Exists => Code::ModuleExists,
            EntryStatus::Generate | EntryStatus::Error => Code::EntryPoint,
        }
    }
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
    let map = builder.script_map().with_shipped(shipped_scripts(sources));
    sources
        .iter()
        .zip(drafts)
        .map(|(source, draft)| finish(*source, draft, &map))
        .collect()
}

/// The scripts the planned projects ship as plain files, by name: setuptools' `[options]
/// scripts` and PBR's `[files] scripts` in each `setup.cfg`. pip installs those still, so a
/// server that loads one needs nothing (gnocchi ships `gnocchi-api` that way).
fn shipped_scripts(sources: &[&dyn Source]) -> BTreeSet<String> {
    let mut shipped = BTreeSet::new();
    for source in sources {
        for path in source.files() {
            if !path.ends_with("setup.cfg") || file_name(path) != "setup.cfg" {
                continue;
            }
            let Ok(text) = source.read(path) else {
                continue;
            };
            let document = crate::syntax::ini::IniDocument::parse(&text);
            for section in ["options", "files"] {
                let Some(section) = document.section(section) else {
                    continue;
                };
                for option in section
                    .options
                    .iter()
                    .filter(|option| option.key == "scripts")
                {
                    shipped.extend(
                        document
                            .value(option)
                            .split_whitespace()
                            .map(|script| file_name(script).to_owned()),
                    );
                }
            }
        }
    }
    shipped
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
    let mut claims = project::Claims::new();
    for project in &declarations {
        plan_project(
            source,
            project,
            options,
            &mut plan,
            &mut creates,
            &mut declared,
            &mut claims,
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
            // (from the registry, or from a module generated earlier), which may be the
            // package itself (`ironic.wsgi`); `__init__` names that package.
            Ok(target) => match builder.entries().get(script).and_then(|entry| {
                let module = &entry.target.module;
                module
                    .split_once(".wsgi.")
                    .map(|(package, _)| package)
                    .or_else(|| module.strip_suffix(".wsgi"))
            }) {
                Some(package) => {
                    let module = if target.module == "__init__" {
                        format!("{package}.wsgi")
                    } else {
                        format!("{package}.wsgi.{}", target.module)
                    };
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
    let planned: BTreeSet<String> = creates.keys().cloned().collect();
    scan_references(source, &planned, map, &mut plan, &mut edits);

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
    plan.diagnostics.extend(source.warnings());
    plan.diagnostics
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    plan.references
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    plan
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `path` under the relative directory `dir` (`""` for the root), `/`-separated.
pub(crate) fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
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
        // `a/b/nova/wsgi/api.py` holding `nova.wsgi.api` is imported from `a/b`, and so is
        // `a/b/ironic/wsgi/__init__.py` holding `ironic.wsgi`.
        let depth = module.split('.').count() + usize::from(path.ends_with("/__init__.py"));
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
        .filter(|entry| entry.status == EntryStatus::Exists)
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
    fn an_in_tree_wsgi_file_moves_to_a_module_unless_mod_wsgi_loads_it() {
        let files = [
            ("quokka/__init__.py", Ok("")),
            ("quokka/api/__init__.py", Ok("")),
            (
                "quokka/api/app.wsgi",
                Ok("from quokka.api import app\n\napplication = app.load_app()\n"),
            ),
            (
                "devstack/settings",
                Ok("QUOKKA_UWSGI=$QUOKKA_DIR/quokka/api/app.wsgi\n"),
            ),
        ];
        let plan = build(&Memory::new(&files), &Options::default());
        assert!(plan.changes.iter().any(|change| matches!(
            change,
            FileChange::Rename { from, to, .. }
                if from == "quokka/api/app.wsgi" && to == "quokka/wsgi/api.py"
        )));
        assert!(plan.changes.iter().any(|change| matches!(
            change,
            FileChange::Modify { after, .. } if after == "QUOKKA_UWSGI=quokka.wsgi.api:application\n"
        )));
        // A file that builds what an entry point builds is replaced by its module.
        let mut with_entry = files.to_vec();
        with_entry.push((
            "setup.cfg",
            Ok("[entry_points]\nwsgi_scripts =\n    quokka-api = quokka.api.app:load_app\n"),
        ));
        let plan = build(&Memory::new(&with_entry), &Options::default());
        assert!(
            !plan
                .changes
                .iter()
                .any(|change| matches!(change, FileChange::Rename { .. })),
            "{:?}",
            plan.changes
        );
        assert!(plan.changes.iter().any(|change| matches!(
            change,
            FileChange::Modify { after, .. } if after == "QUOKKA_UWSGI=quokka.wsgi.api:application\n"
        )));
        // The same for a `.py` file: replaced by the entry point's module, never moved.
        let py = [
            ("quokka/__init__.py", Ok("")),
            ("quokka/api/__init__.py", Ok("")),
            (
                "quokka/api/server.py",
                Ok("from quokka.api import app\n\napplication = app.load_app()\n"),
            ),
            (
                "etc/uwsgi.ini",
                Ok("[uwsgi]\nwsgi-file = /opt/quokka/quokka/api/server.py\n"),
            ),
            (
                "setup.cfg",
                Ok("[entry_points]\nwsgi_scripts =\n    quokka-api = quokka.api.app:load_app\n"),
            ),
        ];
        let plan = build(&Memory::new(&py), &Options::default());
        assert!(plan.changes.iter().any(|change| matches!(
            change,
            FileChange::Modify { after, .. } if after == "[uwsgi]\nmodule = quokka.wsgi.api:application\n"
        )));
        // Apache loads the same file: it stays where it is, and both are left to a person.
        let mut with_apache = files.to_vec();
        with_apache.push((
            "httpd/quokka.conf",
            Ok("<VirtualHost *:80>\n    WSGIScriptAlias / /opt/stack/quokka/quokka/api/app.wsgi\n</VirtualHost>\n"),
        ));
        let plan = build(&Memory::new(&with_apache), &Options::default());
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert_eq!(
            plan.references
                .iter()
                .filter(|reference| reference.action == Action::Manual)
                .count(),
            2
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

    /// The service side gives every registry script the registry's module when the tree declares
    /// the target the registry knows, so a deployment rewritten from the registry points at the
    /// module a service migrated with this tool has (ironic's `ironic.wsgi`, not `.wsgi.api`).
    #[test]
    fn planning_a_registry_script_gives_the_registry_module() {
        let mut checked = 0;
        for known in crate::project::registry::scripts() {
            if known.module.is_empty() {
                continue;
            }
            let (module, attr) = known.target.split_once(':').unwrap();
            let setup = format!(
                "[entry_points]\nwsgi_scripts =\n    {} = {}\n",
                known.name, known.target
            );
            let target_file = format!("{}.py", module.replace('.', "/"));
            let factory = format!("def {}():\n    pass\n", attr.split('.').next().unwrap());
            let mut files = vec![("setup.cfg", Ok(setup.as_str()))];
            let inits: Vec<String> = (1..module.split('.').count())
                .map(|depth| {
                    let package: Vec<&str> = module.split('.').take(depth).collect();
                    format!("{}/__init__.py", package.join("/"))
                })
                .collect();
            files.extend(inits.iter().map(|path| (path.as_str(), Ok(""))));
            files.push((target_file.as_str(), Ok(factory.as_str())));
            let tree = Memory::new(&files);
            let plan = build(&tree, &Options::default());
            assert!(!plan.has_errors(), "{}: {:?}", known.name, plan.diagnostics);
            assert_eq!(
                plan.entry_points[0].module.as_deref(),
                Some(known.module.as_str()),
                "{}",
                known.name
            );
            checked += 1;
        }
        assert!(checked >= 25, "{checked}");
    }

    #[test]
    fn a_package_module_is_imported_from_above_its_package() {
        let tree = Memory::new(&[
            (
                "svc/setup.cfg",
                Ok(
                    "[entry_points]\nwsgi_scripts =\n    ironic-api-wsgi = ironic.api.wsgi:initialize_wsgi_app\n",
                ),
            ),
            ("svc/ironic/__init__.py", Ok("")),
            ("svc/ironic/api/__init__.py", Ok("")),
            (
                "svc/ironic/api/wsgi.py",
                Ok("def initialize_wsgi_app():\n    pass\n"),
            ),
            (
                "svc/ironic/wsgi/__init__.py",
                Ok("from ironic.api import wsgi\n\napplication = wsgi.initialize_wsgi_app()\n"),
            ),
        ]);
        let plan = build(&tree, &Options::default());
        assert_eq!(plan.entry_points[0].status, EntryStatus::Exists);
        assert_eq!(
            exposed_modules(&tree, &plan),
            vec![ExposedModule {
                module: "ironic.wsgi".to_owned(),
                import_dir: "svc".to_owned(),
            }]
        );
    }

    fn toy_tree(extra: &[(&'static str, Result<&'static str, &'static str>)]) -> Memory {
        let mut files = vec![
            (
                "setup.cfg",
                Ok("[entry_points]\nwsgi_scripts =\n    toy-api = toy.app:init\n"),
            ),
            ("toy/__init__.py", Ok("")),
            ("toy/app.py", Ok("def init():\n    pass\n")),
        ];
        files.extend_from_slice(extra);
        Memory::new(&files)
    }

    fn with_name(name: &str) -> Options {
        Options {
            names: BTreeMap::from([("toy-api".to_owned(), name.to_owned())]),
            ..Options::default()
        }
    }

    #[test]
    fn names_that_would_shadow_or_replace_code_are_errors() {
        // The factory module of cinder's layout.
        let tree = toy_tree(&[
            ("toy/wsgi/__init__.py", Ok("")),
            ("toy/wsgi/wsgi.py", Ok("def initialize():\n    pass\n")),
        ]);
        let plan = build(&tree, &with_name("wsgi"));
        assert!(plan.has_errors());
        assert!(
            plan.diagnostics[0]
                .message
                .contains("--name toy-api=wsgi: `toy/wsgi/wsgi.py` already exists and does not define `application`"),
            "{:?}",
            plan.diagnostics
        );
        assert!(plan.changes.is_empty());
        // A package directory of that name would shadow the new module.
        let tree = toy_tree(&[
            ("toy/wsgi/__init__.py", Ok("")),
            ("toy/wsgi/api/__init__.py", Ok("")),
        ]);
        let plan = build(&tree, &with_name("api"));
        assert!(
            plan.diagnostics[0]
                .message
                .contains("the package `toy/wsgi/api/` would shadow a new `toy/wsgi/api.py`"),
            "{:?}",
            plan.diagnostics
        );
        // `__init__` over an `__init__.py` that holds code.
        let tree = toy_tree(&[("toy/wsgi/__init__.py", Ok("import os\n"))]);
        let plan = build(&tree, &with_name("__init__"));
        assert!(
            plan.diagnostics[0]
                .message
                .contains("`toy/wsgi/__init__.py` holds other code"),
            "{:?}",
            plan.diagnostics
        );
    }

    #[test]
    fn the_package_itself_is_generated_into_a_blank_init() {
        let tree = toy_tree(&[("toy/wsgi/__init__.py", Ok("\n"))]);
        let plan = build(&tree, &with_name("toy.wsgi"));
        assert!(!plan.has_errors(), "{:?}", plan.diagnostics);
        assert_eq!(plan.entry_points[0].module.as_deref(), Some("toy.wsgi"));
        let Some(FileChange::Modify {
            path,
            before,
            after,
        }) = plan
            .changes
            .iter()
            .find(|change| change.path() == "toy/wsgi/__init__.py")
        else {
            panic!("{:?}", plan.changes);
        };
        assert_eq!(
            (path.as_str(), before.as_str()),
            ("toy/wsgi/__init__.py", "\n")
        );
        assert!(after.contains("application = init()\n"), "{after}");
    }

    #[test]
    fn a_rule_name_taken_by_other_code_falls_back_to_nothing_silently_never() {
        // The rule's `api.py` holds other code and no override names another: an error that
        // says how to choose, nothing written.
        let tree = toy_tree(&[
            ("toy/wsgi/__init__.py", Ok("")),
            ("toy/wsgi/api.py", Ok("import os\n")),
        ]);
        let plan = build(&tree, &Options::default());
        assert!(plan.has_errors());
        assert!(
            plan.diagnostics[0]
                .message
                .contains("choose another module with --name toy-api=SERVER"),
            "{:?}",
            plan.diagnostics
        );
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn a_registry_package_taken_by_other_code_falls_back_to_the_rule() {
        // ironic's registry module is the package; an `__init__.py` with code keeps it.
        let tree = Memory::new(&[
            (
                "setup.cfg",
                Ok(
                    "[entry_points]\nwsgi_scripts =\n    ironic-api-wsgi = ironic.api.wsgi:initialize_wsgi_app\n",
                ),
            ),
            ("ironic/__init__.py", Ok("")),
            ("ironic/api/__init__.py", Ok("")),
            (
                "ironic/api/wsgi.py",
                Ok("def initialize_wsgi_app():\n    pass\n"),
            ),
            ("ironic/wsgi/__init__.py", Ok("import os\n")),
        ]);
        let plan = build(&tree, &Options::default());
        assert!(!plan.has_errors(), "{:?}", plan.diagnostics);
        assert_eq!(
            plan.entry_points[0].module.as_deref(),
            Some("ironic.wsgi.api")
        );
        assert_eq!(plan.entry_points[0].status, EntryStatus::Generate);
    }

    #[test]
    fn a_bare_name_for_an_undeclared_script_goes_under_the_registry_package() {
        let tree = Memory::new(&[("etc/uwsgi.ini", Ok("[uwsgi]\nmodule = x\n"))]);
        let options = |name: &str| Options {
            names: BTreeMap::from([("ironic-api-wsgi".to_owned(), name.to_owned())]),
            ..Options::default()
        };
        let module = |name: &str| {
            let (builder, diagnostics) = script_map(&[&tree], &options(name));
            assert!(diagnostics.is_empty(), "{diagnostics:?}");
            builder.entries()["ironic-api-wsgi"].target.module.clone()
        };
        assert_eq!(module("api"), "ironic.wsgi.api");
        assert_eq!(module("__init__"), "ironic.wsgi");
    }

    #[test]
    fn configuration_errors_name_file_and_line() {
        let tree = toy_tree(&[
            (
                "wsgi-migrate.toml",
                Ok("dev-server = false\n\n[names]\ntoy-api = 3\n"),
            ),
            (
                "sub/wsgi-migrate.toml",
                Ok("keep-entry-points = true\nnames = [\n"),
            ),
        ]);
        let plan = build(&tree, &Options::default());
        let errors: Vec<(String, Option<usize>, String)> = plan
            .diagnostics
            .iter()
            .map(|d| (d.file.clone(), d.line, d.message.clone()))
            .collect();
        assert!(
            errors
                .iter()
                .any(|(file, line, message)| file == "wsgi-migrate.toml"
                    && *line == Some(4)
                    && message == "name for `toy-api` must be a string"),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|(file, line, message)| file == "sub/wsgi-migrate.toml"
                    && line.is_some()
                    && message.starts_with("not valid TOML")),
            "{errors:?}"
        );
        assert!(plan.has_errors());
    }
}
