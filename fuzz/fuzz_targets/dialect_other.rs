#![no_main]
//! The `other` rewriter: see `common::check_dialect` for the invariants.

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check_dialect("other", data));
