//! A JSON value that keeps numbers exactly as written, and the JsonPath subset Stream Load uses.
//!
//! serde_json (without `arbitrary_precision`) turns `12345678901234567.89` into an f64 and loses
//! digits; a DECIMAL or LARGEINT column must not. [`Json`] is built from `serde_json`'s
//! `RawValue` slices, so every number keeps its source text. Objects keep their key order and
//! duplicate keys. Invariant: `Json::Number` always holds text that is a valid JSON number.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A parsed JSON value with exact number text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written in the body.
    Number(String),
    Str(String),
    Array(Vec<Json>),
    /// Members in document order; duplicate keys are kept.
    Object(Vec<(String, Json)>),
}

/// An object's members as raw slices, in order (serde's maps would reorder or dedupe).
struct RawMembers<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawMembers<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = RawMembers<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(RawMembers(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

impl Json {
    /// Builds the tree of one raw JSON value (already validated by serde_json).
    pub(crate) fn from_raw(raw: &RawValue) -> Result<Json, serde_json::Error> {
        let text = raw.get().trim();
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let RawMembers(members) = serde_json::from_str(text)?;
                let mut out = Vec::with_capacity(members.len());
                for (key, value) in members {
                    out.push((key, Json::from_raw(value)?));
                }
                Json::Object(out)
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                Json::Array(
                    items
                        .into_iter()
                        .map(Json::from_raw)
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(b'"') => Json::Str(serde_json::from_str(text)?),
            Some(b't') => Json::Bool(true),
            Some(b'f') => Json::Bool(false),
            Some(b'n') => Json::Null,
            _ => Json::Number(text.to_string()),
        })
    }

    /// Parses one complete JSON text.
    #[cfg(test)]
    pub(crate) fn parse(text: &str) -> Result<Json, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(text)?;
        Json::from_raw(raw)
    }

    /// Minified JSON text; numbers are written exactly as they were read.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::Str(s) => out.push_str(&quote(s)),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.render_into(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote(key));
                    out.push(':');
                    value.render_into(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as serde_json sees it (numbers beyond f64 precision are rounded; a number
    /// serde_json cannot represent at all becomes its text as a string).
    pub(crate) fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as V;
        match self {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Number(n) => serde_json::from_str(n).unwrap_or_else(|_| V::String(n.clone())),
            Json::Str(s) => V::String(s.clone()),
            Json::Array(items) => V::Array(items.iter().map(Json::to_serde).collect()),
            Json::Object(members) => V::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The member named `key` (exact match; the last one wins when a key repeats).
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|m| &m.1),
            _ => None,
        }
    }

    /// The member whose key equals `key` ignoring ASCII case (the last one wins).
    pub(crate) fn get_ignore_case(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|m| &m.1),
            _ => None,
        }
    }

    /// Follows a parsed JsonPath; `None` when some step does not exist.
    pub(crate) fn at(&self, path: &[PathStep]) -> Option<&Json> {
        let mut current = self;
        for step in path {
            current = match (step, current) {
                (PathStep::Key(key), Json::Object(_)) => current.get(key)?,
                (PathStep::Index(i), Json::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

fn quote(s: &str) -> String {
    // Serialising a &str cannot fail.
    serde_json::to_string(s).unwrap_or_default()
}

/// One step of a JsonPath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathStep {
    Key(String),
    Index(usize),
}

/// Parses the JsonPath subset StarRocks documents for `jsonpaths` / `json_root`:
/// `$`, `$.a.b`, `$.a[0]`, `$.a[0][1].b`, `$."key.with.dots"`, `$['key']`.
pub(crate) fn parse_path(path: &str) -> Result<Vec<PathStep>, String> {
    let invalid = || format!("Invalid json path: {path}");
    let rest = path.trim().strip_prefix('$').ok_or_else(invalid)?;
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let key = if chars.get(i) == Some(&'"') {
                    let end = find_from(&chars, i + 1, '"').ok_or_else(invalid)?;
                    let key: String = chars[i + 1..end].iter().collect();
                    i = end + 1;
                    key
                } else {
                    let start = i;
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        i += 1;
                    }
                    chars[start..i].iter().collect()
                };
                if key.is_empty() {
                    return Err(invalid());
                }
                steps.push(PathStep::Key(key));
            }
            '[' => {
                let end = find_from(&chars, i + 1, ']').ok_or_else(invalid)?;
                let inner: String = chars[i + 1..end].iter().collect();
                let inner = inner.trim();
                let quoted = ['\'', '"'].iter().find_map(|q| {
                    inner
                        .strip_prefix(*q)
                        .and_then(|s| s.strip_suffix(*q))
                        .map(str::to_string)
                });
                match quoted {
                    Some(key) => steps.push(PathStep::Key(key)),
                    None => steps.push(PathStep::Index(inner.parse().map_err(|_| invalid())?)),
                }
                i = end + 1;
            }
            _ => return Err(invalid()),
        }
    }
    Ok(steps)
}

