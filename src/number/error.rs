//! The one error type for every number parse and constructor.

/// Why a dial string, integer or sub-number was refused.
///
/// `Copy` and allocation-free so the switch's parse path never touches the heap,
/// even when it fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// No digits at all: the input was empty, only separators, or a bare URI scheme.
    #[error("no digits in the number")]
    Empty,
    /// A byte that is neither a digit, a visual separator nor an allowed `+`/URI delimiter.
    #[error("invalid character at byte {at}")]
    InvalidCharacter {
        /// Byte offset of the offending character in the original input.
        at: usize,
    },
    /// More digits than any number of the requested kind can have.
    #[error("too many digits")]
    TooLong,
    /// Fewer digits than the shortest number of the requested kind.
    #[error("too few digits")]
    TooShort,
    /// The national digits do not start with `700`, or the country code is not 86.
    #[error("not a number in the 700 privacy segment")]
    NotSegment700,
    /// A complete number of another length where an exact length was required.
    #[error("expected {expected} digits, found {found}")]
    WrongLength {
        /// Digits the number type needs (11 for management, 15 for usage numbers).
        expected: u8,
        /// Digits actually present (national digits for dial strings).
        found: u8,
    },
    /// A usage sub-number outside `0..=9999`.
    #[error("sub-number must be in 0..=9999")]
    SubNumberOutOfRange,
    /// The digits fit no subscriber shape (Chinese mobile, fixed line or international).
    #[error("not a valid subscriber number")]
    InvalidSubscriber,
    /// A 700 privacy number offered as a real party's number; binding it would loop calls.
    #[error("700 privacy numbers cannot be subscriber numbers")]
    PrivacySegment,
    /// A country code starting with `0`, which no country has.
    #[error("invalid country code")]
    InvalidCountryCode,
}

#[cfg(test)]
mod tests {
    use super::NumberError;

    #[test]
    fn messages_are_specific() {
        let cases = [
            (NumberError::Empty, "no digits in the number"),
            (
                NumberError::InvalidCharacter { at: 7 },
                "invalid character at byte 7",
            ),
            (NumberError::TooLong, "too many digits"),
            (NumberError::TooShort, "too few digits"),
            (
                NumberError::NotSegment700,
                "not a number in the 700 privacy segment",
            ),
            (
                NumberError::WrongLength {
                    expected: 15,
                    found: 11,
                },
                "expected 15 digits, found 11",
            ),
            (
                NumberError::SubNumberOutOfRange,
                "sub-number must be in 0..=9999",
            ),
            (
                NumberError::InvalidSubscriber,
                "not a valid subscriber number",
            ),
            (
                NumberError::PrivacySegment,
                "700 privacy numbers cannot be subscriber numbers",
            ),
            (NumberError::InvalidCountryCode, "invalid country code"),
        ];
        for (err, msg) in cases {
            assert_eq!(err.to_string(), msg);
        }
    }

    #[test]
    fn is_a_std_error_and_copy() {
        fn takes_error<E: std::error::Error + Copy + Send + Sync + 'static>(_: E) {}
        let e = NumberError::InvalidCharacter { at: 1 };
        takes_error(e);
        let copy = e;
        assert_eq!(copy, e);
        assert_ne!(e, NumberError::InvalidCharacter { at: 2 });
    }
}
