//! Integration tests for `wsgi_migrate`, built as a single test binary.
mod apply;
mod cli;
mod e2e;
mod fixtures;
mod git;
mod hardening;
mod ini_differential;
mod output_formats;
mod pre_commit;
mod python_imports;
mod rough_edges;
mod support;
mod wheel;
