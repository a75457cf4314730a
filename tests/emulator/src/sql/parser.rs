//! A hand-written recursive-descent parser for the SQL the emulator answers.
//!
//! We do not use sqlparser-rs: StarRocks' `CREATE TABLE` tail (`ENGINE=OLAP`, `PRIMARY KEY`
//! after the column list, `DISTRIBUTED BY hash(id) buckets 1`, `PROPERTIES ("k" = "v")`,
//! `COMMENT ""` with double-quoted strings) is not in its MySQL dialect, and the statement set
//! we need is small. The parser accepts exactly one statement (an optional trailing `;`
//! included) and either returns it whole or a [`ParseError`] that names the offending token
//! with its line and column, in StarRocks' "Getting syntax error at line L, column C" form.
//! Features StarRocks has but the emulator does not model (UNIQUE/AGGREGATE KEY tables, range
//! partitions, INSERT, joins, …) are refused with an error that says so, never half-parsed.

use crate::sql::ast::*;
use crate::sql::lexer::{line_col, tokenize, LexError, Tok, Token};

/// Why a statement did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The text is not valid SQL (MySQL error 1064).
    Syntax,
    /// Valid StarRocks SQL that the emulator does not implement (MySQL error 1235).
    Unsupported,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

type Result<T> = std::result::Result<T, ParseError>;

mod ddl;
mod query;

/// Parses one statement.
pub fn parse(sql: &str) -> Result<Statement> {
    let tokens = tokenize(sql).map_err(|e| lex_error(sql, e))?;
    let mut p = Parser {
        sql,
        tokens,
        pos: 0,
    };
    let stmt = p.statement()?;
    while p.eat_symbol(";") {}
    if p.peek().tok != Tok::Eof {
        if p.tokens[p.pos - 1].tok == Tok::Symbol(";") {
            return Err(unsupported(
                "Multiple statements in one query are not supported by the emulator; send them one at a time",
            ));
        }
        return Err(p.expected("end of statement"));
    }
    Ok(stmt)
}

/// Splits a script into its statements at top-level `;` (never inside a string, a quoted
/// identifier or a comment), dropping empty ones. Each piece parses with [`parse`].
pub fn split_statements(sql: &str) -> Result<Vec<&str>> {
    let tokens = tokenize(sql).map_err(|e| lex_error(sql, e))?;
    let mut pieces = Vec::new();
    let mut first: Option<usize> = None;
    let mut last_end = 0;
    for t in &tokens {
        if matches!(t.tok, Tok::Symbol(";") | Tok::Eof) {
            if let Some(start) = first.take() {
                pieces.push(&sql[start..last_end]);
            }
        } else {
            first.get_or_insert(t.start);
            last_end = t.end;
        }
    }
    Ok(pieces)
}

/// StarRocks' reserved keywords: a bare word from this list is never an identifier, only a
/// backquoted one is (`docs/en/sql-reference/sql-statements/keywords.md`, 3.x/4.0 list).
const RESERVED: &[&str] = &[
    "add",
    "all",
    "alter",
    "analyze",
    "and",
    "array",
    "as",
    "asc",
    "between",
    "bigint",
    "bitmap",
    "both",
    "by",
    "case",
    "char",
    "character",
    "check",
    "collate",
    "column",
    "compaction",
    "convert",
    "create",
    "cross",
    "cube",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "database",
    "databases",
    "decimal",
    "decimal128",
    "decimal32",
    "decimal64",
    "decimalv2",
    "default",
    "deferred",
    "delete",
    "dense_rank",
    "desc",
    "describe",
    "distinct",
    "double",
    "drop",
    "dual",
    "else",
    "except",
    "exists",
    "explain",
    "false",
    "first_value",
    "float",
    "for",
    "force",
    "from",
    "full",
    "function",
    "grant",
    "group",
    "grouping",
    "grouping_id",
    "groups",
    "having",
    "hll",
    "host",
    "if",
    "ignore",
    "immediate",
    "in",
    "index",
    "infile",
    "inner",
    "insert",
    "int",
    "integer",
    "intersect",
    "into",
    "is",
    "join",
    "json",
    "key",
    "keys",
    "kill",
    "lag",
    "largeint",
    "last_value",
    "lateral",
    "lead",
    "left",
    "like",
    "limit",
    "load",
    "localtime",
    "localtimestamp",
    "maxvalue",
    "minus",
    "mod",
    "not",
    "ntile",
    "null",
    "on",
    "or",
    "order",
    "outer",
    "outfile",
    "over",
    "partition",
    "percentile",
    "primary",
    "procedure",
    "qualify",
    "range",
    "rank",
    "read",
    "regexp",
    "release",
    "rename",
    "replace",
    "revoke",
    "right",
    "rlike",
    "row",
    "row_number",
    "rows",
    "schema",
    "schemas",
    "select",
    "set",
    "set_var",
    "show",
    "smallint",
    "system",
    "table",
    "terminated",
    "text",
    "then",
    "tinyint",
    "to",
    "true",
    "union",
    "unique",
    "unsigned",
    "update",
    "use",
    "using",
    "values",
    "varchar",
    "when",
    "where",
    "with",
];

