//! The library's version, at compile time (macros) and at run time (functions), so a program can
//! check that the library it loaded is the one it was built against.

use super::status::infallible;
use std::ffi::c_char;

/// The major version of the header (incompatible ABI changes once 1.0 is out).
pub const NP700_VERSION_MAJOR: u32 = 0;
/// The minor version of the header.
pub const NP700_VERSION_MINOR: u32 = 1;
/// The patch version of the header.
pub const NP700_VERSION_PATCH: u32 = 0;
/// The header's version as one number, `MAJOR * 1000000 + MINOR * 1000 + PATCH` (0.1.0 is 1000),
/// comparable with `np700_version_number()`.
pub const NP700_VERSION_NUMBER: u32 =
    NP700_VERSION_MAJOR * 1_000_000 + NP700_VERSION_MINOR * 1_000 + NP700_VERSION_PATCH;

/// The library's version as a static NUL-terminated string, e.g. `"0.1.0"`. Never NULL; must not
/// be freed. Safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn np700_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    infallible(c"unknown".as_ptr(), || VERSION.as_ptr())
}

/// The library's version as one number, encoded as `NP700_VERSION_NUMBER` is: compare it with
/// the macro to detect a header/library mismatch. Safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn np700_version_number() -> u32 {
    NP700_VERSION_NUMBER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_constants_match_the_package_version() {
        let part = |s: &str| s.parse::<u32>().unwrap();
        assert_eq!(NP700_VERSION_MAJOR, part(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(NP700_VERSION_MINOR, part(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(NP700_VERSION_PATCH, part(env!("CARGO_PKG_VERSION_PATCH")));
        let text = unsafe { std::ffi::CStr::from_ptr(np700_version()) };
        assert_eq!(text.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let (ma, mi, pa) = (
            NP700_VERSION_MAJOR,
            NP700_VERSION_MINOR,
            NP700_VERSION_PATCH,
        );
        assert_eq!(np700_version_number(), ma * 1_000_000 + mi * 1_000 + pa);
    }
}
