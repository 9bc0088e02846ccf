//! Keeping the docs building: importing a generated module builds the application, so a
//! documentation build that imports every module (sphinxcontrib-apidoc) breaks on it. Upstream
//! added the new package to `apidoc_excluded_paths` in `doc/source/conf.py` every time; this
//! does the same as a byte-exact edit of that list, and reports an apidoc or autosummary
//! configuration without such a list for a person.

use crate::edit::Edit;

/// What `conf.py` needs so that the docs still build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// Nothing: no API documentation that imports every module, or the paths are excluded.
    Fine,
    /// Add the paths to `apidoc_excluded_paths`.
    Edit(Edit),
    /// API docs import every module but there is no list to add to; the message says what to do.
    Manual(String),
}

/// Exclude `paths` (relative to `apidoc_module_dir`, e.g. `wsgi` or `wsgi/api.py`) in `conf`.
pub fn exclude(conf: &str, paths: &[String]) -> Exclusion {
    let Some(assignment) = conf.find("apidoc_excluded_paths") else {
        let imports_everything =
            conf.contains("sphinxcontrib.apidoc") || conf.contains("autosummary_generate");
        if !imports_everything {
            return Exclusion::Fine;
        }
        return Exclusion::Manual(format!(
            "the API docs import every module, and importing {} builds the application: \
             add `apidoc_excluded_paths = [{}]` (or mock the package in `autodoc_mock_imports`)",
            paths
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", "),
            paths
                .iter()
                .map(|path| format!("'{path}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let Some(open) = conf[assignment..].find('[').map(|at| assignment + at) else {
        return Exclusion::Manual(
            "`apidoc_excluded_paths` is not a list literal; add the wsgi package to it by hand"
                .to_owned(),
        );
    };
    let Some(close) = conf[open..].find(']').map(|at| open + at) else {
        return Exclusion::Manual("`apidoc_excluded_paths` has no closing `]`".to_owned());
    };
    let inside = &conf[open + 1..close];
    let existing: Vec<&str> = inside
        .split(',')
        .map(|item| item.trim().trim_matches(['\'', '"']))
        .filter(|item| !item.is_empty())
        .collect();
    let missing: Vec<&String> = paths
        .iter()
        .filter(|path| {
            !existing.iter().any(|entry| {
                *entry == path.as_str()
                    || *entry == "wsgi"
                    || *entry == "wsgi/*"
                    || (path.starts_with("wsgi/") && *entry == path.trim_end_matches(".py"))
            })
        })
        .collect();
    if missing.is_empty() {
        return Exclusion::Fine;
    }
    let quote = inside
        .chars()
        .find(|c| *c == '\'' || *c == '"')
        .unwrap_or('\'');
    let quoted: Vec<String> = missing
        .iter()
        .map(|path| format!("{quote}{path}{quote}"))
        .collect();
    if !inside.contains('\n') {
        // `['a', 'b']` gains `, 'wsgi'`; `[]` becomes `['wsgi']`.
        let trimmed = inside.trim_end();
        let separator = if existing.is_empty() {
            ""
        } else if trimmed.ends_with(',') {
            " "
        } else {
            ", "
        };
        let at = open + 1 + trimmed.len();
        return Exclusion::Edit(Edit::insert(
            at,
            format!("{separator}{}", quoted.join(", ")),
        ));
    }
    // One element per line: copy the last element's indentation, after a trailing comma.
    let last_line_start = conf[..close].rfind('\n').map_or(0, |at| at + 1);
    let element_indent = inside
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .map(|line| &line[..line.len() - line.trim_start().len()])
        .unwrap_or("    ");
    let before_close = conf[open + 1..last_line_start].trim_end();
    let needs_comma =
        !before_close.is_empty() && !before_close.ends_with(',') && !before_close.ends_with('[');
    let newline = if conf[..close].contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines: String = quoted
        .iter()
        .map(|item| format!("{element_indent}{item},{newline}"))
        .collect();
    if needs_comma {
        let comma_at = open + 1 + before_close.len();
        // Two edits would be cleaner, but one keeps the change a single splice.
        let between = &conf[comma_at..last_line_start];
        return Exclusion::Edit(Edit::replace(
            comma_at..last_line_start,
            format!(",{between}{lines}"),
        ));
    }
    Exclusion::Edit(Edit::insert(last_line_start, lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply_edits;

    fn edited(conf: &str, paths: &[&str]) -> String {
        let paths: Vec<String> = paths.iter().map(|path| (*path).to_owned()).collect();
        match exclude(conf, &paths) {
            Exclusion::Edit(edit) => apply_edits(conf, &[edit]).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn adds_to_a_one_line_list() {
        assert_eq!(
            edited("apidoc_excluded_paths = ['tests']\n", &["wsgi"]),
            "apidoc_excluded_paths = ['tests', 'wsgi']\n"
        );
        assert_eq!(
            edited("apidoc_excluded_paths = []\n", &["wsgi"]),
            "apidoc_excluded_paths = ['wsgi']\n"
        );
        assert_eq!(
            edited("apidoc_excluded_paths = [\"tests\"]\n", &["wsgi/api.py"]),
            "apidoc_excluded_paths = [\"tests\", \"wsgi/api.py\"]\n"
        );
    }

    #[test]
    fn adds_a_line_to_a_multi_line_list() {
        let conf = "apidoc_module_dir = '../../keystone'\napidoc_excluded_paths = [\n    'tests',\n    'common/sql/migrations'\n]\n";
        assert_eq!(
            edited(conf, &["wsgi"]),
            "apidoc_module_dir = '../../keystone'\napidoc_excluded_paths = [\n    'tests',\n    'common/sql/migrations',\n    'wsgi',\n]\n"
        );
        let conf = "apidoc_excluded_paths = [\r\n    'tests',\r\n]\r\n";
        assert_eq!(
            edited(conf, &["wsgi"]),
            "apidoc_excluded_paths = [\r\n    'tests',\r\n    'wsgi',\r\n]\r\n"
        );
    }

    #[test]
    fn already_excluded_or_not_needed() {
        let paths = vec!["wsgi".to_owned()];
        assert_eq!(
            exclude("apidoc_excluded_paths = ['tests', 'wsgi']\n", &paths),
            Exclusion::Fine
        );
        assert_eq!(
            exclude("extensions = ['sphinx.ext.autodoc']\n", &paths),
            Exclusion::Fine
        );
        assert!(matches!(
            exclude("extensions = ['sphinxcontrib.apidoc']\n", &paths),
            Exclusion::Manual(_)
        ));
    }
}
