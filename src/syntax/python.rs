//! Python names: what may become a module path, an import or a file name.
//!
//! Script names and entry-point targets come from files this tool does not control, and they end
//! up as file paths and as Python source. Everything here is an allow-list: ASCII identifiers
//! only, so a Unicode look-alike or an injected `; import os` can never pass.

/// Python's hard keywords (3.12). Soft keywords such as `match` and `type` are valid names.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// An ASCII identifier that is not a keyword.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !is_keyword(name)
}

/// A dotted module path such as `nova.api.openstack.compute.wsgi`.
pub fn is_dotted_path(path: &str) -> bool {
    !path.is_empty() && path.split('.').all(is_identifier)
}

/// Why `name` is not a plain file name a script could have had, or `None` when it is one.
///
/// PBR wrote each script into a bin directory under exactly this name, and deployment configs
/// refer to it by basename, so it must not be able to name another directory.
pub fn script_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the script name is empty".to_owned());
    }
    if name.contains(['/', '\\']) {
        return Some(format!(
            "script name `{}` contains a path separator",
            escape(name)
        ));
    }
    if name == "." || name == ".." {
        return Some(format!("script name `{name}` is not a file name"));
    }
    if name.chars().any(char::is_control) {
        return Some(format!(
            "script name `{}` contains a control character",
            escape(name)
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+');
    if !name.chars().all(allowed) || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some(format!(
            "script name `{}` is not a plain file name (letters, digits, `-`, `_`, `.` and `+`, starting with a letter or digit)",
            escape(name)
        ));
    }
    None
}

/// `text` with control and non-ASCII characters shown as escapes, safe to print in a message.
pub fn escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() || !c.is_ascii() {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// What the module-level `application = X(...)` in `source` calls, as a dotted path with the
/// file's imports resolved: `from nova.api import wsgi` then `wsgi.init_application()` gives
/// `nova.api.wsgi.init_application`. `None` when no such assignment exists.
///
/// This reads Python line by line, without a parser, which suffices for the shapes upstream and
/// this tool write; anything it cannot follow simply does not match.
pub fn application_call(source: &str) -> Option<String> {
    let imports = imported_names(source);
    source.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("application")?;
        let rest = rest.trim_start().strip_prefix('=')?.trim_start();
        let call_end = rest.find('(')?;
        let called = rest[..call_end].trim_end();
        if !is_dotted_path(called) {
            return None;
        }
        Some(resolve_call(called, &imports, None))
    })
}

/// The dotted path `called` names, its first part resolved through `imports`; a name not
/// imported is `local.name` when the caller's module is given, else itself.
fn resolve_call(called: &str, imports: &[(String, String)], local: Option<&str>) -> String {
    let (head, tail) = called
        .split_once('.')
        .map_or((called, None), |(head, tail)| (head, Some(tail)));
    let resolved = imports
        .iter()
        .rev()
        .find(|(name, _)| name == head)
        .map_or_else(
            || local.map_or_else(|| head.to_owned(), |module| format!("{module}.{head}")),
            |(_, full)| full.clone(),
        );
    match tail {
        Some(tail) => format!("{resolved}.{tail}"),
        None => resolved,
    }
}

/// Local name to dotted path for every `import` and `from ... import` line of `source`.
fn imported_names(source: &str) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for line in source.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if let Some(rest) = line.strip_prefix("from ") {
            let Some((module, imported)) = rest.split_once(" import ") else {
                continue;
            };
            let imported = imported
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')');
            for item in imported.split(',') {
                let mut parts = item.split_whitespace();
                let (Some(name), alias) = (parts.next(), parts.nth(1)) else {
                    continue;
                };
                names.push((
                    alias.unwrap_or(name).to_owned(),
                    format!("{}.{name}", module.trim()),
                ));
            }
        } else if let Some(rest) = line.strip_prefix("import ") {
            for item in rest.split(',') {
                let mut parts = item.split_whitespace();
                let (Some(module), alias) = (parts.next(), parts.nth(1)) else {
                    continue;
                };
                match alias {
                    Some(alias) => names.push((alias.to_owned(), module.to_owned())),
                    None => {
                        let head = module.split('.').next().unwrap_or(module);
                        names.push((head.to_owned(), head.to_owned()));
                    }
                }
            }
        }
    }
    names
}

