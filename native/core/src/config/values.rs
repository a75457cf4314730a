//! Parsers of the structured configuration values: FE URLs, the topic-to-table map, names,
//! and CSV separators. Each returns the parsed value or the reason it is invalid (the caller
//! attaches the key).

use super::DEFAULT_QUERY_PORT;
use std::collections::BTreeMap;

/// StarRocks' limit on the length of a column separator or row delimiter.
const MAX_SEPARATOR_BYTES: usize = 50;

/// A separator's header value: as written when it is visible ASCII, else its `\xHH` form.
pub(super) fn separator_header(raw: &str) -> String {
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_graphic()) {
        return raw.to_owned();
    }
    let decoded = decode_separator(raw).unwrap_or_else(|_| raw.as_bytes().to_vec());
    let mut out = String::from("\\x");
    for b in decoded {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// Decodes a separator written as text or in the `\xHH...` hex form.
pub(super) fn decode_separator(raw: &str) -> std::result::Result<Vec<u8>, String> {
    let bytes = match raw.strip_prefix("\\x").or_else(|| raw.strip_prefix("\\X")) {
        None => raw.as_bytes().to_vec(),
        Some(hex) => {
            if hex.is_empty() || hex.len() % 2 != 0 {
                return Err(format!(
                    "'{raw}' must have an even, non-zero number of hex digits after \\x"
                ));
            }
            let digits: Option<Vec<u8>> = hex
                .as_bytes()
                .chunks(2)
                .map(|pair| {
                    std::str::from_utf8(pair)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                })
                .collect();
            digits.ok_or_else(|| format!("'{raw}' has a non-hex digit after \\x"))?
        }
    };
    if bytes.len() > MAX_SEPARATOR_BYTES {
        return Err(format!(
            "must be at most {MAX_SEPARATOR_BYTES} bytes, got {}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Parses `host:port[,host:port...]`, each optionally with an `http://` or `https://` scheme,
/// into base URLs with a scheme and without a trailing slash.
pub(super) fn parse_http_urls(raw: &str) -> std::result::Result<Vec<String>, String> {
    raw.split(',')
        .enumerate()
        .map(|(i, entry)| {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(format!(
                    "entry {} of '{raw}' is empty; expected host:port[,host:port...]",
                    i + 1
                ));
            }
            parse_http_url(entry)
        })
        .collect()
}

fn parse_http_url(entry: &str) -> std::result::Result<String, String> {
    let (scheme, rest) = match entry.find("://") {
        Some(at) => (Some(entry[..at].to_ascii_lowercase()), &entry[at + 3..]),
        None => (None, entry),
    };
    if let Some(s) = &scheme {
        if s != "http" && s != "https" {
            return Err(format!(
                "'{entry}' has scheme '{s}'; only http and https are supported"
            ));
        }
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "'{entry}' must be host:port, without a path, query or user"
        ));
    }
    let (host, port) =
        split_host_port(authority).ok_or_else(|| format!("'{entry}' is not a valid host:port"))?;
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => {
                return Err(format!(
                    "'{entry}' has port '{p}'; a port is a number from 1 to 65535"
                ))
            }
        },
        None if scheme.is_none() => {
            return Err(format!(
                "'{entry}' has no port; write host:port (the FE HTTP port, 8030 by default)"
            ))
        }
        None => None,
    };
    let scheme = scheme.as_deref().unwrap_or("http");
    Ok(match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// `starrocks.query.url`: `host:port[,host:port...]`, the FEs' MySQL-protocol addresses. A
/// `jdbc:mysql://` prefix (as StarRocks' Flink connector's `jdbc-url` is written) is accepted.
pub(super) fn parse_query_urls(raw: &str) -> std::result::Result<Vec<String>, String> {
    let list = raw.strip_prefix("jdbc:mysql://").unwrap_or(raw);
    list.split(',')
        .enumerate()
        .map(|(i, entry)| {
            let entry = entry.trim();
            let authority = entry.strip_suffix('/').unwrap_or(entry);
            if authority.is_empty() {
                return Err(format!(
                    "entry {} of '{raw}' is empty; expected host:port[,host:port...]",
                    i + 1
                ));
            }
            if authority.contains(['/', '?', '#', '@']) || authority.contains("://") {
                return Err(format!(
                    "'{entry}' must be host:port (the FE's MySQL port, {DEFAULT_QUERY_PORT} by default), without a scheme, path or user"
                ));
            }
            match split_host_port(authority) {
                Some((host, Some(port)))
                    if port.parse::<u16>().is_ok_and(|n| n > 0)
                        && port.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Ok(format!("{host}:{port}"))
                }
                Some((host, None)) => Ok(format!("{host}:{DEFAULT_QUERY_PORT}")),
                _ => Err(format!("'{entry}' is not a valid host:port")),
            }
        })
        .collect()
}

/// The default `starrocks.query.url`: each FE of `starrocks.http.url` on StarRocks' default
/// query port.
pub(super) fn default_query_addrs(http_urls: &[String]) -> Vec<String> {
    let mut addrs: Vec<String> = Vec::new();
    for url in http_urls {
        let authority = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let host = split_host_port(authority).map_or(authority, |(host, _)| host);
        let addr = format!("{host}:{DEFAULT_QUERY_PORT}");
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    addrs
}

/// Splits `host[:port]` or `[v6][:port]`; `None` when the host is empty or has odd characters.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, after) = authority.split_at(close + 1);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (host, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !host_ok {
            return None;
        }
        (host, port)
    };
    Some((host, port))
}

/// Parses `topic:table[,topic:table...]`. An empty value means no routes; a trailing comma is
/// tolerated, as Java's `String.split` (the upstream parser) tolerates it.
pub(super) fn parse_topic_to_table(
    raw: &str,
) -> std::result::Result<BTreeMap<String, String>, String> {
    let mut routes = BTreeMap::new();
    let body = raw.trim_end_matches(|c: char| c == ',' || c.is_whitespace());
    if body.is_empty() {
        return Ok(routes);
    }
    for entry in body.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(format!("'{raw}' has an empty entry"));
        }
        let mut sides = entry.split(':');
        let (topic, table) = match (sides.next(), sides.next(), sides.next()) {
            (Some(topic), Some(table), None) => (topic.trim(), table.trim()),
            _ => {
                return Err(format!(
                    "entry '{entry}' must be topic:table with exactly one ':'"
                ))
            }
        };
        if topic.is_empty() || table.is_empty() {
            return Err(format!(
                "entry '{entry}' must name both a topic and a table"
            ));
        }
        if !topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "'{topic}' is not a Kafka topic name (letters, digits, '.', '_' and '-')"
            ));
        }
        check_name(table).map_err(|reason| format!("table of topic '{topic}': {reason}"))?;
        if routes.insert(topic.to_owned(), table.to_owned()).is_some() {
            return Err(format!("topic '{topic}' is mapped more than once"));
        }
    }
    Ok(routes)
}

/// A database or table name must fit a Stream Load URL path segment and an HTTP header.
pub(super) fn check_name(name: &str) -> std::result::Result<(), String> {
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%' | '`'))
    {
        return Err(format!(
            "'{name}' contains whitespace or one of / ? # % ` , which StarRocks names cannot"
        ));
    }
    Ok(())
}
