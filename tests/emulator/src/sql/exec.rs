//! Runs parsed statements against the catalog.
//!
//! [`execute`] is the one entry point the front ends share: text in, a rendered result or a
//! [`SqlError`] carrying the MySQL error code a client would get from StarRocks. Results are
//! first built typed ([`Outcome`], values plus column types) so the MySQL server can pick
//! wire types and the SQL API can emit JSON numbers; [`execute`] renders them to text with
//! [`Value::render`], the single rendering every interface shares. Statements never hold the
//! catalog lock across calls: each catalog call is atomic, so a query sees a load entirely
//! or not at all.

use crate::catalog::{Catalog, CatalogError, Column, KeyModel, TableSchema};
use crate::sql::ast::{
    AddColumn, ColumnDef, ColumnPosition, CreateTable, Distribution, KeyKind, Statement, TableRef,
};
use crate::sql::literal::default_value;
use crate::sql::parser::{parse, split_statements, ParseErrorKind};
use crate::sql::{information_schema, query, variables};
use crate::types::{ColumnType, Value};
use crate::version::Version;

/// Per-connection state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// The current database (`USE db`), if any.
    pub database: Option<String>,
    /// The StarRocks version the server reports (`current_version()`, `@@version_comment`).
    pub version: Version,
}

impl Session {
    /// A fresh session on a server that reports `version`.
    pub fn with_version(version: Version) -> Session {
        Session {
            database: None,
            version,
        }
    }
}

/// A statement's result, rendered as text.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryOutput {
    Ok {
        affected: u64,
    },
    Rows {
        columns: Vec<ResultColumn>,
        /// One entry per column; `None` is NULL.
        rows: Vec<Vec<Option<String>>>,
    },
}

/// A result column's name and whether its values are numbers (right-aligned by the MySQL
/// client, unquoted in JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    pub name: String,
    pub numeric: bool,
}

/// A statement error with its MySQL error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub code: u16,
    pub message: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ERROR {}: {}", self.code, self.message)
    }
}

impl std::error::Error for SqlError {}

/// The MySQL error codes the emulator sends.
pub mod codes {
    pub const DB_CREATE_EXISTS: u16 = 1007;
    pub const DB_DROP_EXISTS: u16 = 1008;
    pub const NO_DB: u16 = 1046;
    pub const BAD_DB: u16 = 1049;
    pub const TABLE_EXISTS: u16 = 1050;
    pub const BAD_TABLE: u16 = 1051;
    pub const BAD_FIELD: u16 = 1054;
    pub const DUP_FIELDNAME: u16 = 1060;
    pub const PARSE: u16 = 1064;
    pub const INVALID_DEFAULT: u16 = 1067;
    pub const UNKNOWN: u16 = 1105;
    pub const NO_SUCH_TABLE: u16 = 1146;
    pub const UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;
    pub const NOT_SUPPORTED: u16 = 1235;
    pub const NO_DEFAULT_FOR_FIELD: u16 = 1364;
}

impl SqlError {
    pub fn new(code: u16, message: impl Into<String>) -> SqlError {
        SqlError {
            code,
            message: message.into(),
        }
    }
}

/// A typed result column.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedColumn {
    pub name: String,
    pub ty: ColumnType,
}

/// A typed result set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    pub columns: Vec<TypedColumn>,
    pub rows: Vec<Vec<Value>>,
}

impl ResultSet {
    /// A result whose columns are all text.
    pub(crate) fn text(names: &[&str], rows: Vec<Vec<Value>>) -> ResultSet {
        ResultSet {
            columns: names
                .iter()
                .map(|n| TypedColumn {
                    name: n.to_string(),
                    ty: ColumnType::Varchar(1024),
                })
                .collect(),
            rows,
        }
    }
}

/// A statement's typed result.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok { affected: u64 },
    Rows(ResultSet),
}

/// Parses and runs one statement, rendering its result as text.
pub fn execute(
    catalog: &Catalog,
    session: &mut Session,
    sql: &str,
) -> Result<QueryOutput, SqlError> {
    Ok(render(execute_typed(catalog, session, sql)?))
}

/// Parses and runs one statement.
pub fn execute_typed(
    catalog: &Catalog,
    session: &mut Session,
    sql: &str,
) -> Result<Outcome, SqlError> {
    run(catalog, session, &parse_sql(sql)?)
}

