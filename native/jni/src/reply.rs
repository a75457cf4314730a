//! The byte replies of `NativeSink` (`docs/jni.md`), decoded by the shim's `NativeReplies`.
//!
//! All little-endian: a `u32` count, then the entries. Strings are length-prefixed UTF-8 (a
//! `u16` length for topics, `u32` elsewhere).
//!
//! Invariant: every reply is exactly as long as its entries; a string too long for its length
//! prefix is an error, never a truncation.

use starrocks_kafka_core::log::LogEvent;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::sink::PutReply;

use crate::error::{Error, Result};

/// `count u32, count × {topic (u16 length + UTF-8), partition i32, offset i64}`.
pub fn offsets(offsets: &[(TopicPartition, i64)]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4 + offsets.len() * 32);
    count(&mut out, offsets.len())?;
    for (tp, offset) in offsets {
        topic_partition(&mut out, tp)?;
        out.extend_from_slice(&offset.to_le_bytes());
    }
    Ok(out)
}

/// `count u32, count × {topic (u16 length + UTF-8), partition i32}`.
pub fn partitions(partitions: &[TopicPartition]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4 + partitions.len() * 24);
    partition_list(&mut out, partitions)?;
    Ok(out)
}

/// The rejected records (`count u32, count × {index u32, message (u32 length + UTF-8)}`), the
/// partitions to pause, the partitions to resume (each as in [`partitions`]),
/// `call_again_ms u32` (0: no need), the partitions to consume again from an offset (as in
/// [`offsets`]), `commit u8` (1: ask Connect to commit offsets now), and `batches u32` (how
/// many of the oldest batches not yet answered the reply answers). `None` when there is
/// nothing to say.
pub fn put(reply: &PutReply) -> Result<Option<Vec<u8>>> {
    if *reply == PutReply::default() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(16 + reply.rejected.len() * 64);
    count(&mut out, reply.rejected.len())?;
    for r in &reply.rejected {
        out.extend_from_slice(&r.index.to_le_bytes());
        string(&mut out, &r.message)?;
    }
    partition_list(&mut out, &reply.flow.pause)?;
    partition_list(&mut out, &reply.flow.resume)?;
    let call_again_ms = reply.flow.call_again_in.map_or(0, |d| {
        u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1)
    });
    out.extend_from_slice(&call_again_ms.to_le_bytes());
    out.extend_from_slice(&offsets(&reply.flow.rewind)?);
    out.push(u8::from(reply.flow.commit));
    out.extend_from_slice(&reply.batches.to_le_bytes());
    Ok(Some(out))
}

fn partition_list(out: &mut Vec<u8>, partitions: &[TopicPartition]) -> Result<()> {
    count(out, partitions.len())?;
    for tp in partitions {
        topic_partition(out, tp)?;
    }
    Ok(())
}

fn topic_partition(out: &mut Vec<u8>, tp: &TopicPartition) -> Result<()> {
    let length = u16::try_from(tp.topic.len()).map_err(|_| {
        Error::Call(format!(
            "The topic name of {} bytes is too long for a reply.",
            tp.topic.len()
        ))
    })?;
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(tp.topic.as_bytes());
    out.extend_from_slice(&tp.partition.to_le_bytes());
    Ok(())
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
    use std::time::Duration;

    use starrocks_kafka_core::sink::{Flow, Rejected};

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
    fn a_put_reply_is_rejections_pauses_resumes_call_back_rewinds_commit_and_batches() {
        let reply = put(&PutReply {
            rejected: vec![Rejected {
                index: 258,
                message: "bad".into(),
            }],
            flow: Flow {
                pause: vec![TopicPartition::new("p", 1)],
                resume: vec![],
                call_again_in: Some(Duration::from_millis(500)),
                rewind: vec![(TopicPartition::new("r", 2), 7)],
                commit: true,
            },
            batches: 2,
        })
        .unwrap()
        .expect("something to say");
        let mut expected = vec![1, 0, 0, 0, 2, 1, 0, 0, 3, 0, 0, 0];
        expected.extend_from_slice(b"bad");
        expected.extend_from_slice(&[1, 0, 0, 0, 1, 0, b'p', 1, 0, 0, 0]);
        expected.extend_from_slice(&[0, 0, 0, 0]);
        expected.extend_from_slice(&500u32.to_le_bytes());
        expected.extend_from_slice(&[1, 0, 0, 0, 1, 0, b'r', 2, 0, 0, 0]);
        expected.extend_from_slice(&7i64.to_le_bytes());
        expected.push(1);
        expected.extend_from_slice(&[2, 0, 0, 0]);
        assert_eq!(reply, expected);
        assert_eq!(put(&PutReply::default()).unwrap(), None, "nothing to say");
    }

    #[test]
    fn partitions_are_a_count_then_topic_and_partition() {
        let reply = partitions(&[TopicPartition::new("ab", 2)]).unwrap();
        assert_eq!(reply, vec![1, 0, 0, 0, 2, 0, b'a', b'b', 2, 0, 0, 0]);
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
