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
    /// What the JSON writer writes into it: what an existing column must take.
    pub values: Values,
}

impl Column {
    fn of(name: &str, schema: &Schema, temporal: TemporalRendering) -> Column {
        let (ty, values) = column_type(schema, temporal);
        Column {
            name: name.to_owned(),
            ty,
            values,
        }
    }
}

/// What a column holds: the values the JSON writer writes for a field, or what an existing
/// column's type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Whole numbers of this many bytes (1, 2, 4 or 8; 16 for LARGEINT).
    Integer(u8),
    /// Exact decimals: at most `precision` digits (`None`: the source does not say), `scale` of
    /// them after the point (`None`: it differs per value).
    Decimal {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    /// FLOAT32 and FLOAT64.
    Float,
    Boolean,
    Text,
    Date,
    DateTime,
    /// A JSON document (arrays, maps, structs, `io.debezium.data.Json`).
    Json,
    /// An existing column of another type (ARRAY, MAP, BITMAP, …): not judged.
    Other,
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
            let in_row = |name: &str| image.fields.iter().find(|f| same(f.name(), name));
            if key.fields.iter().all(|f| in_row(f.name()).is_some()) {
                for field in &key.fields {
                    let schema = in_row(field.name()).map_or(&field.schema, |f| &f.schema);
                    columns.key.push(field.name().to_owned());
                    columns
                        .columns
                        .push(Column::of(field.name(), schema, temporal));
                }
            }
        }
        columns.merge(image, temporal);
        columns
    }

    /// Takes in the fields of `image`: a new field becomes a column, a known one takes the type
    /// the image now gives it (so a retyped field is judged against the table). Whether
    /// anything changed.
    pub fn merge(&mut self, image: &Schema, temporal: TemporalRendering) -> bool {
        let mut changed = false;
        for field in &image.fields {
            let column = Column::of(field.name(), &field.schema, temporal);
            match self
                .columns
                .iter_mut()
                .find(|c| same(&c.name, field.name()))
            {
                Some(known) if known.ty == column.ty && known.values == column.values => {}
                Some(known) => {
                    known.ty = column.ty;
                    known.values = column.values;
                    changed = true;
                }
                None => {
                    self.columns.push(column);
                    changed = true;
                }
            }
        }
        changed
    }
}

/// Column names are case-insensitive in StarRocks.
fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The StarRocks type that takes what the JSON writer writes for a value of `schema`.
pub fn sql_type(schema: &Schema, temporal: TemporalRendering) -> String {
    column_type(schema, temporal).0
}

fn column_type(schema: &Schema, temporal: TemporalRendering) -> (String, Values) {
    let numeric = temporal == TemporalRendering::Numeric;
    let named = |ty: &str, values: Values| Some((ty.to_owned(), values));
    let by_name = match schema.name() {
        Some("org.apache.kafka.connect.data.Decimal") => Some(decimal_type(schema)),
        Some("org.apache.kafka.connect.data.Date" | "io.debezium.time.Date") if !numeric => {
            named("DATE", Values::Date)
        }
        Some(
            "org.apache.kafka.connect.data.Timestamp"
            | "io.debezium.time.Timestamp"
            | "io.debezium.time.MicroTimestamp"
            | "io.debezium.time.NanoTimestamp"
            | "io.debezium.time.ZonedTimestamp",
        ) if !numeric => named("DATETIME", Values::DateTime),
        Some(
            "org.apache.kafka.connect.data.Time"
            | "io.debezium.time.Time"
            | "io.debezium.time.MicroTime"
            | "io.debezium.time.NanoTime",
        ) if !numeric => named(TEXT, Values::Text),
        // The scale differs per value: only text keeps every digit.
        Some("io.debezium.data.VariableScaleDecimal") => named(
            TEXT,
            Values::Decimal {
                precision: None,
                scale: None,
            },
        ),
        Some("io.debezium.data.Json") => named("JSON", Values::Json),
        _ => None,
    };
    by_name.unwrap_or_else(|| {
        let (ty, values) = match schema.ty {
            SchemaType::Int8 => ("TINYINT", Values::Integer(1)),
            SchemaType::Int16 => ("SMALLINT", Values::Integer(2)),
            SchemaType::Int32 => ("INT", Values::Integer(4)),
            SchemaType::Int64 => ("BIGINT", Values::Integer(8)),
            SchemaType::Float32 => ("FLOAT", Values::Float),
            SchemaType::Float64 => ("DOUBLE", Values::Float),
            SchemaType::Boolean => ("BOOLEAN", Values::Boolean),
            SchemaType::String | SchemaType::Bytes => (TEXT, Values::Text),
            SchemaType::Array | SchemaType::Map | SchemaType::Struct => ("JSON", Values::Json),
        };
        (ty.to_owned(), values)
    })
}