/// Runs a script of `;`-separated statements in order (the seed's DDL block, say), stopping
/// at the first error.
pub fn execute_script(
    catalog: &Catalog,
    session: &mut Session,
    script: &str,
) -> Result<Vec<QueryOutput>, SqlError> {
    let pieces = split_statements(script).map_err(|e| SqlError::new(codes::PARSE, e.message))?;
    pieces
        .into_iter()
        .map(|sql| execute(catalog, session, sql))
        .collect()
}

/// Parses one statement, mapping parse errors to MySQL codes (1064 syntax, 1235 unsupported).
pub fn parse_sql(sql: &str) -> Result<Statement, SqlError> {
    parse(sql).map_err(|e| match e.kind {
        ParseErrorKind::Syntax => SqlError::new(codes::PARSE, e.message),
        ParseErrorKind::Unsupported => SqlError::new(codes::NOT_SUPPORTED, e.message),
    })
}

/// Renders a typed outcome to text.
pub fn render(outcome: Outcome) -> QueryOutput {
    match outcome {
        Outcome::Ok { affected } => QueryOutput::Ok { affected },
        Outcome::Rows(rs) => QueryOutput::Rows {
            columns: rs
                .columns
                .iter()
                .map(|c| ResultColumn {
                    name: c.name.clone(),
                    numeric: c.ty.is_numeric(),
                })
                .collect(),
            rows: rs
                .rows
                .iter()
                .map(|r| r.iter().map(Value::render).collect())
                .collect(),
        },
    }
}

/// Runs a parsed statement.
pub fn run(
    catalog: &Catalog,
    session: &mut Session,
    stmt: &Statement,
) -> Result<Outcome, SqlError> {
    let ok = Ok(Outcome::Ok { affected: 0 });
    match stmt {
        Statement::CreateDatabase {
            name,
            if_not_exists,
        } => {
            if catalog.has_database(name) && !if_not_exists {
                return Err(SqlError::new(
                    codes::DB_CREATE_EXISTS,
                    format!("Can't create database '{name}'; database exists"),
                ));
            }
            catalog
                .create_database(name, *if_not_exists)
                .map_err(catalog_error)?;
            ok
        }
        Statement::DropDatabase { name, if_exists } => {
            if !catalog.has_database(name) && !if_exists {
                return Err(SqlError::new(
                    codes::DB_DROP_EXISTS,
                    format!("Can't drop database '{name}'; database doesn't exist"),
                ));
            }
            catalog
                .drop_database(name, *if_exists)
                .map_err(catalog_error)?;
            if session.database.as_deref() == Some(name.as_str()) {
                session.database = None;
            }
            ok
        }
        Statement::Use { database } => {
            if !catalog.has_database(database)
                && !database.eq_ignore_ascii_case(information_schema::DATABASE)
            {
                return Err(unknown_database(database));
            }
            session.database = Some(database.clone());
            ok
        }
        Statement::CreateTable(ct) => {
            let db = database_of(catalog, session, &ct.table)?;
            let schema = table_schema(ct)?;
            if !ct.if_not_exists
                && catalog
                    .table_names(&db)
                    .map_err(catalog_error)?
                    .contains(&schema.name)
            {
                return Err(SqlError::new(
                    codes::TABLE_EXISTS,
                    format!("Table '{}' already exists", schema.name),
                ));
            }
            catalog
                .create_table(&db, schema, ct.if_not_exists)
                .map_err(catalog_error)?;
            ok
        }
        Statement::DropTable { table, if_exists } => {
            let db = database_of(catalog, session, table)?;
            let exists = catalog
                .table_names(&db)
                .map_err(catalog_error)?
                .contains(&table.name);
            if !exists && !if_exists {
                return Err(SqlError::new(
                    codes::BAD_TABLE,
                    format!("Unknown table '{}'", table.name),
                ));
            }
            catalog
                .drop_table(&db, &table.name, *if_exists)
                .map_err(catalog_error)?;
            ok
        }
        Statement::Truncate { table } => {
            let db = database_of(catalog, session, table)?;
            catalog
                .with_table(&db, &table.name, |t| t.truncate())
                .map_err(|_| no_such_table(&db, &table.name))?;
            ok
        }
        Statement::AddColumns { table, columns } => {
            add_columns(catalog, session, table, columns)?;
            ok
        }
        Statement::Select(select) => Ok(Outcome::Rows(query::select(catalog, session, select)?)),
        Statement::Delete(delete) => Ok(Outcome::Ok {
            affected: query::delete(catalog, session, delete)?,
        }),
        Statement::SelectValues(items) => {
            Ok(Outcome::Rows(variables::select_values(session, items)?))
        }
        Statement::ShowDatabases => {
            let rows = catalog
                .database_names()
                .into_iter()
                .map(|d| vec![Value::Str(d)])
                .collect();
            Ok(Outcome::Rows(ResultSet::text(&["Database"], rows)))
        }
        Statement::ShowTables { database } => {
            let db = match database {
                Some(db) => db.clone(),
                None => session.database.clone().ok_or_else(no_database)?,
            };
            let names = catalog
                .table_names(&db)
                .map_err(|_| unknown_database(&db))?;
            let rows = names.into_iter().map(|t| vec![Value::Str(t)]).collect();
            Ok(Outcome::Rows(ResultSet::text(
                &[&format!("Tables_in_{db}")],
                rows,
            )))
        }
        Statement::ShowVariables { pattern } => Ok(Outcome::Rows(variables::show_variables(
            session,
            pattern.as_deref(),
        ))),
        Statement::Describe { table } => {
            let db = database_of(catalog, session, table)?;
            let schema = catalog
                .schema(&db, &table.name)
                .map_err(|_| no_such_table(&db, &table.name))?;
            Ok(Outcome::Rows(describe(&schema)))
        }
        Statement::Set => ok,
    }
}

