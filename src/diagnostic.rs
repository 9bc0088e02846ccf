//! Problems with the input that are not findings: invalid entry points, unparsable files,
//! conflicts that stop a module from being generated. They are data, collected while the scan
//! goes on, and rendered with the file and line they concern.

use std::fmt;

use serde::Serialize;

use crate::code::Code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Path relative to the scanned root, `/`-separated.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &str, line: Option<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            line,
            severity: Severity::Error,
            code: Code::InputError,
            message: message.into(),
        }
    }

    pub fn warning(file: &str, line: Option<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            line,
            severity: Severity::Warning,
            code: Code::InputWarning,
            message: message.into(),
        }
    }
}
