//! The archive's on-disk format: one file per Beijing day of checksummed, length-prefixed
//! records.
//!
//! ```text
//! file    := header record*
//! header  := "NP700ARC" version:u32 date:u32 crc:u32 0:u32        (24 bytes, LE)
//! record  := crc:u32 len:u32 synced:u64 payload[len]             (16 + len bytes, LE)
//! payload := postcard(Entry)
//! ```
//!
//! A file is named `YYYYMMDD.archive` after the Beijing (UTC+8) date it was started on; the
//! header repeats the date (`date` = `YYYYMMDD` as a number) and has its own CRC-32C over its
//! first 16 bytes. A record's CRC-32C covers everything after itself (length, `synced` and
//! payload). `synced` is the length of the file the writer knew durable when it wrote the
//! record: damage that a later intact record claims was durable is damage to acknowledged
//! data — a hard error — while other damage at the end of the last file is a torn tail. Lengths
//! are capped ([`MAX_PAYLOAD`]) before anything is allocated.

use super::Entry;

/// The first bytes of every archive file.
pub const FILE_MAGIC: [u8; 8] = *b"NP700ARC";
/// The version of the format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes in a file header.
pub const HEADER_LEN: usize = 24;
/// Bytes in a record header.
pub const RECORD_HEADER_LEN: usize = 16;
/// The largest payload a record may have.
pub const MAX_PAYLOAD: usize = 1 << 20;
/// The suffix of archive file names.
pub const SUFFIX: &str = ".archive";

const BEIJING_OFFSET_SECS: u64 = 8 * 3600;
const DAY_SECS: u64 = 86_400;

/// The last day a file can be named after: 9999-12-31.
pub const LAST_DAY: u64 = 2_932_896;

/// The Beijing (UTC+8) day of `secs` (Unix seconds): days since 1970-01-01 in Beijing, at most
/// [`LAST_DAY`] (a record stamped later is filed under that day).
pub fn beijing_day(secs: u64) -> u64 {
    (secs.saturating_add(BEIJING_OFFSET_SECS) / DAY_SECS).min(LAST_DAY)
}

/// The first second (Unix) after Beijing day `day`.
pub fn day_end(day: u64) -> u64 {
    day.saturating_add(1)
        .saturating_mul(DAY_SECS)
        .saturating_sub(BEIJING_OFFSET_SECS)
}

/// `YYYYMMDD` of Beijing day `day`.
pub fn date_number(day: u64) -> u32 {
    let (y, m, d) = crate::time::civil_from_days(day);
    (y.min(9999) * 10_000 + m * 100 + d) as u32
}

