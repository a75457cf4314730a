//! Plain data: schemaless values of JSON's own kinds, kept as their batch bytes rather than
//! decoded into a [`Datum`] tree.
//!
//! JsonConverter without schemas hands the sink maps of strings, numbers, booleans and nulls,
//! and lists and maps of those. Building a tree for each such record and walking it again to
//! write JSON costs more than the writing itself, so a decoder asked for plain values
//! ([`Decoder::with_plain_values`](super::Decoder::with_plain_values)) runs [`scan`] over each
//! record value first. A value it accepts becomes a [`PlainData`], which an encoder reads with
//! [`PlainData::rows`] and [`PlainData::walk`] (and a Debezium event's entries with
//! [`PlainData::fields`]), allocating nothing. Any other value — one with bytes, decimals, dates
//! or structs in it, a key that is not a string, a float that is not finite, anything
//! malformed — is decoded into a tree as before, so every error a value can raise is still the
//! tree's.
//!
//! Invariant: the bytes of a `PlainData` are a datum that `value::datum` decodes without a
//! fault, and it is a row (a map) or an array of rows. `walk` visits exactly the tree that
//! `value::datum` would build from them, in the same order.

use super::cursor::{Cursor, Fault, Step};
use super::value::{self, tag::*};
use super::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::record::{Datum, PlainData};

/// The reads' names, for faults no one sees: a value that fails here is decoded again, as a
/// tree, and that names what is wrong.
const QUIET: &str = "plain datum";

/// Whether the datum at the cursor is plain data: a map, or an array of maps, well formed, of
/// the kinds the module describes. When it is, the cursor moves past it and the datum's bytes
/// are returned; when not, the cursor stays where it was.
pub(super) fn scan<'a>(cur: &mut Cursor<'a>) -> Option<PlainData<'a>> {
    let mut probe = cur.clone();
    let start = probe.pos();
    let plain = match probe.peek() {
        Some(MAP) => datum(&mut probe, 0),
        Some(ARRAY) => rows(&mut probe),
        _ => false,
    };
    if !plain {
        return None;
    }
    let bytes = cur.take(probe.pos() - start, QUIET).ok()?;
    Some(PlainData(bytes))
}

/// A top-level array whose elements are all maps.
fn rows(cur: &mut Cursor<'_>) -> bool {
    if !matches!(cur.u8(QUIET), Ok(ARRAY)) {
        return false;
    }
    let Ok(n) = cur.count(QUIET, 1) else {
        return false;
    };
    (0..n).all(|_| cur.peek() == Some(MAP) && datum(cur, 1))
}

fn datum(cur: &mut Cursor<'_>, depth: u32) -> bool {
    let Ok(tag) = cur.u8(QUIET) else {
        return false;
    };
    match tag {
        NULL | FALSE | TRUE => true,
        INT8 => cur.i8(QUIET).is_ok(),
        INT16 => cur.i16(QUIET).is_ok(),
        INT32 => cur.i32(QUIET).is_ok(),
        INT64 => cur.i64(QUIET).is_ok(),
        FLOAT32 => cur.f32(QUIET).is_ok_and(f32::is_finite),
        FLOAT64 => cur.f64(QUIET).is_ok_and(f64::is_finite),
        STRING => cur.utf8(QUIET).is_ok(),
        ARRAY if depth < MAX_DEPTH => match cur.count(QUIET, 1) {
            Ok(n) => (0..n).all(|_| datum(cur, depth + 1)),
            Err(_) => false,
        },
        MAP if depth < MAX_DEPTH => match cur.count(QUIET, 2) {
            Ok(n) => (0..n).all(|_| key(cur) && datum(cur, depth + 1)),
            Err(_) => false,
        },
        _ => false,
    }
}

fn key(cur: &mut Cursor<'_>) -> bool {
    matches!(cur.u8(QUIET), Ok(STRING)) && cur.utf8(QUIET).is_ok()
}

/// Receives plain data as [`PlainData::walk`] reads it, depth first, in order.
pub trait Visitor {
    fn null(&mut self);
    fn bool(&mut self, value: bool);
    /// Any of the integer kinds (INT8 to INT64), widened.
    fn int(&mut self, value: i64);
    /// Finite, as scanned.
    fn float32(&mut self, value: f32);
    /// Finite, as scanned.
    fn float64(&mut self, value: f64);
    /// Valid UTF-8, as scanned.
    fn str(&mut self, text: &[u8]);
    fn array_start(&mut self);
    /// Before the element at `index`.
    fn array_item(&mut self, index: usize);
    fn array_end(&mut self);
    fn map_start(&mut self);
    /// Before the value of the entry at `index`, with its key (valid UTF-8, as scanned).
    fn map_key(&mut self, index: usize, key: &[u8]);
    fn map_end(&mut self);
}