/// DECIMAL(p,s) from Connect's `scale` and Debezium's `connect.decimal.precision` (38 when
/// the source says none); text when the number cannot fit a DECIMAL column.
fn decimal_type(schema: &Schema) -> (String, Values) {
    let scale: u32 = schema
        .param("scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let said: Option<u32> = schema
        .param("connect.decimal.precision")
        .and_then(|p| p.parse().ok());
    let values = Values::Decimal {
        precision: said,
        scale: Some(scale),
    };
    let precision = said.unwrap_or(MAX_DECIMAL_PRECISION).max(scale).max(1);
    if precision > MAX_DECIMAL_PRECISION {
        (TEXT.to_owned(), values)
    } else {
        (format!("DECIMAL({precision},{scale})"), values)
    }
}

/// `` `name` `` with backticks doubled.
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn table_ref(database: &str, table: &str) -> String {
    format!("{}.{}", quoted(database), quoted(table))
}

/// Whether a key (primary, or a duplicate-key table's sort key) may hold these values.
fn key_values(values: Values) -> bool {
    matches!(
        values,
        Values::Integer(_) | Values::Boolean | Values::Date | Values::DateTime
    ) || values == Values::Text
}

/// `CREATE TABLE IF NOT EXISTS` for `columns`: a primary-key table when they have a key, else a
/// duplicate-key table keyed on its first column that can be a key (placed first). Refused
/// (with the reason) when a key column's type cannot be a key.
pub fn create_table(
    database: &str,
    table: &str,
    columns: &Columns,
    properties: &[(String, String)],
) -> Result<String, String> {
    let key_column = |name: &str| columns.columns.iter().find(|c| same(&c.name, name));
    for name in &columns.key {
        if let Some(c) = key_column(name).filter(|c| !key_values(c.values)) {
            return Err(format!(
                "key column '{}' would be {}, which a primary key cannot be",
                c.name, c.ty
            ));
        }
    }
    let key: Vec<String> = if columns.key.is_empty() {
        let first = columns
            .columns
            .iter()
            .find(|c| key_values(c.values))
            .ok_or_else(|| {
                if columns.columns.is_empty() {
                    "the record schema has no fields".to_owned()
                } else {
                    "no field of the record schema can be a key column (FLOAT, DOUBLE, DECIMAL \
                     and JSON cannot)"
                        .to_owned()
                }
            })?;
        vec![first.name.clone()]
    } else {
        columns.key.clone()
    };
    let is_key = |name: &str| key.iter().any(|k| same(k, name));
    // Key columns first, in the key's order; then the rest in theirs.
    let ordered = key
        .iter()
        .filter_map(|k| key_column(k))
        .chain(columns.columns.iter().filter(|c| !is_key(&c.name)));
    let definitions: Vec<String> = ordered
        .map(|c| {
            // A primary key holds no NULL; a duplicate key's sort column may.
            let primary = !columns.key.is_empty() && is_key(&c.name);
            let null = if primary { "NOT NULL" } else { "NULL" };
            format!("{} {} {null}", quoted(&c.name), c.ty)
        })
        .collect();
    let key_list = key.iter().map(|k| quoted(k)).collect::<Vec<_>>().join(", ");
    let model = if columns.key.is_empty() {
        "DUPLICATE"
    } else {
        "PRIMARY"
    };
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({}) {model} KEY({key_list}) DISTRIBUTED BY HASH({key_list})",
        table_ref(database, table),
        definitions.join(", ")
    );
    if !properties.is_empty() {
        let pairs: Vec<String> = properties
            .iter()
            .map(|(k, v)| format!("\"{k}\" = \"{v}\""))
            .collect();
        let _ = write!(sql, " PROPERTIES ({})", pairs.join(", "));
    }
    Ok(sql)
}