/// The file name of Beijing day `day`.
pub fn file_name(day: u64) -> String {
    format!("{:08}{SUFFIX}", date_number(day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), for dates
/// from 1970 on.
fn days_from_civil(y: u64, m: u64, d: u64) -> Option<u64> {
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// The Beijing day of an archive file name, if it is one (`YYYYMMDD.archive`, a real date).
pub fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let (y, m, d) = (n / 10_000, n / 100 % 100, n % 100);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day = days_from_civil(y, m, d)?;
    // 31 February and the like do not round-trip.
    (u64::from(date_number(day)) == n).then_some(day)
}

/// The header of the file of Beijing day `day`.
pub fn header(day: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&FILE_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&date_number(day).to_le_bytes());
    let crc = crc32c::crc32c(&h[..16]);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Checks a file's header against the day its name says.
pub fn check_header(bytes: &[u8], day: u64) -> Result<(), &'static str> {
    let h = bytes.get(..HEADER_LEN).ok_or("archive header cut short")?;
    if h[..8] != FILE_MAGIC {
        return Err("not an archive file (bad magic)");
    }
    if crc32c::crc32c(&h[..16]) != u32_at(h, 16) {
        return Err("archive header checksum mismatch");
    }
    if u32_at(h, 8) != FORMAT_VERSION {
        return Err("unsupported archive format version");
    }
    if u32_at(h, 12) != date_number(day) {
        return Err("archive header and file name disagree");
    }
    Ok(())
}

/// Appends the record of `entry` to `out`; fails (leaving `out` as it was) if it does not
/// encode within [`MAX_PAYLOAD`].
pub fn encode(out: &mut Vec<u8>, synced: u64, entry: &Entry) -> Result<(), &'static str> {
    let start = out.len();
    out.extend_from_slice(&[0u8; RECORD_HEADER_LEN]);
    *out = match postcard::to_extend(entry, std::mem::take(out)) {
        Ok(v) => v,
        Err(_) => return Err("entry cannot be encoded"),
    };
    let len = out.len() - start - RECORD_HEADER_LEN;
    if len > MAX_PAYLOAD {
        out.truncate(start);
        return Err("entry too large for an archive record");
    }
    let r = &mut out[start..];
    r[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    r[8..16].copy_from_slice(&synced.to_le_bytes());
    let crc = crc32c::crc32c(&r[4..]);
    r[..4].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// A checksummed frame at the start of `bytes`: (synced, payload, total length).
fn frame(bytes: &[u8]) -> Result<(u64, &[u8], usize), &'static str> {
    let h = bytes
        .get(..RECORD_HEADER_LEN)
        .ok_or("record header cut short")?;
    let len = u32_at(h, 4) as usize;
    if len > MAX_PAYLOAD {
        return Err("record length over the limit");
    }
    let total = RECORD_HEADER_LEN + len;
    let r = bytes.get(..total).ok_or("record cut short")?;
    if crc32c::crc32c(&r[4..]) != u32_at(r, 0) {
        return Err("record checksum mismatch");
    }
    Ok((u64_at(r, 8), &r[RECORD_HEADER_LEN..], total))
}

/// The record at the start of `bytes` and its length.
pub fn decode(bytes: &[u8]) -> Result<(Entry, usize), &'static str> {
    let (_, payload, total) = frame(bytes)?;
    let entry = postcard::from_bytes(payload).map_err(|_| "record payload does not decode")?;
    Ok((entry, total))
}

/// Where and why reading a file stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Offset of the first byte not read.
    pub offset: u64,
    /// What is wrong there.
    pub why: &'static str,
    /// Whether a later intact record claims the file was durable past this offset: the damage
    /// is to acknowledged data, not a torn tail.
    pub acknowledged: bool,
}

/// Reads the records of `bytes[offset..]`, handing each entry and its offset to `on_entry`;
/// returns the end of the last whole record, and the damage that stopped it, if any.
pub fn scan(
    bytes: &[u8],
    offset: usize,
    mut on_entry: impl FnMut(u64, Entry),
) -> (u64, Option<Damage>) {
    let mut at = offset;
    while at < bytes.len() {
        match decode(&bytes[at..]) {
            Ok((entry, len)) => {
                on_entry(at as u64, entry);
                at += len;
            }
            Err(why) => {
                let acknowledged = (at + 1..bytes.len())
                    .any(|p| frame(&bytes[p..]).is_ok_and(|(synced, _, _)| synced > at as u64));
                let damage = Damage {
                    offset: at as u64,
                    why,
                    acknowledged,
                };
                return (at as u64, Some(damage));
            }
        }
    }
    (at as u64, None)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_and_days_are_beijing_days() {
        // 2026-01-01T00:00:00Z is 08:00 in Beijing, day 2026-01-01.
        let t = 1_767_225_600;
        let day = beijing_day(t);
        assert_eq!(file_name(day), "20260101.archive");
        assert_eq!(parse_file_name("20260101.archive"), Some(day));
        // 15:59:59Z is still that day in Beijing; 16:00Z is the next.
        assert_eq!(beijing_day(t + 16 * 3600 - 1), day);
        assert_eq!(beijing_day(t + 16 * 3600), day + 1);
        assert_eq!(day_end(day), t + 16 * 3600);
        for d in (day - 800..day + 800).chain(LAST_DAY - 400..=LAST_DAY) {
            assert_eq!(parse_file_name(&file_name(d)), Some(d));
        }
        assert_eq!(file_name(LAST_DAY), "99991231.archive");
        assert_eq!(beijing_day(u64::MAX), LAST_DAY);
        for bad in [
            "20260231.archive",
            "20261301.archive",
            "2026010.archive",
            "20260101.journal",
            "x0260101.archive",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }
}