fn find_from(chars: &[char], from: usize, wanted: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_numbers_exactly_as_written() {
        let j = Json::parse(
            r#"{"d": 12345678901234567.89, "i": 170141183460469231731687303715884105727}"#,
        )
        .unwrap();
        assert_eq!(
            j.get("d"),
            Some(&Json::Number("12345678901234567.89".into()))
        );
        assert_eq!(
            j.get("i"),
            Some(&Json::Number(
                "170141183460469231731687303715884105727".into()
            ))
        );
    }

    #[test]
    fn renders_minified_json_in_document_order() {
        let j = Json::parse(r#"{ "b" : [1, 2.50, "x\"y"], "a": {"n": null, "t": true} }"#).unwrap();
        assert_eq!(
            j.render(),
            r#"{"b":[1,2.50,"x\"y"],"a":{"n":null,"t":true}}"#
        );
    }

    #[test]
    fn duplicate_keys_resolve_to_the_last_member() {
        let j = Json::parse(r#"{"a": 1, "A": 2, "a": 3}"#).unwrap();
        assert_eq!(j.get("a"), Some(&Json::Number("3".into())));
        assert_eq!(j.get_ignore_case("a"), Some(&Json::Number("3".into())));
        assert_eq!(j.get_ignore_case("A"), Some(&Json::Number("3".into())));
    }

    #[test]
    fn parses_the_documented_json_path_forms() {
        use PathStep::{Index, Key};
        let cases: &[(&str, Vec<PathStep>)] = &[
            ("$", vec![]),
            ("$.a", vec![Key("a".into())]),
            ("$.a.b", vec![Key("a".into()), Key("b".into())]),
            ("$.a[0]", vec![Key("a".into()), Index(0)]),
            (
                "$.a[1][2].c",
                vec![Key("a".into()), Index(1), Index(2), Key("c".into())],
            ),
            ("$.\"x.y\"", vec![Key("x.y".into())]),
            ("$['k']", vec![Key("k".into())]),
        ];
        for (text, expected) in cases {
            assert_eq!(&parse_path(text).unwrap(), expected, "{text}");
        }
        for bad in ["a.b", "$.", "$.a[", "$.a[x]", "$a"] {
            assert_eq!(
                parse_path(bad),
                Err(format!("Invalid json path: {bad}")),
                "{bad}"
            );
        }
    }

    #[test]
    fn follows_paths_and_reports_missing_steps() {
        let j = Json::parse(r#"{"a": {"b": [10, {"c": "x"}]}}"#).unwrap();
        let at = |p: &str| j.at(&parse_path(p).unwrap()).cloned();
        assert_eq!(at("$.a.b[0]"), Some(Json::Number("10".into())));
        assert_eq!(at("$.a.b[1].c"), Some(Json::Str("x".into())));
        assert_eq!(at("$.a.b[5]"), None);
        assert_eq!(at("$.a.z"), None);
        assert_eq!(at("$"), Some(j.clone()));
    }
}
