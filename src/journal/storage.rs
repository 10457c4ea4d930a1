//! Where the journal's files live: a directory, behind a trait so that tests can simulate power
//! loss and failing disks ([`super::sim::SimStorage`]) with the very code that runs in
//! production ([`DirStorage`]).
//!
//! Files are named relative to the storage (no paths). Nothing written is durable until
//! [`Storage::sync`] (the file's contents) and [`Storage::sync_dir`] (its existence under its
//! name, after a create, rename or remove) have returned.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The file operations the journal needs. Methods take `&self` so that a sync can run outside
/// the writer's lock (group commit) while the next record is appended.
pub trait Storage: Send + Sync {
    /// The names of the files present.
    fn list(&self) -> io::Result<Vec<String>>;
    /// A file's bytes from `offset` to its end (empty past the end).
    fn read_from(&self, name: &str, offset: u64) -> io::Result<Vec<u8>>;
    /// Creates an empty file, replacing one of that name.
    fn create(&self, name: &str) -> io::Result<()>;
    /// Appends to a file.
    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// Makes a file's contents durable (`fdatasync`).
    fn sync(&self, name: &str) -> io::Result<()>;
    /// Cuts a file to `len` bytes.
    fn truncate(&self, name: &str, len: u64) -> io::Result<()>;
    /// Renames a file, replacing `to`.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Makes the directory's entries durable (`fsync` of the directory).
    fn sync_dir(&self) -> io::Result<()>;

    /// A whole file.
    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        self.read_from(name, 0)
    }
}

impl<S: Storage + ?Sized> Storage for Arc<S> {
    fn list(&self) -> io::Result<Vec<String>> {
        (**self).list()
    }
    fn read_from(&self, name: &str, offset: u64) -> io::Result<Vec<u8>> {
        (**self).read_from(name, offset)
    }
    fn create(&self, name: &str) -> io::Result<()> {
        (**self).create(name)
    }
    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        (**self).append(name, bytes)
    }
    fn sync(&self, name: &str) -> io::Result<()> {
        (**self).sync(name)
    }
    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        (**self).truncate(name, len)
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        (**self).rename(from, to)
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        (**self).remove(name)
    }
    fn sync_dir(&self) -> io::Result<()> {
        (**self).sync_dir()
    }
}

/// A directory on a file system.
///
/// Files being written stay open (appends go through `O_APPEND` handles, kept until the file
/// is renamed or removed), so an append or sync costs one system call.
#[derive(Debug)]
pub struct DirStorage {
    dir: PathBuf,
    open: Mutex<HashMap<String, Arc<File>>>,
}

impl DirStorage {
    /// The directory `dir`, created (with its parents) if missing.
    pub fn new(dir: impl AsRef<Path>) -> io::Result<DirStorage> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        Ok(DirStorage {
            dir,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        // Names come from the journal, but a storage must never reach outside its directory.
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad file name"));
        }
        Ok(self.dir.join(name))
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<File>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open handle of `name`, opened for appending if it is not open yet.
    fn handle(&self, name: &str) -> io::Result<Arc<File>> {
        let mut open = self.handles();
        if let Some(f) = open.get(name) {
            return Ok(Arc::clone(f));
        }
        let f = Arc::new(OpenOptions::new().append(true).open(self.path(name)?)?);
        open.insert(name.to_owned(), Arc::clone(&f));
        Ok(f)
    }
}

impl Storage for DirStorage {
    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file()
                && let Ok(name) = entry.file_name().into_string()
            {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn read_from(&self, name: &str, offset: u64) -> io::Result<Vec<u8>> {
        let mut f = File::open(self.path(name)?)?;
        let len = f.metadata()?.len();
        let mut out = Vec::with_capacity(len.saturating_sub(offset) as usize);
        if offset < len {
            f.seek(SeekFrom::Start(offset))?;
            f.read_to_end(&mut out)?;
        }
        Ok(out)
    }

    fn create(&self, name: &str) -> io::Result<()> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(self.path(name)?)?;
        drop(f);
        self.handles().remove(name);
        Ok(())
    }

    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        (&*self.handle(name)?).write_all(bytes)
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        self.handle(name)?.sync_data()
    }

    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        OpenOptions::new()
            .write(true)
            .open(self.path(name)?)?
            .set_len(len)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path(from)?, self.path(to)?)?;
        let mut open = self.handles();
        open.remove(from);
        open.remove(to);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.handles().remove(name);
        std::fs::remove_file(self.path(name)?)
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}
