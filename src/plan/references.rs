//! The references side of a plan: which files mention a script, read in parallel and decided
//! from their bytes first, and what each dialect finds in them.

use std::collections::{BTreeMap, BTreeSet};

use super::{Applicability, FileChange, Fix, FixEdit, Plan, Reference, Source};
use crate::diagnostic::Diagnostic;
use crate::dialect::directive::names_file;
use crate::dialect::{self, Action, Context, Finding, LoadedFile, ScriptMap};
use crate::project::scaffold;
use crate::syntax::edit::Edit;
use crate::syntax::python;
use crate::syntax::text::LineIndex;

/// The scripts that modules this tool generated earlier say they replace (their docstring
/// names them), with the module: after a migration the references left behind can still be found.
pub(super) fn generated_modules(source: &dyn Source) -> Vec<(String, String)> {
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
pub(super) fn generated_module_files(source: &dyn Source) -> Vec<(String, String, Vec<String>)> {
    let mut found = Vec::new();
    // Only `<package>/wsgi/<module>.py` files can be generated modules: a substring test first,
    // so that most paths are not split at all.
    for path in source.files().iter().filter(|path| path.contains("/wsgi/")) {
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
            // An application in the package's `__init__.py` is the package itself (ironic's).
            let module = if server == "__init__" {
                format!("{package}.wsgi")
            } else {
                format!("{package}.wsgi.{server}")
            };
            found.push((path.clone(), module, scripts));
        }
    }
    found
}

/// A comment marking a line (or the line below it) to be left alone.
const IGNORE: &str = "wsgi-migrate: ignore";
/// What the ignore comments on one line cover: `wsgi-migrate: ignore` covers every code,
/// `wsgi-migrate: ignore[WM101, script-load]` only those it lists.
#[derive(Debug, Default, PartialEq, Eq)]
struct Ignored {
    every: bool,
    codes: Vec<crate::code::Code>,
}

impl Ignored {
    fn covers(&self, code: crate::code::Code) -> bool {
        self.every || self.codes.contains(&code)
    }
}

/// The ignore comments of `text`, by 1-based line, read once per file: looking a finding's line
/// up here costs the same however long the line is and however many findings it holds (reading
/// the line again for every finding made a one-line file with many mentions quadratic). A list
/// runs to its `]`, the end of its line or the next marker, whichever comes first.
fn ignore_comments(text: &str, index: &LineIndex) -> BTreeMap<usize, Ignored> {
    let markers: Vec<usize> = text.match_indices(IGNORE).map(|(at, _)| at).collect();
    let mut lines: BTreeMap<usize, Ignored> = BTreeMap::new();
    for (number, &at) in markers.iter().enumerate() {
        let line = index.line_of(at);
        let line_end = index.start_of(line + 1).unwrap_or(text.len());
        let end = markers
            .get(number + 1)
            .map_or(line_end, |next| (*next).min(line_end));
        let rest = &text[at + IGNORE.len()..end.max(at + IGNORE.len())];
        let ignored = lines.entry(line).or_default();
        match rest.strip_prefix('[') {
            None => ignored.every = true,
            Some(list) => ignored.codes.extend(
                list.split(']')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|item| crate::code::Code::parse(item.trim())),
            ),
        }
    }
    lines
}

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

/// The modules of `source` that directives load as files (`$FOO_DIR/foo/api/app.py`, written
/// any way that ends in the file's path inside its package), by that path: files of a package
/// (every directory up to the import root holds `__init__.py`) that define `application`, or
/// the entry point's module when the file builds what an entry point builds.
fn source_modules(
    source: &dyn Source,
    loads: &[LoadedFile],
    built: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    if loads.is_empty() {
        return modules;
    }
    for path in source.files() {
        let Some(stem) = path.strip_suffix(".py") else {
            continue;
        };
        if !loads.iter().any(|load| names_file(&load.path, path)) {
            continue;
        }
        // The module starts below the first directory, going up, without `__init__.py`.
        let parts: Vec<&str> = stem.split('/').collect();
        let mut start = parts.len() - 1;
        while start > 0
            && source
                .files()
                .contains(&format!("{}/__init__.py", parts[..start].join("/")))
        {
            start -= 1;
        }
        let module_parts = &parts[start..];
        if module_parts.len() < 2 || !module_parts.iter().all(|part| python::is_identifier(part)) {
            continue;
        }
        let Ok(text) = source.read(path) else {
            continue;
        };
        // A file that builds what an entry point builds is replaced by that entry point's
        // module; any other is loaded as the module it is (other code may import it).
        if let Some(module) = python::application_call(&text).and_then(|call| built.get(&call)) {
            modules.insert(module_parts.join("/") + ".py", module.clone());
        } else if python::defines_application(&text) {
            modules.insert(module_parts.join("/") + ".py", module_parts.join("."));
        }
    }
    modules
}

