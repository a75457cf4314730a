//! The `CREATE TABLE` grammar, StarRocks' OLAP form, and `ALTER TABLE … ADD COLUMN`.
//!
//! `CREATE TABLE [IF NOT EXISTS] [db.]t (col TYPE[(n[,m])] [NULL|NOT NULL] [DEFAULT lit]
//! [COMMENT "…"], …) [ENGINE=OLAP] [PRIMARY KEY(…)|DUPLICATE KEY(…)] [COMMENT "…"]
//! [PARTITION BY expr] [DISTRIBUTED BY HASH(…)|RANDOM [BUCKETS n]] [ORDER BY (…)]
//! [PROPERTIES ("k" = "v", …)]`. The clauses after the column list are accepted in any order,
//! each at most once. Everything accepted either shapes the emulated table (columns, key) or
//! has no observable effect on it (engine, buckets, properties, sort key, automatic
//! expression partitioning); anything that would change which rows a query sees (UNIQUE or
//! AGGREGATE KEY, range and list partitions, rollups) is refused as unsupported.

use super::{not_supported, unsupported, Parser, Result};
use crate::sql::ast::{
    AddColumn, ColumnDef, ColumnPosition, CreateTable, Distribution, KeyClause, KeyKind, Statement,
};
use crate::sql::lexer::Tok;
use crate::types::ColumnType;

/// Keywords that start a clause after the column list; `PARTITION BY expr` ends at one.
const CLAUSE_STARTS: &[&str] = &[
    "engine",
    "primary",
    "duplicate",
    "unique",
    "aggregate",
    "comment",
    "partition",
    "distributed",
    "order",
    "properties",
    "rollup",
];

