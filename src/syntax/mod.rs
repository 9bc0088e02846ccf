//! The syntax readers every other stage builds on: text in, spans out, nothing decided.
//!
//! Lines with their own endings ([`text`]), byte-range edits spliced onto the text that was read
//! ([`edit`]), Python configparser's INI dialect read losslessly ([`ini`]), the Python facts the
//! tool needs without a parser ([`python`]), and shell words with their quotes ([`shell`]).

pub mod edit;
pub mod ini;
pub mod python;
pub mod shell;
pub mod text;