/// The `.wsgi` files of the tree's packages that its own configs point a WSGI server at, each
/// becoming a `<pkg>.wsgi.<server>` module. When it builds what an entry point builds, it is
/// replaced by that entry point's module. Otherwise, when the file is a module that defines
/// `application` with absolute imports, it moves (a rename, which keeps its history) to
/// `<pkg>/wsgi/<server>.py`, `<server>` being its directory's name (`quokka/api/app.wsgi` is
/// `quokka.wsgi.api`). Each comes with its path, the module and the changes that make it; a file
/// that cannot move (its target exists or is planned, it is no such module, or a config that can
/// only load a file, mod_wsgi's, loads it) stays a `manual` finding.
fn in_tree_wsgi_files(
    source: &dyn Source,
    loads: &[LoadedFile],
    planned: &BTreeSet<String>,
    built: &BTreeMap<String, String>,
) -> Vec<(String, String, Vec<FileChange>)> {
    let files = source.files();
    let mut found = Vec::new();
    let mut targets = BTreeSet::new();
    for path in files.iter().filter(|path| path.ends_with(".wsgi")) {
        let mut loading = loads.iter().filter(|load| names_file(&load.path, path));
        let Some(first) = loading.next() else {
            continue;
        };
        // A config that can only load a file (mod_wsgi) pins it where it is.
        let pinned = !first.rewritable || loading.any(|load| !load.rewritable);
        let Ok(text) = source.read(path) else {
            continue;
        };
        // A file that builds what an entry point builds is replaced by that entry point's
        // module (aodh's `api/app.wsgi` and its `aodh-api` script): its loads go there.
        if let Some(module) = python::application_call(&text).and_then(|call| built.get(&call)) {
            found.push((path.clone(), module.clone(), Vec::new()));
            continue;
        }
        if pinned {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let [package, .., directory, file] = parts.as_slice() else {
            continue;
        };
        let stem = file.trim_end_matches(".wsgi");
        let server = if directory == package {
            stem
        } else {
            directory
        };
        let root_is_package = files.contains(&format!("{package}/__init__.py"));
        if !root_is_package || !python::is_identifier(package) || !python::is_identifier(server) {
            continue;
        }
        let target = format!("{package}/wsgi/{server}.py");
        let init = format!("{package}/wsgi/__init__.py");
        let flat = format!("{package}/wsgi.py");
        if files.contains(&target)
            || planned.contains(&target)
            || files.contains(&flat)
            || !targets.insert(target.clone())
        {
            continue;
        }
        if !python::defines_application(&text) || python::relative_import_line(&text).is_some() {
            continue;
        }
        let mut changes = vec![FileChange::Rename {
            from: path.clone(),
            to: target,
            contents: text,
        }];
        if !files.contains(&init) && !planned.contains(&init) {
            changes.push(FileChange::Create {
                path: init,
                contents: String::new(),
            });
        }
        found.push((path.clone(), format!("{package}.wsgi.{server}"), changes));
    }
    found
}

/// 1-based columns, in characters, of offsets in one text. Counting from the start of the
/// line for every finding would make a file that is one long line (a Markdown paragraph full of
/// mentions) quadratic, so the count goes on from the last offset asked for when the next one
/// is further along the same line, as findings mostly are.
struct Columns<'t> {
    text: &'t str,
    index: &'t LineIndex,
    /// The last offset asked for, and its column.
    last: Option<(usize, usize)>,
}

impl<'t> Columns<'t> {
    fn new(text: &'t str, index: &'t LineIndex) -> Columns<'t> {
        Columns {
            text,
            index,
            last: None,
        }
    }

    fn of(&mut self, offset: usize) -> usize {
        let line_start = self.index.line_start(offset);
        let (from, column) = match self.last {
            Some((at, column)) if line_start <= at && at <= offset => (at, column),
            _ => (line_start, 1),
        };
        let column = self
            .text
            .get(from..offset)
            .map_or(column, |between| column + between.chars().count());
        self.last = Some((offset, column));
        column
    }

    /// An edit as line and column positions.
    fn edit(&mut self, edit: &Edit) -> FixEdit {
        FixEdit {
            start_line: self.index.line_of(edit.range.start),
            start_column: self.of(edit.range.start),
            end_line: self.index.line_of(edit.range.end),
            end_column: self.of(edit.range.end),
            content: edit.replacement.clone(),
        }
    }
}

