//! A simulated disk for testing durability: power loss and failing operations, in memory.
//!
//! [`SimStorage`] keeps, for every file, what is durable and the writes since its last sync,
//! and for the directory, the entries made durable by the last directory sync and the
//! operations since. [`SimStorage::crash`] returns the storage as it might be after a power
//! loss: every durable byte and entry, plus each pending write independently kept, dropped,
//! torn (a prefix kept) or garbled (kept with a byte changed), and a prefix of the pending
//! directory operations (file systems journal metadata in order). Faults: every operation
//! after the Nth fails ([`SimStorage::power_off_after`]), or the Nth operation of a kind fails
//! once ([`SimStorage::fail_nth`]) — each reported as an I/O error, as a real disk would.

use super::storage::Storage;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::{Mutex, MutexGuard};

/// A kind of storage operation, for [`SimStorage::fail_nth`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `create`, `append` and `truncate`.
    Write,
    /// `sync` and `sync_dir`.
    Sync,
    /// `rename` and `remove`.
    Rename,
}

/// A write not yet made durable, as offered to a crash's choice of fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Bytes written at an offset.
    Write {
        /// Where.
        offset: usize,
        /// What.
        bytes: Vec<u8>,
    },
    /// The file cut to a length.
    Truncate(usize),
}

/// What happens to one pending write at a crash.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It reached the disk.
    Keep,
    /// It did not.
    Drop,
    /// Only its first bytes did.
    Tear(usize),
    /// It did, with the byte at this position (modulo its length) changed.
    Garble(usize),
}

#[derive(Clone, Debug, Default)]
struct File {
    /// What reads see.
    current: Vec<u8>,
    /// What survives a crash for sure.
    durable: Vec<u8>,
    pending: Vec<Pending>,
}

#[derive(Clone, Debug)]
enum DirOp {
    Link(String, u64),
    Unlink(String),
}

#[derive(Clone, Debug, Default)]
struct Inner {
    files: HashMap<u64, File>,
    next_inode: u64,
    /// Names as reads see them.
    dir: BTreeMap<String, u64>,
    /// Names that survive a crash for sure.
    durable_dir: BTreeMap<String, u64>,
    dir_pending: Vec<DirOp>,
    ops: u64,
    counts: HashMap<OpKind, u64>,
    power_off_after: Option<u64>,
    fail: Vec<(OpKind, u64)>,
}

/// An in-memory storage that can crash and fail (see the module docs).
#[derive(Debug, Default)]
pub struct SimStorage {
    inner: Mutex<Inner>,
}

fn injected(what: &str) -> io::Error {
    io::Error::other(format!("simulated {what}"))
}

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