/// `ALTER TABLE … ADD COLUMN …` for the columns the table lacks, each nullable, after the
/// others: one column as `ADD COLUMN c T NULL`, several as `ADD COLUMN (c T NULL, …)`.
pub fn add_columns(database: &str, table: &str, missing: &[&Column]) -> String {
    let defs: Vec<String> = missing
        .iter()
        .map(|c| format!("{} {} NULL", quoted(&c.name), c.ty))
        .collect();
    let clause = match defs.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    };
    format!(
        "ALTER TABLE {} ADD COLUMN {clause}",
        table_ref(database, table)
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
            Some(e) if !fits(column.values, kind(&e.ty)) => {
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

/// What an existing column holds, as `DESC` spells its type.
fn kind(ty: &str) -> Values {
    let ty = ty.trim().to_ascii_lowercase();
    let base = ty.split(['(', '<', ' ']).next().unwrap_or("");
    let args: Vec<u32> = ty
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inside, _)| {
            inside
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default();
    match base {
        "tinyint" => Values::Integer(1),
        "smallint" => Values::Integer(2),
        "int" | "integer" => Values::Integer(4),
        "bigint" => Values::Integer(8),
        "largeint" => Values::Integer(16),
        "decimal" | "decimalv2" | "decimalv3" | "decimal32" | "decimal64" | "decimal128"
        | "decimal256" | "numeric" => Values::Decimal {
            precision: Some(args.first().copied().unwrap_or(10)),
            scale: Some(args.get(1).copied().unwrap_or(0)),
        },
        "float" | "double" => Values::Float,
        "boolean" | "bool" => Values::Boolean,
        "char" | "varchar" | "string" | "text" => Values::Text,
        "date" => Values::Date,
        "datetime" | "timestamp" => Values::DateTime,
        "json" => Values::Json,
        _ => Values::Other,
    }
}

/// Decimal digits a whole number of `bytes` may need.
fn integer_digits(bytes: u8) -> u32 {
    match bytes {
        1 => 3,
        2 => 5,
        4 => 10,
        _ => 19,
    }
}

/// Whether what the writer writes loads into an existing column unchanged. Under StarRocks'
/// default `strict_mode=false` a value a column cannot hold loads as NULL, so a column that
/// cannot hold every value is refused up front: narrower integers, decimals with fewer integer
/// digits or a smaller scale, numbers where text comes, and so on. Text and JSON columns take
/// anything; floats, and decimals whose scale the source does not fix, go into any number
/// column (the source's choice of a column for them stands).
fn fits(values: Values, existing: Values) -> bool {
    use Values::*;
    match (values, existing) {
        (_, Text | Json | Other) => true,
        (Integer(w), Integer(e)) => w <= e,
        (
            Integer(w),
            Decimal {
                precision: Some(p),
                scale: Some(s),
            },
        ) => integer_digits(w) <= p.saturating_sub(s),
        (Integer(_) | Boolean | Float, Float) => true,
        (
            Decimal {
                precision,
                scale: Some(s),
            },
            Decimal {
                precision: Some(p),
                scale: Some(e),
            },
        ) => s <= e && precision.is_none_or(|p1| p1.saturating_sub(s) <= p.saturating_sub(e)),
        (Decimal { .. } | Float, Decimal { .. } | Float) => true,
        (Boolean, Boolean | Integer(_) | Decimal { .. }) => true,
        (Date, Date | DateTime) => true,
        (DateTime, DateTime) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Field;

    fn field(name: &str, schema: Schema) -> Field {
        Field::new(name, schema)
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
            "ALTER TABLE `db`.`t` ADD COLUMN (`doc` JSON NULL, `tags` JSON NULL)"
        );
        assert_eq!(
            add_columns("db", "t", &lacking[..1]),
            "ALTER TABLE `db`.`t` ADD COLUMN `doc` JSON NULL"
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
    fn an_existing_column_must_hold_every_value_the_records_carry() {
        let t = |ty: SchemaType| Schema::primitive(ty, true);
        let decimal = |params: &[(&str, &str)]| {
            named(
                SchemaType::Bytes,
                "org.apache.kafka.connect.data.Decimal",
                params,
            )
        };
        let variable = named(
            SchemaType::Struct,
            "io.debezium.data.VariableScaleDecimal",
            &[],
        );
        let zoned = named(SchemaType::String, "io.debezium.time.ZonedTimestamp", &[]);
        let date = named(SchemaType::Int32, "io.debezium.time.Date", &[]);
        let cases: Vec<(Schema, &str, bool)> = vec![
            (t(SchemaType::Int32), "int(11)", true),
            (t(SchemaType::Int32), "bigint(20)", true),
            (t(SchemaType::Int64), "int(11)", false),
            (t(SchemaType::Int32), "decimal(12,2)", true),
            (t(SchemaType::Int32), "decimal(10,2)", false),
            (t(SchemaType::Int64), "double", true),
            (t(SchemaType::String), "int(11)", false),
            (t(SchemaType::String), "varchar(64)", true),
            (t(SchemaType::String), "json", true),
            (t(SchemaType::Int32), "varchar(65533)", true),
            (t(SchemaType::Float64), "decimal(10,2)", true),
            (t(SchemaType::Float64), "bigint(20)", false),
            (
                decimal(&[("scale", "2"), ("connect.decimal.precision", "10")]),
                "decimal(10,2)",
                true,
            ),
            (
                decimal(&[("scale", "2"), ("connect.decimal.precision", "12")]),
                "decimal(10,2)",
                false,
            ),
            (
                decimal(&[("scale", "3"), ("connect.decimal.precision", "10")]),
                "decimal(12,2)",
                false,
            ),
            (decimal(&[("scale", "2")]), "decimal(18,4)", true),
            (decimal(&[("scale", "2")]), "int(11)", false),
            (variable.clone(), "decimal(38,9)", true),
            (variable, "varchar(65533)", true),
            (zoned.clone(), "datetime", true),
            (zoned, "date", false),
            (date.clone(), "datetime", true),
            (date, "int(11)", false),
            (t(SchemaType::Boolean), "tinyint(4)", true),
            (t(SchemaType::Map), "bigint(20)", false),
            (t(SchemaType::Int32), "array<int(11)>", true),
        ];
        for (schema, existing, expected) in cases {
            let image = row(vec![field("c", schema)]);
            let columns = Columns::of(&image, None, TemporalRendering::String);
            let existing = [Existing {
                name: "C".to_owned(),
                ty: existing.to_owned(),
            }];
            assert_eq!(
                missing(&columns, &existing).is_ok(),
                expected,
                "{:?} into {}",
                columns.columns[0],
                existing[0].ty
            );
        }
    }

    #[test]
    fn a_field_retyped_at_the_source_takes_its_new_type() {
        let before = row(vec![field(
            "score",
            Schema::primitive(SchemaType::Int32, true),
        )]);
        let after = row(vec![field(
            "score",
            Schema::primitive(SchemaType::String, true),
        )]);
        let mut columns = Columns::of(&before, None, TemporalRendering::String);
        assert!(columns.merge(&after, TemporalRendering::String));
        assert_eq!(columns.columns[0].ty, TEXT);
        let existing = [Existing {
            name: "score".to_owned(),
            ty: "int(11)".to_owned(),
        }];
        assert!(missing(&columns, &existing).is_err());
    }

    #[test]
    fn a_duplicate_key_table_is_keyed_on_its_first_column_that_can_be_a_key() {
        let image = row(vec![
            field("ratio", Schema::primitive(SchemaType::Float64, true)),
            field("doc", Schema::primitive(SchemaType::Map, true)),
            field(
                "at",
                named(SchemaType::Int64, "io.debezium.time.MicroTimestamp", &[]),
            ),
            field("n", Schema::primitive(SchemaType::Int32, true)),
        ]);
        let columns = Columns::of(&image, None, TemporalRendering::String);
        let sql = create_table("db", "t", &columns, &[]).unwrap();
        assert_eq!(
            sql,
            "CREATE TABLE IF NOT EXISTS `db`.`t` (`at` DATETIME NULL, `ratio` DOUBLE NULL, \
             `doc` JSON NULL, `n` INT NULL) DUPLICATE KEY(`at`) DISTRIBUTED BY HASH(`at`)"
        );
        let unkeyable = row(vec![field(
            "r",
            Schema::primitive(SchemaType::Float32, true),
        )]);
        let columns = Columns::of(&unkeyable, None, TemporalRendering::String);
        let e = create_table("db", "t", &columns, &[]).unwrap_err();
        assert!(e.contains("can be a key column"), "{e}");
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