/// Find every reference in the files the dialects claim.
pub(super) fn scan_references(
    source: &dyn Source,
    planned: &BTreeSet<String>,
    map: &ScriptMap,
    plan: &mut Plan,
    edits: &mut BTreeMap<String, Vec<Edit>>,
) {
    let (texts, warnings) = read_candidates(source, map);
    plan.diagnostics.extend(warnings);
    let mut context = Context::default();
    for (path, dialect, text) in &texts {
        dialect.collect(path, text, map, &mut context);
    }
    // A directive that loads a source file is rewritten to its module when a planned tree holds
    // that file and it defines `application`: look up the few files such directives name, and
    // read those files again with the modules known.
    let mut scanned: Vec<Vec<Finding>> = texts
        .iter()
        .map(|(path, dialect, text)| dialect.scan(path, text, map, &context))
        .collect();
    let loads: Vec<LoadedFile> = scanned
        .iter()
        .flatten()
        .filter_map(|finding| finding.loads_file.clone())
        .collect();
    // The applications the tree's entry points build, by the dotted callable, with their module.
    let built: BTreeMap<String, String> = plan
        .entry_points
        .iter()
        .filter_map(|entry| Some((entry.target.replace(':', "."), entry.module.clone()?)))
        .collect();
    let mut files = source_modules(source, &loads, &built);
    for (path, module, changes) in in_tree_wsgi_files(source, &loads, planned, &built) {
        files.insert(path, module);
        plan.changes.extend(changes);
    }
    if !files.is_empty() {
        let with_files = map.clone().with_files(files);
        for ((path, dialect, text), findings) in texts.iter().zip(&mut scanned) {
            if findings.iter().any(|finding| finding.loads_file.is_some()) {
                *findings = dialect.scan(path, text, &with_files, &context);
            }
        }
    }
    for ((path, dialect, text), findings) in texts.iter().zip(scanned) {
        let index = LineIndex::new(text);
        let mut columns = Columns::new(text, &index);
        let ignored = ignore_comments(text, &index);
        let skip_file = text.contains(SKIP_FILE);
        for mut finding in findings {
            let line = index.line_of(finding.offset);
            if let Some(warning) = finding.warning.take() {
                plan.diagnostics
                    .push(Diagnostic::warning(path, Some(line), warning));
            }
            let code = finding.code;
            let marked = |number: usize| {
                ignored
                    .get(&number)
                    .is_some_and(|ignored| ignored.covers(code))
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
            // A rewrite the map cautions against is shown, never written.
            if let (Action::Rewrite, Some(caveat)) = (finding.action, caveat) {
                finding = Finding {
                    action: Action::Manual,
                    message: format!("{}; but {caveat}", finding.message),
                    ..finding
                };
            }
            let column = columns.of(finding.offset);
            let fix = (!finding.edits.is_empty()).then(|| Fix {
                applicability: if finding.action == Action::Rewrite {
                    Applicability::Safe
                } else {
                    Applicability::DisplayOnly
                },
                edits: finding
                    .edits
                    .iter()
                    .map(|edit| columns.edit(edit))
                    .collect(),
            });
            if finding.action == Action::Rewrite {
                edits
                    .entry((*path).clone())
                    .or_default()
                    .extend(finding.edits);
            }
            plan.references.push(Reference {
                file: (*path).clone(),
                line,
                column,
                code: finding.code,
                dialect: dialect.name(),
                script: finding.script,
                action: finding.action,
                message: finding.message,
                fix,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_in_any_order() {
        let text = "é x y\nab";
        let index = LineIndex::new(text);
        let mut columns = Columns::new(text, &index);
        assert_eq!(columns.of(3), 3); // `x`, after `é` (two bytes) and a space
        assert_eq!(columns.of(5), 5); // `y`, counted on from `x`
        assert_eq!(columns.of(0), 1); // backwards: counted from the line's start again
        assert_eq!(columns.of(7), 1); // `a`, on the next line
        assert_eq!(columns.of(8), 2);
    }
    use crate::code::Code;

    /// Whether the one line `line` carries an ignore comment that covers `code`.
    fn ignores(line: &str, code: Code) -> bool {
        let lines = ignore_comments(line, &LineIndex::new(line));
        lines.get(&1).is_some_and(|ignored| ignored.covers(code))
    }

    #[test]
    fn an_ignore_comment_covers_every_code_or_the_codes_it_lists() {
        assert!(ignores("# wsgi-migrate: ignore", Code::ScriptLoad));
        assert!(ignores("x # wsgi-migrate: ignore[WM101]", Code::ScriptLoad));
        assert!(ignores(
            "# wsgi-migrate: ignore[WM102, script-load]",
            Code::ScriptLoad
        ));
        assert!(!ignores("# wsgi-migrate: ignore[WM102]", Code::ScriptLoad));
        assert!(!ignores(
            "# wsgi-migrate: ignore[WM101",
            Code::UnknownScriptLoad
        ));
        assert!(!ignores("# nothing here", Code::ScriptLoad));
    }

    #[test]
    fn ignore_comments_are_read_once_per_line() {
        let text = "a\nx # wsgi-migrate: ignore[WM102\n# wsgi-migrate: ignore[WM101] wsgi-migrate: ignore[WM102]\r\nb # wsgi-migrate: ignore\n";
        let lines = ignore_comments(text, &LineIndex::new(text));
        assert_eq!(lines.keys().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        // A list without its `]` stops at the end of its line.
        assert_eq!(lines[&2].codes, vec![Code::parse("WM102").unwrap()]);
        assert!(!lines[&2].every);
        assert!(lines[&3].covers(Code::ScriptLoad));
        assert!(lines[&3].covers(Code::parse("WM102").unwrap()));
        assert!(!lines[&3].covers(Code::EntryPoint));
        assert!(lines[&4].every);
    }
}
