//! Checking what C hands over before any Rust reference or slice is made from it, and writing
//! results back. Every check here happens in a fixed order — pointer, length, encoding, content —
//! so each bad input has one documented status.

use super::status::{
    Failure, NP700_ERR_BUFFER_TOO_SMALL, NP700_ERR_INVALID_UTF8, NP700_ERR_NULL,
    NP700_ERR_OUT_OF_RANGE, NP700_ERR_TOO_LONG, np700_status,
};
use crate::time::Timestamp;
use std::ffi::c_char;

/// A borrowed string: `len` bytes at `ptr`, not NUL-terminated. `{NULL, 0}` is the empty string;
/// `ptr` may be NULL only when `len` is 0.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_str {
    /// The first byte, or NULL for the empty string.
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl np700_str {
    /// The empty string.
    pub const EMPTY: np700_str = np700_str {
        ptr: std::ptr::null(),
        len: 0,
    };
}

/// The longest number string accepted, in bytes (dial strings with separators and URIs fit).
pub const NP700_MAX_NUMBER_LEN: usize = 256;
/// The longest list (group members, allowed callers, tags, scenarios) accepted.
pub const NP700_MAX_LIST_LEN: usize = 64;
/// The longest file path accepted, in bytes.
pub const NP700_MAX_PATH_LEN: usize = 4096;
/// The latest time np700 accepts, in seconds since the Unix epoch (2106-02-07T06:28:14Z): the
/// routing index keeps times in 32 bits.
pub const NP700_TIME_MAX: u64 = 4_294_967_294;
/// An expiry meaning "never expires".
pub const NP700_TIME_NEVER: u64 = u64::MAX;

/// The bytes of a C string argument.
///
/// Checks, in order: `ptr` NULL with `len` > 0 (`NP700_ERR_NULL`), `len` > `max`
/// (`too_long`), then nothing else: bytes are not yet text.
///
/// # Safety
///
/// If `ptr` is not NULL it must be valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    what: &'static str,
    ptr: *const c_char,
    len: usize,
    max: usize,
    too_long: np700_status,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::new(
                NP700_ERR_NULL,
                what,
                "NULL with a non-zero length",
            ))
        };
    }
    if len > max {
        return Err(Failure::new(too_long, what, "longer than its maximum"));
    }
    // SAFETY: non-NULL, `len` <= `max` (far below isize::MAX), and the caller promises `len`
    // readable bytes; u8 has no alignment requirement.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// A C string argument as text: [`bytes_arg`], then UTF-8 (`NP700_ERR_INVALID_UTF8`).
///
/// # Safety
///
/// As [`bytes_arg`].
pub(crate) unsafe fn str_arg<'a>(
    what: &'static str,
    ptr: *const c_char,
    len: usize,
    max: usize,
    too_long: np700_status,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { bytes_arg(what, ptr, len, max, too_long) }?;
    std::str::from_utf8(bytes)
        .map_err(|_| Failure::new(NP700_ERR_INVALID_UTF8, what, "not valid UTF-8"))
}

/// An `np700_str` field as text; see [`str_arg`].
///
/// # Safety
///
/// As [`bytes_arg`] for `s.ptr` and `s.len`.
pub(crate) unsafe fn str_field<'a>(
    what: &'static str,
    s: np700_str,
    max: usize,
    too_long: np700_status,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(what, s.ptr, s.len, max, too_long) }
}

/// A C array argument: `{NULL, 0}` is empty; NULL with `len` > 0 or a misaligned pointer is
/// `NP700_ERR_NULL`; more than [`NP700_MAX_LIST_LEN`] elements is `NP700_ERR_TOO_LONG`.
///
/// # Safety
///
/// If `ptr` is not NULL it must be valid for reads of `len` initialised elements for `'a`.
pub(crate) unsafe fn list_arg<'a, T>(
    what: &'static str,
    ptr: *const T,
    len: usize,
) -> Result<&'a [T], Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { table_arg(what, ptr, len, NP700_MAX_LIST_LEN) }
}

/// The most entries of a mapping table accepted: an import's tenant mapping, a legacy
/// migration's table of legacy numbers (larger migrations go in batches).
pub const NP700_MAX_TABLE_LEN: usize = 65_536;

/// A C array argument of at most `max` elements: as [`list_arg`], with its own maximum.
///
/// # Safety
///
/// As [`list_arg`].
pub(crate) unsafe fn table_arg<'a, T>(
    what: &'static str,
    ptr: *const T,
    len: usize,
    max: usize,
) -> Result<&'a [T], Failure> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::new(
                NP700_ERR_NULL,
                what,
                "NULL with a non-zero length",
            ))
        };
    }
    if !ptr.is_aligned() {
        return Err(Failure::new(NP700_ERR_NULL, what, "misaligned pointer"));
    }
    if len > max {
        return Err(Failure::new(
            NP700_ERR_TOO_LONG,
            what,
            "more elements than its maximum",
        ));
    }
    // SAFETY: non-NULL, aligned, at most `max` elements (a few MiB at most), readable by the
    // caller's promise.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A required input struct.
///
/// # Safety
///
/// If `ptr` is not NULL it must point to an initialised `T` valid for reads for `'a`. (Every
/// input struct of the ABI is made of integers and pointers only, so any bytes are a valid `T`.)
pub(crate) unsafe fn in_arg<'a, T>(what: &'static str, ptr: *const T) -> Result<&'a T, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(NP700_ERR_NULL, what, "NULL"));
    }
    if !ptr.is_aligned() {
        return Err(Failure::new(NP700_ERR_NULL, what, "misaligned pointer"));
    }
    // SAFETY: non-NULL and aligned; the caller promises it points to a readable T.
    Ok(unsafe { &*ptr })
}

