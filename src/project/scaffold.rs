//! The text of a generated `<pkg>/wsgi/<server>.py` module.
//!
//! The module reproduces the import branch of PBR's script template: it imports the entry
//! point's target with an absolute import (mod_wsgi loads the file as a script under a synthetic
//! name, where a relative import would fail) and builds `application` once at import time by
//! calling the target exactly as written, with no arguments. The lock is created once at module
//! level and then used; upstream copied a lock created inside the `with` statement, which
//! protects nothing.
//!
//! With `--dev-server` the module also keeps PBR's developer server: run as `python -m
//! <module>`, it takes `--port/-p`, `--host/-b` and hands the arguments after `--` to the
//! application through `sys.argv` before building it.

use crate::project::entry_points::Target;
use crate::syntax::python;

pub struct ModuleSpec<'a> {
    /// The scripts this module replaces, in declaration order.
    pub scripts: &'a [String],
    pub target: &'a Target,
    /// The project's licence comment block, ending with a newline, if its files carry one.
    pub licence_header: Option<&'a str>,
    pub dev_server: bool,
}

/// Names the generated module defines itself; a target attribute with one of them is imported
/// under another name.
const OWN_NAMES: &[&str] = &["threading", "application", "app_lock", "_serve"];

pub fn module_source(spec: &ModuleSpec<'_>) -> String {
    let mut out = String::new();
    if let Some(header) = spec.licence_header {
        out.push_str(header);
        out.push('\n');
    }
    out.push_str(&docstring(&format!(
        "WSGI application replacing the {}.",
        script_list(spec.scripts)
    )));
    out.push('\n');
    out.push_str("import threading\n\n");

    let first = spec.target.first_attr();
    let local = if OWN_NAMES.contains(&first) {
        "_target"
    } else {
        first
    };
    let imported = if local == first {
        first.to_owned()
    } else {
        format!("{first} as {local}")
    };
    let import = format!("from {} import {imported}", spec.target.module);
    if import.len() <= MAX_LINE {
        out.push_str(&format!("{import}\n\n"));
    } else {
        out.push_str(&format!(
            "from {} import (\n    {imported})\n\n",
            spec.target.module
        ));
    }
    let call = std::iter::once(local)
        .chain(spec.target.attrs[1..].iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(".");

    out.push_str("application = None\napp_lock = threading.Lock()\n");
    if spec.dev_server {
        out.push_str("\n\n");
        out.push_str(&dev_server(&call));
        out.push_str("\n\nif __name__ == \"__main__\":\n    _serve()\nelse:\n");
        out.push_str(&build(&call, "    "));
    } else {
        out.push('\n');
        out.push_str(&build(&call, ""));
    }
    out
}

/// OpenStack's flake8 (hacking) limit; generated code must pass the project's own lint job.
const MAX_LINE: usize = 79;

/// A docstring of one line, or of wrapped lines closed on their own line when it is too long.
fn docstring(sentence: &str) -> String {
    let one_line = format!("\"\"\"{sentence}\"\"\"\n");
    if one_line.len() <= MAX_LINE + 1 {
        return one_line;
    }
    let mut lines: Vec<String> = vec!["\"\"\"".to_owned()];
    for word in sentence.split(' ') {
        let last = lines.last_mut().map(|line| (line.len(), line));
        match last {
            Some((length, line)) if length + 1 + word.len() <= MAX_LINE && line != "\"\"\"" => {
                line.push(' ');
                line.push_str(word);
            }
            Some((_, line)) if line == "\"\"\"" => line.push_str(word),
            _ => lines.push(word.to_owned()),
        }
    }
    format!("{}\n\"\"\"\n", lines.join("\n"))
}

/// The locked build of `application`, each line starting with `indent`.
fn build(call: &str, indent: &str) -> String {
    let assignment = format!("{indent}        application = {call}()");
    if assignment.len() <= MAX_LINE {
        return format!(
            "{indent}with app_lock:\n{indent}    if application is None:\n{assignment}\n"
        );
    }
    format!(
        "{indent}with app_lock:\n{indent}    if application is None:\n{indent}        application = (\n{indent}            {call}())\n"
    )
}

fn script_list(scripts: &[String]) -> String {
    let quoted: Vec<String> = scripts
        .iter()
        .map(|script| format!("``{script}``"))
        .collect();
    match quoted.as_slice() {
        [one] => format!("{one} script"),
        [init @ .., last] => format!("{} and {last} scripts", init.join(", ")),
        [] => "script".to_owned(),
    }
}

fn dev_server(call: &str) -> String {
    format!(
        r#"def _serve():
    """Serve the application with wsgiref, for development only."""
    import argparse
    import sys
    from wsgiref import simple_server

    factory = {call}
    parser = argparse.ArgumentParser(
        description=factory.__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        usage='%(prog)s [-h] [--port PORT] [--host IP] -- [passed options]')
    parser.add_argument('--port', '-p', type=int, default=8000,
                        help='TCP port to listen on')
    parser.add_argument('--host', '-b', default='',
                        help='IP to bind the server to')
    parser.add_argument('args', nargs=argparse.REMAINDER,
                        metavar='-- [passed options]',
                        help="'--' is the separator of the arguments used to "
                             "start the WSGI server and the arguments passed "
                             "to the WSGI application.")
    args = parser.parse_args()
    if args.args:
        if args.args[0] == '--':
            args.args.pop(0)
        else:
            parser.error("unrecognized arguments: %s" % ' '.join(args.args))
    sys.argv[1:] = args.args
    app = factory()
    server = simple_server.make_server(args.host, args.port, app)

    print("*" * 80)
    print("STARTING test server %s.%s"
          % (factory.__module__, factory.__qualname__))
    print("Available at http://%s:%d/"
          % (server.server_name, server.server_port))
    print("DANGER! For testing only, do not use in production")
    print("*" * 80)
    sys.stdout.flush()

    server.serve_forever()
"#
    )
}

/// The scripts a module generated by this tool says it replaces, from its docstring.
pub fn replaced_scripts(source: &str) -> Vec<String> {
    let Some(start) = source.find("\"\"\"WSGI application replacing the ") else {
        return Vec::new();
    };
    let docstring = &source[start + 3..];
    let end = docstring.find("\"\"\"").unwrap_or(docstring.len());
    docstring[..end]
        .split("``")
        .skip(1)
        .step_by(2)
        .filter(|name| python::script_name_problem(name).is_none())
        .map(str::to_owned)
        .collect()
}

/// The Apache-2.0 licence header of a Python file, as a comment block from its "Licensed
/// under" line to the end of the block, or as a module docstring (freezer's `"""` header) from
/// that line to the closing quotes, in the form the file uses, if it carries one; line endings
/// are normalised to `\n`. The generated module is checked by hacking's H102 like the rest.
pub fn licence_header(source: &str) -> Option<String> {
    let lines: Vec<&str> = source
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .collect();
    if let Some(header) = licence_docstring(&lines) {
        return Some(header);
    }
    let start = lines
        .iter()
        .take_while(|line| line.starts_with('#'))
        .position(|line| line.contains("Licensed under the Apache License"))?;
    let block_end = start
        + lines[start..]
            .iter()
            .take_while(|line| line.starts_with('#'))
            .count();
    // Everything above the licence sentence is copyright and authorship, which belongs to the
    // files it was written in, not to a generated one.
    let mut kept: Vec<&str> = lines[start..block_end].to_vec();
    let is_empty_comment = |line: &&str| line.trim_start_matches('#').trim().is_empty();
    while kept.first().is_some_and(is_empty_comment) {
        kept.remove(0);
    }
    while kept.last().is_some_and(is_empty_comment) {
        kept.pop();
    }
    Some(kept.iter().map(|line| format!("{line}\n")).collect())
}

/// The licence as a module docstring: the file's first statement is a `"""` string holding
/// "Licensed under the Apache License"; copyright lines above that sentence are dropped.
fn licence_docstring(lines: &[&str]) -> Option<String> {
    let open = lines
        .iter()
        .position(|line| !line.trim().is_empty() && !line.starts_with('#'))?;
    let first = lines[open];
    let quote = ["\"\"\"", "'''"]
        .into_iter()
        .find(|quote| first.starts_with(quote))?;
    // A one-line docstring, or one whose text starts on the opening line, is not a header.
    if first.trim_end() != quote {
        return None;
    }
    let close = open
        + 1
        + lines[open + 1..]
            .iter()
            .position(|line| line.contains(quote))?;
    let start = open
        + 1
        + lines[open + 1..close]
            .iter()
            .position(|line| line.contains("Licensed under the Apache License"))?;
    let mut kept: Vec<&str> = lines[start..close].to_vec();
    while kept.last().is_some_and(|line| line.trim().is_empty()) {
        kept.pop();
    }
    let mut out = format!("{quote}\n");
    for line in kept {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(quote);
    out.push('\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_source(target: &str, scripts: &[&str], dev_server: bool) -> String {
        let target = Target::parse(target).unwrap();
        let scripts: Vec<String> = scripts.iter().map(|s| (*s).to_owned()).collect();
        module_source(&ModuleSpec {
            scripts: &scripts,
            target: &target,
            licence_header: None,
            dev_server,
        })
    }

    #[test]
    fn builds_application_under_a_module_level_lock() {
        let source = spec_source(
            "glance.common.wsgi_app:init_app",
            &["glance-wsgi-api"],
            false,
        );
        assert_eq!(
            source,
            "\"\"\"WSGI application replacing the ``glance-wsgi-api`` script.\"\"\"\n\n\
             import threading\n\n\
             from glance.common.wsgi_app import init_app\n\n\
             application = None\napp_lock = threading.Lock()\n\n\
             with app_lock:\n    if application is None:\n        application = init_app()\n"
        );
        assert!(!source.contains("__main__"));
    }

    #[test]
    fn lines_fit_flake8() {
        let source = spec_source(
            "keystone.server.very_long_module_name.wsgi:KeystoneApplicationFactory.initialize_public_application",
            &["keystone-wsgi-admin", "keystone-wsgi-public"],
            true,
        );
        for line in source.lines() {
            assert!(line.len() <= MAX_LINE, "{line}");
        }
        assert!(source.starts_with("\"\"\"WSGI application replacing the ``keystone-wsgi-admin`` and\n``keystone-wsgi-public`` scripts.\n\"\"\"\n"), "{source}");
        assert!(source.contains("from keystone.server.very_long_module_name.wsgi import (\n    KeystoneApplicationFactory)\n"));
    }

    #[test]
    fn class_methods_and_clashing_names() {
        let source = spec_source("toy.app:Factory.build", &["a", "b", "c"], false);
        assert!(source.contains("from toy.app import Factory\n"));
        assert!(source.contains("application = Factory.build()\n"));
        assert!(source.contains("``a``, ``b`` and ``c`` scripts"));
        assert_eq!(replaced_scripts(&source), vec!["a", "b", "c"]);
        let source = spec_source("toy.app:application", &["a"], false);
        assert!(source.contains("from toy.app import application as _target\n"));
        assert!(source.contains("application = _target()\n"));
    }

    #[test]
    fn dev_server_defers_the_build_to_after_argv() {
        let source = spec_source("toy.app:init", &["toy-api"], true);
        assert!(
            source.contains(
                "if __name__ == \"__main__\":\n    _serve()\nelse:\n    with app_lock:\n"
            )
        );
        assert!(source.contains("default=8000"));
        assert!(source.contains("sys.argv[1:] = args.args"));
    }

    #[test]
    fn licence_header_drops_copyright() {
        let source = "# Copyright 2010 OpenStack Foundation\n# All Rights Reserved.\n#\n#    Licensed under the Apache License, Version 2.0 (the \"License\"); you may\n#    not use this file except in compliance with the License.\n\n\"\"\"Doc.\"\"\"\n";
        assert_eq!(
            licence_header(source).unwrap(),
            "#    Licensed under the Apache License, Version 2.0 (the \"License\"); you may\n#    not use this file except in compliance with the License.\n"
        );
        assert_eq!(licence_header("import os\n"), None);
    }

    #[test]
    fn licence_docstring_is_kept_as_a_docstring() {
        let source = "\"\"\"\n(c) Copyright 2014,2015 Hewlett-Packard Development Company, L.P.\n\nLicensed under the Apache License, Version 2.0 (the \"License\");\nyou may not use this file except in compliance with the License.\n\n\"\"\"\n\nimport os\n";
        assert_eq!(
            licence_header(source).unwrap(),
            "\"\"\"\nLicensed under the Apache License, Version 2.0 (the \"License\");\nyou may not use this file except in compliance with the License.\n\"\"\"\n"
        );
        assert_eq!(
            licence_header("\"\"\"Licensed under the Apache License.\"\"\"\n"),
            None
        );
        assert_eq!(licence_header("\"\"\"\nJust a docstring.\n\"\"\"\n"), None);
    }
}