impl Parser<'_> {
    /// Parses what follows `CREATE TABLE`.
    pub(super) fn create_table(&mut self) -> Result<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let table = self.table_ref()?;
        if self.at_keyword("like") || self.at_keyword("as") {
            return Err(not_supported("CREATE TABLE LIKE / AS SELECT"));
        }
        self.expect_symbol("(")?;
        let mut columns = Vec::new();
        loop {
            if self.eat_keyword("index") {
                self.skip_index()?;
            } else {
                columns.push(self.column_def()?);
            }
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(")")?;
        let mut ct = CreateTable {
            if_not_exists,
            table,
            columns,
            key: None,
            comment: None,
            distribution: None,
            properties: Vec::new(),
        };
        let mut seen: Vec<&'static str> = Vec::new();
        while !matches!(self.peek().tok, Tok::Eof | Tok::Symbol(";")) {
            let clause = self.table_clause(&mut ct)?;
            if seen.contains(&clause) {
                return Err(self.expected(&format!("no second {clause} clause")));
            }
            seen.push(clause);
        }
        Ok(Statement::CreateTable(ct))
    }

    /// Parses one clause after the column list into `ct`; returns the clause's name.
    fn table_clause(&mut self, ct: &mut CreateTable) -> Result<&'static str> {
        if self.eat_keyword("engine") {
            self.expect_symbol("=")?;
            let engine = self.ident("an engine name")?;
            if !engine.eq_ignore_ascii_case("olap") {
                return Err(not_supported(&format!("ENGINE={engine}")));
            }
            return Ok("ENGINE");
        }
        for (word, kind) in [
            ("primary", KeyKind::Primary),
            ("duplicate", KeyKind::Duplicate),
        ] {
            if self.eat_keyword(word) {
                self.expect_keyword("key")?;
                let columns = self.ident_list("a key column")?;
                ct.key = Some(KeyClause { kind, columns });
                return Ok("KEY");
            }
        }
        for word in ["unique", "aggregate"] {
            if self.at_keyword(word) {
                return Err(unsupported(&format!(
                    "{} KEY tables are not supported by the emulator; use PRIMARY KEY or DUPLICATE KEY",
                    word.to_ascii_uppercase()
                )));
            }
        }
        if self.eat_keyword("comment") {
            ct.comment = Some(self.string("a comment string")?);
            return Ok("COMMENT");
        }
        if self.eat_keyword("partition") {
            self.expect_keyword("by")?;
            self.skip_expression_partitioning()?;
            return Ok("PARTITION BY");
        }
        if self.eat_keyword("distributed") {
            self.expect_keyword("by")?;
            ct.distribution = Some(self.distribution()?);
            return Ok("DISTRIBUTED BY");
        }
        if self.eat_keyword("order") {
            self.expect_keyword("by")?;
            self.ident_list("a sort column")?;
            return Ok("ORDER BY");
        }
        if self.eat_keyword("properties") {
            ct.properties = self.properties()?;
            return Ok("PROPERTIES");
        }
        if self.at_keyword("rollup") {
            return Err(not_supported("ROLLUP"));
        }
        Err(self.expected(
            "ENGINE, a key clause, COMMENT, PARTITION BY, DISTRIBUTED BY, ORDER BY or PROPERTIES",
        ))
    }

    /// Parses what follows `ALTER`: `TABLE [db.]t ADD COLUMN col_def [KEY] [FIRST | AFTER c]
    /// [PROPERTIES (…)]` or `ADD COLUMN (col_def, …) [PROPERTIES (…)]`, several such clauses
    /// separated by commas. Other ALTER statements are refused as unsupported.
    pub(super) fn alter(&mut self) -> Result<Statement> {
        if !self.eat_keyword("table") {
            return Err(not_supported("ALTER other than ALTER TABLE … ADD COLUMN"));
        }
        let table = self.table_ref()?;
        let mut columns = Vec::new();
        loop {
            if !self.eat_keyword("add") {
                return Err(not_supported("ALTER TABLE other than ADD COLUMN"));
            }
            if !self.eat_keyword("column") {
                return Err(not_supported("ALTER TABLE ADD other than ADD COLUMN"));
            }
            if self.eat_symbol("(") {
                loop {
                    let (def, key) = self.column_def_of_add()?;
                    columns.push(AddColumn {
                        def,
                        key,
                        position: ColumnPosition::Default,
                    });
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
                self.expect_symbol(")")?;
            } else {
                let (def, key) = self.column_def_of_add()?;
                let position = if self.eat_keyword("first") {
                    ColumnPosition::First
                } else if self.eat_keyword("after") {
                    ColumnPosition::After(self.column_name()?)
                } else {
                    ColumnPosition::Default
                };
                columns.push(AddColumn { def, key, position });
            }
            if self.at_keyword("to") || self.at_keyword("in") {
                return Err(not_supported("ROLLUP"));
            }
            if self.eat_keyword("properties") {
                self.properties()?;
            }
            if !self.eat_symbol(",") {
                break;
            }
        }
        Ok(Statement::AddColumns { table, columns })
    }

    /// A column definition of `ADD COLUMN`: `KEY` may follow the type.
    fn column_def_of_add(&mut self) -> Result<(ColumnDef, bool)> {
        let name = self.name("a column name")?;
        let ty = self.column_type()?;
        let key = self.eat_keyword("key");
        Ok((self.column_modifiers(name, ty)?, key))
    }

    fn column_def(&mut self) -> Result<ColumnDef> {
        let name = self.name("a column name")?;
        let ty = self.column_type()?;
        self.column_modifiers(name, ty)
    }

    /// NULL / NOT NULL, DEFAULT and COMMENT after a column's type.
    fn column_modifiers(&mut self, name: String, ty: ColumnType) -> Result<ColumnDef> {
        let mut col = ColumnDef {
            name,
            ty,
            nullable: None,
            default: None,
            comment: None,
        };
        loop {
            if self.eat_keyword("not") {
                self.expect_keyword("null")?;
                col.nullable = Some(false);
            } else if self.eat_keyword("null") {
                col.nullable = Some(true);
            } else if self.eat_keyword("default") {
                if let Tok::Word(w) = &self.peek().tok {
                    let w = w.to_ascii_lowercase();
                    if w == "current_timestamp" || w == "now" {
                        return Err(not_supported("DEFAULT CURRENT_TIMESTAMP"));
                    }
                }
                col.default = Some(self.literal()?);
            } else if self.eat_keyword("comment") {
                col.comment = Some(self.string("a comment string")?);
            } else if let Some(word) = self.aggregate_word() {
                return Err(not_supported(&format!(
                    "Aggregate column ({})",
                    word.to_ascii_uppercase()
                )));
            } else if self.at_keyword("auto_increment") {
                return Err(not_supported("AUTO_INCREMENT"));
            } else {
                return Ok(col);
            }
        }
    }

    fn aggregate_word(&self) -> Option<String> {
        const AGGREGATES: &[&str] = &[
            "sum",
            "max",
            "min",
            "replace",
            "replace_if_not_null",
            "hll_union",
            "bitmap_union",
            "percentile_union",
        ];
        match &self.peek().tok {
            Tok::Word(w) if AGGREGATES.iter().any(|a| w.eq_ignore_ascii_case(a)) => Some(w.clone()),
            _ => None,
        }
    }

    /// A type name with optional numeric arguments, checked by [`ColumnType::parse`].
    fn column_type(&mut self) -> Result<ColumnType> {
        let name = self.ident("a column type")?;
        if matches!(self.peek().tok, Tok::Symbol("<")) {
            return Err(not_supported(&format!(
                "Column type {}",
                name.to_ascii_uppercase()
            )));
        }
        let mut args = Vec::new();
        if self.eat_symbol("(") {
            loop {
                let at = self.expected("a type argument below 2^32");
                let n = self.unsigned("a type argument")?;
                args.push(u32::try_from(n).map_err(|_| at)?);
                if !self.eat_symbol(",") {
                    break;
                }
            }
            self.expect_symbol(")")?;
        }
        ColumnType::parse(&name, &args).map_err(|e| {
            if e.starts_with("Unsupported") {
                not_supported(&format!("Column type {}", name.to_ascii_uppercase()))
            } else {
                super::syntax(e)
            }
        })
    }

    /// `INDEX name (cols) [USING BITMAP] [COMMENT '…']`: bitmap indexes change no result.
    fn skip_index(&mut self) -> Result<()> {
        self.ident("an index name")?;
        self.ident_list("an index column")?;
        if self.eat_keyword("using") {
            self.ident("an index type")?;
        }
        if self.eat_keyword("comment") {
            self.string("a comment string")?;
        }
        Ok(())
    }

    /// Expression partitioning (`PARTITION BY date_trunc('day', dt)`, `PARTITION BY (col)`)
    /// creates partitions on demand and so accepts every row: skipping it is exact. Range and
    /// list partitions reject rows outside them, which the emulator does not model.
    fn skip_expression_partitioning(&mut self) -> Result<()> {
        if self.at_keyword("range") || self.at_keyword("list") {
            return Err(not_supported("PARTITION BY RANGE/LIST"));
        }
        let mut depth = 0usize;
        let mut consumed = 0usize;
        loop {
            match &self.peek().tok {
                Tok::Eof | Tok::Symbol(";") => break,
                Tok::Symbol("(") => depth += 1,
                Tok::Symbol(")") => {
                    if depth == 0 {
                        return Err(self.expected("a partition expression"));
                    }
                    depth -= 1;
                }
                Tok::Word(w)
                    if depth == 0
                        && consumed > 0
                        && CLAUSE_STARTS.iter().any(|c| w.eq_ignore_ascii_case(c)) =>
                {
                    break
                }
                _ => {}
            }
            self.advance();
            consumed += 1;
        }
        if consumed == 0 || depth != 0 {
            return Err(self.expected("a partition expression"));
        }
        Ok(())
    }

    /// `HASH(cols) [BUCKETS n]` or `RANDOM [BUCKETS n]`.
    fn distribution(&mut self) -> Result<Distribution> {
        if self.eat_keyword("hash") {
            let columns = self.ident_list("a distribution column")?;
            let buckets = self.buckets()?;
            return Ok(Distribution::Hash { columns, buckets });
        }
        if self.eat_keyword("random") {
            let buckets = self.buckets()?;
            return Ok(Distribution::Random { buckets });
        }
        Err(self.expected("HASH or RANDOM"))
    }

    fn buckets(&mut self) -> Result<Option<u32>> {
        if !self.eat_keyword("buckets") {
            return Ok(None);
        }
        let at = self.expected("a bucket count below 2^32");
        let n = self.unsigned("a bucket count")?;
        u32::try_from(n).map(Some).map_err(|_| at)
    }

    /// `("key" = "value", …)`.
    fn properties(&mut self) -> Result<Vec<(String, String)>> {
        self.expect_symbol("(")?;
        let mut props = Vec::new();
        if self.eat_symbol(")") {
            return Ok(props);
        }
        loop {
            let key = self.string("a property name string")?;
            self.expect_symbol("=")?;
            let value = self.string("a property value string")?;
            props.push((key, value));
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(")")?;
        Ok(props)
    }
}