/// The database a table reference names: its qualifier or the session's, which must exist.
pub(crate) fn database_of(
    catalog: &Catalog,
    session: &Session,
    table: &TableRef,
) -> Result<String, SqlError> {
    let db = match &table.database {
        Some(db) => db.clone(),
        None => session.database.clone().ok_or_else(no_database)?,
    };
    if !catalog.has_database(&db) {
        return Err(unknown_database(&db));
    }
    Ok(db)
}

pub(crate) fn no_database() -> SqlError {
    SqlError::new(codes::NO_DB, "No database selected")
}

pub(crate) fn unknown_database(db: &str) -> SqlError {
    SqlError::new(codes::BAD_DB, format!("Unknown database '{db}'"))
}

pub(crate) fn no_such_table(db: &str, table: &str) -> SqlError {
    SqlError::new(
        codes::NO_SUCH_TABLE,
        format!("Table '{db}.{table}' doesn't exist"),
    )
}

/// Classifies a catalog error that slipped past the checks above (a concurrent DDL).
fn catalog_error(e: CatalogError) -> SqlError {
    let code = if e.0.starts_with("Unknown database") {
        codes::BAD_DB
    } else if e.0.starts_with("Unknown table") {
        codes::NO_SUCH_TABLE
    } else if e.0.contains("already exists") {
        codes::TABLE_EXISTS
    } else if e.0.contains("database exists") {
        codes::DB_CREATE_EXISTS
    } else {
        codes::UNKNOWN
    };
    SqlError::new(code, e.0)
}

/// Builds and checks the schema of `CREATE TABLE` the way StarRocks does: unique column
/// names, key columns that exist and form an ordered prefix of the columns, distribution
/// columns that exist, defaults that fit.
fn table_schema(ct: &CreateTable) -> Result<TableSchema, SqlError> {
    let mut columns: Vec<Column> = Vec::with_capacity(ct.columns.len());
    for def in &ct.columns {
        if columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&def.name))
        {
            return Err(SqlError::new(
                codes::DUP_FIELDNAME,
                format!("Duplicate column name '{}'", def.name),
            ));
        }
        columns.push(column_of(def)?);
    }
    let find = |name: &str, role: &str| {
        columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                SqlError::new(
                    codes::BAD_FIELD,
                    format!("{role} column '{name}' doesn't exist"),
                )
            })
    };
    let (model, key) = match &ct.key {
        None => (KeyModel::Duplicate, vec![0]),
        Some(clause) => {
            let key = clause
                .columns
                .iter()
                .map(|c| find(c, "Key"))
                .collect::<Result<Vec<_>, _>>()?;
            if key.iter().enumerate().any(|(i, k)| *k != i) {
                return Err(SqlError::new(
                    codes::UNKNOWN,
                    "Key columns should be a ordered prefix of the schema",
                ));
            }
            let model = match clause.kind {
                KeyKind::Primary => KeyModel::Primary,
                KeyKind::Duplicate => KeyModel::Duplicate,
            };
            (model, key)
        }
    };
    if let Some(Distribution::Hash { columns: dist, .. }) = &ct.distribution {
        for c in dist {
            find(c, "Distribution")?;
        }
    }
    if model == KeyModel::Primary {
        for &k in &key {
            columns[k].nullable = false;
        }
    }
    Ok(TableSchema {
        name: ct.table.name.clone(),
        columns,
        model,
        key,
        version: 0,
    })
}

