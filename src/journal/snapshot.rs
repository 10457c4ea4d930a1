//! Snapshots: the whole state after event `seq`, in one checksummed file.
//!
//! ```text
//! snapshot := header payload trailer
//! header   := "NP700SNP" version:u32 0:u32 seq:u64 crc:u32 0:u32     (32 bytes, LE)
//! payload  := postcard(StateImage)                                   (as State::image writes it)
//! trailer  := payload_len:u64 payload_crc:u32 "SNPE"                 (16 bytes)
//! ```
//!
//! The payload is streamed to storage in chunks (a snapshot of millions of bindings is never
//! held twice in memory) and checked whole when read: a snapshot either verifies completely or
//! is refused. It is decoded straight into the state, each binding installed as it is read
//! ([`State::deserialize_image`]), never held as a list first.

use super::record::FORMAT_VERSION;
use super::storage::Storage;
use crate::config::Config;
use crate::state::{RestoreError, State};
use std::io;

/// The first bytes of every snapshot.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"NP700SNP";
const TRAILER_MAGIC: [u8; 4] = *b"SNPE";
const HEADER_LEN: usize = 32;
const TRAILER_LEN: usize = 16;
/// Bytes buffered before an append to storage.
const CHUNK: usize = 1 << 20;

/// Writes the snapshot of `state` (after event `seq`) to the file `name`, which must not be
/// visible to recovery under a snapshot name yet; returns its size. Does not sync.
pub fn write(storage: &dyn Storage, name: &str, seq: u64, state: &State) -> io::Result<u64> {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&SNAPSHOT_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&seq.to_le_bytes());
    let crc = crc32c::crc32c(&h[..24]);
    h[24..28].copy_from_slice(&crc.to_le_bytes());
    storage.create(name)?;
    storage.append(name, &h)?;
    let out = Chunked {
        storage,
        name,
        buf: Vec::with_capacity(CHUNK),
        crc: 0,
        len: 0,
        error: None,
    };
    let mut out = match postcard::serialize_with_flavor(&state.image(), out) {
        Ok(out) => out,
        Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "state does not encode",
            ));
        }
    };
    if let Some(e) = out.error.take() {
        return Err(e);
    }
    out.flush_buf()?;
    let mut t = [0u8; TRAILER_LEN];
    t[..8].copy_from_slice(&out.len.to_le_bytes());
    t[8..12].copy_from_slice(&out.crc.to_le_bytes());
    t[12..].copy_from_slice(&TRAILER_MAGIC);
    storage.append(name, &t)?;
    Ok((HEADER_LEN + TRAILER_LEN) as u64 + out.len)
}

/// A postcard output that streams to storage in chunks, computing the checksum of each chunk
/// as it goes out (bytes are pushed one field at a time: a push is a store into the buffer).
struct Chunked<'a> {
    storage: &'a dyn Storage,
    name: &'a str,
    buf: Vec<u8>,
    crc: u32,
    len: u64,
    /// The storage's error (postcard reports only that writing failed).
    error: Option<io::Error>,
}

impl Chunked<'_> {
    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.crc = crc32c::crc32c_append(self.crc, &self.buf);
            self.len += self.buf.len() as u64;
            self.storage.append(self.name, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Sends a full chunk; a failure is kept and stops the encoding.
    #[inline]
    fn spill(&mut self) -> postcard::Result<()> {
        if self.buf.len() >= CHUNK
            && let Err(e) = self.flush_buf()
        {
            self.error = Some(e);
            return Err(postcard::Error::SerializeBufferFull);
        }
        Ok(())
    }
}

impl<'a> postcard::ser_flavors::Flavor for Chunked<'a> {
    type Output = Chunked<'a>;

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.buf.push(byte);
        self.spill()
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.buf.extend_from_slice(bytes);
        self.spill()
    }

    fn finalize(self) -> postcard::Result<Chunked<'a>> {
        Ok(self)
    }
}

/// The seq a snapshot's header names, if the header is intact.
pub fn header_seq(bytes: &[u8]) -> Result<u64, &'static str> {
    let h = bytes.get(..HEADER_LEN).ok_or("snapshot header cut short")?;
    if h[..8] != SNAPSHOT_MAGIC {
        return Err("not a snapshot (bad magic)");
    }
    let crc = u32::from_le_bytes([h[24], h[25], h[26], h[27]]);
    if crc32c::crc32c(&h[..24]) != crc {
        return Err("snapshot header checksum mismatch");
    }
    if u32::from_le_bytes([h[8], h[9], h[10], h[11]]) != FORMAT_VERSION {
        return Err("unsupported snapshot format version");
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&h[16..24]);
    Ok(u64::from_le_bytes(seq))
}

