//! The query side: a small SQL dialect over the catalog, served over the MySQL protocol and
//! StarRocks' HTTP SQL API.
//!
//! # Layout
//! - `lexer`, `parser` (with `parser/ddl.rs` for `CREATE TABLE`), `ast`: text to statements.
//! - `exec`: statements to results against the catalog; `query` runs `SELECT … FROM`,
//!   `variables` answers system variables and constant selects, `literal` converts literals.
//! - `mysql`: the MySQL protocol server; `http_api`: StarRocks' HTTP SQL API.

pub mod ast;
pub mod exec;
pub mod http_api;
mod information_schema;
pub mod lexer;
pub mod literal;
pub mod mysql;
pub mod parser;
mod query;
mod variables;

pub use exec::{execute, execute_script, QueryOutput, ResultColumn, Session, SqlError};