/// Follow module-level `name = other` aliases in `source`, as keystone's
/// `initialize_admin_application = initialize_public_application`, to the name they end at.
pub fn resolve_alias(source: &str, name: &str) -> String {
    let mut current = name.to_owned();
    // A bound on the chain keeps a cycle (`a = b`, `b = a`) from looping.
    for _ in 0..8 {
        let next = source.lines().find_map(|line| {
            let rest = line.strip_prefix(current.as_str())?;
            let value = rest.trim_start().strip_prefix('=')?.trim();
            let value = value.split('#').next().unwrap_or_default().trim();
            (is_identifier(value) && !rest.trim_start().starts_with("==")).then(|| value.to_owned())
        });
        match next {
            Some(next) if next != current => current = next,
            _ => break,
        }
    }
    current
}

/// The 1-based line of the first relative import (`from . import x`, `from .y import z`).
pub fn relative_import_line(source: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| line.trim_start().starts_with("from ."))
        .map(|index| index + 1)
}

/// Whether `source` assigns a module-level `application` from a call, as a WSGI file does.
pub fn builds_application_at_import(source: &str) -> bool {
    source.lines().any(|line| {
        line.strip_prefix("application")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .is_some_and(|value| !value.starts_with('=') && value.contains('('))
    })
}

/// Whether `source` defines a module-level `application`: assigned at the top level (or in a
/// top-level block such as pbr's `with app_lock:`), defined, or imported under that name.
pub fn defines_application(source: &str) -> bool {
    source.lines().any(|line| {
        let code = line.split('#').next().unwrap_or_default();
        let top = !code.starts_with([' ', '\t']);
        let trimmed = code.trim();
        let assigned = trimmed
            .strip_prefix("application")
            .map(str::trim_start)
            .is_some_and(|rest| {
                (rest.starts_with('=') && !rest.starts_with("==")) || rest.starts_with(':')
            });
        let defined = top
            && (trimmed.starts_with("def application(")
                || trimmed.starts_with("class application"));
        let imported = top
            && (trimmed.starts_with("from ") || trimmed.starts_with("import "))
            && trimmed
                .split([',', ' ', '(', ')'])
                .any(|word| word == "application")
            && !trimmed.starts_with("import application");
        assigned && (top || line_is_in_top_level_block(source, line)) || defined || imported
    })
}

/// Whether the indented `line` of `source` sits in a block opened at the top level by `with`,
/// `if` or `try` (pbr's lock), rather than in a function or class.
fn line_is_in_top_level_block(source: &str, line: &str) -> bool {
    let position = line.as_ptr() as usize - source.as_ptr() as usize;
    source[..position]
        .lines()
        .rev()
        .find(|above| !above.trim().is_empty() && !above.starts_with([' ', '\t', '#']))
        .is_some_and(|opener| {
            ["with ", "if ", "try:", "else:", "elif "]
                .iter()
                .any(|keyword| opener.starts_with(keyword))
        })
}

