//! The query grammar: `SELECT` with and without `FROM`, and `DELETE`, which filters as
//! `SELECT` does.
//!
//! `SELECT items FROM [db.]t [WHERE c AND …] [ORDER BY col [ASC|DESC], …] [LIMIT n [OFFSET m]
//! | LIMIT m, n]`, where an item is `*`, `COUNT(*)`, a column, a literal, `@@variable` or a
//! no-argument function, each with an optional alias, and a condition is `col op literal` or
//! `col IS [NOT] NULL`. Each item keeps the text it was written as for its column label, as
//! MySQL does. Joins, grouping, `OR` and expressions are refused as unsupported rather than
//! answered wrongly.

use super::{is_reserved, not_supported, syntax, Parser, Result};
use crate::sql::ast::{
    CmpOp, Condition, Delete, Literal, OrderItem, Select, SelectItem, Statement,
};
use crate::sql::lexer::Tok;

impl Parser<'_> {
    pub(super) fn select(&mut self) -> Result<Statement> {
        self.eat_keyword("all");
        if self.at_keyword("distinct") {
            return Err(not_supported("SELECT DISTINCT"));
        }
        let mut items = vec![self.select_item()?];
        while self.eat_symbol(",") {
            items.push(self.select_item()?);
        }
        if !self.eat_keyword("from") {
            // MySQL clients send `select @@version_comment limit 1`; the limit is moot.
            if self.eat_keyword("limit") {
                self.unsigned("a row count")?;
            }
            if items.iter().any(|i| matches!(i, SelectItem::Star)) {
                return Err(syntax("No tables used".to_string()));
            }
            return Ok(Statement::SelectValues(items));
        }
        let from = self.table_ref()?;
        if self.eat_keyword("as") {
            self.ident("a table alias")?;
        }
        for kw in [
            "join", "inner", "left", "right", "cross", "group", "having", "union",
        ] {
            if self.at_keyword(kw) {
                return Err(not_supported(&kw.to_ascii_uppercase()));
            }
        }
        if matches!(self.peek().tok, Tok::Symbol(",")) {
            return Err(not_supported("Selecting from several tables"));
        }
        let filter = self.where_clause()?;
        for kw in ["group", "having", "union"] {
            if self.at_keyword(kw) {
                return Err(not_supported(&kw.to_ascii_uppercase()));
            }
        }
        let mut order_by = Vec::new();
        if self.eat_keyword("order") {
            self.expect_keyword("by")?;
            loop {
                let column = self.column_name()?;
                let descending = if self.eat_keyword("desc") {
                    true
                } else {
                    self.eat_keyword("asc");
                    false
                };
                order_by.push(OrderItem { column, descending });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        let (mut limit, mut offset) = (None, 0);
        if self.eat_keyword("limit") {
            let first = self.unsigned("a row count")?;
            if self.eat_symbol(",") {
                offset = first;
                limit = Some(self.unsigned("a row count")?);
            } else {
                limit = Some(first);
                if self.eat_keyword("offset") {
                    offset = self.unsigned("an offset")?;
                }
            }
        }
        Ok(Statement::Select(Select {
            items,
            from,
            filter,
            order_by,
            limit,
            offset,
        }))
    }

    /// `DELETE FROM [db.]t [WHERE c AND …]` (StarRocks' form for every table model; the
    /// primary-key form's USING, CTEs and subqueries are not modelled).
    pub(super) fn delete(&mut self) -> Result<Statement> {
        self.expect_keyword("from")?;
        let table = self.table_ref()?;
        for kw in ["partition", "partitions", "temporary", "using"] {
            if self.at_keyword(kw) {
                return Err(not_supported(&format!(
                    "DELETE with {}",
                    kw.to_ascii_uppercase()
                )));
            }
        }
        let filter = self.where_clause()?;
        Ok(Statement::Delete(Delete { table, filter }))
    }

    /// `[WHERE c AND …]`.
    fn where_clause(&mut self) -> Result<Vec<Condition>> {
        let mut filter = Vec::new();
        if self.eat_keyword("where") {
            filter.push(self.condition()?);
            while self.eat_keyword("and") {
                filter.push(self.condition()?);
            }
            if self.at_keyword("or") {
                return Err(not_supported("OR in WHERE"));
            }
        }
        Ok(filter)
    }

    fn select_item(&mut self) -> Result<SelectItem> {
        let start = self.peek().start;
        if self.eat_symbol("*") {
            return Ok(SelectItem::Star);
        }
        let item = match self.peek().tok.clone() {
            Tok::AtAt => {
                self.pos += 1;
                let mut name = self.ident("a variable name")?;
                let scoped = ["session", "global", "local"]
                    .iter()
                    .any(|s| name.eq_ignore_ascii_case(s));
                if scoped && self.eat_symbol(".") {
                    name = self.ident("a variable name")?;
                }
                SelectItem::Variable {
                    name: name.to_ascii_lowercase(),
                    label: String::new(),
                }
            }
            Tok::Word(w) if matches!(self.peek_at(1), Tok::Symbol("(")) => {
                self.pos += 2;
                let name = w.to_ascii_lowercase();
                if name == "count" {
                    if !(self.eat_symbol("*") || matches!(self.literal()?, Literal::Number(_))) {
                        return Err(self.expected("'*'"));
                    }
                    self.expect_symbol(")")?;
                    SelectItem::CountStar {
                        label: String::new(),
                    }
                } else if self.eat_symbol(")") {
                    SelectItem::Function {
                        name,
                        label: String::new(),
                    }
                } else {
                    return Err(not_supported(&format!("Function {w}() with arguments")));
                }
            }
            Tok::Word(_) | Tok::QuotedIdent(_) if !self.at_literal_word() => {
                let mut name = self.column_name()?;
                if self.eat_symbol(".") {
                    name = self.column_name()?;
                }
                // A column's label is its name, unquoted and without the table qualifier, as
                // written (StarRocks and MySQL both).
                let label = name.clone();
                let label = self.alias()?.unwrap_or(label);
                return Ok(SelectItem::Column { name, label });
            }
            _ => SelectItem::Literal {
                value: self.literal()?,
                label: String::new(),
            },
        };
        let written = self.sql[start..self.tokens[self.pos - 1].end].to_string();
        let label = self.alias()?.unwrap_or(written);
        Ok(match item {
            SelectItem::CountStar { .. } => SelectItem::CountStar { label },
            SelectItem::Column { name, .. } => SelectItem::Column { name, label },
            SelectItem::Literal { value, .. } => SelectItem::Literal { value, label },
            SelectItem::Variable { name, .. } => SelectItem::Variable { name, label },
            SelectItem::Function { name, .. } => SelectItem::Function { name, label },
            SelectItem::Star => SelectItem::Star,
        })
    }

    fn at_literal_word(&self) -> bool {
        ["null", "true", "false"].iter().any(|w| self.at_keyword(w))
    }

    /// `[AS] alias`.
    fn alias(&mut self) -> Result<Option<String>> {
        if self.eat_keyword("as") {
            return match &self.peek().tok {
                Tok::Str(s) => {
                    let s = s.clone();
                    self.pos += 1;
                    Ok(Some(s))
                }
                _ => self.ident("an alias").map(Some),
            };
        }
        match &self.peek().tok {
            Tok::QuotedIdent(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(Some(w))
            }
            // `offset` is not reserved, but after a select item it starts LIMIT's tail.
            Tok::Word(w) if !is_reserved(w) && !w.eq_ignore_ascii_case("offset") => {
                let w = w.clone();
                self.pos += 1;
                Ok(Some(w))
            }
            _ => Ok(None),
        }
    }

    fn condition(&mut self) -> Result<Condition> {
        if self.eat_symbol("(") {
            return Err(not_supported("Parentheses in WHERE"));
        }
        let column = self.column_name()?;
        if self.eat_keyword("is") {
            let negated = self.eat_keyword("not");
            self.expect_keyword("null")?;
            return Ok(Condition::IsNull { column, negated });
        }
        let op = match self.peek().tok {
            Tok::Symbol("=") => CmpOp::Eq,
            Tok::Symbol("!=") | Tok::Symbol("<>") => CmpOp::Ne,
            Tok::Symbol("<") => CmpOp::Lt,
            Tok::Symbol("<=") => CmpOp::Le,
            Tok::Symbol(">") => CmpOp::Gt,
            Tok::Symbol(">=") => CmpOp::Ge,
            Tok::Word(ref w)
                if ["like", "in", "between", "not"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                return Err(not_supported(&format!(
                    "{} in WHERE",
                    w.to_ascii_uppercase()
                )))
            }
            _ => return Err(self.expected("a comparison operator")),
        };
        self.pos += 1;
        let value = self.literal()?;
        Ok(Condition::Compare { column, op, value })
    }
}