impl<'a> PlainData<'a> {
    /// Calls `row` with each row: the map itself, or each map of the array. Returns how many.
    pub fn rows(&self, mut row: impl FnMut(PlainData<'a>) -> Result<()>) -> Result<u32> {
        if self.0.first() == Some(&MAP) {
            row(*self)?;
            return Ok(1);
        }
        let mut cur = Cursor::new(self.0);
        let fault = |f: Fault| unreadable(f.at(), f.what());
        cur.u8(QUIET).map_err(fault)?;
        let n = cur.count(QUIET, 1).map_err(fault)?;
        for _ in 0..n {
            let start = cur.pos();
            skip(&mut cur).map_err(fault)?;
            row(PlainData(&self.0[start..cur.pos()]))?;
        }
        u32::try_from(n).map_err(|_| Error::data("too many rows in one record"))
    }

    /// Visits the datum.
    pub fn walk(&self, visitor: &mut impl Visitor) -> Result<()> {
        let mut cur = Cursor::new(self.0);
        visit(&mut cur, visitor).map_err(|f| unreadable(f.at(), f.what()))
    }

    /// When the datum is a map: for each of `names`, the value of the first entry with that key
    /// (as a tree lookup finds it), in one pass.
    pub fn fields<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<Option<[Option<PlainField<'a>>; N]>> {
        if self.0.first() != Some(&MAP) {
            return Ok(None);
        }
        let mut cur = Cursor::new(self.0);
        let fault = |f: Fault| unreadable(f.at(), f.what());
        cur.u8(QUIET).map_err(fault)?;
        let n = cur.count(QUIET, 2).map_err(fault)?;
        let mut found = [None; N];
        for _ in 0..n {
            cur.u8(QUIET).map_err(fault)?;
            let key = cur.bytes(QUIET).map_err(fault)?;
            let start = cur.pos();
            skip(&mut cur).map_err(fault)?;
            let value = &self.0[start..cur.pos()];
            for (name, slot) in names.iter().zip(&mut found) {
                if slot.is_none() && name.as_bytes() == key {
                    *slot = Some(PlainField::of(value));
                }
            }
        }
        Ok(Some(found))
    }

    /// The tree `value::datum` builds from the same bytes, for whoever needs one.
    pub fn datum(&self) -> Result<Datum<'a>> {
        let mut cur = Cursor::new(self.0);
        value::datum(&mut cur, &[], 0).map_err(|f| unreadable(f.at(), f.what()))
    }
}

/// The value of an entry of a plain map ([`PlainData::fields`]), as far as a reader of
/// Debezium events asks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlainField<'a> {
    /// A string (valid UTF-8, as scanned).
    Str(&'a str),
    /// A map: plain data of its own.
    Map(PlainData<'a>),
    /// Anything else.
    Other,
}

impl<'a> PlainField<'a> {
    /// The datum in `bytes`, which `scan` accepted as part of a plain value.
    fn of(bytes: &'a [u8]) -> PlainField<'a> {
        match bytes.first() {
            Some(&MAP) => PlainField::Map(PlainData(bytes)),
            Some(&STRING) => {
                let mut cur = Cursor::new(bytes);
                match (cur.u8(QUIET), cur.str(QUIET)) {
                    (Ok(_), Ok(text)) => PlainField::Str(text),
                    _ => PlainField::Other,
                }
            }
            _ => PlainField::Other,
        }
    }
}

/// Bytes `scan` accepted that cannot be read again: a bug, not bad input.
#[cold]
fn unreadable(at: usize, what: &str) -> Error {
    Error::fatal(format!(
        "plain data that decoded cleanly cannot be read again at byte {at}: {what}"
    ))
}

/// Moves past one datum.
fn skip(cur: &mut Cursor<'_>) -> Step<()> {
    struct Nothing;
    impl Visitor for Nothing {
        fn null(&mut self) {}
        fn bool(&mut self, _: bool) {}
        fn int(&mut self, _: i64) {}
        fn float32(&mut self, _: f32) {}
        fn float64(&mut self, _: f64) {}
        fn str(&mut self, _: &[u8]) {}
        fn array_start(&mut self) {}
        fn array_item(&mut self, _: usize) {}
        fn array_end(&mut self) {}
        fn map_start(&mut self) {}
        fn map_key(&mut self, _: usize, _: &[u8]) {}
        fn map_end(&mut self) {}
    }
    visit(cur, &mut Nothing)
}

fn visit(cur: &mut Cursor<'_>, v: &mut impl Visitor) -> Step<()> {
    match cur.u8(QUIET)? {
        NULL => v.null(),
        FALSE => v.bool(false),
        TRUE => v.bool(true),
        INT8 => v.int(cur.i8(QUIET)?.into()),
        INT16 => v.int(cur.i16(QUIET)?.into()),
        INT32 => v.int(cur.i32(QUIET)?.into()),
        INT64 => v.int(cur.i64(QUIET)?),
        FLOAT32 => v.float32(cur.f32(QUIET)?),
        FLOAT64 => v.float64(cur.f64(QUIET)?),
        STRING => v.str(cur.bytes(QUIET)?),
        ARRAY => {
            let n = cur.count(QUIET, 1)?;
            v.array_start();
            for i in 0..n {
                v.array_item(i);
                visit(cur, v)?;
            }
            v.array_end();
        }
        MAP => {
            let n = cur.count(QUIET, 2)?;
            v.map_start();
            for i in 0..n {
                cur.u8(QUIET)?;
                v.map_key(i, cur.bytes(QUIET)?);
                visit(cur, v)?;
            }
            v.map_end();
        }
        tag => {
            return Err(Fault::new(
                cur.pos() - 1,
                format!("datum tag 0x{tag:02x} is not plain"),
            ))
        }
    }
    Ok(())
}
