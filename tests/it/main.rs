//! Integration tests for `wsgi_migrate`, built as a single test binary.
mod apply;
mod cli;
mod fixtures;
mod git;
mod pre_commit;
mod ini_differential;
mod python_imports;
mod support;