/// The dotted paths called in the body of the top-level function `function` of `source` (the
/// module `module`), with the file's imports resolved: nova's `init_application` in
/// `nova.api.openstack.compute.wsgi` calls `nova.api.openstack.wsgi_app.init_application`.
pub fn function_calls(source: &str, module: &str, function: &str) -> Vec<String> {
    let imports = imported_names(source);
    let header = format!("def {function}(");
    let mut lines = source.lines().skip_while(|line| !line.starts_with(&header));
    if lines.next().is_none() {
        return Vec::new();
    }
    let mut calls = Vec::new();
    for line in lines {
        if !line.trim().is_empty() && !line.starts_with([' ', '\t', '#']) {
            break;
        }
        let code = line.split('#').next().unwrap_or_default();
        for (index, _) in code.match_indices('(') {
            let before = &code[..index];
            let start = before
                .rfind(|c: char| !(c == '_' || c == '.' || c.is_ascii_alphanumeric()))
                .map_or(0, |position| position + 1);
            let called = &before[start..];
            if !is_dotted_path(called) {
                continue;
            }
            calls.push(resolve_call(called, &imports, Some(module)));
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_ascii_and_not_keywords() {
        assert!(is_identifier("init_application"));
        assert!(is_identifier("_x1"));
        assert!(is_identifier("match"));
        assert!(!is_identifier("class"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("nоva")); // Cyrillic o
        assert!(!is_identifier(""));
        assert!(is_dotted_path("nova.api.wsgi"));
        assert!(!is_dotted_path("nova..wsgi"));
        assert!(!is_dotted_path("nova/wsgi"));
    }

    #[test]
    fn application_calls_resolve_imports() {
        let source = "import threading\n\nfrom nova.api.openstack.compute.wsgi import init_application\n\napplication = None\nwith app_lock:\n    if application is None:\n        application = init_application()\n";
        assert_eq!(
            application_call(source).unwrap(),
            "nova.api.openstack.compute.wsgi.init_application"
        );
        let source = "from placement import wsgi\napplication = wsgi.init_application()\n";
        assert_eq!(
            application_call(source).unwrap(),
            "placement.wsgi.init_application"
        );
        let source = "import toy.app as factory\napplication = factory.App.build()\n";
        assert_eq!(application_call(source).unwrap(), "toy.app.App.build");
        let source = "from toy.app import application as _target\napplication = _target()\n";
        assert_eq!(application_call(source).unwrap(), "toy.app.application");
        assert_eq!(application_call("application = None\n"), None);
    }

    #[test]
    fn import_time_facts() {
        assert_eq!(
            relative_import_line("import os\nfrom . import x\n"),
            Some(2)
        );
        assert_eq!(relative_import_line("from os import path\n"), None);
        assert!(builds_application_at_import(
            "def f():\n    pass\napplication = f()\n"
        ));
        assert!(!builds_application_at_import(
            "application = None\n    application = f()\n"
        ));
    }

    #[test]
    fn module_level_applications() {
        for source in [
            "application = None\nwith lock:\n    if application is None:\n        application = f()\n",
            "import sys\napplication = api_app.load_app()\n",
            "from ironic.wsgi import application  # noqa\n",
            "def application(environ, start_response):\n    pass\n",
            "application: object = None\n",
        ] {
            assert!(defines_application(source), "{source}");
        }
        for source in [
            "def init():\n    application = f()\n    return application\n",
            "if application == x:\n    pass\n",
            "# application = f()\n",
            "from toy.app import application_factory\n",
            "",
        ] {
            assert!(!defines_application(source), "{source}");
        }
    }

    #[test]
    fn calls_inside_a_function() {
        let source = "from nova.api.openstack import wsgi_app\n\nNAME = 'x'\n\n\ndef init_application():\n    return wsgi_app.init_application(NAME)\n\n\ndef other():\n    return helper()\n";
        assert_eq!(
            function_calls(
                source,
                "nova.api.openstack.compute.wsgi",
                "init_application"
            ),
            vec!["nova.api.openstack.wsgi_app.init_application"]
        );
        assert_eq!(function_calls(source, "m", "other"), vec!["m.helper"]);
        assert!(function_calls(source, "m", "missing").is_empty());
    }

    #[test]
    fn aliases_are_followed() {
        let source = "def public():\n    pass\n\n# admin is public\nadmin = public\nloop_a = loop_b\nloop_b = loop_a\n";
        assert_eq!(resolve_alias(source, "admin"), "public");
        assert_eq!(resolve_alias(source, "public"), "public");
        assert!(resolve_alias(source, "loop_a").starts_with("loop_"));
    }

    #[test]
    fn script_names_are_plain_file_names() {
        assert_eq!(script_name_problem("nova-api-wsgi"), None);
        assert_eq!(script_name_problem("placement-api"), None);
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "/usr/bin/x",
            "a\0b",
            "a b",
            "-x",
            "x;y",
        ] {
            assert!(script_name_problem(bad).is_some(), "{bad:?} accepted");
        }
        assert!(script_name_problem("a\u{7}b").unwrap().contains("\\u{7}"));
    }
}
