//! The journal's on-disk format: segments of checksummed event records.
//!
//! ```text
//! segment := header record*
//! header  := "NP700JNL" version:u32 0:u32 base:u64 crc:u32 0:u32            (32 bytes, LE)
//! record  := crc:u32 len:u24 flags:u8 seq:u64 synced:u64 payload[len]      (24 + len bytes)
//! ```
//!
//! A record is one [`Event`] (postcard-encoded payload); `seq` numbers events from 1 without
//! gaps across segments, and a segment's `base` is the seq of its first record. The records of
//! one command form a batch whose last record has the `END_OF_BATCH` flag: recovery applies
//! whole batches only, so a command is all-or-nothing. `synced` is the highest seq the writer
//! knew durable when it wrote the record: a damaged record that a later record claims durable
//! is damage to acknowledged data — a hard error — while any other damage is a torn tail.
//! The checksum (CRC-32C) covers everything after itself, payload included; lengths are capped
//! before anything is allocated.

use crate::event::Event;

/// The first bytes of every segment.
pub const SEGMENT_MAGIC: [u8; 8] = *b"NP700JNL";
/// The version of the segment and snapshot formats this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes in a segment header.
pub const SEGMENT_HEADER_LEN: usize = 32;
/// Bytes in a record header.
pub const RECORD_HEADER_LEN: usize = 24;
/// The largest payload a record may have (an event is a few hundred bytes at most).
pub const MAX_PAYLOAD: usize = 64 * 1024;

const END_OF_BATCH: u8 = 1;

/// A segment header for records from `base` on.
pub fn segment_header(base: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[..8].copy_from_slice(&SEGMENT_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&base.to_le_bytes());
    let crc = crc32c::crc32c(&h[..24]);
    h[24..28].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The base seq of a segment, if its header is intact.
pub fn parse_segment_header(bytes: &[u8]) -> Result<u64, &'static str> {
    let h = bytes
        .get(..SEGMENT_HEADER_LEN)
        .ok_or("segment header cut short")?;
    if h[..8] != SEGMENT_MAGIC {
        return Err("not a journal segment (bad magic)");
    }
    if crc32c::crc32c(&h[..24]) != u32_at(h, 24) {
        return Err("segment header checksum mismatch");
    }
    if u32_at(h, 8) != FORMAT_VERSION {
        return Err("unsupported journal format version");
    }
    Ok(u64_at(h, 16))
}

/// Appends the record of `event` to `out`.
///
/// Fails (leaving `out` as it was) if the event does not encode within [`MAX_PAYLOAD`].
pub fn encode_record(
    out: &mut Vec<u8>,
    seq: u64,
    synced: u64,
    end_of_batch: bool,
    event: &Event,
) -> Result<(), &'static str> {
    let start = out.len();
    out.extend_from_slice(&[0u8; RECORD_HEADER_LEN]);
    let encoded = postcard::to_extend(event, std::mem::take(out));
    *out = match encoded {
        Ok(v) => v,
        Err(_) => return Err("event cannot be encoded"),
    };
    let len = out.len() - start - RECORD_HEADER_LEN;
    if len > MAX_PAYLOAD {
        out.truncate(start);
        return Err("event too large for a journal record");
    }
    let flags = if end_of_batch { END_OF_BATCH } else { 0 };
    let r = &mut out[start..];
    r[4..8].copy_from_slice(&((len as u32) | (u32::from(flags) << 24)).to_le_bytes());
    r[8..16].copy_from_slice(&seq.to_le_bytes());
    r[16..24].copy_from_slice(&synced.to_le_bytes());
    let crc = crc32c::crc32c(&r[4..]);
    r[..4].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// One record read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its event number.
    pub seq: u64,
    /// The highest seq durable when it was written.
    pub synced: u64,
    /// Whether it ends its command's batch.
    pub end_of_batch: bool,
    /// The event.
    pub event: Event,
}

/// The record at the start of `bytes` and its length, or why there is none.
pub fn decode_record(bytes: &[u8]) -> Result<(Record, usize), &'static str> {
    let (seq, synced, flags, payload, total) = frame(bytes)?;
    let event = postcard::from_bytes(payload).map_err(|_| "record payload does not decode")?;
    Ok((
        Record {
            seq,
            synced,
            end_of_batch: flags & END_OF_BATCH != 0,
            event,
        },
        total,
    ))
}

/// A checksummed frame: (seq, synced, flags, payload, total length).
fn frame(bytes: &[u8]) -> Result<(u64, u64, u8, &[u8], usize), &'static str> {
    let h = bytes
        .get(..RECORD_HEADER_LEN)
        .ok_or("record header cut short")?;
    let len_flags = u32_at(h, 4);
    let len = (len_flags & 0x00ff_ffff) as usize;
    let flags = (len_flags >> 24) as u8;
    if len > MAX_PAYLOAD {
        return Err("record length over the limit");
    }
    if flags & !END_OF_BATCH != 0 {
        return Err("unknown record flags");
    }
    let total = RECORD_HEADER_LEN + len;
    let r = bytes.get(..total).ok_or("record cut short")?;
    if crc32c::crc32c(&r[4..]) != u32_at(r, 0) {
        return Err("record checksum mismatch");
    }
    Ok((
        u64_at(r, 8),
        u64_at(r, 16),
        flags,
        &r[RECORD_HEADER_LEN..],
        total,
    ))
}

/// Where the readable records of a segment end, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Offset in the segment of the first byte not read.
    pub offset: u64,
    /// What is wrong there.
    pub why: &'static str,
}

/// What a segment holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Offset just past the last complete batch.
    pub valid_len: u64,
    /// The seq the next record after `valid_len` must have.
    pub next_seq: u64,
    /// Why reading stopped before the end of the bytes (damage, or a batch cut short).
    pub stopped: Option<Damage>,
    /// Whether a record after the damage claims that a record at or past it was durable: the
    /// damage is to acknowledged data, not a torn tail.
    pub damages_synced: bool,
}

/// Reads the records in `bytes[offset..]`, the first of which must have seq `next_seq`, and
/// hands the events of each complete batch to `on_event` in order, with their seqs.
pub fn scan(
    bytes: &[u8],
    offset: usize,
    next_seq: u64,
    mut on_event: impl FnMut(u64, Event),
) -> Scan {
    let mut out = Scan {
        valid_len: offset as u64,
        next_seq,
        ..Scan::default()
    };
    let mut at = offset;
    let mut seq = next_seq;
    let mut batch: Vec<(u64, Event)> = Vec::new();
    let damage = loop {
        if at == bytes.len() {
            break (!batch.is_empty()).then_some("the last command's records are cut short");
        }
        match decode_record(&bytes[at..]) {
            Ok((r, len)) if r.seq == seq => {
                at += len;
                seq += 1;
                batch.push((r.seq, r.event));
                if r.end_of_batch {
                    for (seq, e) in batch.drain(..) {
                        on_event(seq, e);
                    }
                    out.valid_len = at as u64;
                    out.next_seq = seq;
                }
            }
            Ok(_) => break Some("record out of sequence"),
            Err(why) => break Some(why),
        }
    };
    if let Some(why) = damage {
        out.stopped = Some(Damage {
            offset: at as u64,
            why,
        });
        // A later intact record that knew `seq` (or a batch before it) durable proves the
        // damage is not a torn tail.
        out.damages_synced = (at + 1..bytes.len()).any(|p| {
            frame(&bytes[p..])
                .is_ok_and(|(later, synced, ..)| later > seq && synced >= out.next_seq)
        });
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}
