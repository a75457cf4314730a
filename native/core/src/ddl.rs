//! Tables that follow the source (`starrocks.table.create`, `starrocks.table.evolve`): the
//! columns a record schema asks of its table, and the SQL that creates the table or adds the
//! missing columns. Pure functions over schemas and `DESC` output; `sink::tables` runs them.
//!
//! A table's [`Columns`] only grow: a field the source drops stays a column (new rows leave it
//! NULL), and a column is never retyped. A field whose type no longer fits its column is an
//! error naming both, never a silent conversion.
//!
//! Types follow what the JSON writer writes (`docs/cdc.md` has the table): temporal logical
//! types become DATE and DATETIME (numbers under `starrocks.temporal.rendering=numeric`), TIME
//! text a VARCHAR (StarRocks has no TIME column), decimals DECIMAL(p,s), BYTES base64 text,
//! arrays, maps and structs JSON documents. Key columns come first and are NOT NULL; every other
//! column is nullable, so a field the source later drops never makes a row fail.

use std::fmt::Write as _;

use crate::config::TemporalRendering;
use crate::record::{Schema, SchemaType};

/// The widest DECIMAL a column can be.
const MAX_DECIMAL_PRECISION: u32 = 38;
/// Text columns: StarRocks' STRING (`varchar(65533)`).
const TEXT: &str = "VARCHAR(65533)";

/// One column a record schema asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The SQL type, as `CREATE TABLE` takes it.
    pub ty: String,
}

/// The columns of a table, as its records' schemas ask for them, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// Primary key columns first (in the key's order), then the rest.
    pub columns: Vec<Column>,
    /// The primary key's column names; empty for a table without one (duplicate key).
    pub key: Vec<String>,
}

impl Columns {
    /// The columns of a row `image` (a STRUCT schema); the primary key is the record key's
    /// fields when `key` is a STRUCT whose every field is also a column of the row.
    pub fn of(image: &Schema, key: Option<&Schema>, temporal: TemporalRendering) -> Columns {
        let mut columns = Columns::default();
        if let Some(key) = key.filter(|k| k.ty == SchemaType::Struct && !k.fields.is_empty()) {
            let in_row = |name: &str| image.fields.iter().any(|f| same(&f.name, name));
            if key.fields.iter().all(|f| in_row(&f.name)) {
                for field in &key.fields {
                    columns.key.push(field.name.clone());
                    let schema = image
                        .fields
                        .iter()
                        .find(|f| same(&f.name, &field.name))
                        .map_or(&field.schema, |f| &f.schema);
                    columns.columns.push(Column {
                        name: field.name.clone(),
                        ty: sql_type(schema, temporal),
                    });
                }
            }
        }
        columns.merge(image, temporal);
        columns
    }

    /// Adds the fields of `image` that are not columns yet; whether any was added.
    pub fn merge(&mut self, image: &Schema, temporal: TemporalRendering) -> bool {
        let before = self.columns.len();
        for field in &image.fields {
            if !self.columns.iter().any(|c| same(&c.name, &field.name)) {
                self.columns.push(Column {
                    name: field.name.clone(),
                    ty: sql_type(&field.schema, temporal),
                });
            }
        }
        self.columns.len() > before
    }

    fn is_key(&self, name: &str) -> bool {
        self.key.iter().any(|k| same(k, name))
    }
}

/// Column names are case-insensitive in StarRocks.
fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The StarRocks type that takes what the JSON writer writes for a value of `schema`.
pub fn sql_type(schema: &Schema, temporal: TemporalRendering) -> String {
    let numeric = temporal == TemporalRendering::Numeric;
    let by_name = match schema.name() {
        Some("org.apache.kafka.connect.data.Decimal") => Some(decimal_type(schema)),
        Some("org.apache.kafka.connect.data.Date") if !numeric => Some("DATE".to_owned()),
        Some("org.apache.kafka.connect.data.Timestamp") if !numeric => Some("DATETIME".to_owned()),
        Some("org.apache.kafka.connect.data.Time") if !numeric => Some(TEXT.to_owned()),
        Some("io.debezium.time.Date") if !numeric => Some("DATE".to_owned()),
        Some(
            "io.debezium.time.Timestamp"
            | "io.debezium.time.MicroTimestamp"
            | "io.debezium.time.NanoTimestamp"
            | "io.debezium.time.ZonedTimestamp",
        ) if !numeric => Some("DATETIME".to_owned()),
        Some(
            "io.debezium.time.Time" | "io.debezium.time.MicroTime" | "io.debezium.time.NanoTime",
        ) if !numeric => Some(TEXT.to_owned()),
        // The scale differs per value: only text keeps every digit.
        Some("io.debezium.data.VariableScaleDecimal") => Some(TEXT.to_owned()),
        Some("io.debezium.data.Json") => Some("JSON".to_owned()),
        _ => None,
    };
    by_name.unwrap_or_else(|| {
        match schema.ty {
            SchemaType::Int8 => "TINYINT",
            SchemaType::Int16 => "SMALLINT",
            SchemaType::Int32 => "INT",
            SchemaType::Int64 => "BIGINT",
            SchemaType::Float32 => "FLOAT",
            SchemaType::Float64 => "DOUBLE",
            SchemaType::Boolean => "BOOLEAN",
            SchemaType::String | SchemaType::Bytes => TEXT,
            SchemaType::Array | SchemaType::Map | SchemaType::Struct => "JSON",
        }
        .to_owned()
    })
}

