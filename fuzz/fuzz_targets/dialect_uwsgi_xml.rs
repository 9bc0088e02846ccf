#![no_main]
//! The `uwsgi-xml` rewriter: see `common::check_dialect` for the invariants.

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check_dialect("uwsgi-xml", data));