/// An output location, checked before any work is done; written with [`Out::write`] only once
/// everything succeeded.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Checks `ptr`: NULL or misaligned is `NP700_ERR_NULL`.
    pub(crate) fn new(what: &'static str, ptr: *mut T) -> Result<Out<T>, Failure> {
        if ptr.is_null() {
            return Err(Failure::new(NP700_ERR_NULL, what, "NULL"));
        }
        if !ptr.is_aligned() {
            return Err(Failure::new(NP700_ERR_NULL, what, "misaligned pointer"));
        }
        Ok(Out(ptr))
    }

    /// The checked pointer (for an output array: its first element).
    pub(crate) fn ptr(&self) -> *mut T {
        self.0
    }

    /// Writes the result.
    ///
    /// # Safety
    ///
    /// The pointer given to [`Out::new`] must be valid for a write of one `T`.
    pub(crate) unsafe fn write(self, value: T) {
        // SAFETY: non-NULL and aligned (checked in `new`); writable by the caller's promise.
        // `write` does not drop the old contents, which C may have left uninitialised.
        unsafe { self.0.write(value) }
    }
}

/// A caller's buffer for a document np700 writes as NUL-terminated JSON (`buf`, `buf_len`,
/// `needed`), sized like `snprintf`: checked before any work, then written whole or not at all.
pub(crate) struct TextOut {
    buf: *mut c_char,
    len: usize,
    needed: Option<Out<usize>>,
}

impl TextOut {
    /// Checks the buffer: NULL with a length, or a misaligned `needed`, is `NP700_ERR_NULL`;
    /// `(NULL, 0)` asks for the size alone; `needed` may be NULL.
    pub(crate) fn new(buf: *mut c_char, len: usize, needed: *mut usize) -> Result<Self, Failure> {
        if buf.is_null() && len != 0 {
            return Err(Failure::new(
                NP700_ERR_NULL,
                "buf",
                "NULL with a non-zero length",
            ));
        }
        let needed = (!needed.is_null())
            .then(|| Out::new("needed", needed))
            .transpose()?;
        Ok(TextOut { buf, len, needed })
    }

    /// Writes the size `text` needs with its NUL to `needed` (if given), then `text` and its NUL
    /// to the buffer, or fails with `NP700_ERR_BUFFER_TOO_SMALL` leaving the buffer untouched.
    /// `text` must hold no NUL byte (JSON does not: serde escapes control characters).
    ///
    /// # Safety
    ///
    /// The buffer given to [`TextOut::new`] must be valid for writes of its length, and
    /// `needed` for a write of one `size_t`.
    pub(crate) unsafe fn write(self, text: &str, what: &'static str) -> Result<(), Failure> {
        let size = text.len() + 1;
        if let Some(needed) = self.needed {
            // SAFETY: checked by Out::new; writable by the caller's promise.
            unsafe { needed.write(size) };
        }
        if self.len < size {
            return Err(Failure::new(NP700_ERR_BUFFER_TOO_SMALL, "buf", what));
        }
        // SAFETY: `buf` is non-NULL (len >= size >= 1) and writable for len >= size bytes;
        // `text` is np700's own allocation, so the ranges cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), self.buf.cast::<u8>(), text.len());
            self.buf.add(text.len()).write(0);
        }
        Ok(())
    }
}

/// A time argument: at most [`NP700_TIME_MAX`].
pub(crate) fn time_arg(what: &'static str, secs: u64) -> Result<Timestamp, Failure> {
    if secs > NP700_TIME_MAX {
        return Err(Failure::new(
            NP700_ERR_OUT_OF_RANGE,
            what,
            "time after NP700_TIME_MAX",
        ));
    }
    Ok(Timestamp::from_unix_secs(secs))
}

/// An expiry argument: at most [`NP700_TIME_MAX`], or [`NP700_TIME_NEVER`].
pub(crate) fn expiry_arg(what: &'static str, secs: u64) -> Result<Timestamp, Failure> {
    if secs == NP700_TIME_NEVER {
        return Ok(Timestamp::MAX);
    }
    time_arg(what, secs)
}

/// Copies `text` (ASCII digits and `+` only) into a fixed-size, NUL-terminated C array; the
/// arrays are sized for the longest number, so nothing is ever cut.
pub(crate) fn put_bytes<const N: usize>(text: &[u8]) -> [c_char; N] {
    let mut out = [0 as c_char; N];
    for (slot, &b) in out.iter_mut().take(N.saturating_sub(1)).zip(text) {
        *slot = b as c_char;
    }
    out
}

/// The decimal digits of `value` into a fixed-size, NUL-terminated C array, without allocating.
pub(crate) fn put_u64<const N: usize>(value: u64) -> [c_char; N] {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut v = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put_bytes(digits.get(at..).unwrap_or(&[]))
}

/// A fixed-size, NUL-terminated copy of `text`, cut at a character boundary if it does not fit.
pub(crate) fn put_text<const N: usize>(text: &str) -> [c_char; N] {
    let mut take = text.len().min(N.saturating_sub(1));
    while !text.is_char_boundary(take) {
        take -= 1;
    }
    put_bytes(text.as_bytes().get(..take).unwrap_or(&[]))
}