/// A column as its definition says: NULL unless NOT NULL, a default that fits its type.
fn column_of(def: &ColumnDef) -> Result<Column, SqlError> {
    let default = match &def.default {
        Some(lit) => default_value(&def.name, lit, &def.ty)
            .map_err(|m| SqlError::new(codes::INVALID_DEFAULT, m))?,
        None => None,
    };
    let nullable = def.nullable.unwrap_or(true);
    if default.is_none() && def.default.is_some() && !nullable {
        return Err(SqlError::new(
            codes::INVALID_DEFAULT,
            format!("Invalid default value for '{}'", def.name),
        ));
    }
    Ok(Column {
        name: def.name.clone(),
        ty: def.ty.clone(),
        nullable,
        default,
        comment: def.comment.clone().unwrap_or_default(),
    })
}

/// `ALTER TABLE … ADD COLUMN`, as StarRocks' fast schema evolution does it (the default since
/// 3.2): checked as a whole, then applied at once, so the statement returns with the columns
/// in place. Rows already stored, and rows of loads still in flight, get the column's default,
/// else NULL.
fn add_columns(
    catalog: &Catalog,
    session: &Session,
    table: &TableRef,
    adds: &[AddColumn],
) -> Result<(), SqlError> {
    let db = database_of(catalog, session, table)?;
    let not_found = || {
        SqlError::new(
            codes::PARSE,
            format!(
                "Getting analyzing error. Detail message: Table {} is not found.",
                table.name
            ),
        )
    };
    let mut schema = catalog.schema(&db, &table.name).map_err(|_| not_found())?;
    let mut placed: Vec<(usize, Column)> = Vec::with_capacity(adds.len());
    for (i, add) in adds.iter().enumerate() {
        let name = &add.def.name;
        if adds[..i]
            .iter()
            .any(|a| a.def.name.eq_ignore_ascii_case(name))
        {
            return Err(SqlError::new(
                codes::UNKNOWN,
                format!("Repeatedly add column: {name}"),
            ));
        }
        if schema.column_index(name).is_some() {
            return Err(SqlError::new(
                codes::UNKNOWN,
                format!("Can not add column which already exists in base table: {name}"),
            ));
        }
        if add.key && schema.model == KeyModel::Primary {
            return Err(SqlError::new(
                codes::UNKNOWN,
                format!("Can not add key column: {name} for primary key table"),
            ));
        }
        let column = column_of(&add.def)?;
        if !column.nullable && column.default.is_none() {
            return Err(SqlError::new(
                codes::NO_DEFAULT_FOR_FIELD,
                format!("Field '{name}' is not null but doesn't have a default value"),
            ));
        }
        let keys = schema.key.len();
        let index = match &add.position {
            ColumnPosition::Default if add.key => keys,
            ColumnPosition::Default => schema.columns.len(),
            ColumnPosition::First => 0,
            ColumnPosition::After(after) => {
                schema.column_index(after).ok_or_else(|| {
                    SqlError::new(codes::BAD_FIELD, format!("Column '{after}' does not exist"))
                })? + 1
            }
        };
        // Key columns stay an ordered prefix of the schema.
        if (add.key && index > keys) || (!add.key && index < keys) {
            return Err(SqlError::new(
                codes::NOT_SUPPORTED,
                format!(
                    "The emulator does not support placing the {} column {name} there: key \
                     columns must stay the first columns",
                    if add.key { "key" } else { "value" }
                ),
            ));
        }
        schema.insert_column(index, column.clone(), add.key);
        placed.push((index, column));
    }
    let added = catalog.with_table(&db, &table.name, |t| {
        for (index, column) in placed.iter().zip(adds) {
            t.add_column(index.0, index.1.clone(), column.key);
        }
    });
    added.map_err(|_| not_found())
}

/// `DESC table`: StarRocks' Field, Type, Null, Key, Default, Extra.
fn describe(schema: &TableSchema) -> ResultSet {
    let rows = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let text = |s: &str| Value::Str(s.to_string());
            vec![
                text(&c.name),
                text(&c.ty.to_string()),
                text(if c.nullable { "YES" } else { "NO" }),
                text(if schema.key.contains(&i) {
                    "true"
                } else {
                    "false"
                }),
                c.default
                    .as_ref()
                    .and_then(Value::render)
                    .map_or(Value::Null, Value::Str),
                text(""),
            ]
        })
        .collect();
    ResultSet::text(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
}

#[cfg(test)]
mod tests;
