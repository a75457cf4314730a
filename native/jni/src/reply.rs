//! The byte replies of `NativeSink` (`docs/jni.md`), decoded by the shim's `NativeReplies`.
//!
//! All little-endian: a `u32` count, then the entries. Strings are length-prefixed UTF-8 (a
//! `u16` length for topics, `u32` elsewhere).
//!
//! Invariant: every reply is exactly as long as its entries; a string too long for its length
//! prefix is an error, never a truncation.

use starrocks_kafka_core::log::LogEvent;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::sink::Rejected;

use crate::error::{Error, Result};

/// `count u32, count × {topic (u16 length + UTF-8), partition i32, offset i64}`.
pub fn offsets(offsets: &[(TopicPartition, i64)]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4 + offsets.len() * 32);
    count(&mut out, offsets.len())?;
    for (tp, offset) in offsets {
        let length = u16::try_from(tp.topic.len()).map_err(|_| {
            Error::Call(format!(
                "The topic name of {} bytes is too long for the offsets reply.",
                tp.topic.len()
            ))
        })?;
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(tp.topic.as_bytes());
        out.extend_from_slice(&tp.partition.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
    }
    Ok(out)
}

/// `count u32, count × {index u32, message (u32 length + UTF-8)}`.
pub fn rejected(rejected: &[Rejected]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4 + rejected.len() * 64);
    count(&mut out, rejected.len())?;
    for r in rejected {
        out.extend_from_slice(&r.index.to_le_bytes());
        string(&mut out, &r.message)?;
    }
    Ok(out)
}

/// `count u32, count × {level u8, connector, task, message (each u32 length + UTF-8)}`.
pub fn log_events(events: &[LogEvent]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4 + events.len() * 96);
    count(&mut out, events.len())?;
    for e in events {
        out.push(e.level);
        string(&mut out, &e.connector)?;
        string(&mut out, &e.task)?;
        string(&mut out, &e.message)?;
    }
    Ok(out)
}

fn count(out: &mut Vec<u8>, n: usize) -> Result<()> {
    out.extend_from_slice(&u32_of(n)?.to_le_bytes());
    Ok(())
}

fn string(out: &mut Vec<u8>, s: &str) -> Result<()> {
    out.extend_from_slice(&u32_of(s.len())?.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn u32_of(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Call(format!("{n} does not fit a u32 in a reply.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_a_count_then_topic_partition_and_offset() {
        let reply = offsets(&[(TopicPartition::new("test", 0), 3)]).unwrap();
        let mut expected = vec![1, 0, 0, 0, 4, 0];
        expected.extend_from_slice(b"test");
        expected.extend_from_slice(&[0, 0, 0, 0]);
        expected.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(reply, expected);
        assert_eq!(offsets(&[]).unwrap(), vec![0, 0, 0, 0]);
    }

    #[test]
    fn rejected_records_are_an_index_and_a_message() {
        let reply = rejected(&[Rejected {
            index: 258,
            message: "bad".into(),
        }])
        .unwrap();
        let mut expected = vec![1, 0, 0, 0, 2, 1, 0, 0, 3, 0, 0, 0];
        expected.extend_from_slice(b"bad");
        assert_eq!(reply, expected);
    }

    #[test]
    fn log_events_carry_level_connector_task_and_message() {
        let reply = log_events(&[LogEvent {
            level: 2,
            connector: "c".into(),
            task: "0".into(),
            message: "é".into(),
        }])
        .unwrap();
        let mut expected = vec![1, 0, 0, 0, 2];
        expected.extend_from_slice(&[1, 0, 0, 0, b'c', 1, 0, 0, 0, b'0', 2, 0, 0, 0]);
        expected.extend_from_slice("é".as_bytes());
        assert_eq!(reply, expected);
    }

    #[test]
    fn a_topic_too_long_for_its_prefix_is_an_error() {
        let long = "t".repeat(70_000);
        assert!(offsets(&[(TopicPartition::new(&long, 0), 1)]).is_err());
    }
}
