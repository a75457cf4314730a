//! The statements the emulator understands, as the parser produces them.
//!
//! These are plain data with no reference to the catalog: names are as written (database and
//! table names are case-sensitive in StarRocks, column names are not, and the executor
//! resolves them), and literals are kept as text until the executor knows the column type
//! they meet. A [`Statement`] that parsed is syntactically complete; whether its tables and
//! columns exist is the executor's question.

use crate::types::ColumnType;

/// One SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    Use {
        database: String,
    },
    CreateTable(CreateTable),
    DropTable {
        table: TableRef,
        if_exists: bool,
    },
    Truncate {
        table: TableRef,
    },
    /// `ALTER TABLE t ADD COLUMN …[, ADD COLUMN …]`, every column in order.
    AddColumns {
        table: TableRef,
        columns: Vec<AddColumn>,
    },
    /// `DELETE FROM table WHERE …`.
    Delete(Delete),
    /// `SELECT … FROM table …`.
    Select(Select),
    /// `SELECT` without `FROM`: constants, system variables and session functions.
    SelectValues(Vec<SelectItem>),
    ShowDatabases,
    ShowTables {
        database: Option<String>,
    },
    /// `SHOW [SESSION|GLOBAL] VARIABLES [LIKE 'pattern']`.
    ShowVariables {
        pattern: Option<String>,
    },
    Describe {
        table: TableRef,
    },
    /// `SET …`: accepted and ignored, as clients send them on connect.
    Set,
}

impl Statement {
    /// Whether the statement only reads (what StarRocks' HTTP SQL API accepts).
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Statement::Select(_)
                | Statement::SelectValues(_)
                | Statement::ShowDatabases
                | Statement::ShowTables { .. }
                | Statement::ShowVariables { .. }
                | Statement::Describe { .. }
        )
    }

    /// Whether the result is a SELECT result (the SQL API sends a `connectionId` first only
    /// for those; SHOW and DESC results start with `meta`).
    pub fn is_select(&self) -> bool {
        matches!(self, Statement::Select(_) | Statement::SelectValues(_))
    }
}

/// A table name, optionally qualified with its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    pub database: Option<String>,
    pub name: String,
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub if_not_exists: bool,
    pub table: TableRef,
    pub columns: Vec<ColumnDef>,
    /// The key clause; `None` means a duplicate-key table keyed on its first column.
    pub key: Option<KeyClause>,
    pub comment: Option<String>,
    pub distribution: Option<Distribution>,
    pub properties: Vec<(String, String)>,
}

/// A column definition inside `CREATE TABLE (…)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: ColumnType,
    /// `Some(true)` for `NULL`, `Some(false)` for `NOT NULL`, `None` when not said.
    pub nullable: Option<bool>,
    pub default: Option<Literal>,
    pub comment: Option<String>,
}

/// One column of `ALTER TABLE … ADD COLUMN`.
#[derive(Debug, Clone, PartialEq)]
pub struct AddColumn {
    pub def: ColumnDef,
    /// `KEY` was written after the type.
    pub key: bool,
    pub position: ColumnPosition,
}

/// Where `ADD COLUMN` puts a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnPosition {
    /// Neither `FIRST` nor `AFTER`: a value column goes last, a key column after the last key
    /// column.
    Default,
    First,
    After(String),
}

/// The key models the emulator supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Primary,
    Duplicate,
}

/// `PRIMARY KEY (cols)` or `DUPLICATE KEY (cols)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClause {
    pub kind: KeyKind,
    pub columns: Vec<String>,
}

/// `DISTRIBUTED BY …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distribution {
    Hash {
        columns: Vec<String>,
        buckets: Option<u32>,
    },
    Random {
        buckets: Option<u32>,
    },
}

/// A literal as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// Numeric text, with its sign: `42`, `-1.5`, `2e3`.
    Number(String),
    Str(String),
}

/// `SELECT … FROM table [WHERE …] [ORDER BY …] [LIMIT …]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub items: Vec<SelectItem>,
    pub from: TableRef,
    /// Conditions joined by AND.
    pub filter: Vec<Condition>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// `DELETE FROM [db.]t WHERE c AND …`. An empty filter means no WHERE was written (which
/// StarRocks refuses when it analyzes the statement, not when it parses it).
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub table: TableRef,
    pub filter: Vec<Condition>,
}

/// One entry of a select list. `label` is the column name the result shows: the alias, or
/// the text as written.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    Star,
    /// `COUNT(*)` / `COUNT(1)`
    CountStar {
        label: String,
    },
    Column {
        name: String,
        label: String,
    },
    Literal {
        value: Literal,
        label: String,
    },
    /// `@@[session.|global.]name`, the name without scope.
    Variable {
        name: String,
        label: String,
    },
    /// A function call without arguments, such as `DATABASE()`; the name is lowercased.
    Function {
        name: String,
        label: String,
    },
}

/// A comparison operator in `WHERE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `column op literal`, or `column IS [NOT] NULL`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare {
        column: String,
        op: CmpOp,
        value: Literal,
    },
    IsNull {
        column: String,
        negated: bool,
    },
}

/// `column [ASC|DESC]` in `ORDER BY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub column: String,
    pub descending: bool,
}