/// Whether a bare word is one of StarRocks' reserved keywords.
fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| word.eq_ignore_ascii_case(r))
}

fn lex_error(sql: &str, e: LexError) -> ParseError {
    let (line, col) = line_col(sql, e.offset);
    syntax(format!(
        "Getting syntax error at line {line}, column {col}. Detail message: {}.",
        e.message
    ))
}

fn syntax(message: String) -> ParseError {
    ParseError {
        kind: ParseErrorKind::Syntax,
        message,
    }
}

fn unsupported(what: &str) -> ParseError {
    ParseError {
        kind: ParseErrorKind::Unsupported,
        message: what.to_string(),
    }
}

fn not_supported(feature: &str) -> ParseError {
    unsupported(&format!("{feature} is not supported by the emulator"))
}

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    // ---- token helpers -------------------------------------------------------------------

    fn peek(&self) -> &Token {
        // tokenize() always ends with Eof and we never advance past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].tok
    }

    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn is_keyword(tok: &Tok, kw: &str) -> bool {
        matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn at_keyword(&self, kw: &str) -> bool {
        Self::is_keyword(&self.peek().tok, kw)
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let hit = self.at_keyword(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<()> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.expected(&kw.to_ascii_uppercase()))
        }
    }

    fn eat_symbol(&mut self, s: &str) -> bool {
        let hit = matches!(self.peek().tok, Tok::Symbol(x) if x == s);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_symbol(&mut self, s: &str) -> Result<()> {
        if self.eat_symbol(s) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{s}'")))
        }
    }

    /// A syntax error at the current token.
    fn expected(&self, what: &str) -> ParseError {
        let t = self.peek();
        let (line, col) = line_col(self.sql, t.start);
        syntax(format!(
            "Getting syntax error at line {line}, column {col}. Detail message: Unexpected input '{}', expected {what}.",
            t.tok
        ))
    }

    /// Any identifier: a bare word or a backquoted name.
    fn ident(&mut self, what: &str) -> Result<String> {
        match &self.peek().tok {
            Tok::Word(w) | Tok::QuotedIdent(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// The name of a database, table or column: a backquoted name, or a bare word that is
    /// not reserved. StarRocks refuses a reserved word there ("the most similar input is {a
    /// legal identifier}"), e.g. an unquoted `partition` column.
    fn name(&mut self, what: &str) -> Result<String> {
        if let Tok::Word(w) = &self.peek().tok {
            if is_reserved(w) {
                let t = self.peek();
                let (line, col) = line_col(self.sql, t.start);
                return Err(syntax(format!(
                    "Getting syntax error at line {line}, column {col}. Detail message: Unexpected input '{w}', the most similar input is {{a legal identifier}}."
                )));
            }
        }
        self.ident(what)
    }

    /// A column name in a query.
    fn column_name(&mut self) -> Result<String> {
        self.name("a column name")
    }

    /// `name` or `db.name`.
    fn table_ref(&mut self) -> Result<TableRef> {
        let first = self.name("a table name")?;
        if self.eat_symbol(".") {
            let name = self.name("a table name")?;
            Ok(TableRef {
                database: Some(first),
                name,
            })
        } else {
            Ok(TableRef {
                database: None,
                name: first,
            })
        }
    }

    fn ident_list(&mut self, what: &str) -> Result<Vec<String>> {
        self.expect_symbol("(")?;
        let mut names = vec![self.name(what)?];
        while self.eat_symbol(",") {
            names.push(self.name(what)?);
        }
        self.expect_symbol(")")?;
        Ok(names)
    }

    fn string(&mut self, what: &str) -> Result<String> {
        match &self.peek().tok {
            Tok::Str(s) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn unsigned(&mut self, what: &str) -> Result<u64> {
        match &self.peek().tok {
            Tok::Number(n) => match n.parse::<u64>() {
                Ok(v) => {
                    self.pos += 1;
                    Ok(v)
                }
                Err(_) => Err(self.expected(what)),
            },
            _ => Err(self.expected(what)),
        }
    }

    fn if_exists(&mut self) -> Result<bool> {
        if self.eat_keyword("if") {
            self.expect_keyword("exists")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn if_not_exists(&mut self) -> Result<bool> {
        if self.eat_keyword("if") {
            self.expect_keyword("not")?;
            self.expect_keyword("exists")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// A literal: NULL, TRUE/FALSE, a signed number or a string.
    fn literal(&mut self) -> Result<Literal> {
        let negative = if self.eat_symbol("-") {
            true
        } else {
            self.eat_symbol("+");
            false
        };
        let t = self.peek().tok.clone();
        let lit = match t {
            Tok::Number(n) => Literal::Number(if negative { format!("-{n}") } else { n }),
            _ if negative => return Err(self.expected("a number")),
            Tok::Str(s) => Literal::Str(s),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Literal::Null,
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            _ => return Err(self.expected("a literal")),
        };
        self.pos += 1;
        Ok(lit)
    }

    // ---- statements ----------------------------------------------------------------------

    fn statement(&mut self) -> Result<Statement> {
        let first = self.peek().tok.clone();
        let Tok::Word(word) = first else {
            return Err(self.expected("a statement"));
        };
        match word.to_ascii_lowercase().as_str() {
            "create" => {
                self.pos += 1;
                self.create()
            }
            "drop" => {
                self.pos += 1;
                self.drop()
            }
            "use" => {
                self.pos += 1;
                let first = self.name("a database name")?;
                if self.eat_symbol(".") {
                    let db = self.name("a database name")?;
                    if first != "default_catalog" {
                        return Err(not_supported("External catalogs"));
                    }
                    return Ok(Statement::Use { database: db });
                }
                Ok(Statement::Use { database: first })
            }
            "truncate" => {
                self.pos += 1;
                self.eat_keyword("table");
                let table = self.table_ref()?;
                Ok(Statement::Truncate { table })
            }
            "select" => {
                self.pos += 1;
                self.select()
            }
            "show" => {
                self.pos += 1;
                self.show()
            }
            "desc" | "describe" => {
                self.pos += 1;
                let table = self.table_ref()?;
                Ok(Statement::Describe { table })
            }
            "set" => {
                while !matches!(self.peek().tok, Tok::Eof | Tok::Symbol(";")) {
                    self.pos += 1;
                }
                Ok(Statement::Set)
            }
            "delete" => {
                self.pos += 1;
                self.delete()
            }
            "insert" | "update" | "upsert" | "replace" => Err(not_supported(&format!(
                "{} (load rows with Stream Load instead)",
                word.to_ascii_uppercase()
            ))),
            "alter" => {
                self.pos += 1;
                self.alter()
            }
            "explain" | "kill" | "grant" | "revoke" | "load" | "export" | "analyze" | "begin"
            | "commit" | "rollback" | "with" => Err(not_supported(&word.to_ascii_uppercase())),
            _ => Err(self.expected("a statement")),
        }
    }

    fn create(&mut self) -> Result<Statement> {
        if self.eat_keyword("database") || self.eat_keyword("schema") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.name("a database name")?;
            return Ok(Statement::CreateDatabase {
                name,
                if_not_exists,
            });
        }
        if self.eat_keyword("table") {
            return self.create_table();
        }
        match &self.peek().tok {
            Tok::Word(w) => Err(not_supported(&format!("CREATE {}", w.to_ascii_uppercase()))),
            _ => Err(self.expected("DATABASE or TABLE")),
        }
    }

    fn drop(&mut self) -> Result<Statement> {
        if self.eat_keyword("database") || self.eat_keyword("schema") {
            let if_exists = self.if_exists()?;
            let name = self.name("a database name")?;
            self.eat_keyword("force");
            return Ok(Statement::DropDatabase { name, if_exists });
        }
        if self.eat_keyword("table") {
            let if_exists = self.if_exists()?;
            let table = self.table_ref()?;
            self.eat_keyword("force");
            return Ok(Statement::DropTable { table, if_exists });
        }
        match &self.peek().tok {
            Tok::Word(w) => Err(not_supported(&format!("DROP {}", w.to_ascii_uppercase()))),
            _ => Err(self.expected("DATABASE or TABLE")),
        }
    }

    fn show(&mut self) -> Result<Statement> {
        if self.eat_keyword("databases") || self.eat_keyword("schemas") {
            return Ok(Statement::ShowDatabases);
        }
        self.eat_keyword("full");
        if self.eat_keyword("tables") {
            let database = if self.eat_keyword("from") || self.eat_keyword("in") {
                Some(self.name("a database name")?)
            } else {
                None
            };
            return Ok(Statement::ShowTables { database });
        }
        let _ = self.eat_keyword("session") || self.eat_keyword("global");
        if self.eat_keyword("variables") {
            let pattern = if self.eat_keyword("like") {
                Some(self.string("a pattern string")?)
            } else {
                None
            };
            return Ok(Statement::ShowVariables { pattern });
        }
        match &self.peek().tok {
            Tok::Word(w) => Err(not_supported(&format!("SHOW {}", w.to_ascii_uppercase()))),
            _ => Err(self.expected("DATABASES, TABLES or VARIABLES")),
        }
    }
}

#[cfg(test)]
mod tests;