impl SimStorage {
    /// An empty storage.
    pub fn new() -> SimStorage {
        SimStorage::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Operations done so far (reads and listings are not counted).
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// Makes every operation after the first `ops` (counted from the start) fail, as when power
    /// is lost: call [`SimStorage::crash`] next to see what survived.
    pub fn power_off_after(&self, ops: u64) {
        self.lock().power_off_after = Some(ops);
    }

    /// Makes the `n`th (from 1, counted from the start) operation of `kind` fail once.
    pub fn fail_nth(&self, kind: OpKind, n: u64) {
        self.lock().fail.push((kind, n));
    }

    /// Writes not yet synced, over all files.
    pub fn pending_writes(&self) -> usize {
        self.lock().files.values().map(|f| f.pending.len()).sum()
    }

    /// The storage after a power loss, each pending write's fate chosen at random from `seed`.
    pub fn crash(&self, seed: u64) -> SimStorage {
        let mut rng = SplitMix(seed);
        self.crash_with(
            |p| {
                let len = match p {
                    Pending::Write { bytes, .. } => bytes.len(),
                    Pending::Truncate(_) => 0,
                };
                match rng.next() % 4 {
                    0 => Fate::Keep,
                    1 => Fate::Drop,
                    2 => Fate::Tear(rng.next() as usize % (len + 1)),
                    _ => Fate::Garble(rng.next() as usize),
                }
            },
            seed,
        )
    }

    /// The storage after a power loss, each pending write's fate chosen by `fate` (in the order
    /// written, file by file in name order); `dir_seed` picks how many pending directory
    /// operations survive.
    pub fn crash_with(&self, fate: impl FnMut(&Pending) -> Fate, dir_seed: u64) -> SimStorage {
        let pending = self.pending_dir_ops();
        let kept_dir = if pending == 0 {
            0
        } else {
            SplitMix(dir_seed ^ 0x5eed).next() as usize % (pending + 1)
        };
        self.crash_keeping(fate, kept_dir)
    }

    /// Directory operations (creates, renames, removes) since the last directory sync.
    pub fn pending_dir_ops(&self) -> usize {
        self.lock().dir_pending.len()
    }

    /// [`SimStorage::crash_with`] keeping exactly the first `kept_dir` pending directory
    /// operations (at most [`SimStorage::pending_dir_ops`]), so a test can enumerate them all.
    pub fn crash_keeping(
        &self,
        mut fate: impl FnMut(&Pending) -> Fate,
        kept_dir: usize,
    ) -> SimStorage {
        let inner = self.lock();
        let kept_dir = kept_dir.min(inner.dir_pending.len());
        let mut dir = inner.durable_dir.clone();
        for op in &inner.dir_pending[..kept_dir] {
            match op {
                DirOp::Link(name, inode) => {
                    dir.insert(name.clone(), *inode);
                }
                DirOp::Unlink(name) => {
                    dir.remove(name);
                }
            }
        }
        let mut files = HashMap::new();
        // Fates are asked in a fixed order (by inode), so a caller can enumerate them.
        let mut inodes: Vec<u64> = dir.values().copied().collect();
        inodes.sort_unstable();
        inodes.dedup();
        for inode in inodes {
            let Some(f) = inner.files.get(&inode) else {
                continue;
            };
            let mut content = f.durable.clone();
            for p in &f.pending {
                match (p, fate(p)) {
                    (_, Fate::Drop) => {}
                    (Pending::Truncate(len), _) => content.truncate(*len),
                    (Pending::Write { offset, bytes }, f) => {
                        let mut bytes = bytes.clone();
                        match f {
                            Fate::Tear(n) => bytes.truncate(n),
                            Fate::Garble(at) if !bytes.is_empty() => {
                                let at = at % bytes.len();
                                bytes[at] = !bytes[at];
                            }
                            _ => {}
                        }
                        let end = offset + bytes.len();
                        if content.len() < end {
                            content.resize(end, 0);
                        }
                        content[*offset..end].copy_from_slice(&bytes);
                    }
                }
            }
            files.insert(
                inode,
                File {
                    current: content.clone(),
                    durable: content,
                    pending: Vec::new(),
                },
            );
        }
        SimStorage {
            inner: Mutex::new(Inner {
                files,
                next_inode: inner.next_inode,
                durable_dir: dir.clone(),
                dir,
                ..Inner::default()
            }),
        }
    }

    /// A file's current bytes (for tests that damage files on purpose).
    pub fn contents(&self, name: &str) -> Option<Vec<u8>> {
        let inner = self.lock();
        inner.dir.get(name).map(|i| inner.files[i].current.clone())
    }

    /// Replaces a file's bytes, durably (for tests that damage files on purpose).
    pub fn set_contents(&self, name: &str, bytes: Vec<u8>) {
        let mut inner = self.lock();
        if let Some(i) = inner.dir.get(name).copied() {
            let f = inner.files.entry(i).or_default();
            f.current = bytes.clone();
            f.durable = bytes;
            f.pending.clear();
        }
    }
}

impl Inner {
    /// Counts an operation and fails it if a fault says so.
    fn op(&mut self, kind: OpKind) -> io::Result<()> {
        self.ops += 1;
        let n = {
            let c = self.counts.entry(kind).or_insert(0);
            *c += 1;
            *c
        };
        if self.power_off_after.is_some_and(|limit| self.ops > limit) {
            return Err(injected("power loss"));
        }
        if let Some(i) = self.fail.iter().position(|f| *f == (kind, n)) {
            self.fail.swap_remove(i);
            return Err(injected("I/O error"));
        }
        Ok(())
    }

    fn file(&mut self, name: &str) -> io::Result<&mut File> {
        let inode = *self.dir.get(name).ok_or_else(not_found)?;
        Ok(self.files.entry(inode).or_default())
    }
}

impl Storage for SimStorage {
    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.lock().dir.keys().cloned().collect())
    }

    fn read_from(&self, name: &str, offset: u64) -> io::Result<Vec<u8>> {
        let mut inner = self.lock();
        let f = inner.file(name)?;
        Ok(f.current.get(offset as usize..).unwrap_or(&[]).to_vec())
    }

    fn create(&self, name: &str) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Write)?;
        let inode = inner.next_inode;
        inner.next_inode += 1;
        inner.files.insert(inode, File::default());
        inner.dir.insert(name.to_owned(), inode);
        inner.dir_pending.push(DirOp::Link(name.to_owned(), inode));
        Ok(())
    }

    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Write)?;
        let f = inner.file(name)?;
        f.pending.push(Pending::Write {
            offset: f.current.len(),
            bytes: bytes.to_vec(),
        });
        f.current.extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Sync)?;
        let f = inner.file(name)?;
        f.durable.clone_from(&f.current);
        f.pending.clear();
        Ok(())
    }

    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Write)?;
        let f = inner.file(name)?;
        f.current.truncate(len as usize);
        f.pending.push(Pending::Truncate(len as usize));
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Rename)?;
        let inode = inner.dir.remove(from).ok_or_else(not_found)?;
        inner.dir.insert(to.to_owned(), inode);
        inner.dir_pending.push(DirOp::Unlink(from.to_owned()));
        inner.dir_pending.push(DirOp::Link(to.to_owned(), inode));
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Rename)?;
        inner.dir.remove(name).ok_or_else(not_found)?;
        inner.dir_pending.push(DirOp::Unlink(name.to_owned()));
        Ok(())
    }

    fn sync_dir(&self) -> io::Result<()> {
        let mut inner = self.lock();
        inner.op(OpKind::Sync)?;
        inner.durable_dir = inner.dir.clone();
        inner.dir_pending.clear();
        Ok(())
    }
}

/// A small deterministic generator (SplitMix64), so crashes replay from their seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