/// Reads a snapshot: the seq of the last event it holds and the state.
pub fn read(bytes: &[u8], config: Config) -> Result<(u64, State), &'static str> {
    let seq = header_seq(bytes)?;
    if bytes.len() < HEADER_LEN + TRAILER_LEN {
        return Err("snapshot cut short");
    }
    let (body, t) = bytes.split_at(bytes.len() - TRAILER_LEN);
    let payload = &body[HEADER_LEN..];
    if t[12..] != TRAILER_MAGIC {
        return Err("snapshot trailer missing (cut short?)");
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&t[..8]);
    if u64::from_le_bytes(len) != payload.len() as u64 {
        return Err("snapshot length mismatch");
    }
    if crc32c::crc32c(payload) != u32::from_le_bytes([t[8], t[9], t[10], t[11]]) {
        return Err("snapshot checksum mismatch");
    }
    // A payload written before real-user reports existed lacks their field: read it as having
    // none (only when the current layout does not decode, so once after an upgrade).
    let state = match decode(payload, config.clone(), false) {
        Ok(state) => state,
        Err(why) => decode(payload, config, true).map_err(|_| why)?,
    };
    Ok((seq, state))
}

/// Decodes a snapshot's payload into a state (in the layout before real-user reports with
/// `legacy`), all of it.
fn decode(payload: &[u8], config: Config, legacy: bool) -> Result<State, &'static str> {
    let mut de = postcard::Deserializer::from_bytes(payload);
    // Decoded straight into the state, binding by binding.
    let state = if legacy {
        State::deserialize_legacy_image(config, &mut de)
    } else {
        State::deserialize_image(config, &mut de)
    }
    .map_err(|e| match e {
        RestoreError::Decode(_) => "snapshot payload does not decode",
        RestoreError::Image(e) => e.0,
    })?;
    if !de.finalize().is_ok_and(|rest| rest.is_empty()) {
        return Err("snapshot payload has bytes after the state");
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::sim::SimStorage;
    use crate::time::Timestamp;
    use crate::{Command, TenantId};

    /// A snapshot of `state` whose payload is cut by `cut` bytes at its end, with a trailer that
    /// matches (as a snapshot of a payload that short would have).
    fn snapshot_cut(state: &State, cut: usize) -> Vec<u8> {
        let storage = SimStorage::new();
        write(&storage, "s", 7, state).unwrap();
        let bytes = storage.read("s").unwrap();
        let payload = &bytes[HEADER_LEN..bytes.len() - TRAILER_LEN];
        let payload = &payload[..payload.len() - cut];
        let mut out = bytes[..HEADER_LEN].to_vec();
        out.extend_from_slice(payload);
        out.extend((payload.len() as u64).to_le_bytes());
        out.extend(crc32c::crc32c(payload).to_le_bytes());
        out.extend(TRAILER_MAGIC);
        out
    }

    #[test]
    fn a_snapshot_written_before_real_user_reports_reads_as_having_none() {
        let now = Timestamp::from_unix_secs(1_767_225_600);
        let mut state = State::new(Config::default());
        state
            .execute(
                &Command::RegisterTenant {
                    name: "t".into(),
                    scenarios: vec![],
                    pair_cap: None,
                },
                now,
            )
            .unwrap();
        // No reports: the field is two empty sets, two bytes before the block lists' two (no
        // rules, next id 1) at the end. Without the four the payload is what the code before
        // reports wrote.
        let old = snapshot_cut(&state, 4);
        let (seq, read_back) = read(&old, Config::default()).unwrap();
        assert_eq!(seq, 7);
        assert!(read_back == state);
        assert_eq!(
            read(&snapshot_cut(&state, 0), Config::default()).unwrap().1,
            state
        );

        // With reports, they are read back; cut anywhere in them, the snapshot is refused.
        let subscriber = crate::SubscriberNumber::parse("13800000001").unwrap();
        state
            .execute(
                &Command::ReportRealUser {
                    tenant: TenantId::from_raw(1),
                    subscriber,
                    reported: true,
                },
                now,
            )
            .unwrap();
        let (_, read_back) = read(&snapshot_cut(&state, 0), Config::default()).unwrap();
        assert!(read_back.is_real_user_reported(TenantId::from_raw(1), subscriber));
        for cut in 1..4 {
            assert!(
                read(&snapshot_cut(&state, 2 + cut), Config::default()).is_err(),
                "{cut}"
            );
        }
    }
}