/// DECIMAL(p,s) from Connect's `scale` and Debezium's `connect.decimal.precision` (38 when
/// the source says none); text when the number cannot fit a DECIMAL column.
fn decimal_type(schema: &Schema) -> String {
    let scale: u32 = schema
        .param("scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let precision: u32 = schema
        .param("connect.decimal.precision")
        .and_then(|p| p.parse().ok())
        .unwrap_or(MAX_DECIMAL_PRECISION)
        .max(scale)
        .max(1);
    if precision > MAX_DECIMAL_PRECISION {
        TEXT.to_owned()
    } else {
        format!("DECIMAL({precision},{scale})")
    }
}

/// `` `name` `` with backticks doubled.
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn table_ref(database: &str, table: &str) -> String {
    format!("{}.{}", quoted(database), quoted(table))
}

/// `CREATE TABLE IF NOT EXISTS` for `columns`: a primary-key table when they have a key, else a
/// duplicate-key table. Refused (with the reason) when a key column's type cannot be a key.
pub fn create_table(
    database: &str,
    table: &str,
    columns: &Columns,
    properties: &[(String, String)],
) -> Result<String, String> {
    if columns.columns.is_empty() {
        return Err("the record schema has no fields".to_owned());
    }
    for name in &columns.key {
        let column = columns.columns.iter().find(|c| same(&c.name, name));
        if let Some(c) = column.filter(|c| !key_type(&c.ty)) {
            return Err(format!(
                "key column '{}' would be {}, which a primary key cannot be",
                c.name, c.ty
            ));
        }
    }
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {} (",
        table_ref(database, table)
    );
    for (i, c) in columns.columns.iter().enumerate() {
        let null = if columns.is_key(&c.name) {
            "NOT NULL"
        } else {
            "NULL"
        };
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{sep}{} {} {null}", quoted(&c.name), c.ty);
    }
    sql.push(')');
    let keys = |names: &[String]| {
        names
            .iter()
            .map(|n| quoted(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if columns.key.is_empty() {
        let first = &columns.columns[0].name;
        let _ = write!(
            sql,
            " DUPLICATE KEY({0}) DISTRIBUTED BY HASH({0})",
            quoted(first)
        );
    } else {
        let _ = write!(
            sql,
            " PRIMARY KEY({0}) DISTRIBUTED BY HASH({0})",
            keys(&columns.key)
        );
    }
    if !properties.is_empty() {
        let pairs: Vec<String> = properties
            .iter()
            .map(|(k, v)| format!("\"{k}\" = \"{v}\""))
            .collect();
        let _ = write!(sql, " PROPERTIES ({})", pairs.join(", "));
    }
    Ok(sql)
}

/// Whether a primary key may hold a column of this type.
fn key_type(ty: &str) -> bool {
    matches!(
        family(ty),
        Family::Integer | Family::Boolean | Family::Text | Family::Date | Family::DateTime
    )
}

/// `ALTER TABLE … ADD COLUMN …` for the columns the table lacks, each nullable.
pub fn add_columns(database: &str, table: &str, missing: &[&Column]) -> String {
    let clauses: Vec<String> = missing
        .iter()
        .map(|c| format!("ADD COLUMN {} {} NULL", quoted(&c.name), c.ty))
        .collect();
    format!(
        "ALTER TABLE {} {}",
        table_ref(database, table),
        clauses.join(", ")
    )
}

/// A column of the table as `DESC` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub name: String,
    /// `DESC`'s type: `int(11)`, `varchar(65533)`, `decimal(10,2)`, `datetime`, …
    pub ty: String,
}

/// The columns the table lacks, in order; an error naming the column when one the table has
/// cannot take what the records now carry.
pub fn missing<'c>(columns: &'c Columns, existing: &[Existing]) -> Result<Vec<&'c Column>, String> {
    let mut missing = Vec::new();
    for column in &columns.columns {
        match existing.iter().find(|e| same(&e.name, &column.name)) {
            None => missing.push(column),
            Some(e) if !fits(&column.ty, &e.ty) => {
                return Err(format!(
                    "column '{}' is {} in StarRocks, but the records now carry values for {}; \
                     the sink never retypes a column: change it with ALTER TABLE … MODIFY \
                     COLUMN, or route the records elsewhere",
                    e.name, e.ty, column.ty
                ))
            }
            Some(_) => {}
        }
    }
    Ok(missing)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Integer,
    Number,
    Boolean,
    Text,
    Date,
    DateTime,
    Json,
    Other,
}

/// The family of a type as `CREATE TABLE` or `DESC` spells it.
fn family(ty: &str) -> Family {
    let ty = ty.trim().to_ascii_lowercase();
    let base = ty.split(['(', '<', ' ']).next().unwrap_or("");
    match base {
        "tinyint" | "smallint" | "int" | "integer" | "bigint" | "largeint" => Family::Integer,
        "float" | "double" | "decimal" | "decimalv2" | "decimal32" | "decimal64" | "decimal128"
        | "decimal256" => Family::Number,
        "boolean" | "bool" => Family::Boolean,
        "char" | "varchar" | "string" | "text" => Family::Text,
        "date" => Family::Date,
        "datetime" | "timestamp" => Family::DateTime,
        "json" => Family::Json,
        _ => Family::Other,
    }
}

/// Whether values written for a `wanted` column load into an `existing` one as they are meant:
/// text and JSON columns take anything the writer writes; numbers go into numbers, dates into
/// dates or datetimes. Anything else (a number column that now gets text) would load NULLs or
/// reject rows, so it is refused up front.
fn fits(wanted: &str, existing: &str) -> bool {
    use Family::*;
    match (family(wanted), family(existing)) {
        (_, Text | Other) | (_, Json) => true,
        (w, e) if w == e => true,
        (Integer | Boolean, Number | Integer) => true,
        (Number, Number) => true,
        (Date, DateTime) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Field;

    fn field(name: &str, schema: Schema) -> Field {
        Field {
            name: name.to_owned(),
            schema,
        }
    }

    fn named(ty: SchemaType, name: &str, params: &[(&str, &str)]) -> Schema {
        Schema {
            name: Some(name.to_owned()),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Schema::primitive(ty, true)
        }
    }

    fn row(fields: Vec<Field>) -> Schema {
        Schema {
            fields,
            ..Schema::primitive(SchemaType::Struct, true)
        }
    }

    fn customers() -> (Schema, Schema) {
        let image = row(vec![
            field("name", Schema::primitive(SchemaType::String, true)),
            field("id", Schema::primitive(SchemaType::Int32, false)),
            field(
                "born",
                named(SchemaType::Int32, "io.debezium.time.Date", &[]),
            ),
            field(
                "price",
                named(
                    SchemaType::Bytes,
                    "org.apache.kafka.connect.data.Decimal",
                    &[("scale", "2"), ("connect.decimal.precision", "10")],
                ),
            ),
            field(
                "seen",
                named(SchemaType::Int64, "io.debezium.time.MicroTimestamp", &[]),
            ),
            field(
                "doc",
                named(SchemaType::String, "io.debezium.data.Json", &[]),
            ),
            field(
                "tags",
                Schema {
                    value: Some(Box::new(Schema::primitive(SchemaType::String, true))),
                    ..Schema::primitive(SchemaType::Array, true)
                },
            ),
        ]);
        let key = row(vec![field(
            "id",
            Schema::primitive(SchemaType::Int32, false),
        )]);
        (image, key)
    }

    #[test]
    fn a_debezium_image_makes_a_primary_key_table_keyed_first_on_the_record_key() {
        let (image, key) = customers();
        let columns = Columns::of(&image, Some(&key), TemporalRendering::String);
        let sql = create_table(
            "db",
            "customers",
            &columns,
            &[("replication_num".into(), "1".into())],
        )
        .unwrap();
        assert_eq!(
            sql,
            "CREATE TABLE IF NOT EXISTS `db`.`customers` (`id` INT NOT NULL, \
             `name` VARCHAR(65533) NULL, `born` DATE NULL, `price` DECIMAL(10,2) NULL, \
             `seen` DATETIME NULL, `doc` JSON NULL, `tags` JSON NULL) PRIMARY KEY(`id`) \
             DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")"
        );
    }

    #[test]
    fn without_a_struct_key_in_the_row_the_table_is_duplicate_key() {
        let (image, _) = customers();
        let other_key = row(vec![field(
            "uuid",
            Schema::primitive(SchemaType::String, false),
        )]);
        for key in [None, Some(&other_key)] {
            let columns = Columns::of(&image, key, TemporalRendering::String);
            assert!(columns.key.is_empty());
            let sql = create_table("db", "t", &columns, &[]).unwrap();
            assert!(
                sql.ends_with("DUPLICATE KEY(`name`) DISTRIBUTED BY HASH(`name`)"),
                "{sql}"
            );
        }
    }

    #[test]
    fn types_follow_the_json_writer() {
        let t = |s: &Schema| sql_type(s, TemporalRendering::String);
        let n = |s: &Schema| sql_type(s, TemporalRendering::Numeric);
        let date = named(SchemaType::Int32, "org.apache.kafka.connect.data.Date", &[]);
        assert_eq!(t(&date), "DATE");
        assert_eq!(n(&date), "INT");
        let zoned = named(SchemaType::String, "io.debezium.time.ZonedTimestamp", &[]);
        assert_eq!(t(&zoned), "DATETIME");
        let time = named(SchemaType::Int64, "io.debezium.time.MicroTime", &[]);
        assert_eq!(t(&time), TEXT);
        assert_eq!(n(&time), "BIGINT");
        let wide = named(
            SchemaType::Bytes,
            "org.apache.kafka.connect.data.Decimal",
            &[("scale", "4"), ("connect.decimal.precision", "60")],
        );
        assert_eq!(t(&wide), TEXT);
        let unsized_decimal = named(
            SchemaType::Bytes,
            "org.apache.kafka.connect.data.Decimal",
            &[("scale", "3")],
        );
        assert_eq!(t(&unsized_decimal), "DECIMAL(38,3)");
        let variable = named(
            SchemaType::Struct,
            "io.debezium.data.VariableScaleDecimal",
            &[],
        );
        assert_eq!(t(&variable), TEXT);
        assert_eq!(t(&Schema::primitive(SchemaType::Bytes, true)), TEXT);
        assert_eq!(t(&Schema::primitive(SchemaType::Float64, true)), "DOUBLE");
        assert_eq!(t(&Schema::primitive(SchemaType::Map, true)), "JSON");
    }

    #[test]
    fn a_key_that_cannot_be_a_primary_key_is_refused_naming_the_column() {
        let image = row(vec![field(
            "k",
            Schema::primitive(SchemaType::Float64, false),
        )]);
        let key = image.clone();
        let columns = Columns::of(&image, Some(&key), TemporalRendering::String);
        let e = create_table("db", "t", &columns, &[]).unwrap_err();
        assert!(e.contains("key column 'k' would be DOUBLE"), "{e}");
        let empty = Columns::of(&row(vec![]), None, TemporalRendering::String);
        assert!(create_table("db", "t", &empty, &[]).is_err());
    }

    #[test]
    fn merging_adds_only_new_fields_in_order_and_names_match_without_case() {
        let (image, key) = customers();
        let mut columns = Columns::of(&image, Some(&key), TemporalRendering::String);
        assert!(!columns.merge(&image, TemporalRendering::String));
        let mut grown = image.clone();
        grown
            .fields
            .push(field("email", Schema::primitive(SchemaType::String, true)));
        grown
            .fields
            .push(field("NAME", Schema::primitive(SchemaType::String, true)));
        grown
            .fields
            .push(field("visits", Schema::primitive(SchemaType::Int64, true)));
        assert!(columns.merge(&grown, TemporalRendering::String));
        let names: Vec<&str> = columns.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "name", "born", "price", "seen", "doc", "tags", "email", "visits"]
        );
    }

    #[test]
    fn the_missing_columns_are_added_nullable_and_a_retyped_one_is_refused() {
        let (image, key) = customers();
        let columns = Columns::of(&image, Some(&key), TemporalRendering::String);
        let existing: Vec<Existing> = [
            ("id", "int(11)"),
            ("NAME", "varchar(64)"),
            ("born", "datetime"),
            ("price", "decimal(12,2)"),
            ("seen", "datetime"),
        ]
        .iter()
        .map(|(n, t)| Existing {
            name: (*n).to_owned(),
            ty: (*t).to_owned(),
        })
        .collect();
        let lacking = missing(&columns, &existing).unwrap();
        assert_eq!(
            add_columns("db", "t", &lacking),
            "ALTER TABLE `db`.`t` ADD COLUMN `doc` JSON NULL, ADD COLUMN `tags` JSON NULL"
        );

        let retyped: Vec<Existing> = vec![Existing {
            name: "name".to_owned(),
            ty: "bigint(20)".to_owned(),
        }];
        let e = missing(&columns, &retyped).unwrap_err();
        assert!(
            e.contains("column 'name' is bigint(20) in StarRocks"),
            "{e}"
        );
        assert!(e.contains("VARCHAR(65533)"), "{e}");
    }

    #[test]
    fn names_are_quoted() {
        let image = row(vec![field(
            "we`ird",
            Schema::primitive(SchemaType::Int32, true),
        )]);
        let columns = Columns::of(&image, None, TemporalRendering::String);
        let sql = create_table("d", "t`x", &columns, &[]).unwrap();
        assert!(sql.starts_with("CREATE TABLE IF NOT EXISTS `d`.`t``x` (`we``ird` INT NULL)"));
    }
}
